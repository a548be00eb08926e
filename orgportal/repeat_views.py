"""Repeat views: validators, browser caching rules and `Vary` for pages, fragments and JSON.

A page is always asked for again (`Cache-Control: private, no-cache`): the browser keeps it but
revalidates it before every use, so nothing older than the server's own caches is ever shown.
The validator is an `ETag` over the rendered body, and a repeated view whose body did not
change is answered `304 Not Modified` without the body (the work of rendering it is done; the
bytes are saved). The body carries CSRF tokens that Django masks anew for every response, so
the hash skips them and covers their secret instead: the same page for the same session has
the same tag, and a new secret (a new sign-in) changes it, so a kept copy never holds a token
that no longer works.

One exception to "always asked again": an answer to a preload (the htmx preload extension
fetches a tab or the next page while the pointer rests on its link or the link has the focus,
`HX-Preloaded: true`) may be used for `PRELOAD_SECONDS` without asking, so that the click that
follows shows it at once. Such an answer is never older than that when shown, and a change
made on the page in the meantime makes it unusable (`X-Portal-View`, which app.js bumps after
every change it sends, is in `Vary`).

`Vary` names everything a page or fragment depends on besides its URL: the language
(`Accept-Language`; the language cookie and the session are in `Cookie`), `HX-Request` (the same
URL answers a fragment to htmx and a whole page to a browser) and `X-Portal-View`; and
`Accept-Encoding`, which GZipMiddleware adds to the answers it compresses but not to a `304`
(it has no body), which must name what its `200` named (RFC 9110, 15.4.5).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.utils.cache import get_conditional_response, patch_vary_headers

# How long a preloaded tab or page may be used without asking the server again.
PRELOAD_SECONDS = 10
# The header app.js sends with every htmx request: the page's load time and how many changes
# it has sent since; an answer fetched before a change is then never used after it.
VIEW_HEADER = "X-Portal-View"
VARY = ("Accept-Encoding", "Accept-Language", "Cookie", "HX-Request", VIEW_HEADER)
_VALIDATED_TYPES = ("text/html", "application/json")
# A masked CSRF token: 64 letters and digits (django.middleware.csrf.CSRF_TOKEN_LENGTH).
_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def body_etag(body: bytes, csrf_secret: str | None) -> str:
    """A weak tag over the body with this session's CSRF tokens left out, and their secret
    in: equal for two renderings of the same page that differ only in the tokens' masks. Weak,
    since those bytes differ; and GZipMiddleware would weaken a strong one on a compressed
    `200` but not on its `304`, which then named another tag."""
    digest = hashlib.sha256()
    if csrf_secret:
        digest.update(csrf_secret.encode())
        secret = csrf_secret

        def without_tokens(match: re.Match[bytes]) -> bytes:
            token = match.group().decode()
            return b"" if _unmask_cipher_token(token) == secret else match.group()

        body = _TOKEN.sub(without_tokens, body)
    digest.update(b"\0" + body)
    return f'W/"{digest.hexdigest()[:32]}"'


class RepeatViewMiddleware:
    """`Vary`, `Cache-Control` and a body `ETag` on GET answers; `304` when the browser's copy
    is still what the page says."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return response
        patch_vary_headers(response, VARY)
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(_VALIDATED_TYPES) or response.has_header("Cache-Control"):
            return response  # static files and the script catalogue say their own lifetime
        preloaded = request.headers.get("HX-Preloaded") == "true"
        response["Cache-Control"] = (
            f"private, max-age={PRELOAD_SECONDS}" if preloaded else "private, no-cache"
        )
        if (
            response.status_code != 200
            or response.streaming
            or not isinstance(response, HttpResponse)
            or response.has_header("ETag")
            # htmx headers (a toast, a redirect) are not part of the body: never drop them
            # with a 304.
            or any(name.lower().startswith("hx-") for name in response.headers)
        ):
            return response
        response["ETag"] = body_etag(response.content, request.META.get("CSRF_COOKIE"))
        return (
            get_conditional_response(request, etag=response["ETag"], response=response) or response
        )
