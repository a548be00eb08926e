"""/organizations/{org_id}/invitations: the organization's side of invitations.

Inviting runs as a background batch (a request must not outlive the web server's timeout):
the answer waits up to API_WAIT_SECONDS, which small batches usually need no more than, and
then gives the outcomes as it always did (200); a longer batch answers 202 with a `Location`
to poll (`GET /organizations/{org_id}/invitation-batches/{batch_id}`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from orgportal.api.auth import OrganizationToken, caller
from orgportal.api.inputs import InvitationsCreateIn, InvitationsQuery
from orgportal.api.outputs import (
    InvitationBatchOut,
    InvitationOut,
    InviteOutcomeOut,
    error_responses,
)
from orgportal.logto.models import Invitation
from orgportal.services.access import Perm
from orgportal.services.invitation_batches import (
    BatchProgress,
    invitation_batch_progress,
    invitation_batch_start,
    invitation_batch_wait,
)
from orgportal.services.invitations import (
    invitation_list,
    invitation_resend,
    invitation_revoke,
)

router = Router(tags=["invitations"], by_alias=True)
INVITATIONS = "/organizations/{org_id}/invitations"
BATCH = "/organizations/{org_id}/invitation-batches/{batch_id}"
API_WAIT_SECONDS = 2.0


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
    response={200: list[InviteOutcomeOut], 202: InvitationBatchOut}
    | error_responses(400, 401, 403, 404, 413, 422, 503),
    summary="Invite people by email; one outcome per address",
    description=(
        "The addresses are checked at once (4xx), then invited in the background. When that "
        f"takes less than {API_WAIT_SECONDS:g} s (usually up to a few addresses) the answer "
        "is 200 with one outcome per address. Otherwise it is 202 with the batch so far and a "
        "`Location` header: poll `GET /organizations/{org_id}/invitation-batches/{batch_id}` "
        "until its `status` is `done`."
    ),
    openapi_extra={
        "responses": {
            202: {
                "description": "Accepted: still running in the background.",
                "headers": {
                    "Location": {
                        "description": "The batch to poll (`GET …/invitation-batches/{id}`).",
                        "schema": {"type": "string"},
                    }
                },
            }
        }
    },
)
def create_invitations(
    request: HttpRequest, org_id: str, payload: InvitationsCreateIn, response: HttpResponse
) -> Status:
    actor = caller(request).actor
    batch = invitation_batch_start(
        actor=actor,
        organization_id=org_id,
        emails=payload.emails,
        role_ids=payload.role_ids,
        expires_in_days=payload.expires_in_days,
        personal_message=payload.message,
        language=payload.language or "",
    )
    invitation_batch_wait(batch.pk, API_WAIT_SECONDS)
    progress = invitation_batch_progress(actor=actor, organization_id=org_id, batch_id=batch.pk)
    if progress.done:
        return Status(200, progress.outcomes)
    response["Location"] = reverse("api:invitation_batch", args=[org_id, str(batch.pk)])
    return Status(202, _batch_out(progress))


@router.get(
    BATCH,
    auth=OrganizationToken(Perm.INVITE_MEMBER),
    response={200: InvitationBatchOut} | error_responses(400, 401, 403, 404, 503),
    summary="An invitation batch: each address's outcome so far, and whether it is done",
    url_name="invitation_batch",
)
def get_invitation_batch(request: HttpRequest, org_id: str, batch_id: str) -> dict[str, Any]:
    progress = invitation_batch_progress(
        actor=caller(request).actor, organization_id=org_id, batch_id=batch_id
    )
    return _batch_out(progress)


def _batch_out(progress: BatchProgress) -> dict[str, Any]:
    batch = progress.batch
    return {
        "id": str(batch.pk),
        "status": "done" if progress.done else "running",
        "total": progress.total,
        "finished": progress.finished,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
        "outcomes": progress.outcomes,
    }


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
