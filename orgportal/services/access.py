"""What the acting user may do in an organization, and the rules about roles.

Permissions are Logto's organization scopes of the user's roles: resolved from the
Management API, cached briefly per (organization, user) and dropped whenever the portal
changes that user's roles. Views use them to hide buttons; every service checks them again.

Pages may show the cached answer; a change never trusts it. Logto raises no event when a
role is assigned, and a webhook delivery can be lost, so the cache may say "admin" for a
minute after Logto stopped saying so: every write service asks `access_for_change`, which
reads the membership and the permissions from Logto (and refreshes the cache with them).
The role rules live here once: which roles an actor may grant (no escalation), who may
remove members, and the last-admin rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgportal import logto
from orgportal.concurrency import together
from orgportal.logto import shared_reads
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound
from orgportal.logto.models import Organization, OrganizationRole, RoleRef, UserOrganization
from orgportal.models import ApiKey, User
from orgportal.services.cache_generations import PERMISSIONS, generations
from orgportal.services.cache_generations import organization as organization_generation
from orgportal.services.errors import (
    ApplicationError,
    LastAdminError,
    NotAllowed,
    OrganizationNotFound,
    ServiceUnavailable,
    Text,
    later,
)
from orgportal.services.memberships import fresh_access_key, organization_get_for_user
from orgportal.services.template import application_roles, roles_with_permission, template_roles
from orgportal.shared_locks import LockTimeout, acquire, cached_or_filled, release
from orgportal.staff import is_acting_as_staff, last_admin_overridden

logger = logging.getLogger(__name__)

PERMISSIONS_TTL = 60  # seconds
ORGANIZATION_GONE = gettext_lazy("This organization no longer exists.")
NO_SUCH_ORGANIZATION = gettext_lazy("No such organization.")
TEMPLATE_SCOPES_TTL = 300  # seconds; the template rarely changes
_TEMPLATE_SCOPES_KEY = "orgportal:template-scope-names"


class Perm:
    """Keys of settings.ORGPORTAL_PERMISSIONS; the Logto names are configurable."""

    INVITE_MEMBER = "invite_member"
    MANAGE_MEMBER = "manage_member"
    DELETE_MEMBER = "delete_member"
    MANAGE_ORGANIZATION = "manage_organization"
    DELETE_ORGANIZATION = "delete_organization"


def permission_name(key: str) -> str:
    """The Logto scope name configured for a permission key."""
    return settings.ORGPORTAL_PERMISSIONS[key]


@dataclass(frozen=True)
class OrganizationAccess:
    """The acting user's place in one organization."""

    organization: Organization
    roles: tuple[RoleRef, ...]
    scopes: frozenset[str]

    def can(self, key: str) -> bool:
        return permission_name(key) in self.scopes

    def require(self, key: str, sentence: Text) -> None:
        if not self.can(key):
            raise NotAllowed(sentence)

    @property
    def manages_api_keys(self) -> bool:
        """Whether the organization's API keys page is open to this person."""
        return settings.ORGPORTAL_API_KEYS_PERMISSION in self.scopes

    @property
    def perms(self) -> dict[str, bool]:
        """For templates: `access.perms.manage_member` and friends."""
        return {key: permission_name(key) in self.scopes for key in settings.ORGPORTAL_PERMISSIONS}


# -- resolving access -------------------------------------------------------------------------
def _scopes_key(organization_id: str, user_id: str) -> str:
    # With the generations of everyone's permissions and of the organization's, so that a
    # change to the role template or to the whole organization drops them all (webhooks).
    generation = generations(PERMISSIONS, organization_generation(organization_id))
    return f"orgportal:scopes:{organization_id}:{user_id}:{generation}"


def user_scopes(*, organization_id: str, user_id: str, fresh: bool = False) -> frozenset[str]:
    """The user's permission names in the organization (briefly cached). `fresh` reads them
    from Logto whatever the cache holds, and refreshes the cache with the answer."""

    def fetch() -> frozenset[str]:
        found = logto.get_client().list_organization_user_scopes(organization_id, user_id)
        return frozenset(scope.name for scope in found)

    key = _scopes_key(organization_id, user_id)
    if not fresh:
        return cached_or_filled(key, fetch, ttl=PERMISSIONS_TTL)
    scopes = fetch()
    cache.set(key, scopes, PERMISSIONS_TTL)
    return scopes


