"""The organization template the portal needs in Logto: its permissions and two roles."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from orgportal import logto
from orgportal.logto.client import LogtoClient
from orgportal.logto.models import OrganizationRole
from orgportal.shared_locks import cached_or_filled

TEMPLATE_ROLES_TTL = 300  # seconds; the template rarely changes
_TEMPLATE_ROLES_KEY = "orgportal:template-roles"
APPLICATION_ROLE_TYPE = "MachineToMachine"

PERMISSION_DESCRIPTIONS = {
    "invite_member": "Invite people to the organization",
    "manage_member": "Change members' roles",
    "delete_member": "Remove members from the organization",
    "manage_organization": "Edit the organization's settings",
    "delete_organization": "Delete the organization",
}


def required_template() -> dict[str, list[str]]:
    """Role name -> the permission names it must hold (the admin holds all of them)."""
    permissions = list(settings.ORGPORTAL_PERMISSIONS.values())
    return {settings.ORGPORTAL_ADMIN_ROLE: permissions, settings.ORGPORTAL_MEMBER_ROLE: []}


def required_application_roles() -> dict[str, list[str]]:
    """Machine-to-machine roles for organization API keys, created when the template has
    none (a template that has some is left as its owner made it): role name -> permissions.
    Any member may read the member list, so reading needs no permission."""
    permissions = settings.ORGPORTAL_PERMISSIONS
    return {
        "API: read-only": [],
        "API: member management": [
            permissions["invite_member"],
            permissions["manage_member"],
            permissions["delete_member"],
        ],
    }


@dataclass(frozen=True)
class TemplateAction:
    # "create_permission", "create_role", "create_application_role" or "grant_permissions"
    kind: str
    name: str
    permissions: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "create_permission":
            return f"create organization permission {self.name!r}"
        if self.kind == "create_role":
            granted = ", ".join(self.permissions) or "no permissions"
            return f"create organization role {self.name!r} with {granted}"
        if self.kind == "create_application_role":
            granted = ", ".join(self.permissions) or "no permissions"
            return f"create machine-to-machine organization role {self.name!r} with {granted}"
        return f"add {', '.join(self.permissions)} to organization role {self.name!r}"


def template_missing(client: LogtoClient) -> list[TemplateAction]:
    """What Logto's organization template lacks, in the order it must be created."""
    existing_scopes = {scope.name for scope in client.list_organization_scopes()}
    roles = {role.name: role for role in client.iter_organization_roles()}
    needed_permissions = list(dict.fromkeys(p for ps in required_template().values() for p in ps))
    # (The application roles' permissions are among the admin's, created above if missing.)
    actions = [
        TemplateAction("create_permission", name)
        for name in needed_permissions
        if name not in existing_scopes
    ]
    for role_name, permissions in required_template().items():
        role = roles.get(role_name)
        if role is None:
            actions.append(TemplateAction("create_role", role_name, tuple(permissions)))
            continue
        held = set(role.scope_names or ())
        lacking = tuple(p for p in permissions if p not in held)
        if lacking:
            actions.append(TemplateAction("grant_permissions", role_name, lacking))
    if not any(role.type == APPLICATION_ROLE_TYPE for role in roles.values()):
        actions.extend(
            TemplateAction("create_application_role", name, tuple(permissions))
            for name, permissions in required_application_roles().items()
        )
    return actions


def template_apply(client: LogtoClient, actions: list[TemplateAction]) -> None:
    """Carry out `template_missing`'s actions (additive only: nothing is ever removed)."""
    for action in actions:
        if action.kind == "create_permission":
            key = next(
                (k for k, v in settings.ORGPORTAL_PERMISSIONS.items() if v == action.name), None
            )
            client.create_organization_scope(
                name=action.name, description=PERMISSION_DESCRIPTIONS.get(key or "")
            )
    scope_ids = {scope.name: scope.id for scope in client.list_organization_scopes()}
    roles = {role.name: role for role in client.iter_organization_roles()}
    for action in actions:
        ids = [scope_ids[name] for name in action.permissions]
        if action.kind == "create_role":
            client.create_organization_role(name=action.name, scope_ids=ids)
        elif action.kind == "create_application_role":
            client.create_organization_role(
                name=action.name, scope_ids=ids, role_type=APPLICATION_ROLE_TYPE
            )
        elif action.kind == "grant_permissions":
            client.add_organization_role_scopes(roles[action.name].id, ids)


def organization_roles_all() -> list[OrganizationRole]:
    """Every role of the organization template, for people and for applications (cached),
    by name ignoring case. (Logto sorts by its database collation, which may put `Viewer`
    before `admin`.)"""

    def fetch() -> list[OrganizationRole]:
        return sorted(
            logto.get_client().iter_organization_roles(), key=lambda role: role.name.casefold()
        )

    return cached_or_filled(_TEMPLATE_ROLES_KEY, fetch, ttl=TEMPLATE_ROLES_TTL)


def template_roles() -> list[OrganizationRole]:
    """The template's roles for people, in the order role pickers show them. Roles for
    machine-to-machine applications (API keys) are never offered to people: Logto refuses
    them on users."""
    return [role for role in organization_roles_all() if role.type != APPLICATION_ROLE_TYPE]


def application_roles() -> list[OrganizationRole]:
    """The template's machine-to-machine roles: what an organization API key may hold."""
    return [role for role in organization_roles_all() if role.type == APPLICATION_ROLE_TYPE]


def template_roles_forget() -> None:
    """Drop the cached template after it changed in Logto (webhook)."""
    cache.delete(_TEMPLATE_ROLES_KEY)


def template_role(name: str) -> OrganizationRole | None:
    return next((role for role in template_roles() if role.name == name), None)


def roles_with_permission(permission: str) -> list[OrganizationRole]:
    return [role for role in template_roles() if permission in (role.scope_names or ())]
