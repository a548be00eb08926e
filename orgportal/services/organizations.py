"""Organization use cases: create, overview, update, delete, leave, hand over and leave.
Authorization and audit included."""

from __future__ import annotations

import logging
import secrets
from contextlib import suppress
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orgportal import logto
from orgportal.concurrency import together
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound, Unavailable
from orgportal.logto.models import Invitation, Member, Organization, OrganizationRole, Page
from orgportal.logto.models import User as LogtoUser
from orgportal.models import AuditEvent, User
from orgportal.services.access import (
    ORGANIZATION_GONE,
    OrganizationAccess,
    Perm,
    access_for_change,
    member_manager_kept,
    member_managers_serialised,
    organization_access,
    other_member_managers_exist,
    permission_name,
    permissions_forget,
    refuse_escalation,
    require_organization_exists,
    role_names,
)
from orgportal.services.audit import audit_record, audited
from orgportal.services.errors import (
    ApplicationError,
    Doing,
    Gone,
    LimitReached,
    NotAllowed,
    OrganizationNotFound,
    ServiceUnavailable,
    Text,
    later,
    refusal_from,
)
from orgportal.services.invitations import invitation_list_read
from orgportal.services.members import MemberGone, member_readd
from orgportal.services.memberships import (
    organization_list_for_user,
    organization_list_for_user_forget,
    organization_remember,
)
from orgportal.services.organization_names import (
    organization_name_forget,
    organization_name_remember,
)
from orgportal.services.outcomes import applied, confirmed
from orgportal.services.template import template_role, template_roles
from orgportal.services.text import has_unsafe_characters
from orgportal.shared_locks import shared_lock

logger = logging.getLogger(__name__)

NAME_MAX = 128
DESCRIPTION_MAX = 256
NAME_REQUIRED = gettext_lazy("Give the organization a name.")
NAME_TOO_LONG = later(
    lambda: (
        ngettext(
            "Keep the name to %(count)s character or fewer.",
            "Keep the name to %(count)s characters or fewer.",
            NAME_MAX,
        )
        % {"count": NAME_MAX}
    )
)
DESCRIPTION_TOO_LONG = later(
    lambda: (
        ngettext(
            "Keep the description to %(count)s character or fewer.",
            "Keep the description to %(count)s characters or fewer.",
            DESCRIPTION_MAX,
        )
        % {"count": DESCRIPTION_MAX}
    )
)
NAME_UNSAFE = gettext_lazy(
    "The name cannot contain line breaks, tabs or invisible control characters."
)
DESCRIPTION_UNSAFE = gettext_lazy(
    "The description cannot contain line breaks, tabs or invisible control characters."
)


# -- the fields' rules: the forms, the JSON API and the admin all end up here ---------------
def organization_name_clean(name: str) -> str:
    """The name as it is stored (trimmed), or ApplicationError with the sentence to show."""
    name = name.strip()
    if not name:
        raise ApplicationError(NAME_REQUIRED)
    if len(name) > NAME_MAX:
        raise ApplicationError(NAME_TOO_LONG)
    if has_unsafe_characters(name):
        # The name goes into email subjects and on other members' screens.
        raise ApplicationError(NAME_UNSAFE)
    return name


