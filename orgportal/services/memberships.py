"""Which organizations a user belongs to, with their roles (read side, briefly cached)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache

from orgportal import logto
from orgportal.logto import shared_reads
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


def fresh_access_key(user_id: str, organization_id: str | None = None) -> tuple[str, ...]:
    """The request's fresh read of the user's access (one organization's, or all of them as a
    prefix): services.access keeps it for the request (shared_reads.kept)."""
    return ("fresh-access", user_id) + ((organization_id,) if organization_id else ())


def organization_list_for_user(*, user_id: str, fresh: bool = False) -> list[UserOrganization]:
    """The user's organizations with their roles, from the Management API (briefly cached).
    `fresh` reads them from Logto whatever the cache holds, and refreshes the cache.

    The ID token's `organizations` claim goes stale after any change, so it is not used.
    """

    def fetch() -> list[UserOrganization]:
        found = logto.get_client().list_user_organizations(user_id)
        for item in found:
            organization_name_remember(item.organization)
        return sorted(found, key=lambda item: item.organization.name.casefold())

    key = _my_organizations_key(user_id)
    if not fresh:
        return cached_or_filled(key, fetch, ttl=MY_ORGANIZATIONS_TTL)
    found = fetch()
    cache.set(key, found, MY_ORGANIZATIONS_TTL)
    return found


def organization_list_for_user_forget(*, user_id: str) -> None:
    """Drop the cached list, after the user's memberships changed (in the portal or Logto), and
    what this request read fresh about them: its next change reads again."""
    cache.delete(_my_organizations_key(user_id))
    shared_reads.forget_kept(fresh_access_key(user_id))


def organization_get_for_user(
    *, user_id: str, organization_id: str, fresh: bool = False
) -> UserOrganization | None:
    """One of the user's organizations, or None when the user is not a member of it."""
    for item in organization_list_for_user(user_id=user_id, fresh=fresh):
        if item.organization.id == organization_id:
            return item
    return None


def organization_remember(*, actor: User, organization_id: str) -> None:
    """Remember the organization the user worked in last; `/` offers it first."""
    if actor.last_organization_id != organization_id:
        actor.last_organization_id = organization_id
        actor.save(update_fields=["last_organization_id"])
