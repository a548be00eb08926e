"""Which organizations a user belongs to, with their roles (read side, briefly cached)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache

from orgportal import logto
from orgportal.logto.models import UserOrganization
from orgportal.services.cache_generations import MEMBERSHIPS, generations
from orgportal.services.organization_names import organization_name_remember
from orgportal.shared_locks import cached_or_filled

if TYPE_CHECKING:
    from orgportal.models import User

MY_ORGANIZATIONS_TTL = 30  # seconds; short, because roles change in Logto too


def _my_organizations_key(user_id: str) -> str:
    # With everyone's generation: a deleted or renamed organization, or a changed role
    # template, drops every list at once (webhooks).
    return f"orgportal:my-orgs:{user_id}:{generations(MEMBERSHIPS)}"


def organization_list_for_user(*, user_id: str) -> list[UserOrganization]:
    """The user's organizations with their roles, from the Management API (briefly cached).

    The ID token's `organizations` claim goes stale after any change, so it is not used.
    """

    def fetch() -> list[UserOrganization]:
        found = logto.get_client().list_user_organizations(user_id)
        for item in found:
            organization_name_remember(item.organization)
        return sorted(found, key=lambda item: item.organization.name.casefold())

    return cached_or_filled(_my_organizations_key(user_id), fetch, ttl=MY_ORGANIZATIONS_TTL)


def organization_list_for_user_forget(*, user_id: str) -> None:
    """Drop the cached list, after the user's memberships changed (in the portal or Logto)."""
    cache.delete(_my_organizations_key(user_id))


def organization_get_for_user(*, user_id: str, organization_id: str) -> UserOrganization | None:
    """One of the user's organizations, or None when the user is not a member of it."""
    for item in organization_list_for_user(user_id=user_id):
        if item.organization.id == organization_id:
            return item
    return None


def organization_remember(*, actor: User, organization_id: str) -> None:
    """Remember the organization the user worked in last; `/` offers it first."""
    if actor.last_organization_id != organization_id:
        actor.last_organization_id = organization_id
        actor.save(update_fields=["last_organization_id"])
