"""/me/organizations and /organization-roles: what a signed-in user sees before choosing an
organization."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from orgportal.api.auth import UserToken, caller
from orgportal.api.outputs import MembershipOut, TemplateRoleOut, error_responses
from orgportal.logto.models import UserOrganization
from orgportal.services.memberships import organization_list_for_user
from orgportal.services.template import template_roles

router = Router(tags=["me"], by_alias=True, auth=UserToken())


@router.get(
    "/me/organizations",
    response={200: list[MembershipOut]} | error_responses(401, 503),
    summary="My organizations with my roles",
)
def my_organizations(request: HttpRequest) -> list[UserOrganization]:
    return organization_list_for_user(user_id=caller(request).actor.subject)


@router.get(
    "/organization-roles",
    response={200: list[TemplateRoleOut]} | error_responses(401, 503),
    summary="The roles of the organization template",
)
def organization_roles(request: HttpRequest) -> list[TemplateRoleOut]:
    return [
        TemplateRoleOut(
            id=role.id,
            name=role.name,
            description=role.description,
            permissions=list(role.scope_names or ()),
        )
        for role in template_roles()
    ]
