"""Member use cases: list, change roles, remove, bulk. Authorization, invariants, audit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import cache

from orgportal import logto
from orgportal.exceptions import ApplicationError, LastAdminError, LogtoRefused, NotAllowed
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound, Unavailable
from orgportal.logto.models import Member, OrganizationRole, Page, RoleRef
from orgportal.logto.models import User as LogtoUser
from orgportal.models import User
from orgportal.permissions import (
    OrganizationAccess,
    Perm,
    organization_access,
    permission_name,
    permissions_forget,
)
from orgportal.services.audit import audit_in_organization
from orgportal.services.memberships import organization_list_for_user_forget
from orgportal.services.organizations import UNREACHABLE, other_member_managers_exist
from orgportal.services.template import template_roles

logger = logging.getLogger(__name__)

PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20
SEARCH_MAX = 100
BULK_MAX = 100
_SCOPES_KEY = "orgportal:template-scope-names"


class MemberGone(ApplicationError):
    """The person is not (or no longer) a member, e.g. removed by someone else a moment ago."""

    status = 404


def member_list(
    *, actor: User, organization_id: str, q: str = "", page: int = 1, page_size: int = 20
) -> Page[Member]:
    """One page of members: a single Management API call (access comes from caches)."""
    organization_access(user=actor, organization_id=organization_id)
    page_size = min(max(page_size, 1), max(PAGE_SIZES))
    return logto.get_client().list_organization_users(
        organization_id,
        q=q.strip()[:SEARCH_MAX] or None,
        page=max(page, 1),
        page_size=page_size,
    )


# -- what the actor may do -----------------------------------------------------------------
def grantable_role_ids(access: OrganizationAccess) -> frozenset[str]:
    """Roles whose permissions are all the actor's own: no one grants more than they have."""
    return frozenset(
        role.id for role in template_roles() if set(role.scope_names or ()) <= access.scopes
    )


def _template_scope_names() -> frozenset[str]:
    names = cache.get(_SCOPES_KEY)
    if names is None:
        names = frozenset(s.name for s in logto.get_client().list_organization_scopes())
        cache.set(_SCOPES_KEY, names, 300)
    return names


def can_remove_members(access: OrganizationAccess) -> bool:
    """`delete:member`, or `manage:member` where the template has no `delete:member`."""
    if access.can(Perm.DELETE_MEMBER):
        return True
    return access.can(Perm.MANAGE_MEMBER) and (
        permission_name(Perm.DELETE_MEMBER) not in _template_scope_names()
    )


def _roles_by_id() -> dict[str, OrganizationRole]:
    return {role.id: role for role in template_roles()}


def _manages_members(role_ids: set[str]) -> bool:
    manage = permission_name(Perm.MANAGE_MEMBER)
    roles = _roles_by_id()
    return any(manage in (roles[rid].scope_names or ()) for rid in role_ids if rid in roles)


def _label(user: LogtoUser | None, user_id: str) -> str:
    if user is None:
        return user_id
    return user.primary_email or user.display_name


def _target(organization_id: str, user_id: str) -> tuple[LogtoUser, set[str]]:
    """The member and their current role ids; MemberGone when they are not a member."""
    client = logto.get_client()
    try:
        user = client.get_user(user_id)
    except NotFound:
        raise MemberGone("That person does not exist (any more).") from None
    try:
        roles = client.list_organization_user_roles(organization_id, user_id)
    except InvalidInput as error:
        if error.code == "organization.require_membership":
            raise MemberGone(
                f"{_label(user, user_id)} is no longer a member of this organization."
            ) from None
        raise
    current = {role.id for role in roles}
    return user, current


def _refuse_escalation(access: OrganizationAccess, role_ids: set[str], doing: str) -> None:
    roles = _roles_by_id()
    above = [
        roles[rid].name
        for rid in role_ids
        if rid in roles and not set(roles[rid].scope_names or ()) <= access.scopes
    ]
    if above:
        raise NotAllowed(
            f"You cannot {doing} the role {', '.join(sorted(above))}: it has permissions "
            "you do not have."
        )


def _audit(actor, access, action, user_id, label, *, error=None, before=None, after=None):
    audit_in_organization(
        actor=actor,
        organization=access.organization,
        action=action,
        target_type="user",
        target_id=user_id,
        target_label=label,
        error=error,
        before=before,
        after=after,
    )


def _role_names(role_ids) -> list[str]:
    roles = _roles_by_id()
    return sorted(roles[rid].name for rid in role_ids if rid in roles)


def _forget_member(organization_id: str, user_id: str) -> None:
    permissions_forget(organization_id=organization_id, user_id=user_id)
    organization_list_for_user_forget(user_id=user_id)


