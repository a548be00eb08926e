"""The one translation of service errors and Logto failures into pages.

Services raise errors without HTTP; here each kind gets its status and its sentence. The
JSON API has its own handler (`orgportal.api.errors`) with the same statuses.
"""

from __future__ import annotations

import json
import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django_htmx.http import reswap

from orgportal.logto.errors import InvalidInput, LogtoError, NotFound, RateLimited
from orgportal.services.errors import (
    ApplicationError,
    Gone,
    NotAllowed,
    ServiceUnavailable,
    logto_failure_sentence,
)
from orgportal.views.decorators import HtmxRequest

logger = logging.getLogger(__name__)


def error_status(error: ApplicationError | LogtoError) -> int:
    """403 not allowed, 404 gone, 422 refused input, 429 too many requests, 503 unavailable."""
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, Gone | NotFound):
        return 404
    if isinstance(error, ServiceUnavailable):
        return 503
    if isinstance(error, ApplicationError | InvalidInput):
        return 422
    if isinstance(error, RateLimited):
        return 429
    return 503


def error_sentence(error: ApplicationError | LogtoError) -> tuple[str, int]:
    """The sentence to show for a service refusal or a Logto failure, and the HTTP status."""
    if isinstance(error, ApplicationError):
        return error.message, error_status(error)
    return logto_failure_sentence(error), error_status(error)


def form_error_from(form: forms.Form, error: ApplicationError | LogtoError) -> int:
    """Put the refusal on the form (which keeps what was typed); return the HTTP status."""
    message, status = error_sentence(error)
    form.add_error(None, message)
    return status


def toast_response(sentence: str, status: int) -> HttpResponse:
    """An HTMX answer that swaps nothing and shows `sentence` as an error toast."""
    response = reswap(HttpResponse(status=status), "none")  # a 422 would be swapped in
    response["HX-Trigger"] = json.dumps({"messages": [{"message": sentence, "tags": "error"}]})
    return response


class ErrorPageMiddleware:
    """A service error or Logto failure that no view handled becomes a clear page (or a
    toast for HTMX), never a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError | LogtoError):
            return None
        if isinstance(exception, LogtoError):
            logger.warning("Logto call failed: %s", exception)
        sentence, status = error_sentence(exception)
        if getattr(request, "htmx", False):
            return toast_response(sentence, status)
        return render(
            request, "orgportal/logto_unavailable.html", {"sentence": sentence}, status=status
        )


def refusal_response(
    request: HtmxRequest, error: ApplicationError | LogtoError, back_url: str
) -> HttpResponse:
    """A refused row action: for HTMX the status and a toast (nothing is swapped); for plain
    forms a 403 page when not allowed, else back to `back_url` where the message shows."""
    message, status = error_sentence(error)
    if isinstance(error, NotAllowed) and not request.htmx:
        raise PermissionDenied(message) from error
    messages.error(request, message)
    if request.htmx:
        # Pages let HTMX swap 422 answers (forms come back with their errors): this one has
        # no body, which would empty the row it was meant for.
        return reswap(HttpResponse(status=status), "none")
    return HttpResponseRedirect(back_url)


def _page_language(request: HttpRequest) -> str:
    """The language of a request's error page: the one chosen for the request when the
    failure came after the locale middleware (which marks the request), else the browser's
    (language cookie, then Accept-Language): the thread may still speak an earlier request's."""
    if getattr(request, "LANGUAGE_CODE", None):
        return translation.get_language() or request.LANGUAGE_CODE
    return translation.get_language_from_request(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the self-contained 500 page in the person's language, rendered without a
    request context (the failure may be in what a context needs). It never raises itself:
    if even that page cannot be rendered, a bare English line answers."""
    try:
        with translation.override(_page_language(request)):
            body = loader.get_template("500.html").render()
    except Exception:  # the last resort of a request that already failed
        logger.exception("The 500 page could not be rendered")
        return HttpResponseServerError(
            "<!doctype html><title>Server error</title><h1>Server error (500)</h1>"
        )
    return HttpResponseServerError(body)
