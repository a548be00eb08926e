"""Member use cases: list, change roles, remove, bulk. Authorization, invariants, audit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import NoReturn

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orgportal import logto
from orgportal.concurrency import each, together
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound, is_foreign_key_missing
from orgportal.logto.models import Member, Page, RoleRef
from orgportal.logto.models import User as LogtoUser
from orgportal.models import User
from orgportal.services.access import (
    OrganizationAccess,
    Perm,
    access_for_change,
    can_remove_members,
    member_manager_kept,
    organization_access,
    permissions_forget,
    refuse_escalation,
    require_known_roles,
    require_organization_exists,
    role_names,
    roles_by_id,
)
from orgportal.services.audit import AuditEntry, audit_in_organization, audited
from orgportal.services.errors import (
    UNREACHABLE,
    ApplicationError,
    Doing,
    Gone,
    NotAllowed,
    ServiceUnavailable,
    Text,
    later,
    refusal_from,
)
from orgportal.services.memberships import organization_list_for_user_forget
from orgportal.services.outcomes import applied

logger = logging.getLogger(__name__)

PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20
SEARCH_MAX = 100
BULK_MAX = 100
BULK_AT_ONCE = 4  # members changed at the same time by a bulk action


NOT_A_MEMBER = gettext_lazy("That person is no longer a member of this organization.")
NO_SUCH_PERSON = gettext_lazy("That person does not exist (any more).")
NOT_ALLOWED_ROLES = gettext_lazy("You are not allowed to change members' roles here.")
NOT_ALLOWED_REMOVE = gettext_lazy("You are not allowed to remove members here.")
CHOOSE_ROLE = gettext_lazy("Choose the role to give.")


class MemberGone(Gone):
    """The person is not (or no longer) a member, e.g. removed by someone else a moment ago."""


def member_list(
    *, actor: User, organization_id: str, q: str = "", page: int = 1, page_size: int = 20
) -> Page[Member]:
    """One page of members: a single Management API call (access comes from caches).

    `q` is what the person typed, trimmed; `%` and `_` in it mean themselves."""
    organization_access(user=actor, organization_id=organization_id)
    members = member_page_read(organization_id=organization_id, q=q, page=page, page_size=page_size)
    if members.total == 0:
        # Logto lists a deleted organization's members as an empty page, not a 404.
        require_organization_exists(organization_id)
    return members


def member_page_read(
    *, organization_id: str, q: str = "", page: int = 1, page_size: int = 20
) -> Page[Member]:
    """The Logto read behind `member_list`, without the access check: a page prefetches it
    beside that check (the read is shared within the request, so it is sent once)."""
    return logto.get_client().list_organization_users(
        organization_id,
        q=q.strip()[:SEARCH_MAX] or None,
        page=max(page, 1),
        page_size=min(max(page_size, 1), max(PAGE_SIZES)),
    )


def member_get(*, actor: User, organization_id: str, user_id: str) -> Member:
    """One member with their roles as Logto holds them now (for the role editor); MemberGone
    when they are not a member. Both reads go out at once; whether the person is a member is
    settled before anything about them is shown, so no account outside the organization is
    described."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_MEMBER, NOT_ALLOWED_ROLES)
    user, role_ids = _target(organization_id, user_id)
    roles = roles_by_id()
    return Member(
        user=user,
        roles=tuple(RoleRef(rid, roles[rid].name) for rid in sorted(role_ids) if rid in roles),
    )


def _label(user: LogtoUser | None, user_id: str) -> str:
    if user is None:
        return user_id
    return user.primary_email or user.display_name


def _target(organization_id: str, user_id: str) -> tuple[LogtoUser, set[str]]:
    """The member and their current role ids, read at the same time; MemberGone when they
    are not a member (without naming them: only members' names are shown here)."""

    def account() -> LogtoUser | None:
        try:
            return logto.get_client().get_user(user_id)
        except NotFound:
            return None

    user, roles = together(account, partial(_role_ids, organization_id, user_id))
    if roles is None:
        _raise_member_gone(organization_id, NOT_A_MEMBER)
    if user is None:
        raise MemberGone(NO_SUCH_PERSON)
    return user, roles


def _role_ids(organization_id: str, user_id: str) -> set[str] | None:
    """The member's role ids as Logto holds them now; None when they are not a member."""
    try:
        roles = logto.get_client().list_organization_user_roles(organization_id, user_id)
    except InvalidInput as error:
        if _not_a_member(error):
            return None
        raise
    return {role.id for role in roles}


