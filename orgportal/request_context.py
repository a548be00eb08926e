"""Who is asking, for the audit trail and the logs: request id and client IP in context
variables.

Services never take a request; they read these when they write an audit event, and the log
filter below adds the request id to every log line written while the request runs.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:  # imported for types only: logging loads this module before Django is set up
    from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)

# An X-Request-ID from the proxy is kept when it looks like an id (a UUID, a hex string, a
# proxy's own format); anything else (too long, spaces, quotes, control characters) is replaced,
# since it is echoed in a response header and written into every log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,63}")
# Where the middleware leaves the id on the request, for log lines written after it returned.
_META_KEY = "orgportal.request_id"

access_log = logging.getLogger("orgportal.access")


class RequestContextMiddleware:
    """First in MIDDLEWARE (after the health probes): everything later logs with the id."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.META[_META_KEY] = rid
        tokens = (request_id.set(rid), client_ip.set(_client_ip(request)))
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000),
                },
            )
        finally:
            request_id.reset(tokens[0])
            client_ip.reset(tokens[1])
        return response


def _client_ip(request: HttpRequest) -> str | None:
    """The peer's address, or behind a proxy the address the proxy saw: the last entry of
    X-Forwarded-For, the one our proxy appended (earlier ones come from the client)."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.ORGPORTAL_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        candidate = forwarded.rsplit(",", 1)[-1].strip() or candidate
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None  # the audit trail stores addresses only (an inet column on PostgreSQL)


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every record: the running request's, or for the lines Django writes
    after the middleware returned (404s, 403s), the one the middleware left on the request."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid is None:
            request = getattr(record, "request", None)
            meta = getattr(request, "META", None)
            rid = meta.get(_META_KEY) if isinstance(meta, dict) else None
        record.request_id = rid
        return True
