"""Frozen dataclasses parsed from Logto's JSON at the edge; raw dicts never leave `logto/`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def _from_ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class RoleRef:
    """An organization role as other objects reference it: id and name."""

    id: str
    name: str

    @classmethod
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

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Organization:
        return cls(
            id=data["id"],
            name=data["name"],
            description=data.get("description"),
            is_mfa_required=bool(data.get("isMfaRequired", False)),
            custom_data=dict(data.get("customData") or {}),
            created_at=_from_ms(data.get("createdAt")),
        )


@dataclass(frozen=True)
class UserOrganization:
    """One of a user's organizations, with the user's roles in it."""

    organization: Organization
    roles: tuple[RoleRef, ...]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> UserOrganization:
        return cls(
            organization=Organization.from_api(data),
            roles=tuple(RoleRef.from_api(r) for r in data.get("organizationRoles") or []),
        )

    @property
    def role_names(self) -> list[str]:
        return [role.name for role in self.roles]
