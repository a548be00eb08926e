"""Small helpers shared by the views: page-or-fragment rendering and service outcomes."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django_htmx.http import HttpResponseClientRedirect

from orgportal.exceptions import ApplicationError
from orgportal.logto.errors import LogtoError
from orgportal.middleware import logto_failure_sentence


def render_page_or_partial(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> TemplateResponse:
    """The whole page, or only its named partial for HTMX requests that target it."""
    name = (
        f"{template}#{partial}"
        if partial and request.htmx and not request.htmx.boosted
        else template
    )
    return TemplateResponse(request, name, context, status=status)


def error_sentence(error: ApplicationError | LogtoError) -> tuple[str, int]:
    """The sentence to show for a service refusal or a Logto failure, and the HTTP status."""
    if isinstance(error, ApplicationError):
        return error.message, error.status
    return logto_failure_sentence(error), 503


def form_error_from(form: forms.Form, error: ApplicationError | LogtoError) -> int:
    """Put the refusal on the form (which keeps what was typed); return the HTTP status."""
    message, status = error_sentence(error)
    form.add_error(None, message)
    return status


def redirect_after_success(request: HttpRequest, url: str) -> HttpResponse:
    """PRG for plain forms; a client-side redirect for HTMX (the page changes)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)
