"""Writes Logto completes after the client gave up waiting: the outcome is read back, then
reported and audited as what Logto actually holds (issue 15, point A)."""

from __future__ import annotations

import pytest

from orgportal.logto.client import LogtoClient
from orgportal.logto.errors import InvalidInput, Unavailable
from orgportal.models import AuditEvent
from orgportal.services.errors import ServiceUnavailable
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.invitations import invitation_revoke
from orgportal.services.invitee import invitation_accept
from orgportal.services.members import member_remove, member_roles_set, members_bulk
from orgportal.services.organizations import organization_update

pytestmark = pytest.mark.django_db


def late(emulator, route: str) -> None:
    """The next call to `route` does its work, then answers after the client's timeout."""
    emulator.set_fault(route, after_work=True, latency=0.01, times=1)


def rid(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def only_event(action: str) -> AuditEvent:
    [event] = AuditEvent.objects.filter(action=action)
    return event


def invite(emulator, acme, alice, address: str) -> str:
    [outcome] = invitation_send(
        actor=alice, organization_id=acme.id, emails=[address], role_ids=[rid(emulator, "member")]
    )
    return outcome.invitation_id


def test_a_rename_applied_late_is_reported_done(emulator, acme, alice):
    late(emulator, "organizations.update")
    updated = organization_update(actor=alice, organization_id=acme.id, name="Acme Two")
    assert updated.name == "Acme Two" == acme.name
    event = only_event("organization.updated")
    assert event.outcome == "success" and event.after["name"] == "Acme Two"


def test_a_bulk_role_add_applied_late_is_reported_done(emulator, acme, alice, bob):
    late(emulator, "organizations.users.roles.bulk")
    [outcome] = members_bulk(
        actor=alice,
        organization_id=acme.id,
        user_ids=[bob.logto_id],
        action="add_role",
        role_id=rid(emulator, "admin"),
    )
    assert outcome.ok, outcome.message
    assert rid(emulator, "admin") in acme.members[bob.logto_id]
    assert only_event("member.roles_changed").outcome == "success"


def test_a_role_change_applied_late_is_reported_done(emulator, acme, alice, bob):
    late(emulator, "organizations.users.roles.replace")
    member = member_roles_set(
        actor=alice,
        organization_id=acme.id,
        user_id=bob.logto_id,
        role_ids=[rid(emulator, "admin")],
    )
    assert [role.name for role in member.roles] == ["admin"]
    assert acme.members[bob.logto_id] == [rid(emulator, "admin")]
    assert only_event("member.roles_changed").outcome == "success"


def test_a_revoke_applied_late_is_reported_done(emulator, acme, alice):
    invitation_id = invite(emulator, acme, alice, "dave@example.com")
    late(emulator, "invitations.status")
    revoked = invitation_revoke(actor=alice, organization_id=acme.id, invitation_id=invitation_id)
    assert revoked.status == "Revoked" == emulator.state.invitations[invitation_id].status
    assert only_event("invitation.revoked").outcome == "success"


def test_an_acceptance_applied_late_is_reported_done(emulator, acme, alice, carol):
    carol.email_verified = True
    invitation_id = invite(emulator, acme, alice, "carol@example.com")
    late(emulator, "invitations.status")
    accepted = invitation_accept(actor=carol, invitation_id=invitation_id)
    assert accepted.status == "Accepted"
    assert carol.logto_id in acme.members
    assert only_event("invitation.accepted").outcome == "success"


def test_a_removal_applied_late_is_reported_done_and_audited(emulator, acme, alice, bob):
    late(emulator, "organizations.users.remove")
    assert member_remove(actor=alice, organization_id=acme.id, user_id=bob.logto_id) == (
        "bob@example.com"
    )
    assert bob.logto_id not in acme.members
    assert only_event("member.removed").outcome == "success"


def test_a_lost_answer_to_a_write_that_did_not_happen_says_nothing_changed(
    emulator, acme, alice, monkeypatch
):
    def lost(self, *args, **kwargs):  # reached Logto, no answer, and nothing done
        raise Unavailable("Logto did not answer in time.", outcome_unknown=True)

    monkeypatch.setattr(LogtoClient, "update_organization", lost)
    with pytest.raises(ServiceUnavailable, match="nothing was changed"):
        organization_update(actor=alice, organization_id=acme.id, name="Acme Two")
    assert acme.name == "Acme"
    assert only_event("organization.updated").outcome == "failure"


def test_an_acceptance_whose_retry_was_refused_is_reported_done(
    emulator, acme, alice, carol, monkeypatch
):
    """Over HTTP the transport retries a PUT that timed out: the retry finds the invitation
    accepted already and gets 422, which must not read "can no longer be accepted"."""
    carol.email_verified = True
    invitation_id = invite(emulator, acme, alice, "carol@example.com")
    original = LogtoClient.set_organization_invitation_status

    def applied_then_refused(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise InvalidInput("Invitation is already accepted.", status=422)

    monkeypatch.setattr(LogtoClient, "set_organization_invitation_status", applied_then_refused)
    assert invitation_accept(actor=carol, invitation_id=invitation_id).status == "Accepted"
    assert only_event("invitation.accepted").outcome == "success"
