"""A small, declarative JSON endpoint layer: each endpoint names its method, path, who may
call it (a user token or an organization token with a permission), its request schema and
its responses. The same declarations validate requests and build the OpenAPI document."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from jsonschema import Draft7Validator

from orgportal.api.errors import ApiError, insufficient_scope, invalid_token
from orgportal.api.tokens import bearer_token, organization_audience, validate_access_token
from orgportal.logto.errors import LogtoError, NotFound
from orgportal.models import User
from orgportal.services.access import permission_name
from orgportal.services.errors import ApplicationError, Gone, logto_failure_sentence
from orgportal.services.users import user_for_subject
from orgportal.views.errors import error_status

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
USER_REFRESH_SECONDS = 300


@dataclass
class Context:
    actor: User
    scopes: frozenset[str]
    body: dict[str, Any]
    query: dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # OpenAPI style, e.g. /organizations/{org_id}
    name: str
    summary: str
    handler: Callable[..., tuple[int, Any]]
    audience: str = "user"  # "user": the portal's API resource; "organization": org token
    permission: str | None = None  # a key of ORGPORTAL_PERMISSIONS the org token must carry
    request_schema: dict | None = None
    response_schema: dict | None = None
    status: int = 200
    query: dict[str, dict] = field(default_factory=dict)
    errors: tuple[int, ...] = ()

    @property
    def validator(self) -> Draft7Validator | None:
        return (
            Draft7Validator(_nullable_to_json_schema(self.request_schema))
            if self.request_schema
            else None
        )


def _nullable_to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _nullable_to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def api_user(subject: str) -> User:
    """The local user for a token's subject, created or refreshed from the Management API."""
    try:
        return user_for_subject(subject)
    except Gone:
        raise invalid_token("The token's user no longer exists.") from None


def dispatch(endpoints: list[Endpoint]) -> Callable:
    """One Django view for all methods of one path."""
    by_method = {endpoint.method: endpoint for endpoint in endpoints}

    @csrf_exempt  # bearer tokens only: no cookies are read, so no CSRF exposure
    def view(request: HttpRequest, **params: str) -> HttpResponse:
        endpoint = by_method.get(request.method)
        if endpoint is None:
            error = ApiError(405, "method_not_allowed", f"{request.method} is not allowed here.")
            response = error.response()
            response["Allow"] = ", ".join(sorted(by_method))
            return response
        try:
            status, body = _run(endpoint, request, params)
        except ApiError as error:
            return error.response()
        except ApplicationError as error:
            status = error_status(error)
            code = {403: "forbidden", 404: "not_found", 503: "logto_unavailable"}.get(
                status, "rejected"
            )
            return ApiError(status, code, error.message).response()
        except LogtoError as error:
            logger.warning("Logto failed during %s %s: %s", request.method, request.path, error)
            status = 404 if isinstance(error, NotFound) else 503
            code = "not_found" if status == 404 else "logto_unavailable"
            message = "Not found." if status == 404 else logto_failure_sentence(error)
            return ApiError(status, code, message).response()
        if status == 204:
            return HttpResponse(status=204)
        return JsonResponse(body, status=status, safe=False)

    return view


def _run(endpoint: Endpoint, request: HttpRequest, params: dict[str, str]) -> tuple[int, Any]:
    token = bearer_token(request.headers.get("Authorization"))
    if endpoint.audience == "organization":
        audience = organization_audience(params["org_id"])
    else:
        audience = settings.LOGTO.api_resource
    claims = validate_access_token(token, audience=audience)
    if endpoint.permission:
        needed = permission_name(endpoint.permission)
        if needed not in claims.scopes:
            raise insufficient_scope(needed)
    body = _body(endpoint, request)
    context = Context(
        actor=api_user(claims.subject),
        scopes=claims.scopes,
        body=body,
        query={key: request.GET.get(key, "") for key in endpoint.query},
    )
    return endpoint.handler(context, **params)


def _body(endpoint: Endpoint, request: HttpRequest) -> dict[str, Any]:
    if endpoint.request_schema is None:
        return {}
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"Send at most {MAX_BODY_BYTES} bytes.")
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"Send at most {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw or b"null")
        # JSON may escape lone surrogates (\ud800) that no database or email can store.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError):
        raise ApiError(
            400, "invalid_json", "The request body is not valid JSON text in UTF-8."
        ) from None
    errors = sorted(endpoint.validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.path) or "body"
        raise ApiError(
            400,
            "invalid_input",
            f"The request body is invalid at `{where}`: {first.message}",
            details=[{"path": [str(p) for p in e.path], "message": e.message} for e in errors[:20]],
        )
    return data