def permissions_forget(*, organization_id: str, user_id: str) -> None:
    """Drop the cached scopes after this user's roles changed (in the portal or in Logto), and
    what this request read fresh about them: its next change reads again."""
    cache.delete(_scopes_key(organization_id, user_id))
    shared_reads.forget_kept(fresh_access_key(user_id, organization_id))


def organization_access(
    *, user: User, organization_id: str, fresh: bool = False
) -> OrganizationAccess:
    """The user's access to the organization; OrganizationNotFound for non-members.

    Cached (pages); with `fresh`, read from Logto: use `access_for_change` before a write."""
    if is_acting_as_staff(user):
        return _staff_access(organization_id)
    if user.is_api_key:
        return _api_key_access(user, organization_id, fresh=fresh)
    if not user.logto_id:
        raise OrganizationNotFound(NO_SUCH_ORGANIZATION)
    user_id = user.logto_id

    def read() -> tuple[UserOrganization | None, frozenset[str] | LogtoError]:
        def scopes_or_error() -> frozenset[str] | LogtoError:
            # Read at the same time as the membership; its error only counts for members.
            try:
                return user_scopes(organization_id=organization_id, user_id=user_id, fresh=fresh)
            except LogtoError as error:
                return error

        return together(
            lambda: organization_get_for_user(
                user_id=user_id, organization_id=organization_id, fresh=fresh
            ),
            scopes_or_error,
        )

    if fresh:
        # Once per request: the checks of one request's changes (a bulk action's twenty
        # removals, a view and the service it calls) share it; the portal's own writes do
        # not make it stale, except a change to this user's roles (permissions_forget).
        membership, scopes = shared_reads.kept(fresh_access_key(user_id, organization_id), read)
    else:
        membership, scopes = read()
    if membership is None:
        permissions_forget(organization_id=organization_id, user_id=user_id)  # read in vain
        raise OrganizationNotFound(NO_SUCH_ORGANIZATION)
    if isinstance(scopes, LogtoError):
        shared_reads.forget_kept(fresh_access_key(user_id, organization_id))  # ask again
        raise scopes
    if user.token_scopes is not None:
        scopes &= user.token_scopes  # through the API, only what the token names counts
    return OrganizationAccess(
        organization=membership.organization, roles=membership.roles, scopes=scopes
    )


def access_for_change(*, user: User, organization_id: str) -> OrganizationAccess:
    """The user's access as Logto says it now, for a service about to change something.

    Every write checks this, never the cache: a permission taken away in Logto (no event is
    raised for role changes, and a webhook delivery can be lost) or a membership ended there
    refuses the very next change. Costs one Logto round trip (membership and permissions are
    read at the same time), once per request.
    """
    return organization_access(user=user, organization_id=organization_id, fresh=True)


def _application_scopes_key(organization_id: str, application_id: str) -> str:
    generation = generations(PERMISSIONS, organization_generation(organization_id))
    return f"orgportal:app-scopes:{organization_id}:{application_id}:{generation}"


def _api_key_access(user: User, organization_id: str, *, fresh: bool) -> OrganizationAccess:
    """What an organization API key may do: the permissions of its machine-to-machine roles
    in its own organization (none elsewhere), capped by its token's `scope`.

    Its record here says whether it still counts (revoked or expired: not at all); Logto
    says which roles it holds, read fresh before every change as for people."""
    key = ApiKey.objects.filter(actor=user).first()
    if key is None or not key.is_usable() or key.organization_id != organization_id:
        raise OrganizationNotFound(NO_SUCH_ORGANIZATION)
    client = logto.get_client()

    def fetch() -> frozenset[str]:
        held = {
            role.id
            for role in client.list_organization_application_roles(
                organization_id, key.application_id
            )
        }
        names: set[str] = set()
        for role in application_roles():
            if role.id in held:
                names.update(role.scope_names or ())
        return frozenset(names)

    def scopes() -> frozenset[str]:
        cache_key = _application_scopes_key(organization_id, key.application_id)
        if not fresh:
            return cached_or_filled(cache_key, fetch, ttl=PERMISSIONS_TTL)
        found = fetch()
        cache.set(cache_key, found, PERMISSIONS_TTL)
        return found

    try:
        organization, held = together(lambda: client.get_organization(organization_id), scopes)
    except (NotFound, InvalidInput):
        # The organization is gone, or the application left it (Logto: "require membership").
        raise OrganizationNotFound(NO_SUCH_ORGANIZATION) from None
    if user.token_scopes is not None:
        held &= user.token_scopes
    return OrganizationAccess(organization=organization, roles=(), scopes=held)


