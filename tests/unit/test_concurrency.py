"""The bounded pool for upstream calls, and reads shared within a request (real threads)."""

from __future__ import annotations

import threading

import pytest

from orgportal import concurrency
from orgportal.concurrency import each, start, together
from orgportal.logto import deadline, shared_reads

# A barrier that every call must reach before any goes on: it only breaks (after this many
# seconds) when the calls did not run at the same time.
MEET = 10


def test_together_runs_the_calls_at_the_same_time_and_keeps_their_order():
    barrier = threading.Barrier(3, timeout=MEET)

    def meet(value: str) -> str:
        barrier.wait()
        return value

    assert together(lambda: meet("a"), lambda: meet("b"), lambda: meet("c")) == ("a", "b", "c")


def test_together_lets_every_call_finish_then_raises_the_first_error():
    finished = []

    def fail(message: str) -> None:
        raise ValueError(message)

    def slow_success() -> str:
        threading.Event().wait(0.05)
        finished.append("slow")
        return "ok"

    with pytest.raises(ValueError, match="second"):
        together(slow_success, lambda: fail("second"), lambda: fail("third"))
    assert finished == ["slow"]  # nothing of the request runs on after it


def test_calls_keep_the_request_deadline():
    with deadline.within(5):
        seen = together(deadline.remaining, deadline.remaining)
    assert all(left is not None and 0 < left <= 5 for left in seen)


def test_calls_made_from_a_pool_thread_never_wait_for_a_full_pool(settings):
    """Every pool thread starting more pool work would deadlock a naive pool."""
    lanes = settings.ORGPORTAL_UPSTREAM_THREADS * 2

    def nested(n: int) -> int:
        return sum(together(lambda: n, lambda: n, lambda: n))

    pending = [start(lambda n=n: nested(n)) for n in range(lanes)]
    assert [p.result() for p in pending] == [3 * n for n in range(lanes)]


def test_each_keeps_order_and_never_runs_more_than_asked_at_once():
    running, most = 0, 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        threading.Event().wait(0.01)
        with lock:
            running -= 1
        return n * n

    assert each(work, range(20), at_once=3) == [n * n for n in range(20)]
    assert 1 <= most <= 3


def test_each_tries_every_item_before_raising():
    tried = []

    def work(n: int) -> int:
        tried.append(n)
        if n % 2:
            raise KeyError(n)
        return n

    with pytest.raises(KeyError) as raised:
        each(work, range(6), at_once=2)
    assert raised.value.args == (1,) and sorted(tried) == list(range(6))


def test_the_pool_is_bounded_by_the_setting(settings):
    assert concurrency._upstream_pool()._max_workers == settings.ORGPORTAL_UPSTREAM_THREADS


def test_a_read_shared_by_two_threads_is_fetched_once():
    fetched = []
    gate = threading.Event()

    def fetch() -> str:
        fetched.append(1)
        gate.wait(MEET)
        return "answer"

    with shared_reads.shared():
        first = start(lambda: shared_reads.read("key", fetch))
        second = start(lambda: shared_reads.read("key", fetch))
        threading.Event().wait(0.05)
        gate.set()
        assert (first.result(), second.result()) == ("answer", "answer")
    assert len(fetched) == 1


def test_forgetting_sends_the_next_read_again_and_outside_a_request_nothing_is_shared():
    count = []

    def fetch() -> int:
        count.append(1)
        return len(count)

    with shared_reads.shared():
        assert shared_reads.read("k", fetch) == 1
        assert shared_reads.read("k", fetch) == 1
        shared_reads.forget()
        assert shared_reads.read("k", fetch) == 2
    assert shared_reads.read("k", fetch) == 3
    assert shared_reads.read("k", fetch) == 4


def test_a_failed_read_is_shared_too():
    def fail() -> None:
        raise RuntimeError("down")

    with shared_reads.shared():
        with pytest.raises(RuntimeError):
            shared_reads.read("k", fail)
        with pytest.raises(RuntimeError):
            shared_reads.read("k", lambda: "never asked")


def test_the_client_sends_an_identical_read_once_per_request_and_again_after_a_write(
    emulator, acme
):
    from orgportal import logto

    client = logto.get_client()
    with shared_reads.shared():
        client.get_organization(acme.id)
        client.get_organization(acme.id)
        assert emulator.calls_to("organizations.get") == 1
        client.update_organization(acme.id, name="Acme Renamed")
        assert client.get_organization(acme.id).name == "Acme Renamed"
        assert emulator.calls_to("organizations.get") == 2


def test_users_are_read_by_ids_in_one_call(emulator):
    from orgportal import logto

    ids = [emulator.state.add_user(f"p{n}@example.com", "pw").id for n in range(5)]
    found = logto.get_client().list_users_by_ids([*ids, "nosuchuser00"])
    assert sorted(user.id for user in found) == sorted(ids)
    assert emulator.calls_to("users.list") == 1


def test_a_busy_pool_never_holds_a_request_back(settings):
    """Every pool thread is taken by other requests: this request's calls run on its own
    thread instead of queueing behind them."""
    release = threading.Event()
    busy = [start(lambda: release.wait(MEET)) for _ in range(settings.ORGPORTAL_UPSTREAM_THREADS)]
    try:
        assert together(lambda: "a", lambda: "b", lambda: "c") == ("a", "b", "c")
        assert each(lambda n: n + 1, range(5)) == [1, 2, 3, 4, 5]
    finally:
        release.set()
        for pending in busy:
            pending.wait()
