"""What callers send: request bodies (camelCase, strict types, no unknown fields) and query
parameters (strings from the URL, converted and range-checked)."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from orgportal.logto.models import InvitationStatus

LogtoId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Email = Annotated[str, StringConstraints(max_length=320)]


class Body(Schema):
    # strict: JSON `"true"` is not a boolean and `5` is not a name.
    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel)


class OrganizationCreateIn(Body):
    name: str = Field(min_length=1, max_length=128)
    description: str = Field("", max_length=256)


class OrganizationUpdateIn(Body):
    """Only the fields sent change; a missing (or null) field keeps its value."""

    name: str | None = Field(None, min_length=1, max_length=128)
    description: str | None = Field(None, max_length=256)
    is_mfa_required: bool | None = Field(
        None,
        description="Require two-step verification. From then on, members without a "
        "two-step factor get no organization tokens (so no access to this API for the "
        "organization) until they set one up.",
    )


class MemberRolesIn(Body):
    role_ids: list[LogtoId] = Field(max_length=50)


class InvitationsCreateIn(Body):
    emails: list[Email] = Field(min_length=1, max_length=100)
    role_ids: list[LogtoId] = Field(min_length=1, max_length=50)
    expires_in_days: int | None = Field(None, ge=1, le=30)
    message: str = Field("", max_length=500)
    language: str | None = Field(
        None,
        max_length=16,
        description="The language of the emails (`en` or `de`). Default: the language the "
        "caller chose in the portal, else English.",
    )


class MembersQuery(Schema):
    q: str = Field("", max_length=100, description="Search in name, email and username.")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)


class InvitationsQuery(Schema):
    status: InvitationStatus | None = None
