"""Organization use cases: create, update, delete, leave. Authorization and audit included."""

from __future__ import annotations

import logging
import secrets
from functools import partial

from django.conf import settings

from orgportal import logto
from orgportal.logto.errors import LogtoError, NotFound, Unavailable
from orgportal.logto.models import Organization
from orgportal.models import AuditEvent, User
from orgportal.services.access import (
    ORGANIZATION_GONE,
    Perm,
    member_manager_kept,
    organization_access,
    permissions_forget,
)
from orgportal.services.audit import audit_record, audited
from orgportal.services.errors import (
    ApplicationError,
    LimitReached,
    NotAllowed,
    OrganizationNotFound,
    ServiceUnavailable,
    refusal_from,
)
from orgportal.services.members import member_readd
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
from orgportal.services.template import template_role
from orgportal.services.text import has_unsafe_characters
from orgportal.shared_locks import shared_lock

logger = logging.getLogger(__name__)

NAME_MAX = 128
DESCRIPTION_MAX = 256
NAME_REQUIRED = "Give the organization a name."
NAME_TOO_LONG = f"Keep the name to {NAME_MAX} characters or fewer."
DESCRIPTION_TOO_LONG = f"Keep the description to {DESCRIPTION_MAX} characters or fewer."
_UNSAFE = "{} cannot contain line breaks, tabs or invisible control characters."


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
        raise ApplicationError(_UNSAFE.format("The name"))
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
        raise ApplicationError(_UNSAFE.format("The description"))
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
        raise NotAllowed("Only people with an account here can create organizations.")
    if not organization_can_create(actor=actor):
        raise NotAllowed("You are not allowed to create organizations. Ask an administrator.")
    creator_role = template_role(settings.ORGPORTAL_CREATOR_ROLE)
    if creator_role is None:
        raise ServiceUnavailable(
            "Organizations cannot be created yet: this portal is not fully set up (its "
            f"{settings.ORGPORTAL_CREATOR_ROLE!r} role is missing). Tell the people who run it."
        )
    limit = settings.ORGPORTAL_MAX_ORGANIZATIONS_PER_USER
    # The count and the create happen under one lock per person, on every instance: parallel
    # requests cannot all pass a limit of one.
    with shared_lock(f"organization-create:{actor.logto_id}", hold=60, wait=30):
        if limit and _created_count(actor) >= limit:
            raise LimitReached(
                f"You have reached the limit of {limit} organizations you can create."
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
        raise refusal_from(error, "the organization") from error


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
            "The organization could not be set up, so it was removed again and nothing was "
            "created. Try again in a moment."
            if removed
            else "The organization could not be set up and could not be removed either. "
            "Please tell the people who run this portal."
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
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, "You are not allowed to change this organization.")
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
            raise refusal_from(error, "the change") from error
        entry.before = _settings_of(before)
        entry.after = _settings_of(updated)
    organization_list_for_user_forget(user_id=actor.subject)
    organization_name_remember(updated)
    return updated


def organization_delete(*, actor: User, organization_id: str, confirm_name: str) -> None:
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.DELETE_ORGANIZATION, "You are not allowed to delete this organization.")
    organization = access.organization
    if confirm_name.strip() != organization.name:
        raise ApplicationError(
            f"To delete it, type the organization's name exactly: {organization.name}"
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
            raise refusal_from(error, "the deletion") from error
    _forget(actor, organization_id)
    organization_name_forget(organization_id)
    if actor.last_organization_id == organization_id:
        organization_remember(actor=actor, organization_id="")


# -- leave ----------------------------------------------------------------------------------
def organization_leave(*, actor: User, organization_id: str) -> None:
    access = organization_access(user=actor, organization_id=organization_id)
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
            sentence=f"You are the last person who can manage the members of "
            f"{organization.name}. Give that role to someone else first, or delete the "
            "organization.",
            restore=partial(member_readd, organization_id, actor.subject, role_ids),
        ),
    ):
        try:
            applied(
                lambda: logto.get_client().remove_organization_user(organization_id, actor.subject),
                partial(_not_a_member, organization_id, actor.subject),
            )
        except NotFound:
            pass  # no longer a member: done
        except LogtoError as error:
            raise refusal_from(error, "leaving") from error
    _forget(actor, organization_id)
    organization_name_forget(organization_id)
    if actor.last_organization_id == organization_id:
        organization_remember(actor=actor, organization_id="")


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
    before: dict | None = None,
    after: dict | None = None,
):
    return audited(
        actor=actor,
        organization=organization,
        action=action,
        target_type="user" if target else "organization",
        target_id=(target.logto_id or "") if target else organization.id,
        target_label=(target.email or target.display_name) if target else organization.name,
        before=before,
        after=after,
    )
