"""Invitation use cases against the emulator: every rule, partial failures, both deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from orgportal.models import AuditEvent
from orgportal.services.errors import ApplicationError, LimitReached, NotAllowed
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.invitations import (
    InvitationNotFound,
    invitation_list,
    invitation_resend,
    invitation_revoke,
    invitee_problem,
    parse_email_list,
)
from orgportal.services.invitee import (
    invitation_accept,
    invitation_decline,
    mask_email,
    my_invitations,
)
from orgportal.services.memberships import organization_list_for_user

pytestmark = pytest.mark.django_db


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


def send(alice, acme, emulator, emails, role="member", **kwargs):
    return invitation_send(
        actor=alice,
        organization_id=acme.id,
        emails=emails,
        role_ids=[rid(emulator, role)],
        **kwargs,
    )


def test_parse_email_list():
    assert parse_email_list("a@x.io, b@x.io;c@x.io\n d@x.io\t<e@x.io>") == [
        "a@x.io",
        "b@x.io",
        "c@x.io",
        "d@x.io",
        "e@x.io",
    ]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("user@exämple.com", "letters with accents or from other alphabets are not accepted"),
        ("üser@example.com", "letters with accents or from other alphabets are not accepted"),
        ('"quoted"@example.com', "addresses in quotes are not accepted"),
        ("user@[127.0.0.1]", "addresses at an IP address are not accepted"),
        ("a@b.c", "not a valid email address"),
        ("user@-example.com", "not a valid email address"),
        ("first..last@example.com", "not a valid email address"),
        ("not-an-email", "not a valid email address"),
        ("x" * 250 + "@example.com", "longer than 254 characters"),
    ],
)
def test_addresses_logto_would_refuse_get_a_reason_and_no_call(
    emulator, acme, alice, address, reason
):
    assert invitee_problem(address) == reason
    before = emulator.calls_to("invitations.create")
    [outcome] = send(alice, acme, emulator, [address])
    assert (outcome.status, outcome.reason) == ("failed", reason)
    assert emulator.calls_to("invitations.create") == before


@pytest.mark.parametrize(
    "address", ["dave@example.com", "o'neil+news@mail.example.co.uk", "first.last@a-b.io"]
)
def test_ordinary_addresses_are_invitees(address):
    assert invitee_problem(address) is None


def test_invite_sends_our_email_with_the_link_and_message(emulator, acme, alice, settings):
    [outcome] = send(alice, acme, emulator, ["Dave@Example.com"], personal_message="Welcome!")
    assert outcome.status == "sent"
    stored = emulator.state.invitations[outcome.invitation_id]
    assert (stored.invitee, stored.inviter_id) == ("dave@example.com", alice.logto_id)
    [email] = mail.outbox
    assert email.to == ["dave@example.com"]
    assert email.subject == "Alice Admin invited you to join Acme"
    link = f"{settings.PORTAL_BASE_URL}/invitations/{outcome.invitation_id}/"
    assert link in email.body and "Welcome!" in email.body
    assert link in email.alternatives[0][0]
    assert emulator.state.outbox == []  # Logto sent nothing
    event = AuditEvent.objects.get(action="invitation.sent")
    assert (event.outcome, event.target_id, event.after["message"]) == (
        "success",
        outcome.invitation_id,
        "Welcome!",
    )


def test_logto_delivery_uses_the_connector(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    [outcome] = send(alice, acme, emulator, ["dave@example.com"])
    [message] = emulator.state.outbox
    assert f"/invitations/{outcome.invitation_id}/?key=" in message.payload["link"]
    assert mail.outbox == []


def test_a_batch_reports_every_address_and_one_failure_loses_none(emulator, acme, alice):
    # A refusal, not an outage: outages are retried (tests/services/test_invitation_batches.py).
    emulator.set_fault("invitations.create", status=422, every=2, times=1)
    outcomes = send(
        alice,
        acme,
        emulator,
        [
            "one@example.com",
            "two@example.com",
            "three@example.com",
            "not-an-email",
            "bob@example.com",
            "ONE@example.com",
        ],
    )
    summary = [(o.email, o.status) for o in outcomes]
    assert summary == [
        ("one@example.com", "sent"),
        ("two@example.com", "failed"),
        ("three@example.com", "sent"),
        ("not-an-email", "failed"),
        ("bob@example.com", "skipped"),
        ("ONE@example.com", "skipped"),
    ]
    reasons = {o.email: o.reason for o in outcomes}
    assert reasons["bob@example.com"] == "already a member"
    assert reasons["not-an-email"] == "not a valid email address"
    assert reasons["two@example.com"] == "it was not accepted (Injected fault (422).)"
    assert len(mail.outbox) == 2


def test_a_second_invite_to_a_pending_address_is_skipped(emulator, acme, alice):
    send(alice, acme, emulator, ["dave@example.com"])
    [again] = send(alice, acme, emulator, ["DAVE@example.com"])
    assert (again.status, again.reason) == ("skipped", "already has a pending invitation")


def test_no_one_invites_with_a_role_beyond_their_permissions(emulator, acme):
    from tests.conftest import local_user

    emulator.state.add_role("inviter", ["invite:member"])
    user = emulator.state.add_user("ivy@example.com", "pw")
    emulator.state.add_member(acme, user, ["inviter"])
    ivy = local_user(emulator, "ivy@example.com")
    with pytest.raises(NotAllowed):
        send(ivy, acme, emulator, ["dave@example.com"], role="admin")
    assert send(ivy, acme, emulator, ["dave@example.com"], role="member")[0].status == "sent"


def test_members_without_invite_permission_cannot_invite(emulator, acme, bob):
    with pytest.raises(NotAllowed):
        send(bob, acme, emulator, ["dave@example.com"])


def test_batch_limits_and_input(emulator, acme, alice):
    with pytest.raises(ApplicationError) as caught:
        send(alice, acme, emulator, [f"u{n}@example.com" for n in range(101)])
    assert "at most 100" in caught.value.message
    with pytest.raises(ApplicationError):
        send(alice, acme, emulator, ["a@example.com"], expires_in_days=31)
    with pytest.raises(ApplicationError):
        invitation_send(
            actor=alice, organization_id=acme.id, emails=["a@example.com"], role_ids=["forged"]
        )


def test_the_hourly_limit(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATIONS_PER_HOUR = 2
    outcomes = send(alice, acme, emulator, ["a@example.com", "b@example.com", "c@example.com"])
    assert [o.status for o in outcomes] == ["sent", "sent", "skipped"]
    assert "limit of 2 invitations an hour" in outcomes[2].reason


def test_a_failed_email_withdraws_the_invitation(emulator, acme, alice, monkeypatch):
    def broken(**kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("orgportal.services.invitation_delivery.invitation_email_send", broken)
    [outcome] = send(alice, acme, emulator, ["dave@example.com"])
    assert outcome.status == "failed"
    assert "withdrawn" in outcome.reason
    [stored] = emulator.state.invitations.values()
    assert stored.status == "Revoked"  # never left pending without its email


def test_a_failed_logto_message_withdraws_the_invitation(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    emulator.set_fault("invitations.message", status=500)
    [outcome] = send(alice, acme, emulator, ["dave@example.com"])
    assert outcome.status == "failed"
    assert [i.status for i in emulator.state.invitations.values()] == ["Revoked"]


def test_list_revoke_and_rules(emulator, acme, alice):
    [outcome] = send(alice, acme, emulator, ["dave@example.com"])
    rows = invitation_list(actor=alice, organization_id=acme.id, status="Pending")
    assert [(r.invitation.invitee, r.inviter_label) for r in rows] == [
        ("dave@example.com", "Alice Admin")
    ]
    invitation_revoke(actor=alice, organization_id=acme.id, invitation_id=outcome.invitation_id)
    assert emulator.state.invitations[outcome.invitation_id].status == "Revoked"
    with pytest.raises(ApplicationError) as caught:
        invitation_revoke(actor=alice, organization_id=acme.id, invitation_id=outcome.invitation_id)
    assert "already revoked" in caught.value.message


def test_an_invitation_of_another_organization_is_not_found(emulator, acme, alice):
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    [outcome] = invitation_send(
        actor=alice,
        organization_id=other.id,
        emails=["x@example.com"],
        role_ids=[rid(emulator, "member")],
    )
    with pytest.raises(InvitationNotFound):
        invitation_revoke(actor=alice, organization_id=acme.id, invitation_id=outcome.invitation_id)
    assert emulator.state.invitations[outcome.invitation_id].status == "Pending"


def test_resend_and_reissue(emulator, acme, alice):
    [outcome] = send(alice, acme, emulator, ["dave@example.com"], personal_message="Hi Dave")
    invitation_resend(actor=alice, organization_id=acme.id, invitation_id=outcome.invitation_id)
    assert len(mail.outbox) == 2 and "Hi Dave" in mail.outbox[1].body
    emulator.state.invitations[outcome.invitation_id].expires_at = 1
    fresh = invitation_resend(
        actor=alice, organization_id=acme.id, invitation_id=outcome.invitation_id
    )
    assert fresh.id != outcome.invitation_id and fresh.status == "Pending"
    assert fresh.expires_at > datetime.now(tz=UTC) + timedelta(days=6)
    assert emulator.state.invitations[outcome.invitation_id].effective_status() == "Expired"
    reissued = AuditEvent.objects.get(action="invitation.reissued")
    assert reissued.after == {"replaced_by": fresh.id}


def test_resend_hits_logtos_message_limit(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    [outcome] = send(alice, acme, emulator, ["dave@example.com"])
    for _ in range(9):
        invitation_resend(actor=alice, organization_id=acme.id, invitation_id=outcome.invitation_id)
    with pytest.raises(LimitReached) as caught:
        invitation_resend(actor=alice, organization_id=acme.id, invitation_id=outcome.invitation_id)
    assert "Too many emails" in caught.value.message


def test_carol_accepts_and_is_a_member_with_the_role(emulator, acme, alice, carol):
    carol.email_verified = True
    carol.save()
    [outcome] = send(alice, acme, emulator, ["Carol@Example.com"], role="admin")
    assert [v.organization_name for v in my_invitations(actor=carol)] == ["Acme"]
    invitation_accept(actor=carol, invitation_id=outcome.invitation_id)
    assert acme.members[carol.logto_id] == [rid(emulator, "admin")]
    assert "Acme" in [
        i.organization.name for i in organization_list_for_user(user_id=carol.logto_id)
    ]
    assert my_invitations(actor=carol) == []
    carol.refresh_from_db()
    assert carol.last_organization_id == acme.id
    with pytest.raises(ApplicationError) as caught:
        invitation_accept(actor=carol, invitation_id=outcome.invitation_id)
    assert "already accepted" in caught.value.message


def test_only_the_invitee_with_a_verified_email_may_accept(emulator, acme, alice, bob, carol):
    [outcome] = send(alice, acme, emulator, ["carol@example.com"])
    bob.email_verified = True
    with pytest.raises(NotAllowed) as caught:
        invitation_accept(actor=bob, invitation_id=outcome.invitation_id)
    assert "c***l@example.com" in caught.value.message
    carol.email_verified = False
    with pytest.raises(NotAllowed):
        invitation_accept(actor=carol, invitation_id=outcome.invitation_id)
    assert carol.logto_id not in acme.members


def test_accepting_after_a_revoke_a_second_ago(emulator, acme, alice, carol):
    carol.email_verified = True
    [outcome] = send(alice, acme, emulator, ["carol@example.com"])
    original = emulator.management.invitation_status

    def revoked_first(request, invitation_id):
        emulator.state.invitations[invitation_id].status = "Revoked"
        return original(request, invitation_id)

    from logto_emulator.management import _bearer_required

    emulator._handlers["invitations.status"] = _bearer_required(emulator, revoked_first)
    with pytest.raises(ApplicationError) as caught:
        invitation_accept(actor=carol, invitation_id=outcome.invitation_id)
    assert "revoked or used a moment ago" in caught.value.message
    assert carol.logto_id not in acme.members


def test_decline_is_recorded_as_declined(emulator, acme, alice, carol):
    carol.email_verified = True
    [outcome] = send(alice, acme, emulator, ["carol@example.com"])
    invitation_decline(actor=carol, invitation_id=outcome.invitation_id)
    assert emulator.state.invitations[outcome.invitation_id].status == "Revoked"
    assert AuditEvent.objects.filter(action="invitation.declined", outcome="success").exists()


def test_mask_email():
    assert mask_email("carol@example.com") == "c***l@example.com"
    assert mask_email("al@example.com") == "a***@example.com"


def _inviter(emulator, acme):
    """Ivy may invite members, nothing more."""
    from tests.conftest import local_user

    emulator.state.add_role("inviter", ["invite:member"])
    user = emulator.state.add_user("ivy@example.com", "pw")
    emulator.state.add_member(acme, user, ["inviter"])
    return local_user(emulator, "ivy@example.com")


def test_reissuing_an_expired_admin_invitation_needs_the_admin_permissions(emulator, acme, alice):
    [outcome] = send(alice, acme, emulator, ["dave@example.com"], role="admin")
    emulator.state.invitations[outcome.invitation_id].expires_at = 1
    ivy = _inviter(emulator, acme)
    with pytest.raises(NotAllowed, match="as admin"):
        invitation_resend(actor=ivy, organization_id=acme.id, invitation_id=outcome.invitation_id)
    assert [i.id for i in emulator.state.invitations.values()] == [outcome.invitation_id]
    refused = AuditEvent.objects.get(action="invitation.reissued")
    assert refused.outcome == "failure" and refused.actor.email == "ivy@example.com"


def test_revoking_an_admin_invitation_needs_the_admin_permissions(emulator, acme, alice):
    [admin] = send(alice, acme, emulator, ["dave@example.com"], role="admin")
    [member] = send(alice, acme, emulator, ["erin@example.com"], role="member")
    ivy = _inviter(emulator, acme)
    with pytest.raises(NotAllowed, match="as admin"):
        invitation_revoke(actor=ivy, organization_id=acme.id, invitation_id=admin.invitation_id)
    assert emulator.state.invitations[admin.invitation_id].status == "Pending"
    invitation_revoke(actor=ivy, organization_id=acme.id, invitation_id=member.invitation_id)
    assert emulator.state.invitations[member.invitation_id].status == "Revoked"
