"""Staff acting on a customer's behalf (from the Django admin), and a superuser's explicit
override of the last-admin rule. Both are scoped to a `with` block, never ambient."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_staff_actor: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "staff_actor", default=None
)
_override_last_admin: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "override_last_admin", default=False
)


@contextmanager
def acting_as_staff(user) -> Iterator[None]:
    """Within the block, `user` (who must be staff) may act in any organization."""
    if not (user.is_active and user.is_staff):
        raise PermissionError("only staff can act on an organization's behalf")
    token = _staff_actor.set(user.pk)
    try:
        yield
    finally:
        _staff_actor.reset(token)


def is_acting_as_staff(user) -> bool:
    return user is not None and user.is_staff and _staff_actor.get() == user.pk


@contextmanager
def overriding_last_admin(user) -> Iterator[None]:
    """A superuser's explicit, confirmed decision to let the last admin go."""
    if not user.is_superuser:
        raise PermissionError("only superusers may override the last-admin rule")
    token = _override_last_admin.set(True)
    try:
        yield
    finally:
        _override_last_admin.reset(token)


def last_admin_overridden() -> bool:
    return _override_last_admin.get()
