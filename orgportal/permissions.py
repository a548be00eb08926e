"""What the acting user may do in an organization: Logto's organization scopes of their roles.

Resolved once per request from the Management API, cached briefly per (organization, user),
and dropped whenever the portal changes that user's roles. Views use it to hide buttons;
services check it again before every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from orgportal import logto
from orgportal.exceptions import NotAllowed, OrganizationNotFound
from orgportal.logto.errors import NotFound
from orgportal.logto.models import Organization, RoleRef
from orgportal.models import User
from orgportal.services.memberships import organization_get_for_user, organization_remember
from orgportal.staff import is_acting_as_staff

PERMISSIONS_TTL = 60  # seconds


class Perm:
    """Keys of settings.ORGPORTAL_PERMISSIONS; the Logto names are configurable."""

    INVITE_MEMBER = "invite_member"
    MANAGE_MEMBER = "manage_member"
    DELETE_MEMBER = "delete_member"
    MANAGE_ORGANIZATION = "manage_organization"
    DELETE_ORGANIZATION = "delete_organization"


def permission_name(key: str) -> str:
    return settings.ORGPORTAL_PERMISSIONS[key]


@dataclass(frozen=True)
class OrganizationAccess:
    """The acting user's place in one organization."""

    organization: Organization
    roles: tuple[RoleRef, ...]
    scopes: frozenset[str]

    def can(self, key: str) -> bool:
        return permission_name(key) in self.scopes

    def require(self, key: str, sentence: str) -> None:
        if not self.can(key):
            raise NotAllowed(sentence)

    @property
    def perms(self) -> dict[str, bool]:
        """For templates: `access.perms.manage_member` and friends."""
        return {key: permission_name(key) in self.scopes for key in settings.ORGPORTAL_PERMISSIONS}


def _scopes_key(organization_id: str, user_id: str) -> str:
    return f"orgportal:scopes:{organization_id}:{user_id}"


def user_scopes(*, organization_id: str, user_id: str) -> frozenset[str]:
    key = _scopes_key(organization_id, user_id)
    scopes = cache.get(key)
    if scopes is None:
        found = logto.get_client().list_organization_user_scopes(organization_id, user_id)
        scopes = frozenset(scope.name for scope in found)
        cache.set(key, scopes, PERMISSIONS_TTL)
    return scopes


def permissions_forget(*, organization_id: str, user_id: str) -> None:
    """Drop the cached scopes after the portal changed this user's roles."""
    cache.delete(_scopes_key(organization_id, user_id))


def organization_access(*, user: User, organization_id: str) -> OrganizationAccess:
    """The user's access to the organization; OrganizationNotFound for non-members."""
    if is_acting_as_staff(user):
        return _staff_access(organization_id)
    if not user.logto_id:
        raise OrganizationNotFound("No such organization.")
    membership = organization_get_for_user(user_id=user.logto_id, organization_id=organization_id)
    if membership is None:
        raise OrganizationNotFound("No such organization.")
    return OrganizationAccess(
        organization=membership.organization,
        roles=membership.roles,
        scopes=user_scopes(organization_id=organization_id, user_id=user.logto_id),
    )


def organization_view(permission: str | None = None) -> Callable:
    """Resolve `org_id` once: `request.access` for members, 404 for others, 403 without
    `permission`. Anonymous users are sent to sign in."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, org_id: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                access = organization_access(user=request.user, organization_id=org_id)
            except OrganizationNotFound:
                raise Http404("No such organization.") from None
            if permission and not access.can(permission):
                raise PermissionDenied("You do not have permission to do this here.")
            request.access = access
            organization_remember(actor=request.user, organization_id=org_id)
            return view(request, org_id, *args, **kwargs)

        return wrapper

    return decorator


def _staff_access(organization_id: str) -> OrganizationAccess:
    """Staff in the admin hold every organization permission, in any organization."""
    from orgportal.services.template import template_roles

    try:
        organization = logto.get_client().get_organization(organization_id)
    except NotFound:
        raise OrganizationNotFound("This organization no longer exists.") from None
    scopes = set(settings.ORGPORTAL_PERMISSIONS.values())
    for role in template_roles():
        scopes.update(role.scope_names or ())
    return OrganizationAccess(organization=organization, roles=(), scopes=frozenset(scopes))
