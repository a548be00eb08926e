"""Frozen dataclasses parsed from Logto's JSON at the edge; raw dicts never leave `logto/`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from orgportal.logto.errors import UnexpectedAnswer

T = TypeVar("T")


F = TypeVar("F", bound=Callable[..., Any])


def expects_object(parse: F) -> F:
    """Parsing refuses anything but a JSON object: an answer of the wrong shape (a list where
    one thing was expected) becomes a LogtoError, never a crash further up."""

    @functools.wraps(parse)
    def checked(cls: Any, data: Any) -> Any:
        if not isinstance(data, dict):
            raise UnexpectedAnswer(
                f"Logto answered with {type(data).__name__} where one {cls.__name__} was expected."
            )
        return parse(cls, data)

    return checked  # type: ignore[return-value]


def _from_ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class RoleRef:
    """An organization role as other objects reference it: id and name."""

    id: str
    name: str

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> RoleRef:
        return cls(id=data["id"], name=data["name"])


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    description: str | None
    is_mfa_required: bool
    custom_data: dict[str, Any]
    created_at: datetime | None
    member_count: int | None = None  # only when asked for (showFeatured)
    logo_url: str = ""  # branding.logoUrl, set in Logto's console; pages check it before use

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> Organization:
        branding = data.get("branding")
        logo = branding.get("logoUrl") if isinstance(branding, dict) else None
        return cls(
            id=data["id"],
            name=data["name"],
            description=data.get("description"),
            is_mfa_required=bool(data.get("isMfaRequired", False)),
            custom_data=dict(data.get("customData") or {}),
            created_at=_from_ms(data.get("createdAt")),
            member_count=data.get("usersCount"),
            logo_url=logo if isinstance(logo, str) else "",
        )


@dataclass(frozen=True)
class UserOrganization:
    """One of a user's organizations, with the user's roles in it."""

    organization: Organization
    roles: tuple[RoleRef, ...]

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> UserOrganization:
        return cls(
            organization=Organization.from_api(data),
            roles=tuple(RoleRef.from_api(r) for r in data.get("organizationRoles") or []),
        )

    @property
    def role_names(self) -> list[str]:
        return [role.name for role in self.roles]


@dataclass(frozen=True)
class Profile:
    """What the portal copies of a person: from the sign-in claims or the Management API."""

    email: str
    email_verified: bool
    name: str
    picture: str

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Profile:
        return cls(
            email=claims.get("email") or "",
            email_verified=bool(claims.get("email_verified")),
            name=claims.get("name") or claims.get("username") or "",
            picture=claims.get("picture") or "",
        )

    @classmethod
    def from_user(cls, user: User) -> Profile:
        return cls(
            email=user.primary_email or "",
            # Logto only sets a primary email once it is verified (or an admin set it).
            email_verified=bool(user.primary_email),
            name=user.name or user.username or "",
            picture=user.avatar or "",
        )


@dataclass(frozen=True)
class User:
    id: str
    username: str | None
    primary_email: str | None
    name: str | None
    avatar: str | None
    last_sign_in_at: datetime | None
    created_at: datetime | None
    is_suspended: bool

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> User:
        return cls(
            id=data["id"],
            username=data.get("username"),
            primary_email=data.get("primaryEmail"),
            name=data.get("name"),
            avatar=data.get("avatar"),
            last_sign_in_at=_from_ms(data.get("lastSignInAt")),
            created_at=_from_ms(data.get("createdAt")),
            is_suspended=bool(data.get("isSuspended", False)),
        )

    @property
    def display_name(self) -> str:
        return self.name or self.username or self.primary_email or self.id


@dataclass(frozen=True)
class Member:
    """A user in an organization, with their organization roles."""

    user: User
    roles: tuple[RoleRef, ...]

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> Member:
        return cls(
            user=User.from_api(data),
            roles=tuple(RoleRef.from_api(r) for r in data.get("organizationRoles") or []),
        )

    @property
    def role_ids(self) -> frozenset[str]:
        return frozenset(role.id for role in self.roles)


@dataclass(frozen=True)
class OrganizationScope:
    """An organization permission, e.g. `invite:member`."""

    id: str
    name: str
    description: str | None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> OrganizationScope:
        return cls(id=data["id"], name=data["name"], description=data.get("description"))


@dataclass(frozen=True)
class OrganizationRole:
    """A role of the organization template; `scope_names` when Logto included them."""

    id: str
    name: str
    description: str | None
    type: str
    scope_names: tuple[str, ...] | None = None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> OrganizationRole:
        scopes = data.get("scopes")
        return cls(
            id=data["id"],
            name=data["name"],
            description=data.get("description"),
            type=data.get("type", "User"),
            scope_names=tuple(s["name"] for s in scopes) if scopes is not None else None,
        )


class InvitationStatus(StrEnum):
    """Logto's invitation statuses; Expired is computed by Logto on read."""

    PENDING = "Pending"
    ACCEPTED = "Accepted"
    EXPIRED = "Expired"
    REVOKED = "Revoked"


@dataclass(frozen=True)
class Invitation:
    id: str
    invitee: str
    organization_id: str
    inviter_id: str | None
    accepted_user_id: str | None
    status: InvitationStatus
    created_at: datetime | None
    updated_at: datetime | None
    expires_at: datetime | None
    roles: tuple[RoleRef, ...]

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> Invitation:
        return cls(
            id=data["id"],
            invitee=data["invitee"],
            organization_id=data["organizationId"],
            inviter_id=data.get("inviterId"),
            accepted_user_id=data.get("acceptedUserId"),
            status=InvitationStatus(data["status"]),
            created_at=_from_ms(data.get("createdAt")),
            updated_at=_from_ms(data.get("updatedAt")),
            expires_at=_from_ms(data.get("expiresAt")),
            roles=tuple(RoleRef.from_api(r) for r in data.get("organizationRoles") or []),
        )

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.PENDING


