"""Two-step verification (MFA): who has a factor, and what requiring it would do.

Logto refuses organization tokens to members without an MFA factor the moment an
organization requires MFA. Whether members are asked to set one up at their next sign-in
depends on the tenant's MFA settings (shared/logto/BEHAVIOUR.md). Admins see that before they
switch the requirement on.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum

from django.core.cache import cache
from django.utils.translation import gettext_lazy

from orgportal import logto
from orgportal.concurrency import together
from orgportal.logto.errors import LogtoError, NotFound
from orgportal.logto.models import Member, MfaSettings, Page
from orgportal.models import User
from orgportal.services.access import (
    ORGANIZATION_GONE,
    OrganizationAccess,
    Perm,
    organization_access,
)
from orgportal.services.errors import NotAllowed, OrganizationNotFound
from orgportal.services.members import SEARCH_MAX, member_list

logger = logging.getLogger(__name__)

MFA_STATUS_TTL = 60  # seconds; a member who just set up MFA shows it within a minute
IMPACT_MEMBER_LIMIT = 500  # members checked before the impact says "the first N"
LOOKUP_DEADLINE = 10.0  # seconds for a whole batch; what is not back by then is "unknown"
_LOOKUP_THREADS = 8  # Logto has no bulk read for MFA factors: one call per user, in parallel
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lookup_pool() -> ThreadPoolExecutor:
    """One pool per process, made on first use (after a pre-forking server forked): its
    threads, and the cache connections each of them opens, are reused by every request."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_LOOKUP_THREADS, thread_name_prefix="mfa-lookup")
        return _pool


def _status_key(user_id: str) -> str:
    return f"mfa:status:{user_id}"


def mfa_status_cached(user_ids: Iterable[str]) -> dict[str, bool]:
    """The statuses already known (read in the last minute): no call to Logto. Users whose
    status is not known are left out."""
    keys = {_status_key(uid): uid for uid in user_ids}
    return {keys[key]: has for key, has in cache.get_many(list(keys)).items()}


def mfa_status_of(user_ids: Iterable[str]) -> dict[str, bool | None]:
    """Whether each user has an MFA factor; None when Logto could not tell us right now."""
    wanted = list(dict.fromkeys(user_ids))
    cached = cache.get_many([_status_key(uid) for uid in wanted])
    statuses: dict[str, bool | None] = {
        uid: cached[_status_key(uid)] for uid in wanted if _status_key(uid) in cached
    }
    missing = [uid for uid in wanted if uid not in statuses]
    if missing:
        # Each lookup runs in a copy of this request's context, so that what it logs carries
        # the request id (one copy each: a context cannot be entered by two threads at once).
        futures = {
            uid: _lookup_pool().submit(contextvars.copy_context().run, _has_factor, uid)
            for uid in missing
        }
        wait(futures.values(), timeout=LOOKUP_DEADLINE)
        fetched: dict[str, bool | None] = {
            uid: future.result() if future.done() else None for uid, future in futures.items()
        }
        cache.set_many(
            {_status_key(uid): has for uid, has in fetched.items() if has is not None},
            MFA_STATUS_TTL,
        )
        statuses.update(fetched)
    return statuses


def _has_factor(user_id: str) -> bool | None:
    try:
        return bool(logto.get_client().list_user_mfa_verifications(user_id))
    except NotFound:
        return None  # the account is gone; nothing to show
    except LogtoError as error:
        logger.warning("Could not read the MFA factors of %s: %s", user_id, error)
        return None


def can_see_mfa_status(access: OrganizationAccess) -> bool:
    """Members' two-step status is shown to those who manage members or the organization."""
    return access.can(Perm.MANAGE_MEMBER) or access.can(Perm.MANAGE_ORGANIZATION)


def mfa_status_of_member_page(
    *, actor: User, organization_id: str, q: str = "", page: int = 1, page_size: int = 20
) -> dict[str, bool | None]:
    """The two-step status of the members on one page of the member list (as `member_list`
    lists them now). The page is listed again rather than taking user ids from the caller, so
    that only members of this organization are ever described (one Logto call)."""
    access = organization_access(user=actor, organization_id=organization_id)
    if not can_see_mfa_status(access):
        raise NotAllowed(
            gettext_lazy("You are not allowed to see members' two-step verification here.")
        )
    members = member_list(
        actor=actor, organization_id=organization_id, q=q, page=page, page_size=page_size
    )
    return mfa_status_of(member.user.id for member in members.items)


class SignInPrompt(StrEnum):
    """What a member without a factor meets at their next sign-in."""

    FORCED = "forced"  # a setup page without "Skip"
    OFFERED = "offered"  # a setup page they may skip
    NONE = "none"  # no factor is enabled for sign-in: they cannot set one up there


def sign_in_prompt(settings: MfaSettings) -> SignInPrompt:
    if not settings.factors:
        return SignInPrompt.NONE
    if settings.organization_required_mfa_policy == "Mandatory" or settings.policy.endswith(
        "Mandatory"
    ):
        return SignInPrompt.FORCED
    return SignInPrompt.OFFERED


