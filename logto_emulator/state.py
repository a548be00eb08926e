"""The emulator's in-memory tenant: users, apps, organizations, roles, invitations.

Objects serialise to the JSON shapes the real Logto server returns (see shared/logto/).
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 12) -> str:
    """Logto ids are short random lower-case alphanumerics."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def now_ms() -> int:
    return int(time.time() * 1000)


TENANT_ID = "default"
INVITATION_WEEK_MS = 7 * 24 * 3600 * 1000


@dataclass
class User:
    id: str
    primary_email: str | None
    password: str | None
    name: str | None = None
    username: str | None = None
    avatar: str | None = None
    email_verified: bool = True
    global_roles: list[str] = field(default_factory=list)
    created_at: int = field(default_factory=now_ms)
    updated_at: int = field(default_factory=now_ms)
    last_sign_in_at: int | None = None
    is_suspended: bool = False
    # MFA factors bound to the account (`/users/{id}/mfa-verifications`).
    mfa_verifications: list[MfaVerification] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "primaryEmail": self.primary_email,
            "primaryPhone": None,
            "name": self.name,
            "avatar": self.avatar,
            "customData": {},
            "identities": {},
            "lastSignInAt": self.last_sign_in_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "profile": {},
            "applicationId": None,
            "isSuspended": self.is_suspended,
            "hasPassword": self.password is not None,
        }


@dataclass
class MfaVerification:
    id: str
    type: str  # "Totp", "BackupCode", "WebAuthn", ...
    created_at: int = field(default_factory=now_ms)

    def to_api(self) -> dict[str, Any]:
        # Logto serialises these timestamps as ISO strings, unlike most of its objects.
        created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.created_at / 1000))
        return {"id": self.id, "createdAt": created, "type": self.type}


@dataclass
class MfaSettings:
    """The `mfa` part of the sign-in experience (`/sign-in-exp`)."""

    factors: list[str] = field(default_factory=list)
    policy: str = "UserControlled"
    organization_required_mfa_policy: str | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"factors": list(self.factors), "policy": self.policy}
        if self.organization_required_mfa_policy is not None:
            data["organizationRequiredMfaPolicy"] = self.organization_required_mfa_policy
        return data


@dataclass
class Application:
    id: str
    secret: str
    type: str  # "Traditional" or "MachineToMachine"
    name: str
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    # M2M apps granted the "Logto Management API access" role may call the Management API.
    management_api_access: bool = False
    # -- added: organization applications (applications.py) -----------------------------------
    description: str | None = None
    created_at: int = field(default_factory=now_ms)
    # Logto keeps several named secrets per app, each good at /oidc/token until it expires.
    # `secret` above seeds the first one ("Default secret") so seeded apps keep working.
    secrets: list[ApplicationSecret] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.secret and not self.secrets:
            self.secrets.append(ApplicationSecret(self.id, "Default secret", self.secret))

    def accepts_secret(self, value: str, at_ms: int | None = None) -> bool:
        now = at_ms or now_ms()
        return any(
            secrets.compare_digest(s.value.encode(), value.encode())
            for s in self.secrets
            if s.expires_at is None or s.expires_at > now
        )


@dataclass
class OrganizationScope:
    id: str
    name: str
    description: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "tenantId": TENANT_ID,
            "id": self.id,
            "name": self.name,
            "description": self.description,
        }


@dataclass
class ResourceScope:
    """A permission of an API resource (Logto's `scopes` table), e.g. `read:reports`."""

    id: str
    resource: str  # the API resource's indicator
    name: str


@dataclass
class OrganizationRole:
    id: str
    name: str
    description: str | None = None
    type: str = "User"
    scope_ids: list[str] = field(default_factory=list)
    resource_scope_ids: list[str] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {
            "tenantId": TENANT_ID,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "type": self.type,
        }


@dataclass
class Organization:
    id: str
    name: str
    description: str | None = None
    custom_data: dict[str, Any] = field(default_factory=dict)
    is_mfa_required: bool = False
    created_at: int = field(default_factory=now_ms)
    # user id -> organization role ids, in insertion order (membership order).
    members: dict[str, list[str]] = field(default_factory=dict)
    jit_email_domains: list[str] = field(default_factory=list)
    # -- added: JIT default roles (jit.py) ----------------------------------------------------
    jit_role_ids: list[str] = field(default_factory=list)
    # -- added: organization applications (applications.py): app id -> its role ids ----------
    applications: dict[str, list[str]] = field(default_factory=dict)
    # -- added: branding as set in Logto's console (logoUrl, darkLogoUrl, …) ------------------
    branding: dict[str, str] = field(default_factory=dict)

    def to_api(self) -> dict[str, Any]:
        return {
            "tenantId": TENANT_ID,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "customData": self.custom_data,
            "isMfaRequired": self.is_mfa_required,
            "color": {},
            "branding": dict(self.branding),
            "customCss": None,
            "createdAt": self.created_at,
        }