@dataclass(frozen=True)
class Application:
    id: str
    name: str
    type: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    description: str | None = None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> Application:
        metadata = data.get("oidcClientMetadata") or {}
        return cls(
            id=data["id"],
            name=data["name"],
            type=data["type"],
            redirect_uris=tuple(metadata.get("redirectUris") or []),
            post_logout_redirect_uris=tuple(metadata.get("postLogoutRedirectUris") or []),
            description=data.get("description"),
        )


@dataclass(frozen=True)
class ApplicationSecret:
    """One of an application's named secrets; each one authenticates until it expires."""

    application_id: str
    name: str
    value: str
    created_at: datetime | None
    expires_at: datetime | None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> ApplicationSecret:
        return cls(
            application_id=data["applicationId"],
            name=data["name"],
            value=data["value"],
            created_at=_from_ms(data.get("createdAt")),
            expires_at=_from_ms(data.get("expiresAt")),
        )


@dataclass(frozen=True)
class OrganizationApplication:
    """A machine-to-machine application in an organization, with its roles there."""

    application: Application
    roles: tuple[RoleRef, ...]

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> OrganizationApplication:
        return cls(
            application=Application.from_api(data),
            roles=tuple(RoleRef.from_api(r) for r in data.get("organizationRoles") or []),
        )


@dataclass(frozen=True)
class ApplicationOrganization:
    """One of an application's organizations, with the application's roles in it."""

    organization: Organization
    roles: tuple[RoleRef, ...]

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> ApplicationOrganization:
        return cls(
            organization=Organization.from_api(data),
            roles=tuple(RoleRef.from_api(r) for r in data.get("organizationRoles") or []),
        )


class OneTimeTokenStatus(StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class OneTimeToken:
    """A magic-link token: `/oidc/auth?...&one_time_token=<token>&login_hint=<email>`."""

    id: str
    email: str
    token: str
    status: OneTimeTokenStatus
    jit_organization_ids: tuple[str, ...]
    created_at: datetime | None
    expires_at: datetime | None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> OneTimeToken:
        context = data.get("context") or {}
        return cls(
            id=data["id"],
            email=data["email"],
            token=data["token"],
            status=OneTimeTokenStatus(data["status"]),
            jit_organization_ids=tuple(context.get("jitOrganizationIds") or []),
            created_at=_from_ms(data.get("createdAt")),
            expires_at=_from_ms(data.get("expiresAt")),
        )


@dataclass(frozen=True)
class Hook:
    """A webhook: Logto POSTs the `events` to `url`, signed with `signing_key`."""

    id: str
    name: str
    events: tuple[str, ...]
    url: str
    headers: dict[str, str]
    signing_key: str
    enabled: bool
    created_at: datetime | None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> Hook:
        config = data.get("config") or {}
        events = data.get("events") or ([data["event"]] if data.get("event") else [])
        return cls(
            id=data["id"],
            name=data.get("name") or "",
            events=tuple(events),
            url=config.get("url", ""),
            headers=dict(config.get("headers") or {}),
            signing_key=data.get("signingKey", ""),
            enabled=bool(data.get("enabled", True)),
            created_at=_from_ms(data.get("createdAt")),
        )


@dataclass(frozen=True)
class HookDelivery:
    """One delivery of a hook's event (`recent-logs`): what was sent and how it went."""

    id: str
    event: str
    succeeded: bool
    response_status: int | None
    error: str | None
    created_at: datetime | None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> HookDelivery:
        payload = data.get("payload") or {}
        return cls(
            id=data["id"],
            event=data["key"].removeprefix("TriggerHook."),
            succeeded=payload.get("result") == "Success",
            response_status=(payload.get("response") or {}).get("statusCode"),
            error=payload.get("error") if isinstance(payload.get("error"), str) else None,
            created_at=_from_ms(data.get("createdAt")),
        )


@dataclass(frozen=True)
class Connector:
    """A connector configured in the tenant; `type` is Email, Sms or Social."""

    id: str
    type: str
    connector_id: str

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> Connector:
        return cls(id=data["id"], type=data["type"], connector_id=data.get("connectorId", ""))


@dataclass(frozen=True)
class MfaSettings:
    """The tenant's MFA settings (part of the sign-in experience)."""

    factors: tuple[str, ...]
    policy: str
    # "Mandatory": members of an organization that requires MFA must set it up at sign-in.
    organization_required_mfa_policy: str | None

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> MfaSettings:
        return cls(
            factors=tuple(data.get("factors") or ()),
            policy=data.get("policy") or "UserControlled",
            organization_required_mfa_policy=data.get("organizationRequiredMfaPolicy"),
        )


@dataclass(frozen=True)
class MfaVerification:
    """One MFA factor bound to a user (Totp, WebAuthn, BackupCode, ...)."""

    id: str
    type: str

    @classmethod
    @expects_object
    def from_api(cls, data: dict[str, Any]) -> MfaVerification:
        return cls(id=data["id"], type=data["type"])


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paginated list, with Logto's `Total-Number`."""

    items: tuple[T, ...]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
