"""Error responses in the shapes Logto uses."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response


class ApiError(Exception):
    """A Management API error: `{code, message, data?}` with an HTTP status."""

    def __init__(
        self, status: int, code: str, message: str, data: Any = None, details: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        self.details = details

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        if self.details is not None:
            body["details"] = self.details
        return json_response(body, status=self.status)


class OAuthError(Exception):
    """An OIDC/OAuth error: `{error, error_description}` (node-oidc-provider style)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        resp = json_response(
            {"error": self.error, "error_description": self.description}, status=self.status
        )
        if self.status == 401:
            resp.headers["WWW-Authenticate"] = f'Basic realm="oidc", error="{self.error}"'
        return resp


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def not_found(entity: str = "entity") -> ApiError:
    return ApiError(404, "entity.not_found", f"The requested {entity} was not found.")


def not_exists_with_id(entity: str, entity_id: str) -> ApiError:
    return ApiError(
        404, "entity.not_exists_with_id", f"The {entity} with ID `{entity_id}` does not exist."
    )


def invalid_input(message: str, issues: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(400, "guard.invalid_input", message, {"issues": issues or []})