def _audited(actor: User, access: OrganizationAccess, action: str, user_id: str, label: str, **kw):
    return audited(
        actor=actor,
        organization=access.organization,
        action=action,
        target_type="user",
        target_id=user_id,
        target_label=label,
        **kw,
    )


def _forget_member(organization_id: str, user_id: str) -> None:
    permissions_forget(organization_id=organization_id, user_id=user_id)
    organization_list_for_user_forget(user_id=user_id)


def _not_a_member(error: LogtoError) -> bool:
    return isinstance(error, InvalidInput) and error.code == "organization.require_membership"


def _no_longer_a_member(label: str) -> Text:
    return later(
        lambda: _("%(name)s is no longer a member of this organization.") % {"name": label}
    )


def _raise_member_gone(organization_id: str, sentence: Text) -> NoReturn:
    """MemberGone, unless the whole organization is gone (Logto says "not a member" then too)."""
    require_organization_exists(organization_id)
    raise MemberGone(sentence)


# -- change roles ---------------------------------------------------------------------------
Target = tuple[LogtoUser, set[str]]  # a member and their role ids, as just read


@dataclass(frozen=True)
class RolesChange:
    """A member's roles after a change, and the role ids they had before (to undo it)."""

    member: Member
    previous_role_ids: frozenset[str]


def member_roles_set(
    *,
    actor: User,
    organization_id: str,
    user_id: str,
    role_ids: list[str],
    target: Target | None = None,
) -> Member:
    """Replace a member's roles. No escalation; the last member manager stays one.
    `target`: the member as the caller just read them (bulk actions read all at once)."""
    return member_roles_change(
        actor=actor,
        organization_id=organization_id,
        user_id=user_id,
        role_ids=role_ids,
        target=target,
    ).member


