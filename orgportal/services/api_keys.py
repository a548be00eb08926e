"""Organization API keys: machine-to-machine applications an organization's admins make,
rotate and revoke themselves, so that their own systems (an HR tool, a script) can call the
portal's JSON API for that organization with Logto organization tokens.

In Logto a key is an application of type MachineToMachine that belongs to the organization
and holds machine-to-machine organization roles there (BEHAVIOUR.md "Organization
applications"). Its secret is shown once and never stored here: Logto checks it at its token
endpoint. The portal keeps the key's metadata (`ApiKey`) and an account the key acts as
(`ApiKey.actor`), which the audit trail and invitation batches point at.

Each change is several Logto calls; one that fails undoes what came before it (the half-made
application is deleted), and one whose answer was lost is read back before anything is
decided. Expiry and the grace period of a rotation are enforced twice: Logto stops accepting
the secret (its `expiresAt`), and the worker deletes what is over (`api_keys_sweep` at its
start, a deferred task otherwise); the portal's API refuses an expired or revoked key's
tokens at once, on every instance (its record is in the shared database).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_tasks import task

from orgportal import logto
from orgportal.logto.errors import LogtoError, NotFound, Unavailable
from orgportal.logto.models import Application, Organization, OrganizationRole
from orgportal.models import API_KEY_USERNAME_PREFIX, ApiKey, User
from orgportal.services.access import (
    OrganizationAccess,
    access_for_change,
    api_key_permissions_forget,
    organization_access,
)
from orgportal.services.audit import audit_in_organization
from orgportal.services.errors import (
    ApplicationError,
    Gone,
    LimitReached,
    NotAllowed,
    ServiceUnavailable,
    later,
)
from orgportal.services.outcomes import confirmed
from orgportal.services.template import application_roles
from orgportal.services.text import has_unsafe_characters, one_line
from orgportal.shared_locks import LockTimeout, shared_lock

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 64
SECRET_PREFIX = "key-secret-"  # Logto secret names: key-secret-1, key-secret-2, …
DEFAULT_SECRET = "Default secret"  # the secret Logto gives a new application
GRACE_HOURS = (0, 1, 24, 168)  # what an admin may pick for the old secret when rotating
EXPIRY_DAYS = (30, 90, 365)  # the expiries offered when creating (or none)

NOT_ALLOWED = gettext_lazy("You are not allowed to manage this organization's API keys.")
KEY_GONE = gettext_lazy("This API key no longer exists. Reload the page.")
BUSY = gettext_lazy(
    "Another change to this organization's API keys is still running, so nothing was changed. "
    "Try again in a moment."
)


# -- reading ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyRole:
    """A machine-to-machine role as the create form offers it."""

    role: OrganizationRole
    grantable: bool  # all its permissions are the creator's own


@dataclass(frozen=True)
class ApiKeysOverview:
    keys: list[ApiKey]
    roles: list[KeyRole]
    limit: int

    @property
    def at_limit(self) -> bool:
        return len(self.keys) >= self.limit


@dataclass(frozen=True)
class NewSecret:
    """A secret as it is shown once, right after it was made."""

    key: ApiKey
    secret: str


def _require_manager(access: OrganizationAccess) -> None:
    if not access.manages_api_keys:
        raise NotAllowed(NOT_ALLOWED)


def api_keys_of(organization_id: str) -> list[ApiKey]:
    """The organization's keys that were not revoked (expired ones too), by name."""
    return list(
        ApiKey.objects.filter(organization_id=organization_id, revoked_at=None)
        .select_related("created_by")
        .order_by("name")
    )


def api_key_roles(access: OrganizationAccess) -> list[KeyRole]:
    """The template's machine-to-machine roles, each with whether the actor may give it."""
    return [
        KeyRole(role=role, grantable=set(role.scope_names or ()) <= access.scopes)
        for role in application_roles()
    ]


def api_keys_overview(*, actor: User, organization_id: str) -> ApiKeysOverview:
    access = organization_access(user=actor, organization_id=organization_id)
    _require_manager(access)
    return ApiKeysOverview(
        keys=api_keys_of(organization_id),
        roles=api_key_roles(access),
        limit=settings.ORGPORTAL_API_KEYS_PER_ORGANIZATION,
    )


