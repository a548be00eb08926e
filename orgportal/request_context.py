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

# An invite link's token is a credential (anyone holding it can join): it never reaches a log.
_JOIN_TOKEN = re.compile(r"/join/[^/\s'\"?#]+")
REDACTED_JOIN = "/join/\u2026"
# Django's own loggers that write the request's path (a 404 or 403 of /join/<token>/, a CSRF
# refusal there): their records are redacted as they are made, before any handler sees them.
_LOGGERS_WITH_PATHS = ("django.request", "django.security.csrf")


def path_redacted(path: str) -> str:
    """The path with an invite link's token replaced: `/join/…/`."""
    return _JOIN_TOKEN.sub(REDACTED_JOIN, path)


def _redacted(value: object) -> object:
    return path_redacted(value) if isinstance(value, str) else value


def _request_id_of(record: logging.LogRecord) -> str | None:
    rid = request_id.get()
    if rid is None:
        rid = getattr(record, "request_id", None)
    if rid is None:
        request = getattr(record, "request", None)
        meta = getattr(request, "META", None)
        rid = meta.get(_META_KEY) if isinstance(meta, dict) else None
    return rid


def record_redact(record: logging.LogRecord) -> None:
    """Takes invite link tokens out of a record: its message, its arguments, the `path` extra
    and the request Django attaches (which a JSON formatter would write out as text)."""
    record.request_id = _request_id_of(record)  # read before the request is replaced
    if isinstance(record.msg, str):
        record.msg = path_redacted(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redacted(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _redacted(arg) for key, arg in record.args.items()}
    path_extra = getattr(record, "path", None)
    if isinstance(path_extra, str):
        setattr(record, "path", path_redacted(path_extra))  # noqa: B010  (an extra, untyped)
    request = getattr(record, "request", None)
    if request is not None and not isinstance(request, str):
        method = getattr(request, "method", "")
        path = path_redacted(str(getattr(request, "path", "")))
        record.request = f"<{type(request).__name__}: {method} {path!r}>"


class SecretPathLogFilter(logging.Filter):
    """On Django's loggers that write paths: the record leaves without a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        record_redact(record)
        return True


_SECRET_PATH_FILTER = SecretPathLogFilter()


def secret_path_filter_install() -> None:
    """Idempotent (the same filter object is added once per logger)."""
    for name in _LOGGERS_WITH_PATHS:
        logging.getLogger(name).addFilter(_SECRET_PATH_FILTER)


class RequestContextMiddleware:
    """First in MIDDLEWARE (after the health probes): everything later logs with the id."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        secret_path_filter_install()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.META[_META_KEY] = rid
        tokens = (request_id.set(rid), client_ip.set(_client_ip(request)))
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            path = path_redacted(request.path)
            access_log.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": path,
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
    after the middleware returned (404s, 403s), the one the middleware left on the request.
    Takes invite link tokens out of every record the handler writes, whatever its logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        record_redact(record)
        return True
