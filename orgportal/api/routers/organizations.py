"""/organizations: create, read, change and delete an organization."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from orgportal.api.auth import OrganizationToken, UserToken, caller
from orgportal.api.errors import ApiError
from orgportal.api.inputs import OrganizationCreateIn, OrganizationUpdateIn
from orgportal.api.outputs import OrganizationOut, error_responses
from orgportal.logto.models import Organization
from orgportal.services.access import Perm, access_for_change, organization_access
from orgportal.services.organizations import (
    organization_create,
    organization_delete,
    organization_update,
)

router = Router(tags=["organizations"], by_alias=True)
ORG = "/organizations/{org_id}"


@router.post(
    "/organizations",
    auth=UserToken(),
    response={201: OrganizationOut} | error_responses(400, 401, 403, 413, 422, 503),
    summary="Create an organization; the caller becomes its admin",
)
def create_organization(request: HttpRequest, payload: OrganizationCreateIn) -> Status:
    organization = organization_create(
        actor=caller(request).actor, name=payload.name, description=payload.description
    )
    return Status(201, organization)


@router.get(
    ORG,
    auth=OrganizationToken(),
    response={200: OrganizationOut} | error_responses(400, 401, 403, 404, 503),
    summary="One of my organizations",
)
def get_organization(request: HttpRequest, org_id: str) -> Organization:
    return organization_access(user=caller(request).actor, organization_id=org_id).organization


@router.patch(
    ORG,
    auth=OrganizationToken(Perm.MANAGE_ORGANIZATION),
    response={200: OrganizationOut} | error_responses(400, 401, 403, 404, 413, 422, 503),
    summary="Change name, description or MFA",
)
def update_organization(
    request: HttpRequest, org_id: str, payload: OrganizationUpdateIn
) -> Organization:
    actor = caller(request).actor
    # Fresh: the fields not sent are written back as they are in Logto now, not as cached.
    current = access_for_change(user=actor, organization_id=org_id).organization
    sent = payload.model_dump(exclude_none=True)
    if not sent:
        raise ApiError(400, "invalid_input", _("Send at least one field to change."))
    return organization_update(
        actor=actor,
        organization_id=org_id,
        name=sent.get("name", current.name),
        description=sent.get("description", current.description or ""),
        is_mfa_required=sent.get("is_mfa_required", current.is_mfa_required),
    )


@router.delete(
    ORG,
    auth=OrganizationToken(Perm.DELETE_ORGANIZATION),
    response={204: None} | error_responses(400, 401, 403, 404, 503),
    summary="Delete the organization",
)
def delete_organization(request: HttpRequest, org_id: str) -> Status:
    actor = caller(request).actor
    organization = access_for_change(user=actor, organization_id=org_id).organization
    # The explicit DELETE with a token carrying delete:organization is the confirmation.
    organization_delete(actor=actor, organization_id=org_id, confirm_name=organization.name)
    return Status(204, None)
