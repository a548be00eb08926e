from __future__ import annotations

import requests
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers and Logto's discovery document is reachable."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any database failure means "not ready"
        checks["database"] = f"failed: {type(exc).__name__}"
    discovery = settings.LOGTO.endpoint + "/oidc/.well-known/openid-configuration"
    try:
        response = requests.get(discovery, timeout=(2, 3))
        checks["logto"] = "ok" if response.status_code == 200 else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        checks["logto"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
