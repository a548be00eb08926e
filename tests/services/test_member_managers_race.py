"""Two admins taking member management from each other at the same moment (real threads)."""

from __future__ import annotations

import pytest

from orgportal.services.errors import ApplicationError
from orgportal.services.members import member_remove, member_roles_set
from orgportal.services.organizations import organization_leave
from tests.conftest import local_user
from tests.races import admins, race

# Both requests share the database: each thread has its own connection to the test DB.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_admins(emulator, acme):
    admin = emulator.state.role_by_name("admin").id
    acme.members[emulator.state.user_by_email("bob@example.com").id] = [admin]
    # Logto's round trips widen the window between the last-admin check and the write.
    emulator.set_fault("organizations.users.list", latency=0.05)
    emulator.set_fault("organizations.users.roles.replace", latency=0.1)
    emulator.set_fault("organizations.users.remove", latency=0.1)
    alice = local_user(emulator, "alice@example.com")
    bob = local_user(emulator, "bob@example.com")
    return alice, bob


@pytest.mark.parametrize("round_", range(3))
def test_demoting_each_other_leaves_exactly_one_admin(emulator, acme, two_admins, round_):
    alice, bob = two_admins
    member = [emulator.state.role_by_name("member").id]
    outcomes = race(
        lambda: member_roles_set(
            actor=alice, organization_id=acme.id, user_id=bob.logto_id, role_ids=member
        ),
        lambda: member_roles_set(
            actor=bob, organization_id=acme.id, user_id=alice.logto_id, role_ids=member
        ),
    )
    assert len(admins(emulator, acme)) == 1
    assert sum(outcome is not None for outcome in outcomes) == 1
    refusal = next(outcome for outcome in outcomes if outcome is not None)
    assert "last person who can manage members" in refusal.message


def test_removing_each_other_leaves_exactly_one_admin(emulator, acme, two_admins):
    alice, bob = two_admins
    outcomes = race(
        lambda: member_remove(actor=alice, organization_id=acme.id, user_id=bob.logto_id),
        lambda: member_remove(actor=bob, organization_id=acme.id, user_id=alice.logto_id),
    )
    assert len(admins(emulator, acme)) == 1
    assert sum(outcome is None for outcome in outcomes) == 1


def test_both_leaving_at_once_leaves_exactly_one_admin(emulator, acme, two_admins):
    alice, bob = two_admins
    outcomes = race(
        lambda: organization_leave(actor=alice, organization_id=acme.id),
        lambda: organization_leave(actor=bob, organization_id=acme.id),
    )
    assert len(admins(emulator, acme)) == 1
    assert sum(outcome is None for outcome in outcomes) == 1


@pytest.fixture
def check_passes_once(monkeypatch):
    """The pre-write check says another manager exists (e.g. one demoted in the Console a
    moment later); the check after the write sees the truth."""
    from orgportal.services import access

    real = access.other_member_managers_exist
    calls = []

    def stale_then_real(**kwargs):
        calls.append(kwargs)
        return True if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(access, "other_member_managers_exist", stale_then_real)


@pytest.mark.usefixtures("check_passes_once")
def test_a_demotion_that_left_no_admin_is_undone(emulator, acme):
    alice = local_user(emulator, "alice@example.com")
    admin = emulator.state.role_by_name("admin").id
    member = emulator.state.role_by_name("member").id
    with pytest.raises(ApplicationError, match="last person who can manage members"):
        member_roles_set(
            actor=alice, organization_id=acme.id, user_id=alice.logto_id, role_ids=[member]
        )
    assert acme.members[alice.logto_id] == [admin]


@pytest.mark.usefixtures("check_passes_once")
def test_leaving_that_left_no_admin_is_undone(emulator, acme):
    alice = local_user(emulator, "alice@example.com")
    admin = emulator.state.role_by_name("admin").id
    with pytest.raises(ApplicationError, match="last person who can manage the members"):
        organization_leave(actor=alice, organization_id=acme.id)
    assert acme.members[alice.logto_id] == [admin]


@pytest.mark.usefixtures("check_passes_once")
def test_when_the_undo_fails_too_the_sentence_says_so(emulator, acme):
    alice = local_user(emulator, "alice@example.com")
    emulator.set_fault("organizations.users.add", status=503)
    with pytest.raises(ApplicationError, match="could not be undone"):
        organization_leave(actor=alice, organization_id=acme.id)
