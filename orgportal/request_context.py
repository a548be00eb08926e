"""Who is asking, for the audit trail: request id and client IP in context variables.

Services never take a request; they read these when they write an audit event.
"""

from __future__ import annotations

import contextvars
import ipaddress
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


class RequestContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        tokens = (request_id.set(rid), client_ip.set(_client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(tokens[0])
            client_ip.reset(tokens[1])
        response["X-Request-ID"] = rid
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
