"""A total time budget for the Logto calls of one interactive request.

Each call has its own timeout, but a page makes several calls and GETs are retried: without a
budget, one slow Logto route held a page for 20 s and, under load, every worker with it. The
middleware gives each request a deadline; every call then waits at most what is left of it,
split across its tries, and none starts once it has passed. Background work (the task worker)
runs without a deadline.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "logto_deadline", default=None
)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Logto calls made inside the block finish within `seconds` from now, all together."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left of the current budget (None: no budget, e.g. in the task worker)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()
