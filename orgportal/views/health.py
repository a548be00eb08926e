"""Health endpoints for load balancers and orchestrators, answered before everything else.

A probe comes from the load balancer itself: Host is the instance's address (not in
ALLOWED_HOSTS), the scheme plain http (which SECURE_SSL_REDIRECT would redirect), and it comes
every few seconds (which would flood the logs). HealthProbeMiddleware, first in MIDDLEWARE,
answers /healthz and /readyz before host validation, the https redirect and the access log.
Neither answer builds a URL from Host, so skipping its validation is safe.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from orgportal.services.health import readiness


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Depends on nothing, so a database or Logto outage
    never makes an orchestrator restart healthy processes."""
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, the cache and Logto answer; 503 names which did not."""
    checks = readiness()
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


_PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)
