"""Hand-overs racing each other on real threads: nobody ends up without a member manager."""

from __future__ import annotations

import pytest

from orgportal.models import AuditEvent
from orgportal.services.organizations import organization_hand_over_and_leave
from tests.conftest import local_user
from tests.races import admins, race

# Each thread is its own request with its own connection to the test database.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_logto(emulator):
    # Logto's round trips widen the window between reading the roles and leaving.
    emulator.set_fault("organizations.users.roles.list", latency=0.05)
    emulator.set_fault("organizations.users.roles.add", latency=0.1)
    emulator.set_fault("organizations.users.remove", latency=0.1)


@pytest.mark.usefixtures("slow_logto")
@pytest.mark.parametrize("round_", range(3))
def test_two_admins_handing_over_to_each_other_leave_exactly_one(emulator, acme, round_):
    admin = emulator.state.role_by_name("admin").id
    alice = local_user(emulator, "alice@example.com")
    bob = local_user(emulator, "bob@example.com")
    acme.members[bob.logto_id] = [admin]
    outcomes = race(
        lambda: organization_hand_over_and_leave(
            actor=alice, organization_id=acme.id, successor_id=bob.logto_id
        ),
        lambda: organization_hand_over_and_leave(
            actor=bob, organization_id=acme.id, successor_id=alice.logto_id
        ),
    )
    assert len(admins(emulator, acme)) == 1
    assert len(acme.members) == 1
    refusal = next(outcome for outcome in outcomes if outcome is not None)
    assert outcomes.count(None) == 1
    assert "no longer a member" in refusal.message


@pytest.mark.usefixtures("slow_logto")
def test_a_hand_over_sent_twice_at_once_happens_once(emulator, acme):
    alice = local_user(emulator, "alice@example.com")
    bob = local_user(emulator, "bob@example.com")
    outcomes = race(
        *[
            lambda: organization_hand_over_and_leave(
                actor=alice, organization_id=acme.id, successor_id=bob.logto_id
            )
        ]
        * 2
    )
    assert outcomes.count(None) == 1
    assert admins(emulator, acme) == [bob.logto_id]
    assert AuditEvent.objects.filter(action="member.left", outcome="success").count() == 1
    assert AuditEvent.objects.filter(action="member.roles_changed", outcome="success").count() == 1