def organization_description_clean(description: str) -> str:
    """The description as it is stored (trimmed; may be empty), or ApplicationError.

    Its box is a textarea, so Enter is natural there: line breaks become spaces (the pages show
    it as one paragraph), while other control and direction characters are refused."""
    description = " ".join(description.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise ApplicationError(DESCRIPTION_TOO_LONG)
    if has_unsafe_characters(description):
        raise ApplicationError(DESCRIPTION_UNSAFE)
    return description


def _forget(user: User, organization_id: str) -> None:
    organization_list_for_user_forget(user_id=user.subject)
    permissions_forget(organization_id=organization_id, user_id=user.subject)


# -- create ---------------------------------------------------------------------------------
def organization_can_create(*, actor: User) -> bool:
    """Whether the creation policy (setting ORGPORTAL_ORGANIZATION_CREATORS) lets `actor` in."""
    policy = settings.ORGPORTAL_ORGANIZATION_CREATORS
    if policy == "anyone":
        return True
    if policy == "staff":
        return actor.is_staff
    if policy.startswith("role:") and actor.logto_id:
        return policy.removeprefix("role:") in logto.get_client().list_user_role_names(
            actor.logto_id
        )
    return False


def _created_count(actor: User) -> int:
    """Organizations the actor created (per the audit trail) that they still belong to."""
    created = set(
        AuditEvent.objects.filter(
            actor=actor, action="organization.created", outcome=AuditEvent.Outcome.SUCCESS
        ).values_list("organization_id", flat=True)
    )
    mine = {item.organization.id for item in organization_list_for_user(user_id=actor.subject)}
    return len(created & mine)


def organization_create(*, actor: User, name: str, description: str = "") -> Organization:
    """Create an organization with `actor` as its first member, holding the creator role.

    Three Logto calls; if a later one fails the organization is deleted again, so there is
    never an organization without its creator or a creator without their role. A create that
    timed out is read back (by the marker it carries) before anything is reported.
    """
    name, description = organization_name_clean(name), organization_description_clean(description)
    if not actor.logto_id:
        raise NotAllowed(gettext_lazy("Only people with an account here can create organizations."))
    if not organization_can_create(actor=actor):
        raise NotAllowed(
            gettext_lazy("You are not allowed to create organizations. Ask an administrator.")
        )
    creator_role = template_role(settings.ORGPORTAL_CREATOR_ROLE)
    if creator_role is None:
        missing = repr(settings.ORGPORTAL_CREATOR_ROLE)
        raise ServiceUnavailable(
            later(
                lambda: (
                    _(
                        "Organizations cannot be created yet: this portal is not fully set up (its "
                        "%(role)s role is missing). Tell the people who run it."
                    )
                    % {"role": missing}
                )
            )
        )
    limit = settings.ORGPORTAL_MAX_ORGANIZATIONS_PER_USER
    # The count and the create happen under one lock per person, on every instance: parallel
    # requests cannot all pass a limit of one.
    with shared_lock(f"organization-create:{actor.logto_id}", hold=60, wait=30):
        if limit and _created_count(actor) >= limit:
            raise LimitReached(
                later(
                    lambda: (
                        ngettext(
                            "You have reached the limit of %(count)s organization you can create.",
                            "You have reached the limit of %(count)s organizations you can create.",
                            limit,
                        )
                        % {"count": limit}
                    )
                )
            )
        organization = _create_marked(actor, name, description)
        _set_up_creator(actor, organization, creator_role.id)
        audit_record(
            actor=actor,
            action="organization.created",
            organization_id=organization.id,
            organization_name=organization.name,
            target_type="organization",
            target_id=organization.id,
            target_label=organization.name,
            after={"name": organization.name, "description": organization.description or ""},
        )
    _forget(actor, organization.id)
    organization_remember(actor=actor, organization_id=organization.id)
    return organization


def _create_marked(actor: User, name: str, description: str) -> Organization:
    """Create the organization with a marker in its custom data, so that a create whose
    answer never came can be found again (Logto has no idempotency keys)."""
    client = logto.get_client()
    marker = {"orgportal": {"createdBy": actor.logto_id, "creationId": secrets.token_hex(8)}}
    try:
        return confirmed(
            lambda: client.create_organization(
                name=name, description=description or None, custom_data=marker
            ),
            lambda: _find_marked(name, marker),  # Logto did create it: carry on with the setup
        )
    except LogtoError as error:
        _audit_create_failure(actor, name, error)
        raise refusal_from(error, Doing.ORGANIZATION) from error


def _find_marked(name: str, marker: dict) -> Organization | None:
    candidates = logto.get_client().list_organizations(q=name, page_size=100).items
    return next(
        (o for o in candidates if o.custom_data.get("orgportal") == marker["orgportal"]), None
    )


def _set_up_creator(actor: User, organization: Organization, role_id: str) -> None:
    """Make the creator a member with the creator role; undo the organization otherwise.
    Both calls are idempotent, so one whose answer was lost is simply made again."""
    client = logto.get_client()
    try:
        for attempt in range(2):
            try:
                client.add_organization_users(organization.id, [actor.logto_id or ""])
                client.add_organization_user_roles(organization.id, actor.logto_id or "", [role_id])
                return
            except Unavailable as error:
                if attempt or not error.outcome_unknown:
                    raise
    except LogtoError as error:
        removed = _compensate_create(actor, organization, error)
        raise ServiceUnavailable(
            gettext_lazy(
                "The organization could not be set up, so it was removed again and nothing was "
                "created. Try again in a moment."
            )
            if removed
            else gettext_lazy(
                "The organization could not be set up and could not be removed either. "
                "Please tell the people who run this portal."
            )
        ) from error


def _audit_create_failure(actor: User, name: str, error: LogtoError) -> None:
    audit_record(
        actor=actor,
        action="organization.created",
        outcome=AuditEvent.Outcome.FAILURE,
        target_type="organization",
        target_label=name,
        after={"name": name},
        error=str(error),
    )


def _compensate_create(actor: User, organization: Organization, error: LogtoError) -> bool:
    """Delete the half-made organization; whether that worked (audited either way)."""
    try:
        logto.get_client().delete_organization(organization.id)
        cleanup = "removed again"
    except LogtoError as cleanup_error:
        cleanup = f"could NOT be removed: {cleanup_error}"
        logger.error(
            "Organization %s was created but could not be set up or removed: %s / %s",
            organization.id,
            error,
            cleanup_error,
        )
    audit_record(
        actor=actor,
        action="organization.created",
        outcome=AuditEvent.Outcome.FAILURE,
        organization_id=organization.id,
        organization_name=organization.name,
        target_type="organization",
        target_id=organization.id,
        target_label=organization.name,
        error=f"{error}; the organization was {cleanup}",
    )
    return cleanup == "removed again"


# -- update and delete ------------------------------------------------------------------------
def organization_update(
    *,
    actor: User,
    organization_id: str,
    name: str,
    description: str = "",
    is_mfa_required: bool = False,
) -> Organization:
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(
        Perm.MANAGE_ORGANIZATION, gettext_lazy("You are not allowed to change this organization.")
    )
    before = access.organization
    name, description = organization_name_clean(name), organization_description_clean(description)
    changes: dict[str, object] = {
        "name": name,
        "description": description or None,
        "is_mfa_required": is_mfa_required,
    }
    wanted = {"name": name, "description": description, "is_mfa_required": is_mfa_required}
    with _audited(actor, "organization.updated", before, after=changes) as entry:
        client = logto.get_client()

        def held() -> Organization | None:
            now = client.get_organization(organization_id)
            return now if _settings_of(now) == wanted else None

        try:
            updated = confirmed(
                lambda: client.update_organization(organization_id, **changes), held
            )
        except NotFound as error:
            raise OrganizationNotFound(ORGANIZATION_GONE) from error
        except LogtoError as error:
            raise refusal_from(error, Doing.CHANGE) from error
        entry.before = _settings_of(before)
        entry.after = _settings_of(updated)
    organization_list_for_user_forget(user_id=actor.subject)
    organization_name_remember(updated)
    return updated


def organization_delete(*, actor: User, organization_id: str, confirm_name: str) -> None:
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(
        Perm.DELETE_ORGANIZATION, gettext_lazy("You are not allowed to delete this organization.")
    )
    organization = access.organization
    if confirm_name.strip() != organization.name:
        name = organization.name
        raise ApplicationError(
            later(
                lambda: (
                    _("To delete it, type the organization's name exactly: %(name)s")
                    % {"name": name}
                )
            )
        )
    with _audited(actor, "organization.deleted", organization, before={"name": organization.name}):
        try:
            applied(
                lambda: logto.get_client().delete_organization(organization_id),
                partial(_organization_gone, organization_id),
            )
        except NotFound:
            pass  # already gone: the outcome the user asked for
        except LogtoError as error:
            raise refusal_from(error, Doing.DELETION) from error
    _forget(actor, organization_id)
    organization_name_forget(organization_id)
    if actor.last_organization_id == organization_id:
        organization_remember(actor=actor, organization_id="")


# -- overview -------------------------------------------------------------------------------
SUCCESSORS_SHOWN = 100  # Logto's largest page: one call lists the people to hand over to


@dataclass(frozen=True)
class SetupStep:
    """One item of the overview's setup checklist; `key` names it for the page
    ("invite", "describe", "require_mfa")."""

    key: str
    done: bool
    optional: bool = False


@dataclass(frozen=True)
class LeaveSituation:
    """What leaving takes for the acting member, known before they click anything."""

    member_count: int
    # They are the last person who can manage members: someone must take that over first.
    must_hand_over: bool
    # Other members, by name, who could take over (the first SUCCESSORS_SHOWN, or those
    # matching the search); `successors_complete` when that is everyone.
    successors: tuple[Member, ...] = ()
    successors_complete: bool = True
    handed_over_roles: tuple[str, ...] = ()  # names of the roles the successor gets

    @property
    def alone(self) -> bool:
        return self.member_count <= 1


@dataclass(frozen=True)
class OrganizationOverview:
    member_count: int
    pending_invitations: int | None  # None for people who may not see invitations
    setup: tuple[SetupStep, ...]
    leave: LeaveSituation

    @property
    def setup_unfinished(self) -> bool:
        """Whether a step that is not optional is still open (the checklist shows then)."""
        return any(not step.done and not step.optional for step in self.setup)

    @property
    def setup_done(self) -> int:
        return sum(step.done for step in self.setup)


def organization_overview(*, actor: User, organization_id: str) -> OrganizationOverview:
    """Counts, the setup checklist and what leaving takes: the reads run at the same time,
    one call each (a member count is one row with Logto's total)."""
    access = organization_access(user=actor, organization_id=organization_id)
    can_invite = access.can(Perm.INVITE_MEMBER)

    def invitations() -> list[Invitation] | None:
        return invitation_list_read(organization_id=organization_id) if can_invite else None

    (members, roles), invited = together(lambda: _leave_reads(access, ""), invitations)
    leave = _leave_situation(actor, access, members, roles)
    pending = None if invited is None else sum(i.is_pending for i in invited)
    organization = access.organization
    setup: list[SetupStep] = []
    if can_invite:
        setup.append(SetupStep("invite", done=leave.member_count > 1 or bool(pending)))
    if access.can(Perm.MANAGE_ORGANIZATION):
        setup.append(SetupStep("describe", done=bool(organization.description)))
        setup.append(SetupStep("require_mfa", done=organization.is_mfa_required, optional=True))
    return OrganizationOverview(
        member_count=leave.member_count,
        pending_invitations=pending,
        setup=tuple(setup),
        leave=leave,
    )


# -- leave ----------------------------------------------------------------------------------
def organization_leave_situation(
    *, actor: User, organization_id: str, q: str = ""
) -> LeaveSituation:
    """Whether the actor may simply leave, must hand over first (and to whom: everyone, or
    those matching `q` in a large organization), or is its only member."""
    access = organization_access(user=actor, organization_id=organization_id)
    (members, roles), found = together(
        lambda: _leave_reads(access, ""),
        lambda: _leave_reads(access, q.strip())[0] if q.strip() else None,
    )
    return _leave_situation(actor, access, members, roles, found)


def _leave_reads(access: OrganizationAccess, q: str) -> tuple[Page[Member], list[OrganizationRole]]:
    """The members (one row for the count, or the people to hand over to when the actor
    manages members) and the organization template's roles, read at the same time."""
    organization_id = access.organization.id
    manages = access.can(Perm.MANAGE_MEMBER)
    page_size = SUCCESSORS_SHOWN if manages else 1

    def members() -> Page[Member]:
        page = logto.get_client().list_organization_users(
            organization_id, q=q or None, page_size=page_size
        )
        if page.total == 0 and not q:
            require_organization_exists(organization_id)  # deleted: Logto lists nobody
        return page

    def roles() -> list[OrganizationRole]:
        return template_roles() if manages else []

    return together(members, roles)


def _leave_situation(
    actor: User,
    access: OrganizationAccess,
    members: Page[Member],
    roles: list[OrganizationRole],
    found: Page[Member] | None = None,
) -> LeaveSituation:
    managing = _managing_role_ids(roles)
    own = tuple(sorted(role.name for role in access.roles if role.id in managing))
    if not own:
        return LeaveSituation(member_count=members.total, must_hand_over=False)
    others = [m for m in members.items if m.user.id != actor.subject]
    complete = members.total <= len(members.items)
    if any(m.role_ids & managing for m in others):
        return LeaveSituation(member_count=members.total, must_hand_over=False)
    if not complete and other_member_managers_exist(
        organization_id=access.organization.id, user_id=actor.subject
    ):
        return LeaveSituation(member_count=members.total, must_hand_over=False)  # beyond page 1
    if found is not None:
        others = [m for m in found.items if m.user.id != actor.subject]
        complete = found.total <= len(found.items)
    return LeaveSituation(
        member_count=members.total,
        must_hand_over=True,
        successors=tuple(sorted(others, key=lambda m: m.user.display_name.casefold())),
        successors_complete=complete,
        handed_over_roles=own,
    )


def _managing_role_ids(roles: list[OrganizationRole]) -> frozenset[str]:
    manage = permission_name(Perm.MANAGE_MEMBER)
    return frozenset(role.id for role in roles if manage in (role.scope_names or ()))


def organization_leave(*, actor: User, organization_id: str) -> None:
    access = access_for_change(user=actor, organization_id=organization_id)
    organization = access.organization
    role_ids = [role.id for role in access.roles]
    with (
        _audited(
            actor,
            "member.left",
            organization,
            target=actor,
            before={"roles": [role.name for role in access.roles]},
        ),
        member_manager_kept(
            organization_id=organization_id,
            user_id=actor.subject,
            current_role_ids=role_ids,
            sentence=later(
                lambda: (
                    _(
                        "You are the last person who can manage the members of %(name)s. Give that "
                        "role to someone else first, or delete the organization."
                    )
                    % {"name": organization.name}
                )
            ),
            restore=partial(member_readd, organization_id, actor.subject, role_ids),
        ),
    ):
        try:
            _remove_self(actor, organization_id)
        except LogtoError as error:
            raise refusal_from(error, Doing.LEAVING) from error
    _forget_left(actor, organization_id)


def _remove_self(actor: User, organization_id: str) -> None:
    """Take the actor out of the organization; a removal whose answer was lost is read back."""
    with suppress(NotFound):  # no longer a member: done
        applied(
            lambda: logto.get_client().remove_organization_user(organization_id, actor.subject),
            partial(_not_a_member, organization_id, actor.subject),
        )


def _forget_left(actor: User, organization_id: str) -> None:
    _forget(actor, organization_id)
    organization_name_forget(organization_id)
    if actor.last_organization_id == organization_id:
        organization_remember(actor=actor, organization_id="")


# -- hand over and leave ----------------------------------------------------------------------
HAND_OVER_CHOOSE = gettext_lazy("Choose who takes over before you leave.")
HAND_OVER_NOT_YOURSELF = gettext_lazy("Choose someone other than yourself to take over.")


def organization_hand_over_and_leave(
    *, actor: User, organization_id: str, successor_id: str
) -> str:
    """Give the chosen member the roles with which the actor manages members, then take the
    actor out: both happen, or nothing changes (a failed leave takes the roles back).

    Under the organization's member-managers lock, so that two people handing over to each
    other at the same moment cannot both leave. Returns the successor's name.
    """
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(
        Perm.MANAGE_MEMBER, gettext_lazy("Only people who manage members can hand that over.")
    )
    successor_id = successor_id.strip()
    if not successor_id:
        raise ApplicationError(HAND_OVER_CHOOSE)
    if successor_id == actor.subject:
        raise ApplicationError(HAND_OVER_NOT_YOURSELF)
    organization = access.organization
    with member_managers_serialised(organization_id):
        # Read now, under the lock: roles may have changed since the page was shown.
        own_roles, (successor, before), roles = together(
            lambda: _own_role_ids(organization, actor),
            lambda: _successor_read(organization_id, successor_id),
            template_roles,
        )
        handed = sorted(own_roles & _managing_role_ids(roles))
        if not handed:
            raise NotAllowed(
                gettext_lazy(
                    "You no longer manage the members of this organization, so there is "
                    "nothing to hand over."
                )
            )
        refuse_escalation(
            access,
            handed,
            lambda roles: (
                _("You cannot hand over the role %(roles)s: it has permissions you do not have.")
                % {"roles": roles}
            ),
        )
        handover = _HandOver(actor, organization, successor, before, handed)
        handover.promote()
        handover.leave(own_roles)
    _forget_left(actor, organization_id)
    permissions_forget(organization_id=organization_id, user_id=successor_id)
    organization_list_for_user_forget(user_id=successor_id)
    return successor.display_name


def _own_role_ids(organization: Organization, actor: User) -> set[str]:
    try:
        found = logto.get_client().list_organization_user_roles(organization.id, actor.subject)
    except InvalidInput as error:
        if error.code == "organization.require_membership":
            raise Gone(
                later(
                    lambda: (
                        _("You are no longer a member of %(name)s.") % {"name": organization.name}
                    )
                )
            ) from error
        raise
    return {role.id for role in found}


def _successor_read(organization_id: str, user_id: str) -> tuple[LogtoUser, set[str]]:
    """The chosen member and their role ids; MemberGone when they are not a member (any
    more)."""
    client = logto.get_client()
    try:
        user, found = together(
            lambda: client.get_user(user_id),
            lambda: client.list_organization_user_roles(organization_id, user_id),
        )
    except (NotFound, InvalidInput) as error:
        if isinstance(error, InvalidInput) and error.code != "organization.require_membership":
            raise
        raise MemberGone(
            gettext_lazy(
                "The person you chose is no longer a member of this organization. Choose "
                "someone else."
            )
        ) from error
    return user, {role.id for role in found}


class _HandOver:
    """The two steps of a hand-over and the undo of the first, each audited."""

    def __init__(
        self,
        actor: User,
        organization: Organization,
        successor: LogtoUser,
        before: set[str],
        handed: list[str],
    ) -> None:
        self.actor, self.organization, self.successor = actor, organization, successor
        self.before = before
        self.after = before | set(handed)
        self.name = successor.display_name
        self.handed_names = role_names(handed)

    def _values(self) -> dict[str, str]:
        """The successor's name and the roles handed over, for the sentences."""
        names = self.handed_names
        roles = (
            names[0]
            if len(names) == 1
            else _("%(first)s and %(last)s")
            % {
                "first": ", ".join(names[:-1]),
                "last": names[-1],
            }
        )
        return {"name": self.name, "roles": roles}

    def _roles_now(self) -> set[str] | None:
        """The successor's role ids as Logto holds them now; None once they are no member."""
        try:
            found = logto.get_client().list_organization_user_roles(
                self.organization.id, self.successor.id
            )
        except InvalidInput as error:
            if error.code == "organization.require_membership":
                return None
            raise
        return {role.id for role in found}

    def _audited_roles(self, old: set[str], new: set[str]):
        return _audited(
            self.actor,
            "member.roles_changed",
            self.organization,
            target_user=self.successor,
            before={"roles": role_names(old)},
            after={"roles": role_names(new)},
        )

    def promote(self) -> None:
        """Add the handed-over roles (additive: a role given meanwhile by someone else stays)."""
        added = sorted(self.after - self.before)
        if not added:
            return  # they manage members already
        client = logto.get_client()
        try:
            with self._audited_roles(self.before, self.after):
                applied(
                    lambda: client.add_organization_user_roles(
                        self.organization.id, self.successor.id, added
                    ),
                    lambda: self.after <= (self._roles_now() or set()),
                )
        except LogtoError as error:
            if isinstance(error, Unavailable) and error.outcome_unknown:
                raise ServiceUnavailable(
                    later(
                        lambda: (
                            _(
                                "Our sign-in service did not answer in time, so we cannot tell "
                                "whether %(name)s got the %(roles)s role (you have not left). "
                                "Reload the page to see, then try again if needed."
                            )
                            % self._values()
                        )
                    )
                ) from error
            raise _nothing_changed(
                error,
                later(
                    lambda: (
                        _(
                            "%(name)s could not be given the %(roles)s role, so nothing was "
                            "changed: you are still a member. Try again in a moment."
                        )
                        % self._values()
                    )
                ),
            ) from error

    def leave(self, own_roles: set[str]) -> None:
        try:
            with _audited(
                self.actor,
                "member.left",
                self.organization,
                target=self.actor,
                before={"roles": role_names(own_roles)},
                after={"handed_over_to": self.successor.primary_email or self.name},
            ):
                _remove_self(self.actor, self.organization.id)
        except LogtoError as error:
            if isinstance(error, Unavailable) and error.outcome_unknown:
                # The leave may have happened: taking the roles back could leave nobody to
                # manage members, so the successor keeps them.
                raise ServiceUnavailable(
                    later(
                        lambda: (
                            _(
                                "Our sign-in service did not answer in time, so we cannot tell "
                                "whether you left (%(name)s has the %(roles)s role either way). "
                                "Reload the page to see, then try again if needed."
                            )
                            % self._values()
                        )
                    )
                ) from error
            self._undo(error)

    def _undo(self, error: LogtoError) -> None:
        """The leave failed for sure: give the successor back exactly their earlier roles."""
        if self.after == self.before:
            raise _nothing_changed(error, LEAVING_FAILED) from error
        client = logto.get_client()
        try:
            with self._audited_roles(self.after, self.before):
                applied(
                    lambda: client.replace_organization_user_roles(
                        self.organization.id, self.successor.id, sorted(self.before)
                    ),
                    lambda: self._roles_now() == self.before,
                )
        except LogtoError as undo_error:
            logger.error(
                "Hand-over in %s: leaving failed (%s) and %s keeps the roles given (%s)",
                self.organization.id,
                error,
                self.successor.id,
                undo_error,
            )
            raise ServiceUnavailable(
                later(
                    lambda: (
                        _(
                            "Leaving did not work, and %(name)s keeps the %(roles)s role given to "
                            "them a moment ago. You are still a member: change their role on the "
                            "members page if that is not what you want."
                        )
                        % self._values()
                    )
                )
            ) from error
        raise _nothing_changed(error, LEAVING_FAILED) from error


LEAVING_FAILED = gettext_lazy(
    "Leaving did not work, so nothing was changed: you are still a member. Try again in a moment."
)


def _nothing_changed(error: LogtoError, sentence: Text) -> ApplicationError:
    """A definite failure of a hand-over step, everything as before: the same kind of error
    as `refusal_from` gives (unavailable or refused), with the sentence that says so."""
    kind = type(refusal_from(error, Doing.HAND_OVER))
    return kind(sentence)


def _organization_gone(organization_id: str) -> bool:
    try:
        logto.get_client().get_organization(organization_id)
    except NotFound:
        return True
    return False


def _not_a_member(organization_id: str, user_id: str) -> bool:
    organizations = logto.get_client().list_user_organizations(user_id)
    return all(item.organization.id != organization_id for item in organizations)


def _settings_of(organization: Organization) -> dict[str, object]:
    return {
        "name": organization.name,
        "description": organization.description or "",
        "is_mfa_required": organization.is_mfa_required,
    }


def _audited(
    actor: User,
    action: str,
    organization: Organization,
    *,
    target: User | None = None,
    target_user: LogtoUser | None = None,
    before: dict | None = None,
    after: dict | None = None,
):
    """An audited block about `organization`, or about a member: the actor's own account
    (`target`) or another person as Logto knows them (`target_user`)."""
    if target_user is not None:
        kind, target_id = "user", target_user.id
        label = target_user.primary_email or target_user.display_name
    elif target is not None:
        kind, target_id, label = "user", target.logto_id or "", target.email or target.display_name
    else:
        kind, target_id, label = "organization", organization.id, organization.name
    return audited(
        actor=actor,
        organization=organization,
        action=action,
        target_type=kind,
        target_id=target_id,
        target_label=label,
        before=before,
        after=after,
    )
