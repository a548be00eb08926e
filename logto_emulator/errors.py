"""Error responses in the shapes Logto uses."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response


class ApiError(Exception):
    """A Management API error: `{code, message, data?, details?}` with an HTTP status.

    `code` None gives Logto's bare `{message}` body (errors raised below its own error classes,
    e.g. a body that is not JSON)."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        data: Any = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        self.details = details

    def response(self) -> Response:
        body: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            body["code"] = self.code
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


def invalid_input(issues: list[dict[str, Any]], part: str = "body") -> ApiError:
    """koa-guard's refusal: the ZodError as `data` ({issues, name}) and one `details` line per
    issue, formatted as Logto's formatZodError does."""
    return ApiError(
        400,
        "guard.invalid_input",
        f"The request {part} is invalid.",
        {"issues": issues, "name": "ZodError"},
        details="\n".join(_issue_line(issue) for issue in issues),
    )


def _issue_line(issue: dict[str, Any]) -> str:
    path = ".".join(str(part) for part in issue.get("path", []))
    base = f'Error in key path "{path}": ({issue["code"]}) '
    if issue["code"] == "invalid_type":
        return base + f"Expected {issue['expected']} but received {issue['received']}."
    return base + issue["message"]


def text_response(status: int, text: str) -> Response:
    """Koa's answer when a handler sets a status without a body: the status text as plain text."""
    return Response(text, status=status, content_type="text/plain; charset=utf-8")
