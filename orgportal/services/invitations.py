"""Invitation use cases of an organization: invite by email, list, revoke, resend.

Logto enforces its own rules (DESIGN.md §3); these services check first so people get a
clear sentence, and never leave an invitation pending without its email. Inviting checks the
request here (`invitation_plan`) and leaves the Logto work to a background batch
(`invitation_batches.py`); creating and emailing one invitation is `invitation_steps.py`.
The invitee's side is `invitee.py`; the email itself, `invitation_delivery.py`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from orgportal import logto, request_context
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound
from orgportal.logto.models import Invitation, InvitationStatus, Organization, Page
from orgportal.logto.rules import is_invitee_email
from orgportal.models import AuditEvent, InvitationBatchItem, User
from orgportal.services.access import (
    OrganizationAccess,
    Perm,
    access_for_change,
    organization_access,
    refuse_escalation,
    require_known_roles,
)
from orgportal.services.audit import audit_in_organization, audited
from orgportal.services.errors import (
    ApplicationError,
    Doing,
    Gone,
    LimitReached,
    ServiceUnavailable,
    Text,
    later,
    refusal_from,
)
from orgportal.services.invitation_steps import (
    NOT_CONFIGURED_REASON,
    NOT_CONFIGURED_SENTENCE,
    CreateFailed,
    DeliveryFailed,
    DeliveryNotConfigured,
    InvitationSpec,
    Pace,
    create_exactly_once,
    deliver,
    deliver_or_withdraw,
)
from orgportal.services.languages import current_language, supported_language
from orgportal.services.outcomes import confirmed
from orgportal.services.reasons import hourly_limit, reason_shown, stored, too_long
from orgportal.services.users import user_labels
from orgportal.shared_locks import shared_lock

logger = logging.getLogger(__name__)

BATCH_MAX = 100
EMAIL_MAX = 254
MESSAGE_MAX = 500
EXPIRY_DAYS_RANGE = (1, 30)
T = TypeVar("T")
_SPLIT = re.compile(r"[\s,;]+")


class InvitationNotFound(Gone):
    """No such invitation, or not one of this organization's."""


ENDED = {
    InvitationStatus.ACCEPTED: gettext_lazy("It was already accepted."),
    InvitationStatus.REVOKED: gettext_lazy("It was already revoked or declined."),
    InvitationStatus.EXPIRED: gettext_lazy("It has expired."),
}
NOT_ALLOWED_TO_SEE = gettext_lazy("You are not allowed to see invitations here.")
NO_SUCH_INVITATION = gettext_lazy("That invitation does not exist (any more).")
LISTED_TWICE = gettext_noop("listed twice")
NETWORK_LIMIT = gettext_noop(
    "too many invitations were sent from your network this hour; try again later"
)


def ended(first: Text, status: InvitationStatus) -> Text:
    """`first` (why the invitation cannot be used), then how it ended: two sentences."""
    return later(lambda: f"{first} {ENDED[status]}")


@dataclass(frozen=True)
class InviteOutcome:
    email: str
    status: str  # "sent", "skipped" or "failed"
    reason: str = ""  # in English where it is made; `reason_shown` translates it
    invitation_id: str = ""


def parse_email_list(text: str) -> list[str]:
    """Split on commas, semicolons, spaces and new lines; keep order, drop blanks."""
    return [part.strip().strip("<>\"'") for part in _SPLIT.split(text or "") if part.strip()]


def invitee_problem(address: str) -> str | None:
    """Why `address` cannot be invited, as the reason shown beside it (in English, as it is
    stored: `reason_shown` translates it); None when it can.

    The rule is Logto's (it would refuse the invitation otherwise), which is stricter than
    Django's: no accents, quotes or IP addresses."""
    if len(address) > EMAIL_MAX:
        return stored(lambda: too_long(EMAIL_MAX))
    if is_invitee_email(address):
        return None
    local, _at, domain = address.rpartition("@")
    if local and domain and not address.isascii():
        return gettext_noop("letters with accents or from other alphabets are not accepted")
    if local.startswith('"'):
        return gettext_noop("addresses in quotes are not accepted")
    if domain.startswith("["):
        return gettext_noop("addresses at an IP address are not accepted")
    return gettext_noop("not a valid email address")


# -- hourly limits -----------------------------------------------------------------------------
QUOTA_ACTIONS = ("invitation.sent", "invitation.resent")


