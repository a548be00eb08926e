"""What the product's staff read in the Django admin: any organization, live from Logto."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from orgportal import logto
from orgportal.logto.errors import NotFound
from orgportal.logto.models import (
    Invitation,
    Member,
    Organization,
    OrganizationRole,
    Page,
    UserOrganization,
)
from orgportal.models import User
from orgportal.services.errors import NotAllowed, OrganizationNotFound
from orgportal.services.template import template_roles

SEARCH_MAX = 100


def _require_staff(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise NotAllowed(gettext_lazy("Only the product's staff may see this."))


def staff_organization_list(
    *, actor: User, q: str = "", page: int = 1, page_size: int = 25
) -> Page[Organization]:
    """One page of all organizations, with member counts, in Logto's order (oldest first,
    edited ones last). `q` is the typed text, trimmed; it matches id or name literally."""
    _require_staff(actor)
    return logto.get_client().list_organizations(
        q=q.strip()[:SEARCH_MAX] or None,
        page=max(page, 1),
        page_size=page_size,
        with_member_counts=True,
    )


@dataclass(frozen=True)
class OrganizationDetail:
    organization: Organization
    members: Page[Member]
    pending_invitations: list[Invitation]
    roles: list[OrganizationRole]


def staff_organization_detail(
    *, actor: User, organization_id: str, q: str = "", page: int = 1, page_size: int = 25
) -> OrganizationDetail:
    """An organization with one page of its members and its pending invitations."""
    _require_staff(actor)
    client = logto.get_client()
    try:
        organization = client.get_organization(organization_id)
    except NotFound:
        raise OrganizationNotFound(gettext_lazy("That organization no longer exists.")) from None
    members = client.list_organization_users(
        organization_id, q=q.strip()[:SEARCH_MAX] or None, page=max(page, 1), page_size=page_size
    )
    invitations = [
        i
        for i in client.list_organization_invitations(organization_id=organization_id)
        if i.is_pending
    ]
    return OrganizationDetail(organization, members, invitations, template_roles())


def staff_user_organizations(*, actor: User, user: User) -> list[UserOrganization]:
    """The organizations a local user belongs to in Logto (none for local-only accounts)."""
    _require_staff(actor)
    if not user.logto_id:
        return []
    try:
        return logto.get_client().list_user_organizations(user.logto_id)
    except NotFound:
        return []