def member_roles_change(
    *,
    actor: User,
    organization_id: str,
    user_id: str,
    role_ids: list[str],
    target: Target | None = None,
) -> RolesChange:
    """`member_roles_set`, also saying which roles the member had before: the members page
    offers to put them back (through this same function, so under the same rules)."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_MEMBER, NOT_ALLOWED_ROLES)
    wanted = set(role_ids)
    roles = require_known_roles(wanted)
    user, current = target or _target(organization_id, user_id)
    label = _label(user, user_id)
    with _audited(
        actor,
        access,
        "member.roles_changed",
        user_id,
        label,
        before={"roles": role_names(current)},
        after={"roles": role_names(wanted)},
    ):
        refuse_escalation(
            access,
            wanted ^ current,
            lambda roles: (
                _(
                    "You cannot grant or take away the role %(roles)s: it has permissions you do "
                    "not have."
                )
                % {"roles": roles}
            ),
        )
        client = logto.get_client()
        with member_manager_kept(
            organization_id=organization_id,
            user_id=user_id,
            current_role_ids=current,
            wanted_role_ids=wanted,
            sentence=later(
                lambda: (
                    _(
                        "%(name)s is the last person who can manage members here. Give that role "
                        "to someone else first."
                    )
                    % {"name": label}
                )
            ),
            restore=lambda: client.replace_organization_user_roles(
                organization_id, user_id, sorted(current)
            ),
        ):
            try:
                applied(
                    lambda: client.replace_organization_user_roles(
                        organization_id, user_id, sorted(wanted)
                    ),
                    lambda: _role_ids(organization_id, user_id) == wanted,
                )
            except LogtoError as error:
                if _not_a_member(error):
                    _raise_member_gone(organization_id, _no_longer_a_member(label))
                raise refusal_from(error, Doing.CHANGE) from error
    _forget_member(organization_id, user_id)
    member = Member(user=user, roles=tuple(RoleRef(rid, roles[rid].name) for rid in sorted(wanted)))
    return RolesChange(member=member, previous_role_ids=frozenset(current))


# -- remove ---------------------------------------------------------------------------------
def member_removal_label(*, actor: User, organization_id: str, user_id: str) -> str:
    """Who a removal would remove, for its confirmation page: read from Logto, never taken
    from the link (a crafted link must not show one name and remove another)."""
    access = organization_access(user=actor, organization_id=organization_id)
    if not can_remove_members(access):
        raise NotAllowed(NOT_ALLOWED_REMOVE)
    user, _ = _target(organization_id, user_id)
    return _label(user, user_id)


def member_remove(
    *, actor: User, organization_id: str, user_id: str, target: Target | None = None
) -> str:
    """Remove a member; returns their label. Removing yourself is leaving (use that).
    `target`: the member as the caller just read them (bulk actions read all at once)."""
    access = access_for_change(user=actor, organization_id=organization_id)
    if not can_remove_members(access):
        raise NotAllowed(NOT_ALLOWED_REMOVE)
    if user_id == actor.logto_id:
        raise ApplicationError(gettext_lazy("To remove yourself, use “Leave organization”."))
    user, current = target or _target(organization_id, user_id)
    label = _label(user, user_id)
    with _audited(
        actor, access, "member.removed", user_id, label, before={"roles": role_names(current)}
    ):
        refuse_escalation(
            access,
            current,
            lambda roles: (
                _(
                    "You cannot remove someone with the role %(roles)s: it has permissions you do "
                    "not have."
                )
                % {"roles": roles}
            ),
        )
        client = logto.get_client()
        with member_manager_kept(
            organization_id=organization_id,
            user_id=user_id,
            current_role_ids=current,
            sentence=later(
                lambda: (
                    _(
                        "%(name)s is the last person who can manage members here, so they cannot "
                        "be removed."
                    )
                    % {"name": label}
                )
            ),
            restore=partial(member_readd, organization_id, user_id, current),
        ):
            try:
                applied(
                    lambda: client.remove_organization_user(organization_id, user_id),
                    lambda: _role_ids(organization_id, user_id) is None,
                )
            except NotFound:
                _raise_member_gone(
                    organization_id,
                    later(
                        lambda: _("%(name)s was already removed a moment ago.") % {"name": label}
                    ),
                )
            except LogtoError as error:
                raise refusal_from(error, Doing.REMOVAL) from error
    _forget_member(organization_id, user_id)
    return label


def member_readd(organization_id: str, user_id: str, role_ids: Iterable[str]) -> None:
    """Put a removed member back with their roles (undoing a removal)."""
    client = logto.get_client()
    client.add_organization_users(organization_id, [user_id])
    if role_ids:
        client.replace_organization_user_roles(organization_id, user_id, sorted(role_ids))


# -- bulk -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkOutcome:
    user_id: str
    label: str
    ok: bool
    message: Text  # what happened to them ("removed"), or why not, in the reader's language


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
        raise ApplicationError(gettext_lazy("Select at least one member."))
    if len(user_ids) > BULK_MAX:
        raise ApplicationError(
            later(
                lambda: (
                    ngettext(
                        "Select at most %(count)s member at once.",
                        "Select at most %(count)s members at once.",
                        BULK_MAX,
                    )
                    % {"count": BULK_MAX}
                )
            )
        )
    access = access_for_change(user=actor, organization_id=organization_id)
    if action == "remove" and not can_remove_members(access):
        raise NotAllowed(NOT_ALLOWED_REMOVE)
    if action in ("add_role", "set_role"):
        access.require(Perm.MANAGE_MEMBER, NOT_ALLOWED_ROLES)
    if action == "add_role":
        return _bulk_add_role(actor, access, user_ids, role_id, _labels(user_ids))
    change: Callable[..., object]
    if action == "set_role":
        if not role_id:
            raise ApplicationError(CHOOSE_ROLE)
        change = partial(
            member_roles_set, actor=actor, organization_id=organization_id, role_ids=[role_id]
        )
        done = gettext_lazy("role changed")
    elif action == "remove":
        change = partial(member_remove, actor=actor, organization_id=organization_id)
        done = gettext_lazy("removed")
    else:
        raise ApplicationError(gettext_lazy("Choose what to do with the selected members."))
    users, targets = _read_targets(organization_id, user_ids)
    # Only members are named: an id that is not one stays an id (no names of strangers).
    labels = {
        user_id: _label(users.get(user_id), user_id) if targets[user_id] is not None else user_id
        for user_id in user_ids
    }

    def outcome_of(user_id: str) -> BulkOutcome:
        try:
            change(user_id=user_id, target=_target_from(organization_id, users, targets, user_id))
        except ApplicationError as error:
            return BulkOutcome(user_id, labels[user_id], False, error._message)
        except LogtoError:
            return BulkOutcome(user_id, labels[user_id], False, UNREACHABLE)
        return BulkOutcome(user_id, labels[user_id], True, done)

    return each(outcome_of, user_ids, at_once=_bulk_lanes())


def _bulk_lanes() -> int:
    """How many members' changes go at a time. Each writes its audit event on a connection
    of its own, which cannot see what an open transaction on this one wrote: inside one,
    one at a time. (Changes that may take member management away from someone still run
    one at a time, under the organization's lock.)"""
    return 1 if transaction.get_connection().in_atomic_block else BULK_AT_ONCE


def _labels(user_ids: list[str]) -> dict[str, str]:
    """Emails (or names) to report outcomes with (one call); ids stay ids when Logto cannot
    say."""
    try:
        users = {user.id: user for user in logto.get_client().list_users_by_ids(user_ids)}
    except LogtoError:
        users = {}
    return {user_id: _label(users.get(user_id), user_id) for user_id in user_ids}


def _read_targets(
    organization_id: str, user_ids: list[str]
) -> tuple[dict[str, LogtoUser], dict[str, set[str] | LogtoError | None]]:
    """Everyone's account (one call) and role ids (one call each), all read at the same time,
    once for the whole bulk action."""

    def role_ids_of(user_id: str) -> set[str] | LogtoError | None:
        try:
            return _role_ids(organization_id, user_id)
        except LogtoError as error:
            return error  # this member's own outcome

    client = logto.get_client()
    users, roles = together(
        lambda: {user.id: user for user in client.list_users_by_ids(user_ids)},
        lambda: each(role_ids_of, user_ids),
    )
    return users, dict(zip(user_ids, roles, strict=True))


def _target_from(
    organization_id: str,
    users: dict[str, LogtoUser],
    targets: dict[str, set[str] | LogtoError | None],
    user_id: str,
) -> Target:
    """What `_target` would have read for this member, from the bulk read."""
    user, roles = users.get(user_id), targets[user_id]
    if isinstance(roles, LogtoError):
        raise roles
    if roles is None:
        _raise_member_gone(organization_id, NOT_A_MEMBER)
    if user is None:
        raise MemberGone(NO_SUCH_PERSON)
    return user, roles


def _bulk_add_role(
    actor: User,
    access: OrganizationAccess,
    user_ids: list[str],
    role_id: str | None,
    labels: dict[str, str],
) -> list[BulkOutcome]:
    """Logto's bulk endpoint: one call adds the role to everyone (additive)."""
    if not role_id:
        raise ApplicationError(CHOOSE_ROLE)
    roles = require_known_roles([role_id])
    refuse_escalation(access, [role_id], _cannot_grant)
    role_name = roles[role_id].name
    organization_id = access.organization.id
    client = logto.get_client()

    def everyone_has_it() -> bool:
        return all(role_id in (_role_ids(organization_id, uid) or ()) for uid in user_ids)

    try:
        applied(
            lambda: client.add_organization_users_roles(organization_id, user_ids, [role_id]),
            everyone_has_it,
        )
    except LogtoError as error:
        failure: LogtoError | None = error
    else:
        failure = None
    for user_id in user_ids:
        audit_in_organization(
            actor=actor,
            organization=access.organization,
            action="member.roles_changed",
            target_type="user",
            target_id=user_id,
            target_label=labels[user_id],
            error=failure,
            after={"added": [role_name]},
        )
    if is_foreign_key_missing(failure):
        require_organization_exists(organization_id)  # else a member left meanwhile
    if failure is not None:
        reason = (
            gettext_lazy("Nothing was changed: one of them is no longer a member.")
            if isinstance(failure, InvalidInput)
            else gettext_lazy(
                "Nothing was changed: We could not reach our sign-in service, so nothing was "
                "changed. Try again in a moment."
            )
        )
        return [BulkOutcome(user_id, labels[user_id], False, reason) for user_id in user_ids]
    for user_id in user_ids:
        _forget_member(organization_id, user_id)
    return [
        BulkOutcome(
            user_id,
            labels[user_id],
            True,
            later(lambda: _("got the role %(role)s") % {"role": role_name}),
        )
        for user_id in user_ids
    ]


def _cannot_grant(roles: str) -> str:
    return _("You cannot grant the role %(roles)s: it has permissions you do not have.") % {
        "roles": roles
    }


# -- add (staff, from the admin) ------------------------------------------------------------
def member_add_by_email(
    *, actor: User, organization_id: str, email: str, role_ids: list[str]
) -> Member:
    """Add an existing Logto user as a member with roles; people without an account are
    invited instead. If the role assignment fails, the membership is undone; if the undo
    fails too, the refusal and the audit trail say which roles the member now holds."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_MEMBER, gettext_lazy("You are not allowed to add members here."))
    roles = require_known_roles(role_ids)
    refuse_escalation(access, role_ids, _cannot_grant)
    client = logto.get_client()
    user = client.find_user_by_email(email.strip())
    if user is None:
        address = email.strip()
        raise ApplicationError(
            later(
                lambda: (
                    _("Nobody has an account with the email %(email)s; invite them instead.")
                    % {"email": address}
                )
            )
        )
    label = _label(user, user.id)
    try:
        client.list_organization_user_roles(organization_id, user.id)
    except InvalidInput:
        pass  # not a member yet: good
    else:
        raise ApplicationError(later(lambda: _("%(name)s is already a member.") % {"name": label}))
    with _audited(
        actor, access, "member.added", user.id, label, after={"roles": role_names(role_ids)}
    ) as entry:
        try:
            client.add_organization_users(organization_id, [user.id])
        except LogtoError as error:
            if is_foreign_key_missing(error):
                require_organization_exists(organization_id)
                raise Gone(
                    later(lambda: _("The account of %(name)s no longer exists.") % {"name": label})
                ) from error
            raise refusal_from(error, Doing.NEW_MEMBER) from error
        try:
            if role_ids:
                client.add_organization_user_roles(organization_id, user.id, role_ids)
        except LogtoError as error:
            _undo_member_add(organization_id, user.id, label, role_ids, error, entry)
    _forget_member(organization_id, user.id)
    return Member(user=user, roles=tuple(RoleRef(rid, roles[rid].name) for rid in role_ids))


def _undo_member_add(
    organization_id: str,
    user_id: str,
    label: str,
    role_ids: list[str],
    grant_error: LogtoError,
    entry: AuditEntry,
) -> None:
    """The roles were not given: take the membership back. When that fails too, say (and
    audit) what the organization now holds, read back rather than assumed. Returns only when
    the grant went through after all (its answer was lost), so the add succeeded."""
    not_added = ServiceUnavailable(
        later(
            lambda: (
                _("The roles could not be given, so %(name)s was not added. Try again in a moment.")
                % {"name": label}
            )
        )
    )
    try:
        logto.get_client().remove_organization_user(organization_id, user_id)
    except LogtoError as undo_error:
        logger.error(
            "Member %s added to %s but the roles failed (%s) and the removal too (%s)",
            user_id,
            organization_id,
            grant_error,
            undo_error,
        )
        now = _membership_now(organization_id, user_id)
        if now is not None and not now.member:
            raise not_added from grant_error  # the removal went through after all
        held = None if now is None else now.roles
        if held is not None and set(role_ids) <= {role.id for role in held}:
            return
        _forget_member(organization_id, user_id)  # they may see the organization now
        entry.error = f"{grant_error}; the removal failed too: {undo_error}"
        entry.after = {
            **(entry.after or {}),
            "held_roles": "unknown" if held is None else [role.name for role in held],
        }
        raise ServiceUnavailable(_held_sentence(label, held)) from grant_error
    raise not_added from grant_error


def _held_sentence(label: str, held: list[RoleRef] | None) -> Text:
    """What a member left behind by a failed add and a failed undo now holds."""
    if held is None:
        return later(
            lambda: (
                _(
                    "The roles could not be given and %(name)s could not be removed again, so they "
                    "may now be a member without a role. Check the member list in a moment."
                )
                % {"name": label}
            )
        )
    if not held:
        return later(
            lambda: (
                _(
                    "The roles could not be given and %(name)s could not be removed again: they "
                    "are now a member without any role. Give them a role or remove them."
                )
                % {"name": label}
            )
        )
    names = ", ".join(role.name for role in held)
    return later(
        lambda: (
            ngettext(
                "Not all the roles could be given and %(name)s could not be removed again: they "
                "are now a member with only the role %(roles)s.",
                "Not all the roles could be given and %(name)s could not be removed again: they "
                "are now a member with only the roles %(roles)s.",
                len(held),
            )
            % {"name": label, "roles": names}
        )
    )


@dataclass(frozen=True)
class _Membership:
    member: bool
    roles: list[RoleRef]


def _membership_now(organization_id: str, user_id: str) -> _Membership | None:
    """Whether the person is a member now and with which roles; None when that cannot be
    read."""
    try:
        roles = logto.get_client().list_organization_user_roles(organization_id, user_id)
    except LogtoError as error:
        return _Membership(False, []) if _not_a_member(error) else None
    return _Membership(True, [RoleRef(role.id, role.name) for role in roles])
