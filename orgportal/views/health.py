"""Health endpoints for load balancers and orchestrators, answered before everything else.

A probe comes from the load balancer itself: Host is the instance's address (not in
ALLOWED_HOSTS), the scheme plain http (which SECURE_SSL_REDIRECT would redirect), and it comes
every few seconds (which would flood the logs). HealthProbeMiddleware, first in MIDDLEWARE,
answers /healthz and /readyz before host validation, the https redirect and the access log;
/readyz logs a line only when this process's readiness changes.
Neither answer builds a URL from Host, so skipping its validation is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from orgportal.services.health import readiness

logger = logging.getLogger(__name__)
# This process's last readiness, so that a change is logged once, not at every probe.
_was_ready: bool | None = None


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Depends on nothing, so a database or Logto outage
    never makes an orchestrator restart healthy processes."""
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, the cache and Logto answer; 503 names which did not."""
    global _was_ready
    checks = readiness()
    ready = all(value == "ok" for value in checks.values())
    if ready != _was_ready:
        if not ready:
            failed = ", ".join(f"{part} {state}" for part, state in checks.items() if state != "ok")
            logger.warning("Not ready: %s", failed, extra={"checks": checks})
        elif _was_ready is not None:
            logger.warning("Ready again")
        _was_ready = ready
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


_PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        response = probe(request)
        # Django would log every 503 (and 405) as a request error; readyz logs the change.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
