"""Whether this instance can serve: its database, its cache (Redis) and Logto answer."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import connection

from orgportal import logto
from orgportal.logto.errors import LogtoError

_PROBE_KEY = "orgportal:readyz:{}"


def readiness() -> dict[str, str]:
    """Each dependency's state: "ok", or what failed in a few words (for operators: the kind
    of error, never a stack trace or an address)."""
    return {"database": _database(), "cache": _cache(), "logto": _logto()}


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means "not ready"
        return f"failed: {type(exc).__name__}"
    return "ok"


def _cache() -> str:
    """A write and a read back: a Redis that accepts connections but cannot write (out of
    memory, a read-only replica after a failover) is not ready either."""
    key, token = _PROBE_KEY.format(uuid.uuid4().hex), uuid.uuid4().hex
    try:
        cache.set(key, token, timeout=10)
        answered = cache.get(key)
        cache.delete(key)
    except Exception as exc:  # any cache failure means "not ready"
        return f"failed: {type(exc).__name__}"
    return "ok" if answered == token else "failed: the value written was not read back"


def _logto() -> str:
    try:
        logto.get_client().check_reachable()
    except LogtoError as exc:
        return f"HTTP {exc.status}" if exc.status else f"unreachable: {exc.message}"
    return "ok"
