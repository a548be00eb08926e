"""Whether this instance can serve: its database and Logto answer."""

from __future__ import annotations

from django.db import connection

from orgportal import logto
from orgportal.logto.errors import LogtoError


def readiness() -> dict[str, str]:
    """Each dependency's state: "ok", or what failed (for operators, never shown to users)."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any database failure means "not ready"
        checks["database"] = f"failed: {type(exc).__name__}"
    try:
        logto.get_client().check_reachable()
        checks["logto"] = "ok"
    except LogtoError as exc:
        checks["logto"] = f"HTTP {exc.status}" if exc.status else f"unreachable: {exc.message}"
    return checks
