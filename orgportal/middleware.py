"""Request plumbing: session refresh that HTMX survives, toasts, the viewer's time zone and
language."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect
from mozilla_django_oidc.middleware import SessionRefresh

from orgportal.logto import deadline, shared_reads
from orgportal.services.languages import user_language

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
        current = request.htmx.current_url  # type: ignore[attr-defined]
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
            # A view may have set its own toasts (with actions, e.g. Undo): keep them too.
            earlier = trigger.get("messages")
            trigger["messages"] = (earlier if isinstance(earlier, list) else []) + pending
            response["HX-Trigger"] = json.dumps(trigger)
        return response


class LogtoDeadlineMiddleware:
    """Each request's Logto calls share one time budget (ORGPORTAL_REQUEST_DEADLINE): a slow
    Logto makes a page answer late by at most that, never hold a worker for long. And the
    request's identical reads are sent once (shared_reads)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with deadline.within(settings.ORGPORTAL_REQUEST_DEADLINE), shared_reads.shared():
            return self.get_response(request)


TIME_ZONE_COOKIE = "tz"


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def known_time_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called `name` when it is a real IANA zone, else None. The cookie is typed by
    anyone: only the few hundred real names are ever kept in memory."""
    if not name or len(name) > 64 or name not in _zone_names():
        return None
    return _zone(name)


class ViewerTimeZoneMiddleware:
    """Pages show times in the viewer's zone: the one stored on the user, which their browser
    reports in the `tz` cookie (app.js) and which is saved when it changes; the cookie alone
    for people not signed in; UTC before any browser said."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reported = request.COOKIES.get(TIME_ZONE_COOKIE, "")
        zone = known_time_zone(reported)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if zone is not None and user.time_zone != reported:
                user.time_zone = reported
                user.save(update_fields=["time_zone"])
            zone = known_time_zone(user.time_zone) or zone
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in person reads the language they saved with the language switch, in every
    browser; otherwise LocaleMiddleware's choice stands (the language cookie, else the
    browser's Accept-Language). After AuthenticationMiddleware; LocaleMiddleware, which runs
    around it, then names the language in Content-Language and varies on Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        saved = user_language(getattr(request, "user", None))
        if saved and saved != translation.get_language():
            translation.activate(saved)
            request.LANGUAGE_CODE = saved
        response = self.get_response(request)
        # The language also comes from the language cookie and the session's user.
        patch_vary_headers(response, ("Cookie",))
        return response
