"""API errors: one body shape `{code, message, details}` and the status that goes with it.

`message` is written in the request's language (Accept-Language, else the token user's saved
language when there is one); `code` and the `WWW-Authenticate` header stay English.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext as _


class ApiError(Exception):
    """An answer decided by the API layer itself (token, body, route), already with a status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        body = {"code": self.code, "message": str(self.message), "details": self.details}
        response = JsonResponse(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def invalid_token(message: str) -> ApiError:
    """`message` in English, marked with `gettext_noop`: the body says it in the request's
    language, the header (ASCII by RFC 6750, read by programs) in English."""
    return ApiError(
        401,
        "invalid_token",
        _(message),
        headers={
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'
        },
    )


def insufficient_scope(scope: str) -> ApiError:
    return ApiError(
        403,
        "insufficient_scope",
        _("The token does not carry the `%(scope)s` permission.") % {"scope": scope},
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
    )