class QuotaUsed(LimitReached):
    """An hourly invitation limit is reached; `reason` is the short form shown beside an
    address of a batch (in English, as it is stored)."""

    def __init__(self, reason: str) -> None:
        super().__init__(later(lambda: _quota_sentence(reason)))
        self.reason = reason


def _quota_sentence(reason: str) -> str:
    """The refusal of a whole request for a limit reason, in the reader's language."""
    if reason == NETWORK_LIMIT:
        return _("Too many invitations were sent from your network this hour. Try again later.")
    limit = settings.ORGPORTAL_INVITATIONS_PER_HOUR
    return ngettext(
        "You reached the limit of %(count)s invitation an hour. Try again later.",
        "You reached the limit of %(count)s invitations an hour. Try again later.",
        limit,
    ) % {"count": limit}


def _used_last_hour(*, actor: User | None = None, ip: str | None = None) -> int:
    """Invitations sent in the last hour by `actor` (any organization) or from `ip`: the
    emails that went out, plus batch addresses holding a reservation (working on it)."""
    since = datetime.now(tz=UTC) - timedelta(hours=1)
    sent = AuditEvent.objects.filter(
        action__in=QUOTA_ACTIONS, outcome=AuditEvent.Outcome.SUCCESS, created_at__gte=since
    )
    working = InvitationBatchItem.objects.filter(
        step__in=InvitationBatchItem.WORKING, updated_at__gte=since
    )
    if actor is not None:
        sent, working = sent.filter(actor=actor), working.filter(batch__actor=actor)
    else:
        sent, working = sent.filter(ip=ip), working.filter(batch__ip=ip)
    # An address goes from working to sent (its audit event) in one transaction, and only in
    # that direction; counting the working ones first can count it twice, never miss it.
    reserved = working.count()
    return reserved + sent.count()


def limit_reason(*, actor: User, ip: str | None) -> str:
    """Why one more invitation would pass an hourly limit, as a reason; "" when it would not."""
    limit = settings.ORGPORTAL_INVITATIONS_PER_HOUR
    if _used_last_hour(actor=actor) >= limit:
        return stored(lambda: hourly_limit(limit))
    if ip and _used_last_hour(ip=ip) >= settings.ORGPORTAL_INVITATIONS_PER_HOUR_PER_IP:
        return NETWORK_LIMIT
    return ""


@contextmanager
def invitation_quota(*, actor: User, ip: str | None) -> Iterator[None]:
    """One invitation's share of the hourly limits, counted and taken atomically.

    The count happens under locks for the person and for the client IP (`ip`: the address of
    the request that asked, passed down explicitly because batches run in a worker), held
    until the block has recorded its invitation (a batch address marked as working, or the
    "sent" audit event). Parallel requests thus cannot all pass the same count, on any
    instance. QuotaUsed when a limit is reached."""
    names = [f"invitation-quota:user:{actor.pk}"]
    if ip:
        names.append(f"invitation-quota:ip:{ip}")  # always after the person's: no deadlock
    with ExitStack() as locks:
        for name in names:
            # `hold` covers a re-issue's create and email with their retries.
            locks.enter_context(shared_lock(name, hold=120, wait=60))
        reason = limit_reason(actor=actor, ip=ip)
        if reason:
            raise QuotaUsed(reason)
        yield


def _audited(
    actor: User, organization: Organization, action: str, target_id: str, label: str, **kw
):
    return audited(
        actor=actor,
        organization=organization,
        action=action,
        target_type="invitation",
        target_id=target_id,
        target_label=label,
        **kw,
    )


def _check_roles(access: OrganizationAccess, role_ids: list[str]) -> list[str]:
    roles = require_known_roles(role_ids)
    refuse_escalation(
        access,
        role_ids,
        lambda roles: (
            _("You cannot invite people as %(roles)s: that role has permissions you do not have.")
            % {"roles": roles}
        ),
    )
    return [roles[rid].name for rid in role_ids]


def _refused_audited(
    actor: User,
    access: OrganizationAccess,
    invitation: Invitation,
    action: str,
    check: Callable[[], T],
) -> T:
    """`check()`'s value; a refusal it raises is audited as a failed `action`, then raised."""
    try:
        return check()
    except ApplicationError as error:
        audit_in_organization(
            actor=actor,
            organization=access.organization,
            action=action,
            target_type="invitation",
            target_id=invitation.id,
            target_label=invitation.invitee,
            error=error,
        )
        raise


