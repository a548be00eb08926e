"""Invitation use cases: invite by email, list, revoke, resend, accept, decline.

Logto enforces its own rules (DESIGN.md §3); these services check first so people get a
clear sentence, and never leave an invitation pending without its email.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from orgportal import logto
from orgportal.exceptions import ApplicationError, LimitReached, LogtoRefused, NotAllowed
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound, RateLimited, Unavailable
from orgportal.logto.models import Invitation, Organization
from orgportal.models import AuditEvent, User
from orgportal.permissions import OrganizationAccess, Perm, organization_access, permissions_forget
from orgportal.services.audit import audit_in_organization
from orgportal.services.invitation_email import invitation_email_send, invitation_link
from orgportal.services.members import grantable_role_ids
from orgportal.services.memberships import (
    organization_list_for_user_forget,
    organization_remember,
)
from orgportal.services.organizations import UNREACHABLE
from orgportal.services.template import template_roles

logger = logging.getLogger(__name__)

BATCH_MAX = 100
MESSAGE_MAX = 500
EXPIRY_DAYS_RANGE = (1, 30)
_SPLIT = re.compile(r"[\s,;]+")


class InvitationNotFound(ApplicationError):
    status = 404


@dataclass(frozen=True)
class InviteOutcome:
    email: str
    status: str  # "sent", "skipped" or "failed"
    reason: str = ""
    invitation_id: str = ""


def parse_email_list(text: str) -> list[str]:
    """Split on commas, semicolons, spaces and new lines; keep order, drop blanks."""
    return [part.strip().strip("<>\"'") for part in _SPLIT.split(text or "") if part.strip()]


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return len(address) <= 254


def _sent_last_hour(actor: User, organization_id: str) -> int:
    since = datetime.now(tz=UTC) - timedelta(hours=1)
    return AuditEvent.objects.filter(
        actor=actor,
        organization_id=organization_id,
        action__in=("invitation.sent", "invitation.resent"),
        outcome=AuditEvent.Outcome.SUCCESS,
        created_at__gte=since,
    ).count()


def _audit(actor, organization: Organization, action, target_id, label, *, error=None, after=None):
    audit_in_organization(
        actor=actor,
        organization=organization,
        action=action,
        target_type="invitation",
        target_id=target_id,
        target_label=label,
        error=error,
        after=after,
    )


def _check_roles(access: OrganizationAccess, role_ids: list[str]) -> list[str]:
    roles = {role.id: role for role in template_roles()}
    if any(rid not in roles for rid in role_ids):
        raise ApplicationError("That role does not exist in this organization. Reload the page.")
    above = sorted(roles[rid].name for rid in role_ids if rid not in grantable_role_ids(access))
    if above:
        raise NotAllowed(
            f"You cannot invite people as {', '.join(above)}: that role has permissions you "
            "do not have."
        )
    return [roles[rid].name for rid in role_ids]


# -- invite ---------------------------------------------------------------------------------
def invitation_send(
    *,
    actor: User,
    organization_id: str,
    emails: list[str],
    role_ids: list[str],
    expires_in_days: int | None = None,
    personal_message: str = "",
) -> list[InviteOutcome]:
    """Invite each address; every address gets an outcome and one failure loses no other."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, "You are not allowed to invite people here.")
    organization = access.organization
    days = expires_in_days or settings.ORGPORTAL_INVITATION_EXPIRY_DAYS
    if not EXPIRY_DAYS_RANGE[0] <= days <= EXPIRY_DAYS_RANGE[1]:
        raise ApplicationError("Choose an expiry between 1 and 30 days.")
    personal_message = personal_message.strip()
    if len(personal_message) > MESSAGE_MAX:
        raise ApplicationError(f"Keep the message to {MESSAGE_MAX} characters or fewer.")
    if len(emails) > BATCH_MAX:
        raise ApplicationError(
            f"That is {len(emails)} addresses; invite at most {BATCH_MAX} at once."
        )
    if not emails:
        raise ApplicationError("Enter at least one email address.")
    role_names = _check_roles(access, role_ids)

    slots: list[InviteOutcome | None] = [None] * len(emails)
    seen: set[str] = set()
    to_invite: list[tuple[int, str]] = []
    for position, raw in enumerate(emails):
        # Logto's member and pending checks are case-sensitive; lower-case avoids duplicates.
        email = raw.strip().lower()
        if email in seen:
            slots[position] = InviteOutcome(raw, "skipped", "listed twice")
        elif not _valid_email(email):
            slots[position] = InviteOutcome(raw, "failed", "not a valid email address")
        else:
            seen.add(email)
            to_invite.append((position, email))

    client = logto.get_client()
    pending = {
        i.invitee.lower()
        for i in client.list_organization_invitations(organization_id=organization_id)
        if i.is_pending
    }
    budget = settings.ORGPORTAL_INVITATIONS_PER_HOUR - _sent_last_hour(actor, organization_id)
    expires_at = datetime.now(tz=UTC) + timedelta(days=days)
    for position, email in to_invite:
        if email in pending:
            slots[position] = InviteOutcome(email, "skipped", "already has a pending invitation")
        elif _is_member(organization_id, email):
            slots[position] = InviteOutcome(email, "skipped", "already a member")
        elif budget <= 0:
            slots[position] = InviteOutcome(
                email,
                "skipped",
                f"you reached the limit of {settings.ORGPORTAL_INVITATIONS_PER_HOUR} "
                "invitations an hour; try again later",
            )
        else:
            slots[position] = _invite_one(
                actor, organization, email, role_ids, role_names, expires_at, personal_message
            )
            budget -= slots[position].status == "sent"
    return [outcome for outcome in slots if outcome is not None]


