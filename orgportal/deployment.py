"""Refuse to serve with a cache that other processes cannot see (DESIGN.md §7).

Permissions, the M2M token, rate limits and sessions live in the cache. With a per-process
cache, a role change made through one gunicorn worker would not reach the others: they would
keep granting what was taken away until their copy expires. Nothing would look wrong, so the
portal refuses to start instead, unless debug is on (`make run`) or the operator states that
exactly one process serves it (ORGPORTAL_SINGLE_PROCESS=true).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Cache backends whose contents other processes cannot see, and what that means.
_UNSHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "a per-process memory cache",
    "django.core.cache.backends.filebased.FileBasedCache": "a file cache on one machine",
}


def unshared_cache_problem() -> str | None:
    """The one-sentence reason this configuration must not serve, or None when it may."""
    if settings.DEBUG or settings.ORGPORTAL_SINGLE_PROCESS:
        return None
    for alias, config in settings.CACHES.items():
        kind = _UNSHARED_CACHES.get(config.get("BACKEND", ""))
        if kind:
            which = "the cache" if alias == "default" else f"the cache {alias!r}"
            return (
                f"orgportal cannot start: {which} is {kind}, so permission changes made in one "
                "process would not reach the others; set REDIS_URL=redis://host:6379/0 "
                "(or ORGPORTAL_SINGLE_PROCESS=true if exactly one process serves the portal)."
            )
    return None


def ensure_safe_to_serve() -> None:
    """Called by config/wsgi.py and config/asgi.py, whatever server loads them."""
    problem = unshared_cache_problem()
    if problem:
        raise ImproperlyConfigured(problem)
