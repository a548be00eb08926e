"""JSON Schemas of the API: they validate request bodies and build the OpenAPI document,
so the document and the code cannot drift apart."""

from __future__ import annotations

from typing import Any


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
DATETIME = {"type": "string", "format": "date-time", "nullable": True}
ID = {"type": "string", "minLength": 1, "maxLength": 64}
ROLE = obj({"id": STRING, "name": STRING}, ["id", "name"])

ERROR = obj(
    {"code": STRING, "message": STRING, "details": {"nullable": True}},
    ["code", "message", "details"],
)
ORGANIZATION = obj(
    {
        "id": STRING,
        "name": STRING,
        "description": NULLABLE_STRING,
        "isMfaRequired": {"type": "boolean"},
        "createdAt": DATETIME,
    },
    ["id", "name", "description", "isMfaRequired", "createdAt"],
)
MEMBERSHIP = obj(
    {"organization": ORGANIZATION, "roles": {"type": "array", "items": ROLE}},
    ["organization", "roles"],
)
MEMBER = obj(
    {
        "id": STRING,
        "name": NULLABLE_STRING,
        "email": NULLABLE_STRING,
        "avatar": NULLABLE_STRING,
        "lastSignInAt": DATETIME,
        "roles": {"type": "array", "items": ROLE},
    },
    ["id", "name", "email", "avatar", "lastSignInAt", "roles"],
)
MEMBER_PAGE = obj(
    {
        "items": {"type": "array", "items": MEMBER},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "pageSize": {"type": "integer"},
    },
    ["items", "total", "page", "pageSize"],
)
TEMPLATE_ROLE = obj(
    {
        "id": STRING,
        "name": STRING,
        "description": NULLABLE_STRING,
        "permissions": {"type": "array", "items": STRING},
    },
    ["id", "name", "description", "permissions"],
)
INVITATION = obj(
    {
        "id": STRING,
        "invitee": STRING,
        "organizationId": STRING,
        "inviterId": NULLABLE_STRING,
        "status": {"type": "string", "enum": ["Pending", "Accepted", "Expired", "Revoked"]},
        "createdAt": DATETIME,
        "expiresAt": DATETIME,
        "roles": {"type": "array", "items": ROLE},
    },
    ["id", "invitee", "organizationId", "inviterId", "status", "createdAt", "expiresAt", "roles"],
)
PUBLIC_INVITATION = obj(
    {
        "id": STRING,
        "organizationId": STRING,
        "organizationName": STRING,
        "inviterName": STRING,
        "invitee": {"type": "string", "description": "Masked unless it is the caller's."},
        "status": {"type": "string", "enum": ["Pending", "Accepted", "Expired", "Revoked"]},
        "expiresAt": DATETIME,
        "roles": {"type": "array", "items": ROLE},
    },
    [
        "id",
        "organizationId",
        "organizationName",
        "inviterName",
        "invitee",
        "status",
        "expiresAt",
        "roles",
    ],
)
INVITE_OUTCOME = obj(
    {
        "email": STRING,
        "status": {"type": "string", "enum": ["sent", "skipped", "failed"]},
        "reason": STRING,
        "invitationId": STRING,
    },
    ["email", "status", "reason", "invitationId"],
)

# Request bodies.
CREATE_ORGANIZATION = obj(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 128},
        "description": {"type": "string", "maxLength": 256},
    },
    ["name"],
)
UPDATE_ORGANIZATION = obj(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 128},
        "description": {"type": "string", "maxLength": 256},
        "isMfaRequired": {"type": "boolean"},
    },
)
SET_ROLES = obj({"roleIds": {"type": "array", "items": ID, "maxItems": 50}}, ["roleIds"])
CREATE_INVITATIONS = obj(
    {
        "emails": {
            "type": "array",
            "items": {"type": "string", "maxLength": 320},
            "minItems": 1,
            "maxItems": 100,
        },
        "roleIds": {"type": "array", "items": ID, "minItems": 1, "maxItems": 50},
        "expiresInDays": {"type": "integer", "minimum": 1, "maximum": 30},
        "message": {"type": "string", "maxLength": 500},
    },
    ["emails", "roleIds"],
)