@dataclass(frozen=True)
class MfaImpact:
    """What requiring MFA in an organization does to its members today."""

    members_checked: int
    members_total: int
    without_factor: tuple[Member, ...]
    unknown: int  # members whose factors could not be read
    prompt: SignInPrompt

    @property
    def complete(self) -> bool:
        return self.members_checked == self.members_total

    @property
    def without_factor_count(self) -> int:
        return len(self.without_factor)

    @property
    def nobody_loses_access(self) -> bool:
        """Only when every member was checked and each has a factor."""
        return self.complete and not self.unknown and not self.without_factor


def mfa_requirement_impact(*, actor: User, organization_id: str) -> MfaImpact | None:
    """Who would lose organization tokens, and whether they can fix it at sign-in; None when
    the organization already requires MFA (read fresh: another admin may just have changed
    it), so there is nothing to warn about."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(
        Perm.MANAGE_ORGANIZATION, gettext_lazy("You are not allowed to change this organization.")
    )
    client = logto.get_client()
    try:
        if client.get_organization(organization_id).is_mfa_required:
            return None
    except NotFound:
        raise OrganizationNotFound(ORGANIZATION_GONE) from None
    members, total = _first_members(organization_id, IMPACT_MEMBER_LIMIT)
    statuses = mfa_status_of(member.user.id for member in members)
    return MfaImpact(
        members_checked=len(members),
        members_total=max(total, len(members)),
        without_factor=tuple(m for m in members if statuses.get(m.user.id) is False),
        unknown=sum(1 for m in members if statuses.get(m.user.id) is None),
        prompt=sign_in_prompt(client.get_mfa_settings()),
    )


def _first_members(
    organization_id: str, limit: int, q: str | None = None
) -> tuple[list[Member], int]:
    """Up to `limit` members (matching `q`), 100 per call, and how many there are in all."""
    client = logto.get_client()
    members: list[Member] = []
    page, total = 1, 0
    while len(members) < limit:
        result = client.list_organization_users(organization_id, q=q, page=page, page_size=100)
        members += result.items
        total = result.total
        if not result.items or not result.has_next:
            break
        page += 1
    return members[:limit], total


def mfa_status_forget(user_id: str) -> None:
    cache.delete(_status_key(user_id))


NOT_ALLOWED_SECURITY = gettext_lazy("You are not allowed to change this organization.")


@dataclass(frozen=True)
class SecurityOverview(MfaImpact):
    """The organization's security panel: whether MFA is required, what that means on this
    tenant, and who has no factor (the first IMPACT_MEMBER_LIMIT members checked)."""

    required: bool
    factors: tuple[str, ...]

    @property
    def nobody_without_factor(self) -> bool:
        """Only when every member was checked and each has a factor."""
        return self.nobody_loses_access


def organization_security(*, actor: User, organization_id: str) -> SecurityOverview:
    """The security panel of one organization, for those who manage it. The member list
    and the tenant's MFA settings are read at the same time; the members' factors one call
    each, in parallel, cached for a minute (MFA_STATUS_TTL)."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED_SECURITY)
    client = logto.get_client()
    (members, total), settings = together(
        lambda: _first_members(organization_id, IMPACT_MEMBER_LIMIT), client.get_mfa_settings
    )
    statuses = mfa_status_of(member.user.id for member in members)
    return SecurityOverview(
        required=access.organization.is_mfa_required,
        prompt=sign_in_prompt(settings),
        factors=settings.factors,
        members_checked=len(members),
        members_total=max(total, len(members)),
        without_factor=tuple(m for m in members if statuses.get(m.user.id) is False),
        unknown=sum(1 for m in members if statuses.get(m.user.id) is None),
    )


@dataclass(frozen=True)
class WithoutMfaPage:
    """One page of the members who have no factor, among the first `checked` members (of
    `total`) that match the search; `unknown` of those could not be checked right now."""

    page: Page[Member]
    checked: int
    total: int
    unknown: int

    @property
    def complete(self) -> bool:
        return self.checked == self.total


def members_without_mfa(
    *, actor: User, organization_id: str, q: str = "", page: int = 1, page_size: int = 20
) -> WithoutMfaPage:
    """The members page's filter "Without two-step verification". Logto cannot filter users
    by factor, so this reads the factors of every matching member (up to
    IMPACT_MEMBER_LIMIT, cached for a minute): only when someone asks for this filter, never
    for the members page by default."""
    access = organization_access(user=actor, organization_id=organization_id)
    if not can_see_mfa_status(access):
        raise NotAllowed(
            gettext_lazy("You are not allowed to see members' two-step verification here.")
        )
    members, total = _first_members(
        organization_id, IMPACT_MEMBER_LIMIT, q=q.strip()[:SEARCH_MAX] or None
    )
    statuses = mfa_status_of(member.user.id for member in members)
    without = [m for m in members if statuses.get(m.user.id) is False]
    page = max(page, 1)
    start = (page - 1) * page_size
    return WithoutMfaPage(
        page=Page(
            items=tuple(without[start : start + page_size]),
            total=len(without),
            page=page,
            page_size=page_size,
        ),
        checked=len(members),
        total=max(total, len(members)),
        unknown=sum(1 for m in members if statuses.get(m.user.id) is None),
    )
