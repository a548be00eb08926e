"""/organizations/{org_id}/members: list, change roles, remove."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from orgportal.api.auth import OrganizationToken, caller
from orgportal.api.inputs import MemberRolesIn, MembersQuery
from orgportal.api.outputs import MemberOut, MemberPageOut, RoleOut, error_responses
from orgportal.logto.models import Member
from orgportal.services.access import Perm
from orgportal.services.members import member_list, member_remove, member_roles_set

router = Router(tags=["members"], by_alias=True)
MEMBERS = "/organizations/{org_id}/members"


def member_out(member: Member) -> MemberOut:
    user = member.user
    return MemberOut(
        id=user.id,
        name=user.name,
        email=user.primary_email,
        avatar=user.avatar,
        last_sign_in_at=user.last_sign_in_at,
        roles=[RoleOut(id=role.id, name=role.name) for role in member.roles],
    )


@router.get(
    MEMBERS,
    auth=OrganizationToken(),
    response={200: MemberPageOut} | error_responses(400, 401, 403, 404, 503),
    summary="Members, searched and paginated",
)
def list_members(request: HttpRequest, org_id: str, query: Query[MembersQuery]) -> MemberPageOut:
    page = member_list(
        actor=caller(request).actor,
        organization_id=org_id,
        q=query.q,
        page=query.page,
        page_size=query.page_size,
    )
    return MemberPageOut(
        items=[member_out(member) for member in page.items],
        total=page.total,
        page=page.page,
        page_size=page.page_size,
    )


@router.put(
    MEMBERS + "/{user_id}/roles",
    auth=OrganizationToken(Perm.MANAGE_MEMBER),
    response={200: MemberOut} | error_responses(400, 401, 403, 404, 413, 422, 503),
    summary="Replace a member's roles",
)
def set_member_roles(
    request: HttpRequest, org_id: str, user_id: str, payload: MemberRolesIn
) -> MemberOut:
    member = member_roles_set(
        actor=caller(request).actor,
        organization_id=org_id,
        user_id=user_id,
        role_ids=payload.role_ids,
    )
    return member_out(member)


@router.delete(
    MEMBERS + "/{user_id}",
    auth=OrganizationToken(),
    response={204: None} | error_responses(400, 401, 403, 404, 422, 503),
    summary="Remove a member",
)
def remove_member(request: HttpRequest, org_id: str, user_id: str) -> Status:
    member_remove(actor=caller(request).actor, organization_id=org_id, user_id=user_id)
    return Status(204, None)