# -- change roles ---------------------------------------------------------------------------
def member_roles_set(
    *, actor: User, organization_id: str, user_id: str, role_ids: list[str]
) -> Member:
    """Replace a member's roles. No escalation; the last member manager stays one."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_MEMBER, "You are not allowed to change members' roles here.")
    wanted = set(role_ids)
    unknown = wanted - set(_roles_by_id())
    if unknown:
        raise ApplicationError("That role does not exist in this organization. Reload the page.")
    user, current = _target(organization_id, user_id)
    label = _label(user, user_id)
    before, after = {"roles": _role_names(current)}, {"roles": _role_names(wanted)}
    try:
        _refuse_escalation(access, (wanted - current) | (current - wanted), "grant or take away")
        if (
            _manages_members(current)
            and not _manages_members(wanted)
            and not other_member_managers_exist(organization_id=organization_id, user_id=user_id)
        ):
            raise LastAdminError(
                f"{label} is the last person who can manage members here. Give that role to "
                "someone else first."
            )
    except ApplicationError as refusal:
        _audit(
            actor,
            access,
            "member.roles_changed",
            user_id,
            label,
            error=refusal.message,
            before=before,
            after=after,
        )
        raise
    try:
        logto.get_client().replace_organization_user_roles(organization_id, user_id, sorted(wanted))
    except LogtoError as error:
        _audit(
            actor,
            access,
            "member.roles_changed",
            user_id,
            label,
            error=error,
            before=before,
            after=after,
        )
        if isinstance(error, InvalidInput) and error.code == "organization.require_membership":
            raise MemberGone(f"{label} is no longer a member of this organization.") from error
        raise LogtoRefused(
            UNREACHABLE
            if isinstance(error, Unavailable)
            else f"Logto refused the change: {error.message}"
        ) from error
    _audit(actor, access, "member.roles_changed", user_id, label, before=before, after=after)
    _forget_member(organization_id, user_id)
    roles = _roles_by_id()
    return Member(user=user, roles=tuple(RoleRef(rid, roles[rid].name) for rid in sorted(wanted)))


# -- remove ---------------------------------------------------------------------------------
def member_remove(*, actor: User, organization_id: str, user_id: str) -> str:
    """Remove a member; returns their label. Removing yourself is leaving (use that)."""
    access = organization_access(user=actor, organization_id=organization_id)
    if not can_remove_members(access):
        raise NotAllowed("You are not allowed to remove members here.")
    if user_id == actor.logto_id:
        raise ApplicationError("To remove yourself, use “Leave organization”.")
    user, current = _target(organization_id, user_id)
    label = _label(user, user_id)
    before = {"roles": _role_names(current)}
    try:
        _refuse_escalation(access, current, "remove someone with")
        if _manages_members(current) and not other_member_managers_exist(
            organization_id=organization_id, user_id=user_id
        ):
            raise LastAdminError(
                f"{label} is the last person who can manage members here, so they cannot be "
                "removed."
            )
    except ApplicationError as refusal:
        _audit(
            actor, access, "member.removed", user_id, label, error=refusal.message, before=before
        )
        raise
    try:
        logto.get_client().remove_organization_user(organization_id, user_id)
    except NotFound as error:
        raise MemberGone(f"{label} was already removed a moment ago.") from error
    except LogtoError as error:
        _audit(actor, access, "member.removed", user_id, label, error=error, before=before)
        raise LogtoRefused(
            UNREACHABLE if isinstance(error, Unavailable) else f"Logto refused: {error.message}"
        ) from error
    _audit(actor, access, "member.removed", user_id, label, before=before)
    _forget_member(organization_id, user_id)
    return label


# -- bulk -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkOutcome:
    user_id: str
    label: str
    ok: bool
    message: str


def members_bulk(
    *,
    actor: User,
    organization_id: str,
    user_ids: list[str],
    action: str,
    role_id: str | None = None,
) -> list[BulkOutcome]:
    """Apply one action to several members; each gets its own outcome, none is lost."""
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        raise ApplicationError("Select at least one member.")
    if len(user_ids) > BULK_MAX:
        raise ApplicationError(f"Select at most {BULK_MAX} members at once.")
    access = organization_access(user=actor, organization_id=organization_id)
    if action == "remove" and not can_remove_members(access):
        raise NotAllowed("You are not allowed to remove members here.")
    if action in ("add_role", "set_role"):
        access.require(Perm.MANAGE_MEMBER, "You are not allowed to change members' roles here.")
    labels = _labels(user_ids)
    if action == "add_role":
        return _bulk_add_role(actor, organization_id, user_ids, role_id, labels)
    if action == "set_role":
        if not role_id:
            raise ApplicationError("Choose the role to give.")

        def change(user_id: str) -> None:
            member_roles_set(
                actor=actor, organization_id=organization_id, user_id=user_id, role_ids=[role_id]
            )

        done = "role changed"
    elif action == "remove":

        def change(user_id: str) -> None:
            member_remove(actor=actor, organization_id=organization_id, user_id=user_id)

        done = "removed"
    else:
        raise ApplicationError("Choose what to do with the selected members.")
    outcomes = []
    for user_id in user_ids:
        try:
            change(user_id)
        except ApplicationError as error:
            outcomes.append(BulkOutcome(user_id, labels[user_id], False, error.message))
        except LogtoError:
            outcomes.append(BulkOutcome(user_id, labels[user_id], False, UNREACHABLE))
        else:
            outcomes.append(BulkOutcome(user_id, labels[user_id], True, done))
    return outcomes


def _labels(user_ids: list[str]) -> dict[str, str]:
    """Emails (or names) to report outcomes with; ids stay ids when Logto cannot say."""
    client = logto.get_client()
    labels = {}
    for user_id in user_ids:
        try:
            labels[user_id] = _label(client.get_user(user_id), user_id)
        except LogtoError:
            labels[user_id] = user_id
    return labels


def _bulk_add_role(
    actor: User,
    organization_id: str,
    user_ids: list[str],
    role_id: str | None,
    labels: dict[str, str],
) -> list[BulkOutcome]:
    """Logto's bulk endpoint: one call adds the role to everyone (additive)."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_MEMBER, "You are not allowed to change members' roles here.")
    roles = _roles_by_id()
    if role_id not in roles:
        raise ApplicationError("That role does not exist in this organization. Reload the page.")
    _refuse_escalation(access, {role_id}, "grant")
    role_name = roles[role_id].name
    try:
        logto.get_client().add_organization_users_roles(organization_id, user_ids, [role_id])
    except LogtoError as error:
        reason = (
            "one of them is no longer a member." if isinstance(error, InvalidInput) else UNREACHABLE
        )
        outcomes = []
        for user_id in user_ids:
            label = labels[user_id]
            _audit(
                actor,
                access,
                "member.roles_changed",
                user_id,
                label,
                error=error,
                after={"added": [role_name]},
            )
            outcomes.append(BulkOutcome(user_id, label, False, f"Nothing was changed: {reason}"))
        return outcomes
    outcomes = []
    for user_id in user_ids:
        label = labels[user_id]
        _audit(actor, access, "member.roles_changed", user_id, label, after={"added": [role_name]})
        _forget_member(organization_id, user_id)
        outcomes.append(BulkOutcome(user_id, label, True, f"got the role {role_name}"))
    return outcomes


