"""Staff adding an existing person: when the roles fail and so does taking the membership
back, the sentence and the audit trail say what the organization now holds."""

from __future__ import annotations

import pytest

from orgportal.models import AuditEvent
from orgportal.services.errors import ServiceUnavailable
from orgportal.services.members import member_add_by_email
from orgportal.staff import acting_as_staff
from tests.conftest import local_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(emulator):
    emulator.state.add_user("sam@example.com", "pw", global_roles=["portal-staff"])
    user = local_user(emulator, "sam@example.com")
    user.is_staff = True
    user.save()
    return user


def add_carol(emulator, sam, acme, *role_names):
    role_ids = [emulator.state.role_by_name(name).id for name in role_names]
    with acting_as_staff(sam):
        return member_add_by_email(
            actor=sam, organization_id=acme.id, email="carol@example.com", role_ids=role_ids
        )


def carol_id(emulator) -> str:
    return emulator.state.user_by_email("carol@example.com").id


def only_event() -> AuditEvent:
    return AuditEvent.objects.get(action="member.added")


def test_failed_roles_are_undone_and_said_so(emulator, sam, acme):
    emulator.set_fault("organizations.users.roles.add", status=503)
    with pytest.raises(ServiceUnavailable) as caught:
        add_carol(emulator, sam, acme, "member")
    assert caught.value.message == (
        "The roles could not be given, so carol@example.com was not added. Try again in a moment."
    )
    assert carol_id(emulator) not in acme.members
    assert only_event().outcome == "failure"


def test_failed_roles_and_failed_undo_say_the_member_has_no_role(emulator, sam, acme):
    emulator.set_fault("organizations.users.roles.add", status=503)
    emulator.set_fault("organizations.users.remove", status=503)
    with pytest.raises(ServiceUnavailable) as caught:
        add_carol(emulator, sam, acme, "member")
    assert caught.value.message == (
        "The roles could not be given and carol@example.com could not be removed again: they "
        "are now a member without any role. Give them a role or remove them."
    )
    assert acme.members[carol_id(emulator)] == []  # exactly what the sentence says
    event = only_event()
    assert event.outcome == "failure"
    assert event.after == {"roles": ["member"], "held_roles": []}
    assert "the removal failed too" in event.error


def test_when_nothing_can_be_read_back_the_sentence_does_not_guess(emulator, sam, acme):
    emulator.set_fault("organizations.users.roles.add", status=503)
    emulator.set_fault("organizations.users.remove", status=503)
    add = emulator._handlers["organizations.users.add"]

    def add_then_fail_reads(request, **params):
        # From now on (after the "not yet a member" check) the roles cannot be read.
        emulator.set_fault("organizations.users.roles.list", status=503)
        return add(request, **params)

    emulator._handlers["organizations.users.add"] = add_then_fail_reads
    with pytest.raises(ServiceUnavailable) as caught:
        add_carol(emulator, sam, acme, "member")
    assert "may now be a member without a role" in caught.value.message
    assert only_event().after["held_roles"] == "unknown"


def test_a_grant_whose_answer_was_lost_is_a_success(emulator, sam, acme):
    emulator.set_fault("organizations.users.roles.add", after_work=True, latency=0.01, times=1)
    emulator.set_fault("organizations.users.remove", status=503)
    member = add_carol(emulator, sam, acme, "member")
    assert [role.name for role in member.roles] == ["member"]
    assert acme.members[carol_id(emulator)] == [emulator.state.role_by_name("member").id]
    assert only_event().outcome == "success"
