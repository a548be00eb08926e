"""Independent upstream calls of one request, run at the same time on a bounded pool.

A page waits for Logto far more than it computes, so threads are enough: while one call waits
on its socket the others run (the GIL is released during I/O). The choice against async views
with an async HTTP client: the whole portal (Django's ORM, sessions, mozilla-django-oidc,
requests' retries, the shared locks) is synchronous, and each of those would need an async
twin; a pool around the existing client makes the same calls concurrent without that.

One pool per process, made on first use (after a pre-forking server forked), with
ORGPORTAL_UPSTREAM_THREADS threads: that bounds what one instance sends Logto at once, whatever
the number of requests. Each call runs in a copy of the caller's context, so it keeps the
request's Logto deadline, its shared reads and its request id in the logs.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.db import connections

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _upstream_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                settings.ORGPORTAL_UPSTREAM_THREADS, thread_name_prefix="upstream"
            )
        return _pool


def _run_in_pool(context: contextvars.Context, call: Callable[[], T]) -> T:
    try:
        return context.run(call)
    finally:
        # A call that touched the database opened this thread's own connection: close it, so
        # that pool threads never hold connections between requests.
        for connection in connections.all(initialized_only=True):
            connection.close()


class Pending(Generic[T]):
    """A call started on the pool; `result()` waits for it (and raises its error).

    A call that no pool thread has taken yet when its result is wanted runs on the waiting
    thread instead: so nobody ever waits for work that is merely queued, and calls started
    from pool threads (nested) cannot leave the whole pool waiting on itself.
    """

    def __init__(self, call: Callable[[], T]) -> None:
        self._call = call
        self._context = contextvars.copy_context()  # entered once: in the pool or here
        self._future: Future[T] = _upstream_pool().submit(_run_in_pool, self._context, call)

    def _settle(self) -> None:
        if self._future.cancel():
            here: Future[T] = Future()
            try:
                here.set_result(self._context.run(self._call))
            except Exception as exc:
                here.set_exception(exc)
            self._future = here
        futures_wait([self._future])

    def result(self) -> T:
        self._settle()
        return self._future.result()

    def wait(self) -> None:
        """Wait until the call has finished, whatever its outcome (its error is not raised
        here)."""
        self._settle()


def start(call: Callable[[], T]) -> Pending[T]:
    """Start `call` now on the pool; read it later with `.result()`."""
    return Pending(call)


@overload
def together(a: Callable[[], A], b: Callable[[], B], /) -> tuple[A, B]: ...
@overload
def together(a: Callable[[], A], b: Callable[[], B], c: Callable[[], C], /) -> tuple[A, B, C]: ...
@overload
def together(
    a: Callable[[], A], b: Callable[[], B], c: Callable[[], C], d: Callable[[], D], /
) -> tuple[A, B, C, D]: ...
def together(*calls: Callable[[], Any]) -> tuple[Any, ...]:
    """Run the calls at the same time; their results in order.

    The first runs on the caller's thread, the others on the pool. All of them finish before
    this returns, so nothing of the request runs on after it; then the first error (in the
    order of `calls`) is raised.
    """
    if not calls:
        return ()
    others = [start(call) for call in calls[1:]]
    first: list[Any] = []
    error: BaseException | None = None
    try:
        first.append(calls[0]())
    except Exception as exc:
        error = exc
    for pending in others:
        pending.wait()
    if error is not None:
        raise error
    return (first[0], *(pending.result() for pending in others))


def each(call: Callable[[T], A], items: Iterable[T], *, at_once: int = 8) -> list[A]:
    """`call(item)` for every item, at most `at_once` running at a time; results in order.

    Every item is tried; then the first error (in the order of `items`) is raised. Callers
    that want each item's own outcome catch errors inside `call`.
    """
    todo = list(items)
    results: list[Any] = [None] * len(todo)
    errors: list[BaseException | None] = [None] * len(todo)
    next_index = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal next_index
        while True:
            with lock:
                index = next_index
                next_index += 1
            if index >= len(todo):
                return
            try:
                results[index] = call(todo[index])
            except Exception as exc:
                errors[index] = exc

    lanes = max(1, min(at_once, len(todo)))
    together(*([worker] * lanes))
    for error in errors:
        if error is not None:
            raise error
    return results
