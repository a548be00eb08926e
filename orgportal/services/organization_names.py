"""Organization names by id, for pages that show organizations the viewer is not a member of
(their invitations), cached across instances. Logto has no read of several organizations by
id: in a tenant with up to 100 organizations one listing answers for all missing names; in a
larger one each missing name costs a call, and those run at the same time."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

from orgportal import logto
from orgportal.concurrency import each
from orgportal.logto.errors import NotFound
from orgportal.logto.models import Organization

ORGANIZATION_NAME_TTL = 600  # seconds; a rename through the portal updates it at once
_GONE = ""  # cached for an organization that no longer exists
LISTING_FROM = 2  # names missing at once: from here, one listing may answer for all
LISTING_PAGE = 100  # Logto's largest page
LARGE_TENANT_TTL = 3600  # seconds; how long a tenant with more organizations is remembered
_LARGE_TENANT_KEY = "orgportal:organizations-beyond-one-page"


def _key(organization_id: str) -> str:
    return f"orgportal:organization-name:{organization_id}"


def organization_names(organization_ids: Iterable[str]) -> dict[str, str | None]:
    """The names of these organizations; None for one that no longer exists."""
    wanted = list(dict.fromkeys(organization_ids))
    cached = cache.get_many([_key(oid) for oid in wanted])
    names = {oid: cached[_key(oid)] for oid in wanted if _key(oid) in cached}
    missing = [oid for oid in wanted if oid not in names]

    def fetch(organization_id: str) -> str:
        try:
            return logto.get_client().get_organization(organization_id).name
        except NotFound:
            return _GONE

    fetched = _listed(missing) if len(missing) >= LISTING_FROM else {}
    still = [oid for oid in missing if oid not in fetched]
    fetched.update(zip(still, each(fetch, still), strict=True))
    cache.set_many({_key(oid): name for oid, name in fetched.items()}, ORGANIZATION_NAME_TTL)
    names.update(fetched)
    return {oid: name or None for oid, name in names.items()}


def _listed(missing: list[str]) -> dict[str, str]:
    """Names from one listing of the tenant's organizations, while it has no more than one
    page of them: then one call answers for any number of names. A larger tenant is noted,
    and its names are read one by one."""
    if cache.get(_LARGE_TENANT_KEY):
        return {}
    page = logto.get_client().list_organizations(page_size=LISTING_PAGE)
    if page.total > LISTING_PAGE:
        cache.set(_LARGE_TENANT_KEY, True, LARGE_TENANT_TTL)
    names = {organization.id: organization.name for organization in page.items}
    cache.set_many({_key(oid): name for oid, name in names.items()}, ORGANIZATION_NAME_TTL)
    if page.total <= LISTING_PAGE:
        names.update({oid: _GONE for oid in missing if oid not in names})
    return {oid: names[oid] for oid in missing if oid in names}


def organization_name_remember(organization: Organization) -> None:
    """Keep the name the portal just read or wrote (after a rename: the new one)."""
    cache.set(_key(organization.id), organization.name, ORGANIZATION_NAME_TTL)


def organization_name_cached(organization_id: str) -> str | None:
    """The name held for the organization, without asking Logto (None when not held)."""
    value = cache.get(_key(organization_id))
    return value if isinstance(value, str) and value else None


def organization_name_forget(organization_id: str) -> None:
    cache.delete(_key(organization_id))
