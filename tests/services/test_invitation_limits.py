"""Hourly invitation limits: reserved atomically, per person across organizations, and per
client IP address (issue 15, point C)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from orgportal import request_context
from orgportal.services.errors import LimitReached
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.invitations import invitation_resend
from tests.conftest import local_user


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


def send(actor, organization, emulator, emails):
    return invitation_send(
        actor=actor,
        organization_id=organization.id,
        emails=emails,
        role_ids=[rid(emulator, "member")],
    )


def statuses(outcomes):
    return [o.status for o in outcomes]


@pytest.mark.django_db(transaction=True)
def test_parallel_batches_share_one_limit(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATIONS_PER_HOUR = 5
    emulator.set_fault("invitations.create", latency=0.02)  # the checks overlap
    barrier = Barrier(4)

    def batch(n: int):
        barrier.wait()
        return send(alice, acme, emulator, [f"p{n}-{i}@example.com" for i in range(5)])

    with ThreadPoolExecutor(4) as pool:
        outcomes = [o for batch_outcomes in pool.map(batch, range(4)) for o in batch_outcomes]
    assert statuses(outcomes).count("sent") == 5
    assert len(emulator.state.invitations) == 5
    assert {o.reason for o in outcomes if o.status == "skipped"} == {
        "you reached the limit of 5 invitations an hour; try again later"
    }


@pytest.mark.django_db
def test_the_limit_is_per_person_across_organizations(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATIONS_PER_HOUR = 3
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    assert statuses(send(alice, acme, emulator, ["a@example.com", "b@example.com"])) == [
        "sent",
        "sent",
    ]
    assert statuses(send(alice, other, emulator, ["c@example.com", "d@example.com"])) == [
        "sent",
        "skipped",
    ]


@pytest.mark.django_db
def test_the_limit_per_client_address_spans_accounts(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATIONS_PER_HOUR_PER_IP = 3
    user = emulator.state.add_user("adam@example.com", "pw")
    emulator.state.add_member(acme, user, ["admin"])
    adam = local_user(emulator, "adam@example.com")
    token = request_context.client_ip.set("203.0.113.9")
    try:
        send(alice, acme, emulator, ["a@example.com", "b@example.com"])
        outcomes = send(adam, acme, emulator, ["c@example.com", "d@example.com"])
    finally:
        request_context.client_ip.reset(token)
    assert statuses(outcomes) == ["sent", "skipped"]
    assert "from your network" in outcomes[1].reason
    # Another address is not limited by this one.
    assert statuses(send(adam, acme, emulator, ["e@example.com"])) == ["sent"]


@pytest.mark.django_db
def test_resends_count_and_are_refused_with_a_sentence(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATIONS_PER_HOUR = 2
    [first] = send(alice, acme, emulator, ["a@example.com"])
    invitation_resend(actor=alice, organization_id=acme.id, invitation_id=first.invitation_id)
    with pytest.raises(LimitReached) as caught:
        invitation_resend(actor=alice, organization_id=acme.id, invitation_id=first.invitation_id)
    assert caught.value.message == (
        "You reached the limit of 2 invitations an hour. Try again later."
    )
