"""HTTP transport for Logto: one pooled `requests.Session` per process, with a retry policy.

Retries (exponential backoff with jitter) cover connection errors and 429/502/503/504 for
idempotent methods only; POST is never retried automatically because Logto has no
idempotency keys. `Retry-After` is honoured up to a cap so a request never hangs for long.
"""

from __future__ import annotations

import threading
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (429, 502, 503, 504)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
MAX_RETRY_AFTER = 10.0


class LogtoRetry(Retry):
    def sleep_for_retry(self, response=None) -> bool:
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after:
            self._sleep(min(retry_after, MAX_RETRY_AFTER))
            return True
        return False

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def build_retry(max_retries: int) -> Retry:
    return LogtoRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        backoff_factor=0.3,
        backoff_max=5.0,
        backoff_jitter=0.3,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        respect_retry_after_header=True,
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
            session.headers["User-Agent"] = "orgportal"
            _sessions[max_retries] = session
        return session
