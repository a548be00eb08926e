"""What the API answers: JSON objects with camelCase names, built from the Logto models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from orgportal.logto.models import InvitationStatus


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# ISO 8601 with the offset as Logto gives it (`+00:00`), as the API always answered.
Timestamp = Annotated[datetime | None, PlainSerializer(_iso, return_type=str | None)]


class Out(Schema):
    # Read from model attributes by name, answer with camelCase aliases.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorOut(Out):
    code: str
    message: str
    details: Any = None


class RoleOut(Out):
    id: str
    name: str


class OrganizationOut(Out):
    id: str
    name: str
    description: str | None
    is_mfa_required: bool
    created_at: Timestamp


class MembershipOut(Out):
    organization: OrganizationOut
    roles: list[RoleOut]


class MemberOut(Out):
    id: str
    name: str | None
    email: str | None
    avatar: str | None
    last_sign_in_at: Timestamp
    roles: list[RoleOut]


class MemberPageOut(Out):
    items: list[MemberOut]
    total: int
    page: int
    page_size: int


class TemplateRoleOut(Out):
    id: str
    name: str
    description: str | None
    permissions: list[str]


class InvitationOut(Out):
    id: str
    invitee: str
    organization_id: str
    inviter_id: str | None
    status: InvitationStatus
    created_at: Timestamp
    expires_at: Timestamp
    roles: list[RoleOut]


class PublicInvitationOut(Out):
    """An invitation as its invitee sees it, from the invitation link."""

    id: str
    organization_id: str
    organization_name: str
    inviter_name: str
    invitee: str = Field(description="Masked unless it is the caller's.")
    status: InvitationStatus
    expires_at: Timestamp
    roles: list[RoleOut]


class InviteOutcomeOut(Out):
    email: str
    status: Literal["sent", "skipped", "failed"]
    reason: str
    invitation_id: str


class BatchOutcomeOut(Out):
    email: str
    status: Literal["queued", "working", "sent", "skipped", "failed"] = Field(
        description="`queued` and `working` only while the batch runs."
    )
    reason: str
    invitation_id: str


class InvitationBatchOut(Out):
    """An invitation batch that takes longer than a request: poll it until `done`."""

    id: str
    status: Literal["running", "done"]
    total: int = Field(description="Addresses in the batch.")
    finished: int = Field(description="Addresses with their final outcome so far.")
    created_at: Timestamp
    finished_at: Timestamp
    outcomes: list[BatchOutcomeOut] = Field(
        description="One per address, in the order sent; when done, as the 200 answer of "
        "`POST /organizations/{org_id}/invitations`."
    )


def error_responses(*statuses: int) -> dict[frozenset[int], type[ErrorOut]]:
    """The error statuses an operation documents, all with the one error body."""
    return {frozenset(statuses): ErrorOut}