@dataclass
class Invitation:
    id: str
    invitee: str
    organization_id: str
    expires_at: int
    inviter_id: str | None = None
    role_ids: list[str] = field(default_factory=list)
    status: str = "Pending"
    accepted_user_id: str | None = None
    created_at: int = field(default_factory=now_ms)
    updated_at: int = field(default_factory=now_ms)

    def effective_status(self, at_ms: int | None = None) -> str:
        """Logto computes expiry on read: a stored Pending row past expiresAt reads Expired."""
        if self.status == "Pending" and self.expires_at <= (at_ms or now_ms()):
            return "Expired"
        return self.status


@dataclass
class EmailMessage:
    """An email the real Logto would have sent through its email connector."""

    to: str
    template: str
    payload: dict[str, Any]
    sent_at: int = field(default_factory=now_ms)


@dataclass
class TenantState:
    users: dict[str, User] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    organization_roles: dict[str, OrganizationRole] = field(default_factory=dict)
    organization_scopes: dict[str, OrganizationScope] = field(default_factory=dict)
    invitations: dict[str, Invitation] = field(default_factory=dict)
    outbox: list[EmailMessage] = field(default_factory=list)
    global_role_ids: dict[str, str] = field(default_factory=dict)  # role name -> id
    # A tenant without an email connector answers 501 to every email Logto should send.
    email_connector: bool = True
    mfa: MfaSettings = field(default_factory=MfaSettings)
    # "SignIn" (sign in only: no sign-up page), "Register" or "SignInAndRegister".
    sign_in_mode: str = "SignInAndRegister"
    resource_scopes: dict[str, ResourceScope] = field(default_factory=dict)
    resource_ids: dict[str, str] = field(default_factory=dict)  # API indicator -> id
    # global role name -> the resource scope ids it grants
    global_role_scope_ids: dict[str, list[str]] = field(default_factory=dict)
    # -- added: one-time tokens (one_time_tokens.py) -------------------------------------------
    one_time_tokens: dict[str, OneTimeToken] = field(default_factory=dict)
    # -- added: webhooks (hooks.py, webhooks.py) ------------------------------------------------
    hooks: dict[str, Hook] = field(default_factory=dict)
    hook_logs: list[HookLog] = field(default_factory=list)
    # -- added: the `ui_locales` of each authorization request, in order ("" when none) -------
    ui_locales_requested: list[str] = field(default_factory=list)

    def global_role_id(self, name: str) -> str:
        return self.global_role_ids.setdefault(name, new_id(21))

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        for user in self.users.values():
            if user.primary_email and user.primary_email.lower() == wanted:
                return user
        return None

    def role_by_name(self, name: str) -> OrganizationRole | None:
        return next((r for r in self.organization_roles.values() if r.name == name), None)

    def scope_by_name(self, name: str) -> OrganizationScope | None:
        return next((s for s in self.organization_scopes.values() if s.name == name), None)

    def roles_brief(self, role_ids: list[str]) -> list[dict[str, str]]:
        """`organizationRoles: [{id, name}]` as Logto aggregates them: ordered by role name."""
        roles = [self.organization_roles[rid] for rid in role_ids if rid in self.organization_roles]
        return [{"id": r.id, "name": r.name} for r in sorted(roles, key=lambda r: r.name)]

    def user_scope_names(self, org: Organization, user_id: str) -> list[str]:
        """The member's organization permissions, ordered by scope id as Logto's
        `select distinct on (scope id)` returns them (an order unrelated to names)."""
        scope_ids: set[str] = set()
        for rid in org.members.get(user_id, []):
            role = self.organization_roles.get(rid)
            scope_ids.update(sid for sid in (role.scope_ids if role else []))
        return [
            self.organization_scopes[sid].name
            for sid in sorted(scope_ids)
            if sid in self.organization_scopes
        ]

    def resource_scope_names(
        self, user: User, resource: str, organization_id: str | None = None
    ) -> set[str]:
        """What `user` holds for an API resource: their global roles' scopes and their
        organization roles' resource scopes (in every organization, or in one)."""
        scope_ids = {
            sid for name in user.global_roles for sid in self.global_role_scope_ids.get(name, [])
        }
        for org in self.organizations.values():
            if organization_id not in (None, org.id):
                continue
            for rid in org.members.get(user.id, []):
                role = self.organization_roles.get(rid)
                scope_ids.update(role.resource_scope_ids if role else [])
        return {
            self.resource_scopes[sid].name
            for sid in scope_ids
            if sid in self.resource_scopes and self.resource_scopes[sid].resource == resource
        }

    def resource_scopes_brief(self, scope_ids: list[str]) -> list[dict[str, Any]]:
        """A role's `resourceScopes`: [{id, name, resource: {id, name}}]."""
        return [
            {
                "id": scope.id,
                "name": scope.name,
                "resource": {"id": self.resource_id(scope.resource), "name": scope.resource},
            }
            for scope in (
                self.resource_scopes[sid] for sid in scope_ids if sid in self.resource_scopes
            )
        ]

    def resource_id(self, indicator: str) -> str:
        return self.resource_ids.setdefault(indicator, new_id(21))

    # -- builders used by seeds and tests -------------------------------------------------
    def add_user(
        self,
        email: str,
        password: str | None = None,
        *,
        name: str | None = None,
        global_roles: list[str] | None = None,
        user_id: str | None = None,
    ) -> User:
        user = User(
            id=user_id or new_id(),
            primary_email=email,
            password=password,
            name=name,
            global_roles=list(global_roles or []),
        )
        self.users[user.id] = user
        return user

    def add_scope(self, name: str, description: str | None = None) -> OrganizationScope:
        scope = OrganizationScope(id=new_id(21), name=name, description=description)
        self.organization_scopes[scope.id] = scope
        return scope

    def add_resource_scope(self, resource: str, name: str) -> ResourceScope:
        scope = ResourceScope(id=new_id(21), resource=resource, name=name)
        self.resource_scopes[scope.id] = scope
        return scope

    def add_role(
        self,
        name: str,
        scopes: list[str],
        description: str | None = None,
        role_type: str = "User",
    ) -> OrganizationRole:
        scope_ids = [(self.scope_by_name(s) or self.add_scope(s)).id for s in scopes]
        role = OrganizationRole(
            id=new_id(21), name=name, description=description, scope_ids=scope_ids, type=role_type
        )
        self.organization_roles[role.id] = role
        return role

    def add_organization(self, name: str, description: str | None = None) -> Organization:
        org = Organization(id=new_id(), name=name, description=description)
        self.organizations[org.id] = org
        return org

    def add_member(self, org: Organization, user: User, roles: list[str] = ()) -> None:
        role_ids = [self._role_named(r).id for r in roles]
        org.members[user.id] = role_ids

    def add_invitation(
        self,
        org: Organization,
        invitee: str,
        *,
        inviter: User | None = None,
        roles: Sequence[str] = ("member",),
        status: str = "Pending",
        created_at: int | None = None,
        invitation_id: str | None = None,
    ) -> Invitation:
        """An invitation as if made through the API a moment (or `created_at`) ago, valid
        for a week from then (for setting up tests and demos)."""
        created = now_ms() if created_at is None else created_at
        invitation = Invitation(
            id=invitation_id or new_id(21),
            invitee=invitee,
            organization_id=org.id,
            expires_at=created + INVITATION_WEEK_MS,
            inviter_id=inviter.id if inviter else None,
            role_ids=[self._role_named(r).id for r in roles],
            status=status,
            created_at=created,
            updated_at=created,
        )
        self.invitations[invitation.id] = invitation
        return invitation

    def _role_named(self, name: str) -> OrganizationRole:
        role = self.role_by_name(name)
        if role is None:
            raise KeyError(f"no organization role named {name!r}")
        return role


