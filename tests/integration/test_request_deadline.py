"""One request's Logto calls share a time budget (a slow Logto cannot hold a worker)."""

from __future__ import annotations

import time

import pytest

from orgportal import logto
from orgportal.logto import deadline, errors

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_slow_route_gives_up_when_the_budget_is_spent(live_emulator):
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    client = logto.get_client()
    client.tokens.get()  # the token is not what is measured here
    live_emulator.set_fault("organizations.users.list", latency=2.0)
    started = time.monotonic()
    with deadline.within(0.6), pytest.raises(errors.Unavailable):
        client.list_organization_users(acme.id)
    print(f"gave up after {time.monotonic() - started:.2f} s")  # a figure for the note


def test_no_call_starts_once_the_budget_is_spent(live_emulator):
    client = logto.get_client()
    before = len(live_emulator.calls)
    with deadline.within(0.0), pytest.raises(errors.Unavailable):
        client.list_organizations()
    assert live_emulator.calls[before:] == []


def test_without_a_budget_calls_use_their_own_timeouts(live_emulator):
    assert deadline.remaining() is None
    assert logto.get_client().list_organizations().total >= 1
