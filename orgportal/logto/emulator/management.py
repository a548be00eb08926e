"""The Management API half of the emulator (`/api/...`), with Logto's shapes and codes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

import jwt
from werkzeug.wrappers import Request, Response

from orgportal.logto.emulator.errors import ApiError, json_response, not_found

if TYPE_CHECKING:
    from orgportal.logto.emulator.app import Emulator


def register(emu: Emulator, route: Callable) -> None:
    def api(methods: str, path: str, name: str, handler: Callable) -> None:
        route(methods, "/api" + path, name, _bearer_required(emu, handler))

    state = emu.state

    def user_organizations(request: Request, user_id: str) -> Response:
        if user_id not in state.users:
            raise not_found("user")
        return json_response(
            [
                {**org.to_api(), "organizationRoles": state.roles_brief(org.members[user_id])}
                for org in state.organizations.values()
                if user_id in org.members
            ]
        )

    api("GET", "/users/<user_id>/organizations", "users.organizations", user_organizations)


def _bearer_required(emu: Emulator, handler: Callable) -> Callable:
    """Logto's Management API guard: a JWT for the management resource with scope `all`."""

    @wraps(handler)
    def guarded(request: Request, **params) -> Response:
        header = request.headers.get("Authorization")
        if not header:
            raise ApiError(
                401, "auth.authorization_header_missing", "Authorization header is missing."
            )
        if not header.startswith("Bearer "):
            raise ApiError(
                401,
                "auth.authorization_token_type_not_supported",
                "Authorization type is not supported.",
            )
        try:
            claims = emu.oidc.decode_access_token(header[7:], audience=emu.management_api_resource)
        except jwt.InvalidTokenError:
            raise ApiError(
                401, "auth.unauthorized", "Unauthorized. Please check credentials and its scope."
            ) from None
        if "all" not in str(claims.get("scope", "")).split():
            raise ApiError(403, "auth.forbidden", "Forbidden. Please check your permissions.")
        return handler(request, **params)

    return guarded
