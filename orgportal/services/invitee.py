"""The invitee's side of invitations: the landing page, accept, decline, my invitations."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgportal import logto
from orgportal.concurrency import start, together
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound
from orgportal.logto.models import Invitation, InvitationStatus, Organization
from orgportal.models import User
from orgportal.services.access import permissions_forget
from orgportal.services.audit import audited
from orgportal.services.errors import (
    ApplicationError,
    Doing,
    NotAllowed,
    later,
    refusal_from,
)
from orgportal.services.invitations import (
    InvitationNotFound,
    ended,
    invitation_in_status,
    revoke,
)
from orgportal.services.memberships import (
    organization_list_for_user_forget,
    organization_remember,
)
from orgportal.services.organization_names import organization_names
from orgportal.services.outcomes import confirmed
from orgportal.services.users import user_labels
from orgportal.shared_locks import cached_or_filled

MY_INVITATIONS_TTL = 60  # seconds


NO_SUCH_INVITATION = gettext_lazy("This invitation does not exist.")


@dataclass(frozen=True)
class InvitationView:
    """What the landing page shows about an invitation."""

    invitation: Invitation
    organization_name: str
    inviter: str | None  # None: the invitation names no inviter

    @property
    def inviter_name(self) -> str:
        """Who invited, in the reader's language when the invitation does not say (the list
        is cached for every language it is read in)."""
        return _("Someone") if self.inviter is None else self.inviter

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
    """The invitation with its organization's and inviter's names (the landing page)."""
    views = _views_of([invitation_get(invitation_id)])
    if not views:  # its organization was deleted
        raise InvitationNotFound(NO_SUCH_INVITATION)
    return views[0]


def invitation_get(invitation_id: str) -> Invitation:
    """The invitation as Logto has it now (InvitationNotFound when there is none)."""
    try:
        return logto.get_client().get_organization_invitation(invitation_id)
    except NotFound:
        raise InvitationNotFound(NO_SUCH_INVITATION) from None


def _for_answer(invitation_id: str) -> InvitationView:
    """The invitation and its organization's name, for accepting or declining it: the
    inviter's name is not needed there, so it is not read."""
    invitation = invitation_get(invitation_id)
    organization_name = organization_names([invitation.organization_id])[invitation.organization_id]
    if organization_name is None:
        raise InvitationNotFound(NO_SUCH_INVITATION)
    return InvitationView(invitation, organization_name, inviter="")


def _views_of(invitations: list[Invitation]) -> list[InvitationView]:
    """The invitations with their organizations' and inviters' names, read at the same time
    (names come from caches, or one call for all inviters); those of deleted organizations
    are left out."""
    inviter_ids = [i.inviter_id for i in invitations if i.inviter_id]
    organization_names_by_id, inviters = together(
        lambda: organization_names(i.organization_id for i in invitations),
        lambda: user_labels(inviter_ids) if inviter_ids else {},
    )
    views = []
    for invitation in invitations:
        organization_name = organization_names_by_id[invitation.organization_id]
        if organization_name is None:
            continue
        inviter = inviters[invitation.inviter_id] if invitation.inviter_id else None
        views.append(InvitationView(invitation, organization_name, inviter))
    return views


def invitation_is_for(invitation: Invitation, user: User) -> bool:
    return bool(user.email) and user.email.lower() == invitation.invitee.lower()


def _invitee_check(actor: User, invitation: Invitation) -> None:
    if not invitation_is_for(invitation, actor):
        masked, signed_in = mask_email(invitation.invitee), actor.email
        if signed_in:
            raise NotAllowed(
                later(
                    lambda: (
                        _("This invitation is for %(invitee)s, and you are signed in as %(email)s.")
                        % {"invitee": masked, "email": signed_in}
                    )
                )
            )
        raise NotAllowed(
            later(
                lambda: (
                    _("This invitation is for %(invitee)s, and you are signed in as someone else.")
                    % {"invitee": masked}
                )
            )
        )
    if not actor.email_verified:
        raise NotAllowed(
            gettext_lazy("Verify your email address in your account first, then try again.")
        )
    if not invitation.is_pending:
        raise ApplicationError(
            ended(gettext_lazy("This invitation can no longer be used."), invitation.status)
        )


