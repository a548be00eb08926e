"""URLs of `/api/v1/`: ninja's routes, each also with a trailing slash, then a JSON 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from orgportal.api.app import api
from orgportal.api.errors import ApiError


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a plain-text 405; give it the API's error body."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = sorted(method.strip() for method in response["Allow"].split(","))
        error = ApiError(
            405,
            "method_not_allowed",
            _("%(method)s is not allowed here.") % {"method": request.method},
            headers={"Allow": ", ".join(allowed)},
        )
        return error.response()

    return wrapped


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return ApiError(404, "not_found", _("There is no such API endpoint.")).response()


def _routes() -> list[URLPattern]:
    ninja_patterns, _app_name, _namespace = api.urls
    routes, seen = [], set()
    for pattern in ninja_patterns:
        assert isinstance(pattern, URLPattern)  # ninja lists only plain paths
        route = str(pattern.pattern)
        # One URL per path: ninja lists each operation, and the path's view serves them all.
        if route in seen:
            continue
        seen.add(route)
        if not route:
            # ninja reverses its root to learn the prefix of the document's paths; no page.
            routes.append(path(route, not_found, name=pattern.name))
            continue
        view = json_method_not_allowed(pattern.callback)
        routes.append(path(route, view, name=pattern.name))
        if route and not route.endswith("/") and pattern.name != "openapi-json":
            routes.append(path(route + "/", view))  # clients often add the slash
    return routes


app_name = "api"
urlpatterns = [*_routes(), path("<path:rest>", not_found, name="not_found")]
