"""The Management API routes beyond management.py, each module with its own route table.

Every module's routes sit behind the same bearer guard as management.py's. `ROUTES` is the
union of all tables, for tests that check every served endpoint against Logto's document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from logto_emulator import (
    applications,
    hooks,
    jit,
    management,
    one_time_tokens,
    tenant_settings,
    user_writes,
)

if TYPE_CHECKING:
    from logto_emulator.app import Emulator

Route = tuple[str, str, str, str]  # (methods, path under /api, route name, handler name)

MODULES: list[tuple[Callable[[Emulator], Any], list[Route]]] = [
    (jit.JitApi, jit.ROUTES),
    (applications.ApplicationsApi, applications.ROUTES),
    (hooks.HooksApi, hooks.ROUTES),
    (one_time_tokens.OneTimeTokensApi, one_time_tokens.ROUTES),
    (tenant_settings.TenantSettingsApi, tenant_settings.ROUTES),
    (user_writes.UserWritesApi, user_writes.ROUTES),
]
ROUTES: list[Route] = management.ROUTES + [route for _, table in MODULES for route in table]

# Handlers that wait on the network take the lock themselves (see Emulator.dispatch).
UNLOCKED = {"hooks.test"}


def register(emu: Emulator, route: Callable) -> list[Any]:
    apis = []
    for factory, table in MODULES:
        api = factory(emu)
        for methods, path, name, handler in table:
            guarded = management._bearer_required(emu, getattr(api, handler))
            guarded.unlocked = name in UNLOCKED  # type: ignore[attr-defined]
            route(methods, "/api" + path, name, guarded)
        apis.append(api)
    route("GET", "/one-time-token/error", "one_time_tokens.error_page", one_time_tokens.error_page)
    return apis