def _is_member(organization_id: str, email: str) -> bool:
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
) -> InviteOutcome:
    client = logto.get_client()
    via_logto = settings.ORGPORTAL_INVITATION_DELIVERY == "logto"
    try:
        # With Logto delivery the email goes out in the same transaction as the invitation
        # (Logto rolls it back if sending fails), but the link needs the id: create first,
        # then ask Logto to send the message.
        invitation = client.create_organization_invitation(
            organization_id=organization.id,
            invitee=email,
            expires_at=expires_at,
            inviter_id=actor.logto_id,
            role_ids=role_ids,
        )
    except LogtoError as error:
        reason = _create_failure(error)
        _audit(actor, organization, "invitation.sent", "", email, error=error)
        return InviteOutcome(email, "failed", reason)
    after = {"invitee": email, "roles": role_names, "message": personal_message}
    try:
        if via_logto:
            _send_via_logto(invitation.id)
        else:
            _send_via_django(actor, organization, invitation, role_names, personal_message)
    except Exception as error:  # any delivery failure: never leave it pending silently
        withdrawn = _withdraw(invitation.id)
        _audit(
            actor, organization, "invitation.sent", invitation.id, email, error=error, after=after
        )
        logger.warning("Invitation email to %s failed: %s", email, error)
        return InviteOutcome(
            email,
            "failed",
            "the email could not be sent, so the invitation was withdrawn; try again"
            if withdrawn
            else "the email could not be sent; revoke the invitation and try again",
        )
    _audit(actor, organization, "invitation.sent", invitation.id, email, after=after)
    return InviteOutcome(email, "sent", invitation_id=invitation.id)


def _create_failure(error: LogtoError) -> str:
    if isinstance(error, Unavailable):
        return "Logto could not be reached; nothing was sent"
    if isinstance(error, RateLimited):
        return "Logto is limiting requests right now; try again in a few minutes"
    if isinstance(error, InvalidInput):
        if error.code == "entity.unique_integrity_violation":
            return "already has a pending invitation"
        if "already a member" in (error.message or ""):
            return "already a member"
        return f"Logto did not accept it ({error.message})"
    return "Logto refused it"


def _send_via_logto(invitation_id: str) -> None:
    logto.get_client().send_organization_invitation_message(
        invitation_id, link=invitation_link(invitation_id)
    )


def _send_via_django(
    actor: User,
    organization: Organization,
    invitation: Invitation,
    role_names: list[str],
    personal_message: str,
) -> None:
    arguments = {
        "to": invitation.invitee,
        "invitation_id": invitation.id,
        "organization_name": organization.name,
        "inviter_name": actor.display_name,
        "role_names": role_names,
        "expires_at": invitation.expires_at,
        "personal_message": personal_message,
    }
    try:
        invitation_email_send(**arguments)
    except Exception:
        invitation_email_send(**arguments)  # one retry for a passing SMTP hiccup


def _withdraw(invitation_id: str) -> bool:
    try:
        logto.get_client().set_organization_invitation_status(invitation_id, "Revoked")
    except LogtoError as error:
        logger.error(
            "Could not withdraw invitation %s after a failed email: %s", invitation_id, error
        )
        return False
    return True


# -- manage ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    inviter_label: str


def invitation_list(
    *, actor: User, organization_id: str, status: str | None = None
) -> list[InvitationRow]:
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, "You are not allowed to see invitations here.")
    client = logto.get_client()
    invitations = client.list_organization_invitations(organization_id=organization_id)
    if status:
        invitations = [i for i in invitations if i.status == status]
    names: dict[str, str] = {}
    rows = []
    for invitation in invitations:
        inviter = invitation.inviter_id or ""
        if inviter and inviter not in names:
            names[inviter] = _user_label(inviter)
        rows.append(InvitationRow(invitation, names.get(inviter, "—")))
    return rows


