"""/invitations/{invitation_id}: an invitation seen, accepted or declined by its invitee."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from orgportal.api.auth import UserToken, caller
from orgportal.api.outputs import InvitationOut, PublicInvitationOut, RoleOut, error_responses
from orgportal.logto.models import Invitation
from orgportal.services.invitee import (
    invitation_accept,
    invitation_decline,
    invitation_is_for,
    invitation_view,
)

router = Router(tags=["invitee"], by_alias=True, auth=UserToken())
INVITATION = "/invitations/{invitation_id}"


@router.get(
    INVITATION,
    response={200: PublicInvitationOut} | error_responses(400, 401, 404, 503),
    summary="An invitation, as its invitee sees it",
)
def get_invitation(request: HttpRequest, invitation_id: str) -> PublicInvitationOut:
    view = invitation_view(invitation_id=invitation_id)
    invitation = view.invitation
    mine = invitation_is_for(invitation, caller(request).actor)
    return PublicInvitationOut(
        id=invitation.id,
        organization_id=invitation.organization_id,
        organization_name=view.organization_name,
        inviter_name=view.inviter_name,
        invitee=invitation.invitee if mine else view.masked_invitee,
        status=invitation.status,
        expires_at=invitation.expires_at,
        roles=[RoleOut(id=role.id, name=role.name) for role in invitation.roles],
    )


@router.post(
    INVITATION + "/accept",
    response={200: InvitationOut} | error_responses(400, 401, 403, 404, 422, 503),
    summary="Accept as the invitee",
)
def accept_invitation(request: HttpRequest, invitation_id: str) -> Invitation:
    return invitation_accept(actor=caller(request).actor, invitation_id=invitation_id)


@router.post(
    INVITATION + "/decline",
    response={200: InvitationOut} | error_responses(400, 401, 403, 404, 422, 503),
    summary="Decline as the invitee",
)
def decline_invitation(request: HttpRequest, invitation_id: str) -> Invitation:
    return invitation_decline(actor=caller(request).actor, invitation_id=invitation_id)
