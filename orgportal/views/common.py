"""Small helpers shared by the views: page-or-fragment rendering and redirects."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django_htmx.http import HttpResponseClientRedirect

from orgportal.views.decorators import HtmxRequest


def render_page_or_partial(
    request: HtmxRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> TemplateResponse:
    """The whole page, or only its named partial for HTMX requests that target it."""
    # A history restore (the back button after htmx's cache lost the page) wants the page.
    fragment = (
        request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    )
    name = f"{template}#{partial}" if partial and fragment else template
    return TemplateResponse(request, name, context, status=status)


def redirect_after_success(request: HtmxRequest, url: str) -> HttpResponse:
    """PRG for plain forms; a client-side redirect for HTMX (the page changes)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def int_param(value: str | None, default: int) -> int:
    """A whole number from the query string; `default` for anything else (typed by anyone)."""
    try:
        return int(value or default)
    except ValueError:
        return default
