"""The header's language switch: a plain form (POST), so it works without JavaScript."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from orgportal.services.errors import ApplicationError
from orgportal.services.languages import user_language_set


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Save the chosen language on the person (when signed in) and in the language cookie
    (always: visitors too), then go back to the page the switch was on."""
    back = _safe_next(request)
    try:
        language = user_language_set(user=request.user, language=request.POST.get("language", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
        return _redirect(request, back)
    response = _redirect(request, back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    return response


def _safe_next(request: HttpRequest) -> str:
    """`next` when it leads back into the portal, else the home page (never elsewhere).

    The form carries the page's path only (a page never echoes its query string, which
    anyone may have written into a link); the query (a search, a page number) comes back
    from the Referer when the browser sent one for that same page."""
    wanted = request.POST.get("next", "")
    if not (wanted and _inside(request, wanted)):
        return "/"
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.path == wanted and referer.query and _inside(request, referer.geturl()):
        return f"{referer.path}?{referer.query}"
    return wanted


def _inside(request: HttpRequest, url: str) -> bool:
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    # HTMX (a boosted form): the whole page reloads, so <html lang> and the head change too.
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)
