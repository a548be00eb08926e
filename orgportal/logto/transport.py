"""HTTP transport for Logto: one pooled `requests.Session` per process, with a retry policy.

Retries (short exponential backoff with jitter, about a second in all) cover connection
errors and 502/503/504 for idempotent methods only; POST is never retried automatically
because Logto has no idempotency keys. A 429 is not retried inside a request: waiting out
`Retry-After` there held pages for up to 10 s per try and tied up the workers under rate
limiting. It reaches the caller as RateLimited with `retry_after`, so people read "try again in
N seconds", and background work waits it out on its own schedule.
"""

from __future__ import annotations

import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (502, 503, 504)
# Every Management API call of the portal says it is the portal. Logto copies the caller's
# user agent into its webhook deliveries (`userAgent`), which is how the portal tells the
# changes it made itself (already in its activity) from changes made elsewhere.
PORTAL_USER_AGENT = "orgportal"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


class LogtoRetry(Retry):
    """Backoff only: a server's `Retry-After` is not slept on inside a request."""


def build_retry(max_retries: int) -> Retry:
    return LogtoRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        backoff_factor=0.2,
        backoff_max=1.0,
        backoff_jitter=0.3,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        respect_retry_after_header=False,
        raise_on_status=False,
        raise_on_redirect=False,
    )


_sessions: dict[int, requests.Session] = {}
_sessions_lock = threading.Lock()


def shared_session(max_retries: int) -> requests.Session:
    """The process-wide session for this retry budget (connection pooling across calls)."""
    with _sessions_lock:
        session = _sessions.get(max_retries)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(
                max_retries=build_retry(max_retries), pool_connections=4, pool_maxsize=32
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = PORTAL_USER_AGENT
            _sessions[max_retries] = session
        return session