def _user_label(user_id: str) -> str:
    key = f"orgportal:user-label:{user_id}"
    label = cache.get(key)
    if label is None:
        try:
            user = logto.get_client().get_user(user_id)
            label = user.name or user.primary_email or user_id
        except NotFound:
            label = "a former user"
        cache.set(key, label, 300)
    return label


def _organization_invitation(organization_id: str, invitation_id: str) -> Invitation:
    """The invitation, only if it belongs to this organization (ids of others are 404)."""
    try:
        invitation = logto.get_client().get_organization_invitation(invitation_id)
    except NotFound:
        raise InvitationNotFound("That invitation does not exist (any more).") from None
    if invitation.organization_id != organization_id:
        raise InvitationNotFound("That invitation does not exist (any more).")
    return invitation


_ENDED = {
    "Accepted": "It was already accepted.",
    "Revoked": "It was already revoked or declined.",
    "Expired": "It has expired.",
}


def invitation_revoke(*, actor: User, organization_id: str, invitation_id: str) -> Invitation:
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, "You are not allowed to revoke invitations here.")
    invitation = _organization_invitation(organization_id, invitation_id)
    if not invitation.is_pending:
        raise ApplicationError(f"This invitation cannot be revoked. {_ENDED[invitation.status]}")
    return _revoke(actor, access.organization, invitation, "invitation.revoked")


def _revoke(
    actor: User, organization: Organization, invitation: Invitation, action: str
) -> Invitation:
    """Set Revoked in Logto (revoke or decline), audited; a race becomes one sentence."""
    try:
        revoked = logto.get_client().set_organization_invitation_status(invitation.id, "Revoked")
    except LogtoError as error:
        _audit(actor, organization, action, invitation.id, invitation.invitee, error=error)
        if isinstance(error, InvalidInput):
            raise ApplicationError(
                "This invitation changed a moment ago; reload the page."
            ) from error
        raise LogtoRefused(UNREACHABLE) from error
    _audit(actor, organization, action, invitation.id, invitation.invitee)
    return revoked


