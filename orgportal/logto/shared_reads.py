"""Reads shared within one request: the same Management API GET is sent once.

A page's parts ask for the same things (the organization, the invitation, a role list) from
different services, and a page may start its reads early, on other threads, before its view
runs (orgportal.concurrency): whoever asks second waits for the first answer instead of
sending the call again. Any write through the client forgets everything read so far, so a
read after a write (a read-back, a check that an invariant still holds) always goes to Logto.
Outside a request (the task worker, commands) nothing is shared.

`kept` reads are the exception a write does not forget: what a request reads fresh before its
changes (the acting user's access) holds for all of them, until the code that changes that
very thing forgets it (`forget_kept`). A failed kept read is not kept: the next asks again.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class _Reads:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[Hashable, Future[Any]] = {}
        self._kept: dict[tuple[Hashable, ...], Future[Any]] = {}

    def read(self, key: Hashable, fetch: Callable[[], T]) -> T:
        with self._lock:
            answer = self._answers.get(key)
            owner = answer is None
            if answer is None:
                answer = self._answers[key] = Future()
        if not owner:
            return answer.result()
        try:
            value = fetch()
        except BaseException as exc:
            answer.set_exception(exc)
            raise
        answer.set_result(value)
        return value

    def forget(self) -> None:
        with self._lock:
            self._answers.clear()

    def kept(self, key: tuple[Hashable, ...], fetch: Callable[[], T]) -> T:
        with self._lock:
            answer = self._kept.get(key)
            owner = answer is None
            if answer is None:
                answer = self._kept[key] = Future()
        if not owner:
            return answer.result()
        try:
            value = fetch()
        except BaseException as exc:
            with self._lock:
                if self._kept.get(key) is answer:
                    del self._kept[key]
            answer.set_exception(exc)
            raise
        answer.set_result(value)
        return value

    def forget_kept(self, prefix: tuple[Hashable, ...]) -> None:
        with self._lock:
            for key in [k for k in self._kept if k[: len(prefix)] == prefix]:
                del self._kept[key]


_current: contextvars.ContextVar[_Reads | None] = contextvars.ContextVar(
    "logto_shared_reads", default=None
)


@contextmanager
def shared() -> Iterator[None]:
    """Within the block, identical reads are sent once (the middleware opens one per request)."""
    token = _current.set(_Reads())
    try:
        yield
    finally:
        _current.reset(token)


def read(key: Hashable, fetch: Callable[[], T]) -> T:
    """`fetch()`'s answer, shared with every other read of `key` in this block."""
    reads = _current.get()
    return fetch() if reads is None else reads.read(key, fetch)


def forget() -> None:
    """Forget what was read: the next read of anything goes to Logto (after a write)."""
    reads = _current.get()
    if reads is not None:
        reads.forget()


def kept(key: tuple[Hashable, ...], fetch: Callable[[], T]) -> T:
    """`fetch()`'s answer, shared with every other kept read of `key` in this block, writes
    or not; outside a block, `fetch()` itself."""
    reads = _current.get()
    return fetch() if reads is None else reads.kept(key, fetch)


def forget_kept(prefix: tuple[Hashable, ...]) -> None:
    """Forget the kept reads whose key starts with `prefix`: the next one reads again."""
    reads = _current.get()
    if reads is not None:
        reads.forget_kept(prefix)