# -- add (staff, from the admin) ------------------------------------------------------------
def member_add_by_email(
    *, actor: User, organization_id: str, email: str, role_ids: list[str]
) -> Member:
    """Add an existing Logto user as a member with roles; people without an account are
    invited instead. If the role assignment fails, the membership is undone."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_MEMBER, "You are not allowed to add members here.")
    roles = _roles_by_id()
    if any(rid not in roles for rid in role_ids):
        raise ApplicationError("That role does not exist in this organization. Reload the page.")
    _refuse_escalation(access, set(role_ids), "grant")
    client = logto.get_client()
    user = client.find_user_by_email(email.strip())
    if user is None:
        raise ApplicationError(
            f"No Logto user has the email {email.strip()}; send them an invitation instead."
        )
    label = _label(user, user.id)
    try:
        client.list_organization_user_roles(organization_id, user.id)
    except InvalidInput:
        pass  # not a member yet: good
    else:
        raise ApplicationError(f"{label} is already a member.")
    try:
        client.add_organization_users(organization_id, [user.id])
    except LogtoError as error:
        _audit(actor, access, "member.added", user.id, label, error=error)
        raise LogtoRefused(UNREACHABLE) from error
    try:
        if role_ids:
            client.add_organization_user_roles(organization_id, user.id, role_ids)
    except LogtoError as error:
        try:
            client.remove_organization_user(organization_id, user.id)
        except LogtoError:
            logger.error(
                "Member %s added to %s without roles; removal failed", user.id, organization_id
            )
        _audit(actor, access, "member.added", user.id, label, error=error)
        raise LogtoRefused("The roles could not be given, so the member was not added.") from error
    _audit(actor, access, "member.added", user.id, label, after={"roles": _role_names(role_ids)})
    _forget_member(organization_id, user.id)
    return Member(user=user, roles=tuple(RoleRef(rid, roles[rid].name) for rid in role_ids))
