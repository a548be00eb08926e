"""The decorator that resolves an organization for its pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from orgportal.concurrency import start
from orgportal.models import User
from orgportal.services.access import OrganizationAccess, organization_access
from orgportal.services.errors import OrganizationNotFound
from orgportal.services.memberships import organization_remember


class HtmxRequest(HttpRequest):
    """A request that passed django-htmx's middleware (for type checking)."""

    htmx: HtmxDetails


class AuthenticatedRequest(HtmxRequest):
    """A request of a signed-in user (behind `login_required`, `organization_view` or the
    admin)."""

    user: User


class OrganizationRequest(AuthenticatedRequest):
    """A request inside an organization, as `organization_view` hands it to the view: a
    signed-in user and their access to the organization in the URL."""

    access: OrganizationAccess


ViewFunc = Callable[..., HttpResponse]


Prefetch = Callable[[HttpRequest, str], Iterable[Callable[[], object]]]


def organization_view(
    permission: str | None = None, *, prefetch: Prefetch | None = None
) -> Callable[[ViewFunc], ViewFunc]:
    """Resolve `org_id` once: `request.access` for members, 404 for others, 403 without
    `permission`. Anonymous users are sent to sign in.

    `prefetch(request, org_id)` names the reads the page will make (services' cached or
    request-shared reads): they start at once, beside the access check, so that a cold page
    costs about one Logto round trip instead of one per read. What they read is only shown
    by the view, after the access check passed.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, org_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            early = [start(read) for read in prefetch(request, org_id)] if prefetch else []
            try:
                # A change (POST) is let in on what Logto says now, as its service will check
                # (the same read, shared within the request): a permission granted in Logto
                # counts at once, and one taken away never opens the form's action.
                access = organization_access(
                    user=request.user, organization_id=org_id, fresh=request.method == "POST"
                )
            except OrganizationNotFound:
                raise Http404(_("No such organization.")) from None
            finally:
                for pending in early:
                    pending.wait()  # its error, if any, reaches the view when it reads again
            if permission and not access.can(permission):
                raise PermissionDenied(_("You do not have permission to do this here."))
            request.access = access  # type: ignore[attr-defined]
            # The organization worked in last is offered first on `/`.
            organization_remember(actor=request.user, organization_id=org_id)
            return view(request, org_id, *args, **kwargs)

        return wrapper

    return decorator