# -- invite: what the request checks at once; the Logto work is a batch ---------------------
@dataclass(frozen=True)
class InvitePlan:
    """A checked invitation request: every address with its outcome when the request alone
    decides it (invalid, listed twice), else the normalised address to invite."""

    organization: Organization
    role_ids: list[str]
    role_names: list[str]
    expires_at: datetime
    personal_message: str
    addresses: list[tuple[str, str, InviteOutcome | None]]  # (as typed, normalised, outcome)


def invitation_plan(
    *,
    actor: User,
    organization_id: str,
    emails: list[str],
    role_ids: list[str],
    expires_in_days: int | None = None,
    personal_message: str = "",
) -> InvitePlan:
    """Check an invitation request (permission, limits, roles, addresses); nothing is sent."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, gettext_lazy("You are not allowed to invite people here."))
    days = expires_in_days or settings.ORGPORTAL_INVITATION_EXPIRY_DAYS
    if not EXPIRY_DAYS_RANGE[0] <= days <= EXPIRY_DAYS_RANGE[1]:
        low, high = EXPIRY_DAYS_RANGE
        raise ApplicationError(
            later(
                lambda: (
                    _("Choose an expiry between %(low)s and %(high)s days.")
                    % {"low": low, "high": high}
                )
            )
        )
    personal_message = personal_message.strip()
    if len(personal_message) > MESSAGE_MAX:
        raise ApplicationError(
            later(
                lambda: (
                    ngettext(
                        "Keep the message to %(count)s character or fewer.",
                        "Keep the message to %(count)s characters or fewer.",
                        MESSAGE_MAX,
                    )
                    % {"count": MESSAGE_MAX}
                )
            )
        )
    if len(emails) > BATCH_MAX:
        typed = len(emails)
        raise ApplicationError(
            later(
                lambda: (
                    ngettext(
                        "That is %(count)s addresses; invite at most %(max)s at once.",
                        "That is %(count)s addresses; invite at most %(max)s at once.",
                        typed,
                    )
                    % {"count": typed, "max": BATCH_MAX}
                )
            )
        )
    if not emails:
        raise ApplicationError(gettext_lazy("Enter at least one email address."))
    role_names = _check_roles(access, role_ids)

    seen: set[str] = set()
    addresses: list[tuple[str, str, InviteOutcome | None]] = []
    for raw in emails:
        # Logto's member and pending checks are case-sensitive; lower-case avoids duplicates.
        email = raw.strip().lower()
        problem = invitee_problem(email)
        if email in seen:
            addresses.append((raw, "", InviteOutcome(raw, "skipped", LISTED_TWICE)))
        elif problem:
            addresses.append((raw, "", InviteOutcome(raw, "failed", problem)))
        else:
            seen.add(email)
            addresses.append((raw, email, None))
    return InvitePlan(
        organization=access.organization,
        role_ids=list(role_ids),
        role_names=role_names,
        expires_at=datetime.now(tz=UTC) + timedelta(days=days),
        personal_message=personal_message,
        addresses=addresses,
    )


def is_member(organization_id: str, email: str) -> bool:
    page = logto.get_client().list_organization_users(organization_id, q=email, page_size=20)
    return any((m.user.primary_email or "").lower() == email for m in page)


def _invite_one(
    actor: User,
    organization: Organization,
    email: str,
    role_ids: list[str],
    role_names: list[str],
    expires_at: datetime,
    personal_message: str,
    language: str = "",
) -> InviteOutcome:
    """Create and email one invitation here, in the request (a re-issue)."""
    spec = InvitationSpec(
        actor, organization, email, role_ids, role_names, expires_at, personal_message, language
    )
    try:
        invitation = create_exactly_once(spec, Pace(), maybe_created=False)
    except CreateFailed as failed:
        return InviteOutcome(email, "failed", failed.reason)
    reason = deliver_or_withdraw(spec, invitation, Pace())
    if reason:
        return InviteOutcome(email, "failed", reason)
    return InviteOutcome(email, "sent", invitation_id=invitation.id)


# -- manage ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    inviter_label: str


def invitation_list(
    *, actor: User, organization_id: str, status: str | None = None
) -> list[InvitationRow]:
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, NOT_ALLOWED_TO_SEE)
    invitations = invitation_list_read(organization_id=organization_id)
    if status:
        invitations = [i for i in invitations if i.status == status]
    names = user_labels(i.inviter_id for i in invitations if i.inviter_id)
    return [InvitationRow(i, names.get(i.inviter_id or "", "—")) for i in invitations]


INVITATIONS_PER_PAGE = 50
INVITATION_SEARCH_MAX = 100
_LONG_AGO = datetime.min.replace(tzinfo=UTC)  # sorts invitations without a date last


@dataclass(frozen=True)
class InvitationListing:
    """One page of an organization's invitations, newest first, and how many invitations
    the search matches in any status (so a filtered page can point at the others)."""

    page: Page[InvitationRow]
    any_status: int


def invitation_listing(
    *,
    actor: User,
    organization_id: str,
    status: InvitationStatus | None = InvitationStatus.PENDING,
    search: str = "",
    page: int = 1,
    page_size: int = INVITATIONS_PER_PAGE,
) -> InvitationListing:
    """Invitations in `status` (None: any) whose address contains `search`, one page of them.

    Logto lists an organization's invitations all at once, without paging or search, so this
    reads that one list and filters, sorts and cuts it here. A page past the end shows the
    last one. Inviters are named for the page's rows only (one call)."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, NOT_ALLOWED_TO_SEE)
    needle = search.strip()[:INVITATION_SEARCH_MAX].casefold()
    found = [
        i
        for i in invitation_list_read(organization_id=organization_id)
        if needle in i.invitee.casefold()
    ]
    matching = [i for i in found if status is None or i.status == status]
    matching.sort(key=lambda i: i.created_at or _LONG_AGO, reverse=True)
    page_count = max((len(matching) + page_size - 1) // page_size, 1)
    page = min(max(page, 1), page_count)
    shown = matching[(page - 1) * page_size : page * page_size]
    names = user_labels(i.inviter_id for i in shown if i.inviter_id)
    rows = tuple(InvitationRow(i, names.get(i.inviter_id or "", "—")) for i in shown)
    return InvitationListing(Page(rows, len(matching), page, page_size), len(found))


def invitation_list_read(*, organization_id: str) -> list[Invitation]:
    """The Logto read behind `invitation_list`, without the access check: the page prefetches
    it beside that check (shared within the request, so it is sent once)."""
    return logto.get_client().list_organization_invitations(organization_id=organization_id)


def _organization_invitation(organization_id: str, invitation_id: str) -> Invitation:
    """The invitation, only if it belongs to this organization (ids of others are 404)."""
    try:
        invitation = logto.get_client().get_organization_invitation(invitation_id)
    except NotFound:
        raise InvitationNotFound(NO_SUCH_INVITATION) from None
    if invitation.organization_id != organization_id:
        raise InvitationNotFound(NO_SUCH_INVITATION)
    return invitation


def invitation_revoke(*, actor: User, organization_id: str, invitation_id: str) -> Invitation:
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(
        Perm.INVITE_MEMBER, gettext_lazy("You are not allowed to revoke invitations here.")
    )
    invitation = _organization_invitation(organization_id, invitation_id)
    if not invitation.is_pending:
        raise ApplicationError(
            ended(gettext_lazy("This invitation cannot be revoked."), invitation.status)
        )
    # Revoking decides who gets that role, so the same rule as granting it applies.
    _refused_audited(
        actor,
        access,
        invitation,
        "invitation.revoked",
        lambda: refuse_escalation(
            access,
            [role.id for role in invitation.roles],
            lambda roles: (
                _(
                    "You cannot revoke an invitation as %(roles)s: that role has permissions you "
                    "do not have."
                )
                % {"roles": roles}
            ),
        ),
    )
    return revoke(actor, access.organization, invitation, "invitation.revoked")


def revoke(
    actor: User, organization: Organization, invitation: Invitation, action: str
) -> Invitation:
    """Set Revoked in Logto (revoke or decline), audited; a race becomes one sentence."""
    with _audited(actor, organization, action, invitation.id, invitation.invitee):
        client = logto.get_client()
        try:
            return confirmed(
                lambda: client.set_organization_invitation_status(
                    invitation.id, InvitationStatus.REVOKED
                ),
                lambda: invitation_in_status(invitation.id, InvitationStatus.REVOKED),
                # A transport retry of a revoke that was applied gets "it has ended" (422).
                retried=(InvalidInput,),
            )
        except InvalidInput as error:
            raise ApplicationError(
                gettext_lazy("This invitation changed a moment ago; reload the page.")
            ) from error
        except LogtoError as error:
            raise refusal_from(error, Doing.CHANGE) from error


def invitation_in_status(
    invitation_id: str, status: InvitationStatus, accepted_user_id: str | None = None
) -> Invitation | None:
    """The invitation if Logto holds it in `status` (accepted by that user), else None."""
    now = logto.get_client().get_organization_invitation(invitation_id)
    if now.status != status:
        return None
    if accepted_user_id is not None and now.accepted_user_id != accepted_user_id:
        return None
    return now


def invitation_resend(*, actor: User, organization_id: str, invitation_id: str) -> Invitation:
    """Email a pending invitation again; an expired one is re-issued as a fresh invitation."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(
        Perm.INVITE_MEMBER, gettext_lazy("You are not allowed to resend invitations here.")
    )
    invitation = _organization_invitation(organization_id, invitation_id)
    organization = access.organization
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise ApplicationError(
            ended(gettext_lazy("This invitation cannot be resent."), invitation.status)
        )
    # The request's address, as the batch records it (`invitation_batches._record`).
    with invitation_quota(actor=actor, ip=request_context.client_ip.get()):
        if invitation.status == InvitationStatus.EXPIRED:
            return _reissue(actor, access, invitation)
        with _audited(actor, organization, "invitation.resent", invitation_id, invitation.invitee):
            deliver(
                actor,
                organization,
                invitation,
                [role.name for role in invitation.roles],
                _personal_message(invitation_id),
                language=_sent_language(invitation_id),
            )
    return invitation


def _personal_message(invitation_id: str) -> str:
    """The message written when the invitation was sent (kept in the audit trail)."""
    event = (
        AuditEvent.objects.filter(
            action="invitation.sent", target_id=invitation_id, outcome=AuditEvent.Outcome.SUCCESS
        )
        .order_by("-created_at")
        .first()
    )
    return (event.after or {}).get("message", "") if event else ""


def _sent_language(invitation_id: str) -> str:
    """The language the invitation's email was written in (kept in the audit trail, like its
    message), else the language of the person sending it again."""
    event = (
        AuditEvent.objects.filter(
            action="invitation.sent", target_id=invitation_id, outcome=AuditEvent.Outcome.SUCCESS
        )
        .order_by("-created_at")
        .first()
    )
    sent = (event.after or {}).get("language", "") if event else ""
    return supported_language(sent) or current_language()


def _reissue(actor: User, access: OrganizationAccess, old: Invitation) -> Invitation:
    """A fresh invitation with the old one's roles, made by `actor`: a new invitation, so the
    same escalation rule applies as to any other (the old inviter may have held more)."""
    role_ids = [role.id for role in old.roles]
    role_names = _refused_audited(
        actor, access, old, "invitation.reissued", lambda: _check_roles(access, role_ids)
    )
    outcome = _invite_one(
        actor,
        access.organization,
        old.invitee.lower(),
        role_ids,
        role_names,
        datetime.now(tz=UTC) + timedelta(days=settings.ORGPORTAL_INVITATION_EXPIRY_DAYS),
        _personal_message(old.id),
        _sent_language(old.id),
    )
    if outcome.reason == NOT_CONFIGURED_REASON:
        raise DeliveryNotConfigured(NOT_CONFIGURED_SENTENCE)
    if outcome.status != "sent":
        reason = outcome.reason
        raise ServiceUnavailable(
            later(
                lambda: (
                    _("The invitation could not be re-issued: %(reason)s.")
                    % {"reason": reason_shown(reason)}
                )
            )
        )
    audit_in_organization(
        actor=actor,
        organization=access.organization,
        action="invitation.reissued",
        target_type="invitation",
        target_id=old.id,
        target_label=old.invitee,
        after={"replaced_by": outcome.invitation_id},
    )
    return logto.get_client().get_organization_invitation(outcome.invitation_id)


__all__ = [  # re-exported: where the pages and the API have always imported them from
    "NOT_CONFIGURED_REASON",
    "NOT_CONFIGURED_SENTENCE",
    "DeliveryFailed",
    "DeliveryNotConfigured",
]