def api_key_permissions_forget(*, organization_id: str, application_id: str) -> None:
    """Drop an API key's cached permissions after its roles or its existence changed."""
    cache.delete(_application_scopes_key(organization_id, application_id))


def _staff_access(organization_id: str) -> OrganizationAccess:
    """Staff in the admin hold every organization permission, in any organization."""
    try:
        organization, roles = together(
            lambda: logto.get_client().get_organization(organization_id), template_roles
        )
    except NotFound:
        raise OrganizationNotFound(ORGANIZATION_GONE) from None
    scopes = set(settings.ORGPORTAL_PERMISSIONS.values())
    for role in roles:
        scopes.update(role.scope_names or ())
    return OrganizationAccess(organization=organization, roles=(), scopes=frozenset(scopes))


def require_organization_exists(organization_id: str) -> None:
    """OrganizationNotFound when the organization was deleted meanwhile.

    Logto does not answer 404 for the members of a deleted organization: listing them gives
    an empty page, adding to it breaks a foreign key (InvalidInput), and member calls say
    "not a member". Services call this when they get such an answer, to tell the two apart.
    """
    try:
        logto.get_client().get_organization(organization_id)
    except NotFound:
        raise OrganizationNotFound(ORGANIZATION_GONE) from None


# -- role rules -------------------------------------------------------------------------------
def roles_by_id() -> dict[str, OrganizationRole]:
    return {role.id: role for role in template_roles()}


def role_names(role_ids: Iterable[str]) -> list[str]:
    roles = roles_by_id()
    return sorted(roles[rid].name for rid in role_ids if rid in roles)


def require_known_roles(role_ids: Iterable[str]) -> dict[str, OrganizationRole]:
    """The template's roles by id; a refusal when any id is not one of them."""
    roles = roles_by_id()
    if any(rid not in roles for rid in role_ids):
        raise ApplicationError(
            gettext_lazy("That role does not exist in this organization. Reload the page.")
        )
    return roles


def grantable_role_ids(access: OrganizationAccess) -> frozenset[str]:
    """Roles whose permissions are all the actor's own: no one grants more than they have."""
    return frozenset(
        role.id for role in template_roles() if set(role.scope_names or ()) <= access.scopes
    )


def refuse_escalation(
    access: OrganizationAccess, role_ids: Iterable[str], sentence: Callable[[str], str]
) -> None:
    """NotAllowed when any role holds a permission the actor lacks. `sentence(roles)` is the
    refusal, translated when it is read, naming those roles."""
    roles = roles_by_id()
    above = sorted(
        roles[rid].name
        for rid in role_ids
        if rid in roles and not set(roles[rid].scope_names or ()) <= access.scopes
    )
    if above:
        names = ", ".join(above)
        raise NotAllowed(later(lambda: sentence(names)))


def template_scope_names() -> frozenset[str]:
    """The names of every permission the template defines (cached)."""

    def fetch() -> frozenset[str]:
        return frozenset(s.name for s in logto.get_client().list_organization_scopes())

    return cached_or_filled(_TEMPLATE_SCOPES_KEY, fetch, ttl=TEMPLATE_SCOPES_TTL)


def template_scope_names_forget() -> None:
    """Drop the cached permission names after the template changed in Logto (webhook)."""
    cache.delete(_TEMPLATE_SCOPES_KEY)


