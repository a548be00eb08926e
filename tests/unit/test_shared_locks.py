"""Single-flight cache fills and shared locks (the shared cache is Redis in production)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from orgportal import logto
from orgportal.shared_locks import (
    LockTimeout,
    at_most_once_per,
    cached_or_filled,
    shared_lock,
    throttle_key,
    try_lock,
)


def test_one_fill_for_many_concurrent_misses():
    fills = []

    def slow_fill() -> str:
        fills.append(threading.get_ident())
        time.sleep(0.2)
        return "value"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: cached_or_filled("k", slow_fill, ttl=60), range(8)))
    assert results == ["value"] * 8
    assert len(fills) == 1
    assert cache.get("k") == "value"


def test_a_failed_fill_is_not_cached_and_the_next_caller_fills_again():
    def broken() -> str:
        raise RuntimeError("upstream down")

    with pytest.raises(RuntimeError):
        cached_or_filled("k", broken, ttl=60)
    assert cached_or_filled("k", lambda: "fresh", ttl=60) == "fresh"


def test_the_ttl_may_depend_on_the_value():
    cached_or_filled("k", lambda: ("token", 5), ttl=lambda value: value[1])
    assert cache.get("k") == ("token", 5)


def test_a_shared_lock_excludes_and_times_out():
    order: list[str] = []
    with shared_lock("org:1", hold=5, wait=1):
        with pytest.raises(LockTimeout), shared_lock("org:1", hold=5, wait=0.1):
            order.append("never")
        order.append("held")
    with shared_lock("org:1", hold=5, wait=0.1):
        order.append("again")
    assert order == ["held", "again"]


def test_at_most_once_per_lets_one_caller_through_per_period():
    with ThreadPoolExecutor(8) as pool:
        passed = list(pool.map(lambda _: at_most_once_per("t", seconds=60), range(20)))
    assert passed.count(True) == 1
    assert at_most_once_per("other", seconds=60)  # each name has its own period
    cache.delete(throttle_key("t"))  # the period ran out
    assert at_most_once_per("t", seconds=60)


def test_a_dead_holders_lock_expires():
    assert try_lock("org:2", hold=1) is not None  # taken and never released
    assert try_lock("org:2", hold=1) is None
    time.sleep(1.1)
    assert try_lock("org:2", hold=1) is not None


@pytest.mark.django_db
def test_the_management_token_is_fetched_once_by_concurrent_requests(emulator):
    emulator.set_fault("oidc.token", latency=0.2)
    provider = logto.get_client().tokens
    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: provider.get(), range(8)))
    assert len(tokens) == 1
    assert emulator.calls_to("oidc.token") == 1
