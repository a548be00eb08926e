"""The API's endpoints: thin adapters from JSON to the same services the HTML views use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orgportal.api import schemas as s
from orgportal.api.errors import ApiError
from orgportal.api.framework import Context, Endpoint
from orgportal.logto.models import Invitation, Member, Organization, RoleRef
from orgportal.services.access import Perm, organization_access
from orgportal.services.invitations import (
    invitation_list,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from orgportal.services.invitee import (
    invitation_accept,
    invitation_decline,
    invitation_is_for,
    invitation_view,
)
from orgportal.services.members import member_list, member_remove, member_roles_set
from orgportal.services.memberships import organization_list_for_user
from orgportal.services.organizations import (
    organization_create,
    organization_delete,
    organization_update,
)
from orgportal.services.template import template_roles


# -- serialisation --------------------------------------------------------------------------
def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _roles(roles: tuple[RoleRef, ...]) -> list[dict[str, str]]:
    return [{"id": role.id, "name": role.name} for role in roles]


def organization_json(organization: Organization) -> dict[str, Any]:
    return {
        "id": organization.id,
        "name": organization.name,
        "description": organization.description,
        "isMfaRequired": organization.is_mfa_required,
        "createdAt": _time(organization.created_at),
    }


def member_json(member: Member) -> dict[str, Any]:
    return {
        "id": member.user.id,
        "name": member.user.name,
        "email": member.user.primary_email,
        "avatar": member.user.avatar,
        "lastSignInAt": _time(member.user.last_sign_in_at),
        "roles": _roles(member.roles),
    }


def invitation_json(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "invitee": invitation.invitee,
        "organizationId": invitation.organization_id,
        "inviterId": invitation.inviter_id,
        "status": invitation.status,
        "createdAt": _time(invitation.created_at),
        "expiresAt": _time(invitation.expires_at),
        "roles": _roles(invitation.roles),
    }


def _positive_int(value: str, name: str, default: int, maximum: int) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, "invalid_input", f"`{name}` must be a whole number.") from None
    if not 1 <= number <= maximum:
        raise ApiError(400, "invalid_input", f"`{name}` must be between 1 and {maximum}.")
    return number


# -- handlers -------------------------------------------------------------------------------
def my_organizations(ctx: Context) -> tuple[int, Any]:
    items = organization_list_for_user(user_id=ctx.actor.logto_id)
    return 200, [
        {"organization": organization_json(i.organization), "roles": _roles(i.roles)} for i in items
    ]


def create_organization(ctx: Context) -> tuple[int, Any]:
    organization = organization_create(
        actor=ctx.actor,
        name=ctx.body["name"],
        description=ctx.body.get("description", ""),
    )
    return 201, organization_json(organization)


def get_organization(ctx: Context, org_id: str) -> tuple[int, Any]:
    return 200, organization_json(
        organization_access(user=ctx.actor, organization_id=org_id).organization
    )


def update_organization(ctx: Context, org_id: str) -> tuple[int, Any]:
    current = organization_access(user=ctx.actor, organization_id=org_id).organization
    if not ctx.body:
        raise ApiError(400, "invalid_input", "Send at least one field to change.")
    updated = organization_update(
        actor=ctx.actor,
        organization_id=org_id,
        name=ctx.body.get("name", current.name),
        description=ctx.body.get("description", current.description or ""),
        is_mfa_required=ctx.body.get("isMfaRequired", current.is_mfa_required),
    )
    if not updated.name:
        raise ApiError(400, "invalid_input", "The name cannot be blank.")
    return 200, organization_json(updated)


def delete_organization(ctx: Context, org_id: str) -> tuple[int, Any]:
    organization = organization_access(user=ctx.actor, organization_id=org_id).organization
    # The explicit DELETE with a token carrying delete:organization is the confirmation.
    organization_delete(actor=ctx.actor, organization_id=org_id, confirm_name=organization.name)
    return 204, None


def list_members(ctx: Context, org_id: str) -> tuple[int, Any]:
    page = member_list(
        actor=ctx.actor,
        organization_id=org_id,
        q=ctx.query["q"][:100],
        page=_positive_int(ctx.query["page"], "page", 1, 100_000),
        page_size=_positive_int(ctx.query["page_size"], "page_size", 20, 100),
    )
    return 200, {
        "items": [member_json(m) for m in page.items],
        "total": page.total,
        "page": page.page,
        "pageSize": page.page_size,
    }


def set_member_roles(ctx: Context, org_id: str, user_id: str) -> tuple[int, Any]:
    member = member_roles_set(
        actor=ctx.actor, organization_id=org_id, user_id=user_id, role_ids=ctx.body["roleIds"]
    )
    return 200, member_json(member)


def remove_member(ctx: Context, org_id: str, user_id: str) -> tuple[int, Any]:
    member_remove(actor=ctx.actor, organization_id=org_id, user_id=user_id)
    return 204, None


def list_invitations(ctx: Context, org_id: str) -> tuple[int, Any]:
    status = ctx.query["status"]
    if status and status not in ("Pending", "Accepted", "Expired", "Revoked"):
        raise ApiError(
            400, "invalid_input", "`status` must be Pending, Accepted, Expired or Revoked."
        )
    rows = invitation_list(actor=ctx.actor, organization_id=org_id, status=status or None)
    return 200, [invitation_json(row.invitation) for row in rows]


def create_invitations(ctx: Context, org_id: str) -> tuple[int, Any]:
    outcomes = invitation_send(
        actor=ctx.actor,
        organization_id=org_id,
        emails=ctx.body["emails"],
        role_ids=ctx.body["roleIds"],
        expires_in_days=ctx.body.get("expiresInDays"),
        personal_message=ctx.body.get("message", ""),
    )
    return 200, [
        {"email": o.email, "status": o.status, "reason": o.reason, "invitationId": o.invitation_id}
        for o in outcomes
    ]


def revoke_invitation(ctx: Context, org_id: str, invitation_id: str) -> tuple[int, Any]:
    invitation = invitation_revoke(
        actor=ctx.actor, organization_id=org_id, invitation_id=invitation_id
    )
    return 200, invitation_json(invitation)


def resend_invitation(ctx: Context, org_id: str, invitation_id: str) -> tuple[int, Any]:
    invitation = invitation_resend(
        actor=ctx.actor, organization_id=org_id, invitation_id=invitation_id
    )
    return 200, invitation_json(invitation)


def get_invitation(ctx: Context, invitation_id: str) -> tuple[int, Any]:
    view = invitation_view(invitation_id=invitation_id)
    invitation = view.invitation
    return 200, {
        "id": invitation.id,
        "organizationId": invitation.organization_id,
        "organizationName": view.organization_name,
        "inviterName": view.inviter_name,
        "invitee": invitation.invitee
        if invitation_is_for(invitation, ctx.actor)
        else view.masked_invitee,
        "status": invitation.status,
        "expiresAt": _time(invitation.expires_at),
        "roles": _roles(invitation.roles),
    }


def accept_invitation(ctx: Context, invitation_id: str) -> tuple[int, Any]:
    return 200, invitation_json(invitation_accept(actor=ctx.actor, invitation_id=invitation_id))


def decline_invitation(ctx: Context, invitation_id: str) -> tuple[int, Any]:
    return 200, invitation_json(invitation_decline(actor=ctx.actor, invitation_id=invitation_id))


def organization_roles(ctx: Context) -> tuple[int, Any]:
    return 200, [
        {
            "id": role.id,
            "name": role.name,
            "description": role.description,
            "permissions": list(role.scope_names or ()),
        }
        for role in template_roles()
    ]


ORG = "/organizations/{org_id}"
COMMON = (400, 401, 403, 404, 503)
ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/me/organizations",
        "my_organizations",
        "My organizations with my roles",
        my_organizations,
        response_schema={"type": "array", "items": s.MEMBERSHIP},
        errors=(401, 503),
    ),
    Endpoint(
        "POST",
        "/organizations",
        "create_organization",
        "Create an organization; the caller becomes its admin",
        create_organization,
        request_schema=s.CREATE_ORGANIZATION,
        response_schema=s.ORGANIZATION,
        status=201,
        errors=(400, 401, 403, 413, 422, 503),
    ),
    Endpoint(
        "GET",
        "/organization-roles",
        "organization_roles",
        "The roles of the organization template",
        organization_roles,
        response_schema={"type": "array", "items": s.TEMPLATE_ROLE},
        errors=(401, 503),
    ),
    Endpoint(
        "GET",
        ORG,
        "get_organization",
        "One of my organizations",
        get_organization,
        audience="organization",
        response_schema=s.ORGANIZATION,
        errors=COMMON,
    ),
    Endpoint(
        "PATCH",
        ORG,
        "update_organization",
        "Change name, description or MFA",
        update_organization,
        audience="organization",
        permission=Perm.MANAGE_ORGANIZATION,
        request_schema=s.UPDATE_ORGANIZATION,
        response_schema=s.ORGANIZATION,
        errors=(*COMMON, 413, 422),
    ),
    Endpoint(
        "DELETE",
        ORG,
        "delete_organization",
        "Delete the organization",
        delete_organization,
        audience="organization",
        permission=Perm.DELETE_ORGANIZATION,
        status=204,
        errors=COMMON,
    ),
    Endpoint(
        "GET",
        f"{ORG}/members",
        "list_members",
        "Members, searched and paginated",
        list_members,
        audience="organization",
        response_schema=s.MEMBER_PAGE,
        query={
            "q": {"type": "string", "maxLength": 100},
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 100},
        },
        errors=COMMON,
    ),
    Endpoint(
        "PUT",
        f"{ORG}/members/{{user_id}}/roles",
        "set_member_roles",
        "Replace a member's roles",
        set_member_roles,
        audience="organization",
        permission=Perm.MANAGE_MEMBER,
        request_schema=s.SET_ROLES,
        response_schema=s.MEMBER,
        errors=(*COMMON, 413, 422),
    ),
    Endpoint(
        "DELETE",
        f"{ORG}/members/{{user_id}}",
        "remove_member",
        "Remove a member",
        remove_member,
        audience="organization",
        status=204,
        errors=(*COMMON, 422),
    ),
    Endpoint(
        "GET",
        f"{ORG}/invitations",
        "list_invitations",
        "The organization's invitations",
        list_invitations,
        audience="organization",
        permission=Perm.INVITE_MEMBER,
        response_schema={"type": "array", "items": s.INVITATION},
        query={"status": {"type": "string", "enum": ["Pending", "Accepted", "Expired", "Revoked"]}},
        errors=COMMON,
    ),
    Endpoint(
        "POST",
        f"{ORG}/invitations",
        "create_invitations",
        "Invite people by email; one outcome per address",
        create_invitations,
        audience="organization",
        permission=Perm.INVITE_MEMBER,
        request_schema=s.CREATE_INVITATIONS,
        response_schema={"type": "array", "items": s.INVITE_OUTCOME},
        errors=(*COMMON, 413, 422),
    ),
    Endpoint(
        "POST",
        f"{ORG}/invitations/{{invitation_id}}/revoke",
        "revoke_invitation",
        "Revoke a pending invitation",
        revoke_invitation,
        audience="organization",
        permission=Perm.INVITE_MEMBER,
        response_schema=s.INVITATION,
        errors=(*COMMON, 422),
    ),
    Endpoint(
        "POST",
        f"{ORG}/invitations/{{invitation_id}}/resend",
        "resend_invitation",
        "Email it again (an expired one is re-issued)",
        resend_invitation,
        audience="organization",
        permission=Perm.INVITE_MEMBER,
        response_schema=s.INVITATION,
        errors=(*COMMON, 422),
    ),
    Endpoint(
        "GET",
        "/invitations/{invitation_id}",
        "get_invitation",
        "An invitation, as its invitee sees it",
        get_invitation,
        response_schema=s.PUBLIC_INVITATION,
        errors=(401, 404, 503),
    ),
    Endpoint(
        "POST",
        "/invitations/{invitation_id}/accept",
        "accept_invitation",
        "Accept as the invitee",
        accept_invitation,
        response_schema=s.INVITATION,
        errors=(401, 403, 404, 422, 503),
    ),
    Endpoint(
        "POST",
        "/invitations/{invitation_id}/decline",
        "decline_invitation",
        "Decline as the invitee",
        decline_invitation,
        response_schema=s.INVITATION,
        errors=(401, 403, 404, 422, 503),
    ),
]
