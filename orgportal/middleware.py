"""Request plumbing: session refresh that HTMX survives, toasts, friendly Logto failures."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect
from mozilla_django_oidc.middleware import SessionRefresh

from orgportal.logto.errors import AuthError, LogtoError, NotFound, RateLimited

logger = logging.getLogger(__name__)

_NAVIGATION_HEADERS = ("HX-Redirect", "HX-Location", "HX-Refresh")


class HtmxSessionRefresh(SessionRefresh):
    """mozilla-django-oidc's silent re-authentication, made to work for HTMX requests.

    An XHR cannot follow a redirect to Logto (cross-origin), so HTMX requests get an
    HX-Redirect that makes the browser itself navigate, and come back to the page the user
    was on, not to the fragment URL.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response = super().process_request(request)
        if response is None or not getattr(request, "htmx", False):
            return response
        current = request.htmx.current_url
        if current:
            parts = urlsplit(current)
            if parts.netloc == request.get_host():
                request.session["oidc_login_next"] = parts.path + (
                    f"?{parts.query}" if parts.query else ""
                )
        return HttpResponseClientRedirect(response["Location"])


class HtmxMessagesMiddleware:
    """Hand Django messages to HTMX responses as an `HX-Trigger` toast event."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or 300 <= response.status_code < 400:
            return response
        if any(header in response for header in _NAVIGATION_HEADERS):
            return response  # the next full page shows the messages
        pending = [
            {"message": str(message), "tags": message.tags}
            for message in messages.get_messages(request)
        ]
        if pending:
            try:
                trigger = json.loads(response.get("HX-Trigger") or "{}")
            except ValueError:
                trigger = {}
            if not isinstance(trigger, dict):
                trigger = {}
            trigger["messages"] = pending
            response["HX-Trigger"] = json.dumps(trigger)
        return response


def logto_failure_sentence(error: LogtoError) -> str:
    if isinstance(error, RateLimited):
        return "Logto is receiving too many requests right now. Wait a moment and try again."
    if isinstance(error, AuthError):
        return (
            "The portal's connection to Logto is misconfigured. Nothing was changed. "
            "Please tell the people who run this portal."
        )
    return (
        "We could not reach Logto, our sign-in service. Nothing was changed. Try again in a moment."
    )


class LogtoErrorMiddleware:
    """A Logto failure that no view handled becomes a clear page (or toast), never a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, LogtoError):
            return None
        logger.warning("Logto call failed: %s", exception)
        status = 404 if isinstance(exception, NotFound) else 503
        sentence = (
            "This no longer exists in Logto."
            if status == 404
            else logto_failure_sentence(exception)
        )
        if getattr(request, "htmx", False):
            response = HttpResponse(status=status)
            response["HX-Trigger"] = json.dumps(
                {"messages": [{"message": sentence, "tags": "error"}]}
            )
            return response
        return render(
            request,
            "orgportal/logto_unavailable.html",
            {"sentence": sentence},
            status=status,
        )