# -- added: organization applications (applications.py) ---------------------------------------
@dataclass
class ApplicationSecret:
    application_id: str
    name: str
    value: str
    created_at: int = field(default_factory=now_ms)
    expires_at: int | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "tenantId": TENANT_ID,
            "applicationId": self.application_id,
            "name": self.name,
            "value": self.value,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
        }


def new_secret(length: int = 32) -> str:
    """Logto's generateStandardSecret: random alphanumerics (signing keys, tokens, secrets)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


# -- added: one-time tokens (one_time_tokens.py) -----------------------------------------------
@dataclass
class OneTimeToken:
    id: str
    email: str
    token: str
    expires_at: int
    context: dict[str, Any] = field(default_factory=dict)
    status: str = "active"  # active, consumed, revoked, expired
    created_at: int = field(default_factory=now_ms)

    def to_api(self) -> dict[str, Any]:
        return {
            "tenantId": TENANT_ID,
            "id": self.id,
            "email": self.email,
            "token": self.token,
            "context": self.context,
            "status": self.status,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
        }


# -- added: webhooks (hooks.py, webhooks.py) ---------------------------------------------------
@dataclass
class Hook:
    id: str
    name: str
    events: list[str]
    url: str
    headers: dict[str, str] | None = None
    signing_key: str = field(default_factory=new_secret)
    enabled: bool = True
    event: str | None = None  # Logto's deprecated single event, kept for old hooks
    created_at: int = field(default_factory=now_ms)

    def subscribes_to(self, event: str) -> bool:
        return self.enabled and (event in self.events if self.events else event == self.event)

    def to_api(self) -> dict[str, Any]:
        config: dict[str, Any] = {"url": self.url}
        if self.headers is not None:
            config["headers"] = self.headers
        return {
            "tenantId": TENANT_ID,
            "id": self.id,
            "name": self.name,
            "event": self.event,
            "events": self.events,
            "config": config,
            "signingKey": self.signing_key,
            "enabled": self.enabled,
            "createdAt": self.created_at,
        }


@dataclass
class HookLog:
    """One delivery attempt, as `GET /hooks/{id}/recent-logs` lists it."""

    id: str
    hook_id: str
    key: str  # "TriggerHook.<event>"
    payload: dict[str, Any]
    created_at: int = field(default_factory=now_ms)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "payload": self.payload,
            "createdAt": self.created_at,
        }
