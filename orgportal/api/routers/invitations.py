"""/organizations/{org_id}/invitations: the organization's side of invitations."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from orgportal.api.auth import OrganizationToken, caller
from orgportal.api.inputs import InvitationsCreateIn, InvitationsQuery
from orgportal.api.outputs import InvitationOut, InviteOutcomeOut, error_responses
from orgportal.logto.models import Invitation
from orgportal.services.access import Perm
from orgportal.services.invitations import (
    InviteOutcome,
    invitation_list,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)

router = Router(tags=["invitations"], by_alias=True)
INVITATIONS = "/organizations/{org_id}/invitations"


@router.get(
    INVITATIONS,
    auth=OrganizationToken(Perm.INVITE_MEMBER),
    response={200: list[InvitationOut]} | error_responses(400, 401, 403, 404, 503),
    summary="The organization's invitations",
)
def list_invitations(
    request: HttpRequest, org_id: str, query: Query[InvitationsQuery]
) -> list[Invitation]:
    rows = invitation_list(actor=caller(request).actor, organization_id=org_id, status=query.status)
    return [row.invitation for row in rows]


@router.post(
    INVITATIONS,
    auth=OrganizationToken(Perm.INVITE_MEMBER),
    response={200: list[InviteOutcomeOut]} | error_responses(400, 401, 403, 404, 413, 422, 503),
    summary="Invite people by email; one outcome per address",
)
def create_invitations(
    request: HttpRequest, org_id: str, payload: InvitationsCreateIn
) -> list[InviteOutcome]:
    return invitation_send(
        actor=caller(request).actor,
        organization_id=org_id,
        emails=payload.emails,
        role_ids=payload.role_ids,
        expires_in_days=payload.expires_in_days,
        personal_message=payload.message,
    )


@router.post(
    INVITATIONS + "/{invitation_id}/revoke",
    auth=OrganizationToken(Perm.INVITE_MEMBER),
    response={200: InvitationOut} | error_responses(400, 401, 403, 404, 422, 503),
    summary="Revoke a pending invitation",
)
def revoke_invitation(request: HttpRequest, org_id: str, invitation_id: str) -> Invitation:
    return invitation_revoke(
        actor=caller(request).actor, organization_id=org_id, invitation_id=invitation_id
    )


@router.post(
    INVITATIONS + "/{invitation_id}/resend",
    auth=OrganizationToken(Perm.INVITE_MEMBER),
    response={200: InvitationOut} | error_responses(400, 401, 403, 404, 422, 503),
    summary="Email it again (an expired one is re-issued)",
)
def resend_invitation(request: HttpRequest, org_id: str, invitation_id: str) -> Invitation:
    return invitation_resend(
        actor=caller(request).actor, organization_id=org_id, invitation_id=invitation_id
    )