def invitation_accept(*, actor: User, invitation_id: str) -> Invitation:
    """Accept: Logto adds the member with the invitation's roles."""
    invitation = invitation_get(invitation_id)
    _invitee_check(actor, invitation)
    named = _NamedWhenRecorded(invitation.organization_id)
    try:
        return _accept(actor, invitation, named)
    finally:
        named.wait()  # nothing of the request runs on after it


def _accept(actor: User, invitation: Invitation, named: _NamedWhenRecorded) -> Invitation:
    invitation_id = invitation.id
    with audited(
        actor=actor,
        # Its name is only needed for the audit trail: read while Logto accepts.
        organization=named,
        action="invitation.accepted",
        target_type="invitation",
        target_id=invitation_id,
        target_label=invitation.invitee,
        after={"roles": [role.name for role in invitation.roles]},
    ):
        client = logto.get_client()
        try:
            accepted = confirmed(
                lambda: client.set_organization_invitation_status(
                    invitation_id, InvitationStatus.ACCEPTED, accepted_user_id=actor.subject
                ),
                lambda: invitation_in_status(
                    invitation_id, InvitationStatus.ACCEPTED, accepted_user_id=actor.subject
                ),
                # A transport retry of an acceptance that was applied gets "it has ended".
                retried=(InvalidInput,),
            )
        except InvalidInput as error:
            raise ApplicationError(
                gettext_lazy(
                    "This invitation was revoked or used a moment ago, so it can no longer be "
                    "accepted. Ask for a new one."
                )
            ) from error
        except LogtoError as error:
            raise refusal_from(error, Doing.ACCEPTANCE) from error
    organization_list_for_user_forget(user_id=actor.subject)
    permissions_forget(organization_id=invitation.organization_id, user_id=actor.subject)
    my_invitations_forget(actor)
    organization_remember(actor=actor, organization_id=invitation.organization_id)
    return accepted


class _NamedWhenRecorded:
    """An organization whose name is read in the background from now on, and waited for
    only when the audit event is written."""

    def __init__(self, organization_id: str) -> None:
        self.id = organization_id
        self._name = start(lambda: organization_names([organization_id])[organization_id])

    @property
    def name(self) -> str:
        try:
            return self._name.result() or self.id
        except LogtoError:
            return self.id

    def wait(self) -> None:
        self._name.wait()


def invitation_decline(*, actor: User, invitation_id: str) -> Invitation:
    """Decline: Logto only knows Revoked; the audit trail says it was declined."""
    view = _for_answer(invitation_id)
    invitation = view.invitation
    _invitee_check(actor, invitation)
    declined = revoke(actor, view.organization_ref, invitation, "invitation.declined")
    my_invitations_forget(actor)
    return declined


def _mine_key(actor: User) -> str:
    return f"orgportal:my-invitations:{actor.pk}"


def my_invitations(*, actor: User) -> list[InvitationView]:
    """Pending invitations for the actor's (verified) email, across organizations."""
    if not actor.email or not actor.email_verified:
        return []
    return cached_or_filled(_mine_key(actor), lambda: _pending_for(actor), ttl=MY_INVITATIONS_TTL)


def my_invitation_count_if_known(*, actor: User) -> int | None:
    """How many invitations wait for the actor, when that is known without asking Logto
    (cached from a recent `my_invitations`); None otherwise. For the header's badge, which
    must not add a call to every page."""
    if not actor.email or not actor.email_verified:
        return 0
    found = cache.get(_mine_key(actor))
    return None if found is None else len(found)


def _pending_for(actor: User) -> list[InvitationView]:
    invitations = logto.get_client().list_organization_invitations(invitee=actor.email)
    return _views_of([invitation for invitation in invitations if invitation.is_pending])


def my_invitations_forget(actor: User) -> None:
    cache.delete(_mine_key(actor))
