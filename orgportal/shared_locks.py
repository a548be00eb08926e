"""Locks and single-flight cache fills that hold across processes and machines.

Both live in the shared cache (Redis in production): `cache.add` is an atomic "set if absent"
there (Redis `SET NX` with an expiry), so one holder wins across every worker of every
instance, and a crashed holder's lock expires on its own. In development the cache is in
process memory, which is right for the one process `make run` starts (production refuses a
per-process cache).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.core.cache import cache

logger = logging.getLogger(__name__)

T = TypeVar("T")
_MISSING = object()
_POLL_SECONDS = 0.02


class LockTimeout(Exception):
    """The lock stayed taken for longer than the caller wanted to wait."""


def _lock_key(name: str) -> str:
    return f"orgportal:lock:{name}"


def try_lock(name: str, *, hold: float) -> str | None:
    """Take the lock `name` for at most `hold` seconds; its token, or None when taken."""
    token = secrets.token_hex(8)
    return token if cache.add(_lock_key(name), token, timeout=max(1, round(hold))) else None


def release(name: str, token: str) -> None:
    """Release the lock if it is still ours (not expired and taken by someone else).

    Read-then-delete is not atomic; the window only lets a second holder in early, which
    every user of these locks tolerates (they verify after writing, or only fill a cache).
    """
    if cache.get(_lock_key(name)) == token:
        cache.delete(_lock_key(name))


def throttle_key(name: str) -> str:
    return f"orgportal:throttle:{name}"


def at_most_once_per(name: str, *, seconds: int) -> bool:
    """True for one caller per `seconds` for `name` across all instances, False for the rest.

    For work an outsider can trigger at will (e.g. refetching keys for a token with an unknown
    key id): the mark is never removed, its expiry ends the pause.
    """
    return cache.add(throttle_key(name), 1, timeout=max(1, seconds))


def acquire(name: str, *, hold: float, wait: float) -> str:
    """Wait up to `wait` seconds for the lock `name`; its token, or LockTimeout."""
    deadline = time.monotonic() + wait
    while (token := try_lock(name, hold=hold)) is None:
        if time.monotonic() >= deadline:
            raise LockTimeout(name)
        time.sleep(_POLL_SECONDS)
    return token


@contextmanager
def shared_lock(name: str, *, hold: float = 30.0, wait: float = 10.0) -> Iterator[None]:
    """Hold the lock `name` across all instances; LockTimeout after `wait` seconds.

    `hold` bounds how long a holder that died keeps others out: pick it above the longest
    the guarded work may take.
    """
    token = acquire(name, hold=hold, wait=wait)
    try:
        yield
    finally:
        release(name, token)


def cached_or_filled(
    key: str,
    fill: Callable[[], T],
    *,
    ttl: int | Callable[[T], int],
    wait: float = 5.0,
    hold: float = 15.0,
) -> T:
    """The cached value of `key`, or `fill()`'s, cached for `ttl` seconds.

    One fill runs at a time for a key across all instances (no stampede when a popular entry
    expires): the others wait for its value. A holder that is too slow (past `wait`) does not
    block the rest for ever: they fill for themselves.
    """
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    deadline = time.monotonic() + wait
    lock_name = f"fill:{key}"
    while True:
        token = try_lock(lock_name, hold=hold)
        if token is not None:
            try:
                value = cache.get(key, _MISSING)  # filled while we waited for the lock
                if value is _MISSING:
                    value = _fill_and_store(key, fill, ttl)
                return value
            finally:
                release(lock_name, token)
        time.sleep(_POLL_SECONDS)
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
        if time.monotonic() >= deadline:
            logger.warning("Filling %s without the lock: its holder is slow", key)
            return _fill_and_store(key, fill, ttl)


def _fill_and_store(key: str, fill: Callable[[], T], ttl: int | Callable[[T], int]) -> T:
    value = fill()
    cache.set(key, value, ttl(value) if callable(ttl) else ttl)
    return value
