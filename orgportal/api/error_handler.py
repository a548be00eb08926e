"""The API's one exception handler: every failure becomes `{code, message, details}`.

Statuses of service errors and Logto failures come from `error_status`, the same mapping the
HTML pages use, so a refusal means the same thing on both sides. Messages are written in the
request's language; codes stay English."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from ninja.errors import HttpError, ValidationError

from orgportal.api.errors import ApiError, invalid_token
from orgportal.api.tokens import SEND_A_TOKEN
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
        return ApiError(404, "not_found", _("Not found."))
    if isinstance(error, ApplicationError):
        status = error_status(error)
        return ApiError(status, CODES.get(status, "rejected"), str(error.message))
    if isinstance(error, LogtoError):
        logger.warning("Logto failed during %s %s: %s", request.method, request.path, error)
        status = error_status(error)
        message = logto_failure_sentence(error)
        if status == 404:
            message = _("Not found.")
        elif status == 422:  # Logto refused the input: its reason is the caller's to fix
            message = _("The input was not accepted: %(reason)s") % {"reason": error.message}
        return ApiError(status, CODES.get(status, "logto_unavailable"), message)
    raise TypeError(f"Not an API error: {error!r}")  # pragma: no cover - see HANDLED


# One whole sentence per part of the request that ninja validates.
_INVALID_AT = {
    "body": gettext_lazy("The request body is invalid at `%(where)s`: %(reason)s"),
    "query": gettext_lazy("The request query is invalid at `%(where)s`: %(reason)s"),
    "path": gettext_lazy("The request path is invalid at `%(where)s`: %(reason)s"),
    "header": gettext_lazy("The request header is invalid at `%(where)s`: %(reason)s"),
    "cookie": gettext_lazy("The request cookie is invalid at `%(where)s`: %(reason)s"),
    "form": gettext_lazy("The request form is invalid at `%(where)s`: %(reason)s"),
    "file": gettext_lazy("The request file is invalid at `%(where)s`: %(reason)s"),
}


def invalid_input(error: ValidationError) -> ApiError:
    """ninja's errors carry `loc` = (source, [parameter,] field...): keep the field path."""
    details = [
        {"path": _field_path(item.get("loc", ())), "message": validation_reason(item)}
        for item in error.errors[:MAX_DETAILS]
    ]
    first = error.errors[0] if error.errors else {}
    source = str(first.get("loc", ("request",))[0])
    where = "/".join(details[0]["path"]) if details else ""
    sentence = _INVALID_AT.get(source, _INVALID_AT["body"])
    reason = validation_reason(first) if first else ""
    return ApiError(
        400,
        "invalid_input",
        str(sentence) % {"where": where or source, "reason": reason},
        details=details,
    )


# pydantic's reasons for the kinds of input this API checks, with the same English; a kind
# not listed keeps pydantic's (English) sentence.
_REASONS = {
    "missing": gettext_lazy("Field required"),
    "extra_forbidden": gettext_lazy("Extra inputs are not permitted"),
    "string_type": gettext_lazy("Input should be a valid string"),
    "int_type": gettext_lazy("Input should be a valid integer"),
    "int_parsing": gettext_lazy(
        "Input should be a valid integer, unable to parse string as an integer"
    ),
    "int_from_float": gettext_lazy(
        "Input should be a valid integer, got a number with a fractional part"
    ),
    "float_type": gettext_lazy("Input should be a valid number"),
    "bool_type": gettext_lazy("Input should be a valid boolean"),
    "bool_parsing": gettext_lazy("Input should be a valid boolean, unable to interpret input"),
    "list_type": gettext_lazy("Input should be a valid list"),
    "dict_type": gettext_lazy("Input should be a valid dictionary"),
    "greater_than_equal": gettext_lazy("Input should be greater than or equal to %(ge)s"),
    "less_than_equal": gettext_lazy("Input should be less than or equal to %(le)s"),
    "string_pattern_mismatch": gettext_lazy("String should match pattern '%(pattern)s'"),
}


def validation_reason(item: dict) -> str:
    """One validation error's reason in the request's language."""
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    fallback = str(item.get("msg") or _("Invalid."))
    try:
        if kind in _REASONS:
            return str(_REASONS[kind]) % ctx
        if kind == "string_too_short":
            count = ctx["min_length"]
            return ngettext(
                "String should have at least %(min_length)s character",
                "String should have at least %(min_length)s characters",
                count,
            ) % {"min_length": count}
        if kind == "string_too_long":
            count = ctx["max_length"]
            return ngettext(
                "String should have at most %(max_length)s character",
                "String should have at most %(max_length)s characters",
                count,
            ) % {"max_length": count}
        if kind == "too_short" and ctx.get("field_type") == "List":
            count = ctx["min_length"]
            return ngettext(
                "List should have at least %(min_length)s item after validation, "
                "not %(actual_length)s",
                "List should have at least %(min_length)s items after validation, "
                "not %(actual_length)s",
                count,
            ) % {"min_length": count, "actual_length": ctx["actual_length"]}
        if kind == "too_long" and ctx.get("field_type") == "List":
            count = ctx["max_length"]
            return ngettext(
                "List should have at most %(max_length)s item after validation, "
                "not %(actual_length)s",
                "List should have at most %(max_length)s items after validation, "
                "not %(actual_length)s",
                count,
            ) % {"max_length": count, "actual_length": ctx["actual_length"]}
    except (KeyError, TypeError, ValueError):
        pass  # a context pydantic shaped differently: its own sentence
    return fallback


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
        return invalid_token(SEND_A_TOKEN)
    return ApiError(error.status_code, CODES.get(error.status_code, "invalid_input"), str(error))
