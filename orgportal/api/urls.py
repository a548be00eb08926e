"""URLs of `/api/v1/`, derived from the endpoint declarations."""

from __future__ import annotations

import re
from collections import defaultdict

from django.http import HttpRequest
from django.urls import path

from orgportal.api.endpoints import ENDPOINTS
from orgportal.api.errors import ApiError
from orgportal.api.framework import dispatch
from orgportal.api.openapi import openapi_view


def _django_path(openapi_path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<str:\1>", openapi_path.lstrip("/")) + "/"


_grouped = defaultdict(list)
for _endpoint in ENDPOINTS:
    _grouped[_endpoint.path].append(_endpoint)


def not_found(request: HttpRequest, rest: str = ""):
    return ApiError(404, "not_found", "There is no such API endpoint.").response()


urlpatterns = [
    path("openapi.json", openapi_view, name="api_openapi"),
    *[
        path(_django_path(openapi_path), dispatch(endpoints), name=endpoints[0].name)
        for openapi_path, endpoints in _grouped.items()
    ],
    # Paths without the trailing slash too (clients often omit it).
    *[
        path(_django_path(openapi_path).rstrip("/"), dispatch(endpoints))
        for openapi_path, endpoints in _grouped.items()
    ],
    path("<path:rest>", not_found),
]