def _key(organization_id: str, key_id: str) -> ApiKey:
    try:
        return ApiKey.objects.get(pk=key_id, organization_id=organization_id, revoked_at=None)
    except (ApiKey.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Gone(KEY_GONE) from None


# -- the API's side ---------------------------------------------------------------------------
def api_key_actor(*, application_id: str, organization_id: str) -> User | None:
    """The account an organization token's application acts as, when it is an API key of
    this organization that still counts (not revoked, removed or expired); else None.

    Asked on every API request: one indexed query on the shared database, so a revoked key
    is refused at once on every instance, without waiting for its tokens to expire."""
    key = (
        ApiKey.objects.filter(application_id=application_id, revoked_at=None)
        .select_related("actor")
        .first()
    )
    if key is None or key.organization_id != organization_id or not key.is_usable():
        return None
    return key.actor


def api_key_token_after_old_secrets(actor: User, issued_at: float | None) -> bool:
    """Whether a token of the API key `actor` (from `api_key_actor`, its key already loaded),
    issued at `issued_at` (`iat`, epoch seconds), cannot come from a secret that has stopped:
    a rotation that stops the old secret at once, or the end of a grace period, stops that
    secret's tokens too, though they have not expired. `iat` has whole seconds: a token of the
    very second the old secret stopped still counts (else the new secret's first token,
    fetched at once, would be refused)."""
    key = actor.api_key
    if key.tokens_valid_from is None:
        return True
    return issued_at is not None and issued_at >= int(key.tokens_valid_from.timestamp())


# -- creating ---------------------------------------------------------------------------------
def api_key_name_clean(name: str) -> str:
    cleaned = one_line(name or "")
    if not cleaned:
        raise ApplicationError(gettext_lazy("Give the API key a name."))
    if len(cleaned) > NAME_MAX_LENGTH:
        raise ApplicationError(
            later(
                lambda: (
                    _("Keep the name to %(count)s characters or fewer.")
                    % {"count": NAME_MAX_LENGTH}
                )
            )
        )
    if has_unsafe_characters(cleaned):
        raise ApplicationError(gettext_lazy("The name contains characters that are not allowed."))
    return cleaned


def _checked_roles(access: OrganizationAccess, role_ids: list[str]) -> list[OrganizationRole]:
    role_ids = list(dict.fromkeys(role_ids))
    if not role_ids:
        raise ApplicationError(gettext_lazy("Choose at least one role for the API key."))
    roles = {role.id: role for role in application_roles()}
    if any(rid not in roles for rid in role_ids):
        raise ApplicationError(
            gettext_lazy("That role does not exist in this organization. Reload the page.")
        )
    chosen = [roles[rid] for rid in role_ids]
    above = sorted(r.name for r in chosen if not set(r.scope_names or ()) <= access.scopes)
    if above:
        names = ", ".join(above)
        raise NotAllowed(
            later(
                lambda: (
                    _("You cannot give an API key %(roles)s: it holds permissions you do not have.")
                    % {"roles": names}
                )
            )
        )
    return chosen


def api_key_create(
    *,
    actor: User,
    organization_id: str,
    name: str,
    role_ids: list[str],
    expires_at: datetime | None = None,
) -> NewSecret:
    """Make a key: an application in Logto that belongs to the organization with these
    roles, and its first secret, returned once. Nothing is left half-made in Logto."""
    access = access_for_change(user=actor, organization_id=organization_id)
    _require_manager(access)
    organization = access.organization
    try:
        name = api_key_name_clean(name)
        roles = _checked_roles(access, role_ids)
        if expires_at is not None and expires_at <= timezone.now() + timedelta(minutes=1):
            raise ApplicationError(gettext_lazy("Pick an expiry in the future."))
        # The count, the name check and the making happen under one lock per organization,
        # on every instance: two admins cannot both pass a limit of one, or both take a name.
        with shared_lock(f"api-keys:{organization_id}", hold=60, wait=10):
            _check_room(organization_id, name)
            application, secret = _make_in_logto(organization, name, roles, expires_at)
            key = _record(actor, organization, application, name, roles, expires_at)
    except LockTimeout:
        error = ServiceUnavailable(BUSY)
        _audit(actor, organization, "api_key.created", "", name, error=error)
        raise error from None
    except (ApplicationError, LogtoError) as error:
        _audit(actor, organization, "api_key.created", "", name, error=error)
        raise
    _audit(
        actor,
        organization,
        "api_key.created",
        key.application_id,
        key.name,
        after=_facts(key),
    )
    _schedule_expiry(key)
    return NewSecret(key=key, secret=secret)


def _check_room(organization_id: str, name: str) -> None:
    limit = settings.ORGPORTAL_API_KEYS_PER_ORGANIZATION
    keys = ApiKey.objects.filter(organization_id=organization_id, revoked_at=None)
    if keys.count() >= limit:
        raise LimitReached(
            later(
                lambda: (
                    ngettext(
                        "This organization already has %(count)s API key, the most it may have. "
                        "Revoke one first.",
                        "This organization already has %(count)s API keys, the most it may "
                        "have. Revoke one first.",
                        limit,
                    )
                    % {"count": limit}
                )
            )
        )
    if keys.filter(name__iexact=name).exists():
        raise ApplicationError(
            later(
                lambda: (
                    _("An API key named %(name)s already exists here. Pick another name.")
                    % {"name": name}
                )
            )
        )


def _make_in_logto(
    organization: Organization,
    name: str,
    roles: list[OrganizationRole],
    expires_at: datetime | None,
) -> tuple[Application, str]:
    """The application, in the organization with its roles, and its one secret's value."""
    client = logto.get_client()
    # Logto has no idempotency keys: a marker in the description finds a create whose
    # answer was lost.
    marker = f"orgportal-api-key-{secrets.token_hex(8)}"
    description = f"API key of organization {organization.id} ({marker})"
    application = confirmed(
        lambda: client.create_application(
            name=f"{name} ({organization.name})"[:256], description=description
        ),
        lambda: next(
            (a for a in client.find_applications(search=marker) if a.description == description),
            None,
        ),
    )
    try:
        secret = _secret_make(application.id, f"{SECRET_PREFIX}1", expires_at)
        # The default secret never expires and nobody was shown it: it goes.
        _secret_delete(application.id, DEFAULT_SECRET)
        _idempotent(lambda: client.add_organization_applications(organization.id, [application.id]))
        _idempotent(
            lambda: client.add_organization_application_roles(
                organization.id, application.id, [role.id for role in roles]
            )
        )
    except LogtoError as error:
        removed = _application_delete(organization.id, application.id, error)
        raise ServiceUnavailable(
            gettext_lazy(
                "The API key could not be set up, so it was removed again and nothing was "
                "created. Try again in a moment."
            )
            if removed
            else gettext_lazy(
                "The API key could not be set up and could not be removed either. Please tell "
                "the people who run this portal."
            )
        ) from error
    return application, secret


def _record(
    actor: User,
    organization: Organization,
    application: Application,
    name: str,
    roles: list[OrganizationRole],
    expires_at: datetime | None,
) -> ApiKey:
    try:
        with transaction.atomic():
            account = User(username=f"{API_KEY_USERNAME_PREFIX}{application.id}", name=name)
            account.set_unusable_password()
            account.save()
            return ApiKey.objects.create(
                organization_id=organization.id,
                organization_name=organization.name[:255],
                name=name,
                application_id=application.id,
                role_ids=[role.id for role in roles],
                role_names=[role.name for role in roles],
                created_by=actor if actor.pk else None,
                created_by_label=actor.display_name[:255],
                expires_at=expires_at,
                secret_name=f"{SECRET_PREFIX}1",
                actor=account,
            )
    except IntegrityError as error:  # the name was taken meanwhile (outside the lock)
        _application_delete(organization.id, application.id, error)
        raise ApplicationError(
            later(
                lambda: (
                    _("An API key named %(name)s already exists here. Pick another name.")
                    % {"name": name}
                )
            )
        ) from error


def _facts(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "roles": list(key.role_names),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
    }


# -- rotating ---------------------------------------------------------------------------------
def api_key_rotate(
    *, actor: User, organization_id: str, key_id: str, grace_hours: int
) -> NewSecret:
    """A new secret, shown once; the old one keeps working for `grace_hours` (0: it stops
    now), then goes. A key has two secrets at most: one still in its grace period from an
    earlier rotation stops now."""
    access = access_for_change(user=actor, organization_id=organization_id)
    _require_manager(access)
    organization = access.organization
    key = _key(organization_id, key_id)
    try:
        if grace_hours not in GRACE_HOURS:
            raise ApplicationError(gettext_lazy("Pick how long the old secret keeps working."))
        if key.is_expired():
            raise ApplicationError(
                gettext_lazy("This API key has expired. Revoke it and create a new one.")
            )
        with shared_lock(f"api-keys:{organization_id}", hold=60, wait=10):
            key.refresh_from_db()
            if key.revoked_at is not None:
                raise Gone(KEY_GONE)
            secret = _rotate_in_logto(key, grace_hours)
    except LockTimeout:
        error = ServiceUnavailable(BUSY)
        _audit(actor, organization, "api_key.rotated", key.application_id, key.name, error=error)
        raise error from None
    except (ApplicationError, LogtoError) as error:
        _audit(actor, organization, "api_key.rotated", key.application_id, key.name, error=error)
        raise
    _audit(
        actor,
        organization,
        "api_key.rotated",
        key.application_id,
        key.name,
        after={"grace_hours": grace_hours},
    )
    _schedule_retirement(key)
    return NewSecret(key=key, secret=secret)


def _rotate_in_logto(key: ApiKey, grace_hours: int) -> str:
    app_id = key.application_id
    if key.previous_secret_name:
        _secret_delete(app_id, key.previous_secret_name)
        _old_secret_stopped(key)
    number = int(key.secret_name.removeprefix(SECRET_PREFIX) or 1) + 1
    new_name = f"{SECRET_PREFIX}{number}"
    secret = _secret_make(app_id, new_name, key.expires_at)
    previous, until = key.secret_name, timezone.now() + timedelta(hours=grace_hours)
    if not grace_hours:
        try:
            _secret_delete(app_id, previous)
        except LogtoError:
            # The old one still works: take the new one back, as nobody will see it.
            try:
                _secret_delete(app_id, new_name)
            except LogtoError as cleanup:
                logger.error("API key %s keeps an unseen secret %s: %s", app_id, new_name, cleanup)
            raise
        previous, until = "", None  # type: ignore[assignment]
        _old_secret_stopped(key)
    key.secret_name = new_name
    key.previous_secret_name = previous
    key.previous_secret_until = until
    key.rotated_at = timezone.now()
    key.save(
        update_fields=[
            "secret_name",
            "previous_secret_name",
            "previous_secret_until",
            "rotated_at",
            "tokens_valid_from",
        ]
    )
    return secret


def _old_secret_stopped(key: ApiKey) -> None:
    """An old secret was deleted in Logto just now: its tokens (issued until now) stop too,
    though they have not expired. Set on the instance; the caller saves it."""
    key.tokens_valid_from = timezone.now()


# -- revoking ---------------------------------------------------------------------------------
def api_key_revoke(*, actor: User, organization_id: str, key_id: str) -> ApiKey:
    """The application leaves the organization and is deleted; its tokens are refused by the
    portal at once (and by Logto's token endpoint from now on)."""
    access = access_for_change(user=actor, organization_id=organization_id)
    _require_manager(access)
    organization = access.organization
    key = _key(organization_id, key_id)
    try:
        if key.removed_at is None:
            _application_remove(organization_id, key.application_id)
    except LogtoError as error:
        _audit(actor, organization, "api_key.revoked", key.application_id, key.name, error=error)
        raise _refusal(error) from error
    _retire_locally(key, revoked=True)
    _audit(actor, organization, "api_key.revoked", key.application_id, key.name, after=_facts(key))
    return key


def _retire_locally(key: ApiKey, *, revoked: bool) -> None:
    now = timezone.now()
    key.removed_at = key.removed_at or now
    key.previous_secret_name, key.previous_secret_until = "", None
    fields = ["removed_at", "previous_secret_name", "previous_secret_until"]
    if revoked:
        key.revoked_at = now
        fields.append("revoked_at")
    with transaction.atomic():
        key.save(update_fields=fields)
        User.objects.filter(pk=key.actor_id).update(is_active=False)
    api_key_permissions_forget(
        organization_id=key.organization_id, application_id=key.application_id
    )


def _refusal(error: LogtoError) -> ApplicationError:
    if isinstance(error, Unavailable) and error.outcome_unknown:
        return ServiceUnavailable(
            gettext_lazy(
                "Our sign-in service did not answer in time, so we cannot tell whether the API "
                "key was revoked. Reload the page to see, then try again if needed."
            )
        )
    return ServiceUnavailable(
        gettext_lazy(
            "We could not revoke the API key right now, so it still works. Try again in a moment."
        )
    )


# -- the worker's side: expiry and the end of a grace period ----------------------------------
@task()
def api_key_expire(key_id: str) -> None:
    """Remove an expired key's application (Logto already refuses its secret)."""
    key = ApiKey.objects.filter(pk=key_id, removed_at=None, revoked_at=None).first()
    if key is None or not key.is_expired():
        return
    _expire(key)


@task()
def api_key_secret_retire(key_id: str) -> None:
    """Delete a rotated key's old secret once its grace period is over."""
    key = ApiKey.objects.filter(pk=key_id, removed_at=None).exclude(previous_secret_name="").first()
    if key is None or key.previous_secret_until is None:
        return
    if key.previous_secret_until > timezone.now():
        return
    _retire_previous(key)


def api_keys_sweep() -> int:
    """What is over and still in Logto, done now (the worker's start calls it: a deferred
    task may have been lost with its queue); how many keys were tidied."""
    now = timezone.now()
    done = 0
    for key in ApiKey.objects.filter(removed_at=None, revoked_at=None, expires_at__lte=now):
        done += _expire(key)
    overdue = ApiKey.objects.filter(removed_at=None, previous_secret_until__lte=now).exclude(
        previous_secret_name=""
    )
    for key in overdue:
        done += _retire_previous(key)
    return done


def _expire(key: ApiKey) -> int:
    organization = _Named(id=key.organization_id, name=key.organization_name)
    try:
        _application_remove(key.organization_id, key.application_id)
    except LogtoError as error:
        logger.warning("Could not remove expired API key %s: %s", key.application_id, error)
        _audit(None, organization, "api_key.expired", key.application_id, key.name, error=error)
        return 0
    _retire_locally(key, revoked=False)
    _audit(None, organization, "api_key.expired", key.application_id, key.name)
    return 1


def _retire_previous(key: ApiKey) -> int:
    organization = _Named(id=key.organization_id, name=key.organization_name)
    try:
        _secret_delete(key.application_id, key.previous_secret_name)
    except LogtoError as error:
        logger.warning("Could not delete the old secret of %s: %s", key.application_id, error)
        _audit(
            None, organization, "api_key.secret_retired", key.application_id, key.name, error=error
        )
        return 0
    # The grace period is over and the secret is gone: its tokens stop now as well.
    ApiKey.objects.filter(pk=key.pk).update(
        previous_secret_name="", previous_secret_until=None, tokens_valid_from=timezone.now()
    )
    _audit(None, organization, "api_key.secret_retired", key.application_id, key.name)
    return 1


def _schedule_expiry(key: ApiKey) -> None:
    if key.expires_at is not None and api_key_expire.get_backend().supports_defer:
        api_key_expire.using(run_after=key.expires_at).enqueue(str(key.pk))


def _schedule_retirement(key: ApiKey) -> None:
    until = key.previous_secret_until
    if until is not None and api_key_secret_retire.get_backend().supports_defer:
        api_key_secret_retire.using(run_after=until).enqueue(str(key.pk))


@dataclass(frozen=True)
class _Named:
    """The organization as the audit trail names it, for the worker (no Logto read)."""

    id: str
    name: str


# -- Logto steps (each one safe to repeat, or read back when its answer was lost) -------------
def _idempotent(call: Callable[[], object]) -> None:
    """Send a call that may be repeated; once more when its answer was lost."""
    try:
        call()
    except Unavailable as error:
        if not error.outcome_unknown:
            raise
        call()


def _secret_make(application_id: str, name: str, expires_at: datetime | None) -> str:
    client = logto.get_client()

    def read_back() -> str | None:
        found = [s for s in client.list_application_secrets(application_id) if s.name == name]
        return found[0].value if found else None

    return confirmed(
        lambda: (
            client.create_application_secret(application_id, name=name, expires_at=expires_at).value
        ),
        read_back,
    )


def _secret_delete(application_id: str, name: str) -> None:
    client = logto.get_client()
    # Already gone (or gone with a first call whose answer was lost) counts as done.
    with contextlib.suppress(NotFound):
        _idempotent(lambda: client.delete_application_secret(application_id, name))


def _application_remove(organization_id: str, application_id: str) -> None:
    """Out of the organization, then deleted; either already done counts as done."""
    client = logto.get_client()
    with contextlib.suppress(NotFound):
        _idempotent(lambda: client.remove_organization_application(organization_id, application_id))
    with contextlib.suppress(NotFound):
        _idempotent(lambda: client.delete_application(application_id))
    api_key_permissions_forget(organization_id=organization_id, application_id=application_id)


def _application_delete(organization_id: str, application_id: str, cause: Exception) -> bool:
    """Undo a half-made key; whether that worked (logged either way)."""
    try:
        _application_remove(organization_id, application_id)
    except LogtoError as cleanup:
        logger.error(
            "API key application %s was made but could not be set up or removed: %s / %s",
            application_id,
            cause,
            cleanup,
        )
        return False
    logger.warning("API key application %s removed again after: %s", application_id, cause)
    return True


def _audit(
    actor: User | None,
    organization: Any,
    action: str,
    application_id: str,
    name: str,
    *,
    error: object = None,
    after: dict[str, Any] | None = None,
) -> None:
    if isinstance(error, LogtoError):
        error = str(error)
    audit_in_organization(
        actor=actor,
        organization=organization,
        action=action,
        target_type="api_key",
        target_id=application_id,
        target_label=name,
        error=error,
        after=after,
    )
