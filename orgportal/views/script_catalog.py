"""The browser script's sentences (static/orgportal/app.js) in the page's language.

Django's JavaScript catalogue (the `djangojs` domain: locale/<lang>/LC_MESSAGES/djangojs.po)
at `/jsi18n/<language>/<version>.js`, where the version is a digest of what the catalogue
says. The URL of a page's catalogue therefore changes with the language and with every
change of a translation (a deploy), so the browser may keep it for a year. A URL whose
version is not today's (a page from before a deploy) gets today's catalogue, not cached.

app.js works without it (it failed to load): its sentences are then English.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

A_YEAR = 365 * 24 * 3600


class _PortalCatalog(JavaScriptCatalog):
    # The portal's own sentences only (LOCALE_PATHS), not every installed app's.
    packages = ["orgportal"]


def _render(language: str) -> tuple[bytes, str]:
    with translation.override(language):
        response = _PortalCatalog().get(HttpRequest())
    body = response.content
    return body, hashlib.sha256(body).hexdigest()[:12]


_render_once = functools.cache(_render)


def _catalogue(language: str) -> tuple[bytes, str]:
    """The catalogue of `language` and its version; made once per process (in development,
    every time: `make translations` may just have changed it)."""
    return _render(language) if settings.DEBUG else _render_once(language)


def _supported(language: str | None) -> str:
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def script_catalog_url(language: str | None = None) -> str:
    """Where the page's script finds its sentences: the active language's catalogue."""
    language = _supported(language or translation.get_language())
    version = _catalogue(language)[1]
    return reverse("script_catalog", kwargs={"language": language, "version": version})


@require_safe
def script_catalog(request: HttpRequest, language: str, version: str) -> HttpResponse:
    if language not in dict(settings.LANGUAGES):
        raise Http404
    body, current = _catalogue(language)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response.headers["Content-Language"] = language
    if version == current:
        patch_cache_control(response, public=True, max_age=A_YEAR, immutable=True)
    else:
        patch_cache_control(response, no_cache=True)
    return response
