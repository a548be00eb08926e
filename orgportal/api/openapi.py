"""The OpenAPI 3.0 document of `/api/v1/`, built from the endpoint declarations."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from orgportal.api import schemas
from orgportal.api.endpoints import ENDPOINTS
from orgportal.services.access import permission_name

_ERROR_TEXT = {
    400: "Invalid input (body, query or JSON)",
    401: "Missing, malformed or invalid token",
    403: "Valid token without the permission, or not allowed by the rules",
    404: "No such organization, member or invitation (or not yours)",
    405: "Method not allowed",
    413: "Request body too large",
    422: "A rule said no (e.g. the last admin, an ended invitation)",
    503: "Logto could not be reached; nothing was changed",
}


def build_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        operation: dict[str, Any] = {
            "operationId": endpoint.name,
            "summary": endpoint.summary,
            "security": [
                {"organizationToken": []}
                if endpoint.audience == "organization"
                else {"userToken": []}
            ],
            "parameters": [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                }
                for name in re.findall(r"\{(\w+)\}", endpoint.path)
            ]
            + [
                {"name": name, "in": "query", "required": False, "schema": schema}
                for name, schema in endpoint.query.items()
            ],
            "responses": {},
        }
        if endpoint.permission:
            operation["description"] = (
                f"The organization token must carry `{permission_name(endpoint.permission)}`."
            )
        if endpoint.request_schema:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": endpoint.request_schema}},
            }
        success: dict[str, Any] = {"description": "Success"}
        if endpoint.response_schema:
            success["content"] = {"application/json": {"schema": endpoint.response_schema}}
        operation["responses"][str(endpoint.status)] = success
        for status in (*endpoint.errors, 405):
            operation["responses"][str(status)] = {
                "description": _ERROR_TEXT[status],
                "content": {"application/json": {"schema": schemas.ERROR}},
            }
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "orgportal API",
            "version": "1",
            "description": (
                "Organizations, members and invitations for your own frontends. Send a Logto "
                "access token: for the portal's API resource (`LOGTO_API_RESOURCE`) on user "
                "endpoints, an organization token (`urn:logto:organization:<id>`) with the "
                "needed permission on organization endpoints."
            ),
        },
        "servers": [{"url": f"{settings.PORTAL_BASE_URL}/api/v1"}],
        "components": {
            "securitySchemes": {
                "userToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": f"Logto access token for {settings.LOGTO.api_resource}",
                },
                "organizationToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Logto organization token for the organization in the path",
                },
            }
        },
        "paths": paths,
    }


def openapi_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(build_document())