def invitation_resend(*, actor: User, organization_id: str, invitation_id: str) -> Invitation:
    """Email a pending invitation again; an expired one is re-issued as a fresh invitation."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, "You are not allowed to resend invitations here.")
    invitation = _organization_invitation(organization_id, invitation_id)
    organization = access.organization
    if invitation.status in ("Accepted", "Revoked"):
        raise ApplicationError(f"This invitation cannot be resent. {_ENDED[invitation.status]}")
    if _sent_last_hour(actor, organization_id) >= settings.ORGPORTAL_INVITATIONS_PER_HOUR:
        raise LimitReached(
            f"You reached the limit of {settings.ORGPORTAL_INVITATIONS_PER_HOUR} invitations "
            "an hour. Try again later."
        )
    if invitation.status == "Expired":
        return _reissue(actor, access, invitation)
    role_names = [role.name for role in invitation.roles]
    try:
        if settings.ORGPORTAL_INVITATION_DELIVERY == "logto":
            _send_via_logto(invitation_id)
        else:
            _send_via_django(
                actor, organization, invitation, role_names, _personal_message(invitation_id)
            )
    except RateLimited as error:
        _audit(
            actor, organization, "invitation.resent", invitation_id, invitation.invitee, error=error
        )
        raise LimitReached(
            "Too many emails went to this address recently. Try again in ten minutes."
        ) from error
    except Exception as error:
        _audit(
            actor, organization, "invitation.resent", invitation_id, invitation.invitee, error=error
        )
        raise LogtoRefused("The email could not be sent. Try again in a moment.") from error
    _audit(actor, organization, "invitation.resent", invitation_id, invitation.invitee)
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


def _reissue(actor: User, access: OrganizationAccess, old: Invitation) -> Invitation:
    role_ids = [role.id for role in old.roles]
    outcome = _invite_one(
        actor,
        access.organization,
        old.invitee.lower(),
        role_ids,
        [role.name for role in old.roles],
        datetime.now(tz=UTC) + timedelta(days=settings.ORGPORTAL_INVITATION_EXPIRY_DAYS),
        _personal_message(old.id),
    )
    if outcome.status != "sent":
        raise LogtoRefused(f"The invitation could not be re-issued: {outcome.reason}.")
    _audit(
        actor,
        access.organization,
        "invitation.reissued",
        old.id,
        old.invitee,
        after={"replaced_by": outcome.invitation_id},
    )
    return logto.get_client().get_organization_invitation(outcome.invitation_id)


# -- the invitee's side ---------------------------------------------------------------------
@dataclass(frozen=True)
class InvitationView:
    """What the landing page shows about an invitation."""

    invitation: Invitation
    organization_name: str
    inviter_name: str

    @property
    def organization_ref(self) -> Organization:
        return Organization(
            id=self.invitation.organization_id,
            name=self.organization_name,
            description=None,
            is_mfa_required=False,
            custom_data={},
            created_at=None,
        )

    @property
    def masked_invitee(self) -> str:
        return mask_email(self.invitation.invitee)


def mask_email(email: str) -> str:
    """`carol@example.com` -> `c***l@example.com`: recognisable, not readable."""
    local, _, domain = email.partition("@")
    shown = local[:1] + "***" if len(local) <= 2 else f"{local[0]}***{local[-1]}"
    return f"{shown}@{domain}"


def invitation_view(*, invitation_id: str) -> InvitationView:
    client = logto.get_client()
    try:
        invitation = client.get_organization_invitation(invitation_id)
        organization = client.get_organization(invitation.organization_id)
    except NotFound:
        raise InvitationNotFound("This invitation does not exist.") from None
    inviter = _user_label(invitation.inviter_id) if invitation.inviter_id else "Someone"
    return InvitationView(invitation, organization.name, inviter)


def invitation_is_for(invitation: Invitation, user: User) -> bool:
    return bool(user.email) and user.email.lower() == invitation.invitee.lower()


def _invitee_check(actor: User, invitation: Invitation) -> None:
    if not invitation_is_for(invitation, actor):
        raise NotAllowed(
            f"This invitation is for {mask_email(invitation.invitee)}, and you are signed in "
            f"as {actor.email or 'someone else'}."
        )
    if not actor.email_verified:
        raise NotAllowed("Verify your email address in your account first, then try again.")
    if not invitation.is_pending:
        raise ApplicationError(
            f"This invitation can no longer be used. {_ENDED[invitation.status]}"
        )


def invitation_accept(*, actor: User, invitation_id: str) -> Invitation:
    """Accept: Logto adds the member with the invitation's roles."""
    view = invitation_view(invitation_id=invitation_id)
    invitation = view.invitation
    _invitee_check(actor, invitation)
    organization = view.organization_ref
    try:
        accepted = logto.get_client().set_organization_invitation_status(
            invitation_id, "Accepted", accepted_user_id=actor.logto_id
        )
    except LogtoError as error:
        _audit(
            actor,
            organization,
            "invitation.accepted",
            invitation_id,
            invitation.invitee,
            error=error,
        )
        if isinstance(error, InvalidInput):
            raise ApplicationError(
                "This invitation was revoked or used a moment ago, so it can no longer be "
                "accepted. Ask for a new one."
            ) from error
        raise LogtoRefused(UNREACHABLE) from error
    _audit(
        actor,
        organization,
        "invitation.accepted",
        invitation_id,
        invitation.invitee,
        after={"roles": [role.name for role in invitation.roles]},
    )
    organization_list_for_user_forget(user_id=actor.logto_id)
    permissions_forget(organization_id=invitation.organization_id, user_id=actor.logto_id)
    my_invitations_forget(actor)
    organization_remember(actor=actor, organization_id=invitation.organization_id)
    return accepted


def invitation_decline(*, actor: User, invitation_id: str) -> Invitation:
    """Decline: Logto only knows Revoked; the audit trail says it was declined."""
    view = invitation_view(invitation_id=invitation_id)
    invitation = view.invitation
    _invitee_check(actor, invitation)
    declined = _revoke(actor, view.organization_ref, invitation, "invitation.declined")
    my_invitations_forget(actor)
    return declined


def _mine_key(actor: User) -> str:
    return f"orgportal:my-invitations:{actor.pk}"


def my_invitations(*, actor: User) -> list[InvitationView]:
    """Pending invitations for the actor's (verified) email, across organizations."""
    if not actor.email or not actor.email_verified:
        return []
    cached = cache.get(_mine_key(actor))
    if cached is not None:
        return cached
    client = logto.get_client()
    views = []
    for invitation in client.list_organization_invitations(invitee=actor.email):
        if not invitation.is_pending:
            continue
        try:
            organization = client.get_organization(invitation.organization_id)
        except NotFound:
            continue
        inviter = _user_label(invitation.inviter_id) if invitation.inviter_id else "Someone"
        views.append(InvitationView(invitation, organization.name, inviter))
    cache.set(_mine_key(actor), views, 60)
    return views


def my_invitations_forget(actor: User) -> None:
    cache.delete(_mine_key(actor))
