"""The API's one exception handler: every failure becomes `{code, message, details}`.

Statuses of service errors and Logto failures come from `error_status`, the same mapping the
HTML pages use, so a refusal means the same thing on both sides."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import HttpError, ValidationError

from orgportal.api.errors import ApiError, invalid_token
from orgportal.logto.errors import LogtoError
from orgportal.services.errors import ApplicationError, logto_failure_sentence
from orgportal.views.errors import error_status

logger = logging.getLogger(__name__)

HANDLED = (ApiError, ValidationError, HttpError, Http404, ApplicationError, LogtoError)

CODES = {
    403: "forbidden",
    404: "not_found",
    422: "rejected",
    429: "rate_limited",
    503: "logto_unavailable",
}
MAX_DETAILS = 20


def api_error_response(request: HttpRequest, error: Exception) -> HttpResponse:
    return api_error(request, error).response()


def api_error(request: HttpRequest, error: Exception) -> ApiError:
    if isinstance(error, ApiError):
        return error
    if isinstance(error, ValidationError):
        return invalid_input(error)
    if isinstance(error, HttpError):
        return from_ninja_http_error(error)
    if isinstance(error, Http404):
        return ApiError(404, "not_found", "Not found.")
    if isinstance(error, ApplicationError):
        status = error_status(error)
        return ApiError(status, CODES.get(status, "rejected"), error.message)
    if isinstance(error, LogtoError):
        logger.warning("Logto failed during %s %s: %s", request.method, request.path, error)
        status = error_status(error)
        message = logto_failure_sentence(error)
        if status == 404:
            message = "Not found."
        elif status == 422:  # Logto refused the input: its reason is the caller's to fix
            message = f"The input was not accepted: {error.message}"
        return ApiError(status, CODES.get(status, "logto_unavailable"), message)
    raise TypeError(f"Not an API error: {error!r}")  # pragma: no cover - see HANDLED


def invalid_input(error: ValidationError) -> ApiError:
    """ninja's errors carry `loc` = (source, [parameter,] field...): keep the field path."""
    details = [
        {"path": _field_path(item.get("loc", ())), "message": item.get("msg", "Invalid.")}
        for item in error.errors[:MAX_DETAILS]
    ]
    first = error.errors[0] if error.errors else {}
    source = str(first.get("loc", ("request",))[0])
    where = "/".join(details[0]["path"]) if details else ""
    return ApiError(
        400,
        "invalid_input",
        f"The request {source} is invalid at `{where or source}`: {first.get('msg', '')}",
        details=details,
    )


def _field_path(loc: tuple | list) -> list[str]:
    source, *rest = [str(part) for part in loc] or ["request"]
    if source == "body" and rest:
        rest = rest[1:]  # the handler's parameter name, not part of the JSON document
    return rest


def from_ninja_http_error(error: HttpError) -> ApiError:
    # ninja wraps the body parser's exception in a 400; the cause has the precise answer.
    if isinstance(error.__cause__, ApiError):
        return error.__cause__
    if error.status_code == 401:
        return invalid_token("Send a Logto access token as `Authorization: Bearer <token>`.")
    return ApiError(error.status_code, CODES.get(error.status_code, "invalid_input"), str(error))
