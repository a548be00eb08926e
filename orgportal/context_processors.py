from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from django.http import HttpRequest

from orgportal.logto.errors import LogtoError
from orgportal.logto.models import UserOrganization
from orgportal.services.invitee import my_invitation_count_if_known
from orgportal.services.memberships import organization_list_for_user
from orgportal.templatetags.portal import branding


class Switcher:
    """The header's organization menu; it asks Logto only if a template renders it."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def organizations(self) -> list[UserOrganization] | None:
        """None when Logto could not be asked; the page still renders without the menu."""
        user = self._request.user
        if not (user.is_authenticated and user.logto_id):
            return []
        try:
            return organization_list_for_user(user_id=user.logto_id)
        except LogtoError:
            return None

    @property
    def current_id(self) -> str | None:
        user = self._request.user
        return user.last_organization_id if user.is_authenticated else None

    @cached_property
    def current(self) -> UserOrganization | None:
        return next(
            (o for o in self.organizations or [] if o.organization.id == self.current_id), None
        )


def header_read(request: HttpRequest) -> Callable[[], object]:
    """The header's read, for a page to start beside its own (see `concurrency.together`):
    the menu then renders from the cache instead of asking Logto after the page's reads."""
    return lambda: Switcher(request).organizations


class PendingInvitations:
    """The header's invitation badge: known from the cache, or loaded after the page (app.js
    swaps it in from `/invitations/`, whose view fills the cache), never a call per page."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def count(self) -> int | None:
        user = self._request.user
        if not user.is_authenticated:
            return 0
        return my_invitation_count_if_known(actor=user)


def portal(request: HttpRequest) -> dict:
    return {
        "switcher": Switcher(request),
        "pending_invitations": PendingInvitations(request),
        "brand": branding(),
    }
