"""Two-step verification (MFA): who has a factor, and what requiring it would do.

Logto refuses organization tokens to members without an MFA factor the moment an
organization requires MFA, and, with the tenant's organization policy "Mandatory", sends them
to set one up at their next sign-in (shared/logto/BEHAVIOUR.md). Admins see that before
they switch it on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.core.cache import cache

from orgportal import logto
from orgportal.logto.errors import LogtoError, NotFound
from orgportal.logto.models import Member
from orgportal.models import User
from orgportal.services.access import Perm, organization_access

logger = logging.getLogger(__name__)

MFA_STATUS_TTL = 60  # seconds; a member who just set up MFA shows it within a minute
IMPACT_MEMBER_LIMIT = 500  # members checked before the impact says "at least"
_LOOKUP_THREADS = 8  # Logto has no bulk read for MFA factors: one call per user, in parallel


def _status_key(user_id: str) -> str:
    return f"mfa:status:{user_id}"


def mfa_status_of(user_ids: Iterable[str]) -> dict[str, bool | None]:
    """Whether each user has an MFA factor; None when Logto could not tell us right now."""
    wanted = list(dict.fromkeys(user_ids))
    cached = cache.get_many([_status_key(uid) for uid in wanted])
    statuses: dict[str, bool | None] = {
        uid: cached[_status_key(uid)] for uid in wanted if _status_key(uid) in cached
    }
    missing = [uid for uid in wanted if uid not in statuses]
    if missing:
        with ThreadPoolExecutor(max_workers=min(_LOOKUP_THREADS, len(missing))) as pool:
            fetched = dict(zip(missing, pool.map(_has_factor, missing), strict=True))
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


@dataclass(frozen=True)
class MfaImpact:
    """What requiring MFA in an organization does to its members today."""

    members_checked: int
    members_total: int
    without_factor: tuple[Member, ...]
    unknown: int  # members whose factors could not be read
    tenant_factors: tuple[str, ...]  # empty: nobody can set up MFA at sign-in
    setup_forced_at_sign_in: bool

    @property
    def complete(self) -> bool:
        return self.members_checked == self.members_total

    @property
    def without_factor_count(self) -> int:
        return len(self.without_factor)


def mfa_requirement_impact(*, actor: User, organization_id: str) -> MfaImpact:
    """Who would lose organization tokens, and whether they can fix it at sign-in."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, "You are not allowed to change this organization.")
    client = logto.get_client()
    members, total = _first_members(organization_id, IMPACT_MEMBER_LIMIT)
    statuses = mfa_status_of(member.user.id for member in members)
    settings = client.get_mfa_settings()
    return MfaImpact(
        members_checked=len(members),
        members_total=max(total, len(members)),
        without_factor=tuple(m for m in members if statuses.get(m.user.id) is False),
        unknown=sum(1 for m in members if statuses.get(m.user.id) is None),
        tenant_factors=settings.factors,
        setup_forced_at_sign_in=bool(settings.factors)
        and settings.organization_required_mfa_policy == "Mandatory",
    )


def _first_members(organization_id: str, limit: int) -> tuple[list[Member], int]:
    """Up to `limit` members, 100 per call, and how many there are in all."""
    client = logto.get_client()
    members: list[Member] = []
    page, total = 1, 0
    while len(members) < limit:
        result = client.list_organization_users(organization_id, page=page, page_size=100)
        members += result.items
        total = result.total
        if not result.has_next:
            break
        page += 1
    return members[:limit], total


def mfa_status_forget(user_id: str) -> None:
    cache.delete(_status_key(user_id))