def can_remove_members(access: OrganizationAccess) -> bool:
    """`delete:member`, or `manage:member` where the template has no `delete:member`."""
    if access.can(Perm.DELETE_MEMBER):
        return True
    return access.can(Perm.MANAGE_MEMBER) and (
        permission_name(Perm.DELETE_MEMBER) not in template_scope_names()
    )


def manages_members(role_ids: Iterable[str]) -> bool:
    """Whether these roles together hold the manage-members permission."""
    manage = permission_name(Perm.MANAGE_MEMBER)
    roles = roles_by_id()
    return any(manage in (roles[rid].scope_names or ()) for rid in role_ids if rid in roles)


def other_member_managers_exist(*, organization_id: str, user_id: str) -> bool:
    """Whether someone besides `user_id` holds a role with the manage-members permission.

    A superuser's explicit override (staff.overriding_last_admin) answers yes, which is
    what lets them remove or demote the last admin.
    """
    if last_admin_overridden():
        return True
    client = logto.get_client()
    for role in roles_with_permission(permission_name(Perm.MANAGE_MEMBER)):
        # Two rows suffice: if one of them is not `user_id`, another manager exists.
        page = client.list_organization_users(organization_id, role_id=role.id, page_size=2)
        if any(member.user.id != user_id for member in page):
            return True
    # No one else, or no one at all because the organization is gone (an empty list).
    require_organization_exists(organization_id)
    return False


MEMBER_MANAGERS_LOCK_HOLD = 30  # seconds; above the longest check + write (two Logto calls)


@contextmanager
def member_managers_serialised(organization_id: str) -> Iterator[None]:
    """Run a change that may take member management away from someone alone in its
    organization, across all workers and instances: two admins demoting or removing each
    other at the same moment must not both pass the last-admin check."""
    name = f"member-managers:{organization_id}"
    try:
        token = acquire(name, hold=MEMBER_MANAGERS_LOCK_HOLD, wait=10)
    except LockTimeout:
        raise ServiceUnavailable(
            gettext_lazy(
                "Another change to this organization's members is still running, so nothing was "
                "changed. Try again in a moment."
            )
        ) from None
    try:
        yield
    finally:
        release(name, token)


@contextmanager
def member_manager_kept(
    *,
    organization_id: str,
    user_id: str,
    current_role_ids: Iterable[str],
    wanted_role_ids: Iterable[str] = (),
    sentence: Text,
    restore: Callable[[], object],
) -> Iterator[None]:
    """The last-admin rule around a write that may take member management from `user_id`
    (their roles go from `current_role_ids` to `wanted_role_ids`; none when they leave).

    Checked before the write, under the organization's lock; and verified after it: if nobody
    manages members any more (a change made outside the portal slipped in), `restore()` puts
    the previous state back. Either way LastAdminError(sentence).
    """
    current, wanted = list(current_role_ids), list(wanted_role_ids)
    at_risk = manages_members(current) and not manages_members(wanted)
    if not at_risk:
        # Nobody loses member management here, so the rule cannot break: no need to wait
        # for the organization's other changes (a bulk action's run at the same time).
        yield
        return
    with member_managers_serialised(organization_id):
        if at_risk and not other_member_managers_exist(
            organization_id=organization_id, user_id=user_id
        ):
            raise LastAdminError(sentence)
        yield
        if at_risk and not other_member_managers_exist(
            organization_id=organization_id, user_id=user_id
        ):
            _restore_member_manager(organization_id, restore, sentence)


def _restore_member_manager(
    organization_id: str, restore: Callable[[], object], sentence: Text
) -> NoReturn:
    logger.warning("Organization %s lost its last member manager: restoring", organization_id)
    try:
        restore()
    except LogtoError as error:
        logger.error("Could not restore the member manager of %s: %s", organization_id, error)
        raise LastAdminError(
            later(
                lambda: (
                    f"{sentence} "
                    + _(
                        "The change went through and could not be undone: ask the people who run "
                        "this portal to give someone that role again."
                    )
                )
            )
        ) from error
    raise LastAdminError(sentence)
