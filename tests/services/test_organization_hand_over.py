"""Leaving as the last member manager: known up front, and handed over in one step that
either completes or changes nothing (against the emulator, with faults and lost answers)."""

from __future__ import annotations

import pytest

from logto_emulator.state import Invitation, new_id, now_ms
from orgportal.logto import shared_reads
from orgportal.models import AuditEvent
from orgportal.services.access import access_for_change
from orgportal.services.errors import ApplicationError, Gone, NotAllowed, ServiceUnavailable
from orgportal.services.members import MemberGone
from orgportal.services.organizations import (
    HAND_OVER_CHOOSE,
    HAND_OVER_NOT_YOURSELF,
    SUCCESSORS_SHOWN,
    organization_create,
    organization_hand_over_and_leave,
    organization_leave_situation,
    organization_overview,
    organization_update,
)

pytestmark = pytest.mark.django_db


def role(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def events(action: str) -> list[tuple[str, str]]:
    """(outcome, target label) of each audit event of `action`, oldest first."""
    rows = AuditEvent.objects.filter(action=action).order_by("id")
    return [(event.outcome, event.target_label) for event in rows]


# -- what leaving takes, known before anyone clicks ----------------------------------------
def test_the_only_admin_must_hand_over_and_is_offered_the_other_members(emulator, acme, alice):
    situation = organization_leave_situation(actor=alice, organization_id=acme.id)
    assert situation.must_hand_over and not situation.alone
    assert [m.user.primary_email for m in situation.successors] == ["bob@example.com"]
    assert situation.successors_complete
    assert situation.handed_over_roles == ("admin",)


def test_a_plain_member_or_one_of_two_admins_simply_leaves(emulator, acme, alice, bob):
    assert not organization_leave_situation(actor=bob, organization_id=acme.id).must_hand_over
    acme.members[bob.logto_id] = [role(emulator, "admin")]
    assert not organization_leave_situation(actor=alice, organization_id=acme.id).must_hand_over


def test_the_only_member_is_told_so(emulator, alice):
    org = organization_create(actor=alice, name="Solo")
    situation = organization_leave_situation(actor=alice, organization_id=org.id)
    assert situation.must_hand_over and situation.alone
    assert situation.successors == ()


def add_members(emulator, acme, count: int, roles=("member",)) -> list[str]:
    ids = []
    for n in range(count):
        user = emulator.state.add_user(f"person{n:03}@example.com", "pw", name=f"Person {n:03}")
        emulator.state.add_member(acme, user, list(roles))
        ids.append(user.id)
    return ids


def test_in_a_large_organization_an_admin_beyond_the_first_page_is_found(emulator, acme, alice):
    add_members(emulator, acme, SUCCESSORS_SHOWN + 5)
    # Members are listed by user id: an id sorting last is beyond the first page.
    late = emulator.state.add_user("late.admin@example.com", "pw", name="Late Admin")
    emulator.state.users["zzzz-late"] = late
    del emulator.state.users[late.id]
    late.id = "zzzz-late"
    emulator.state.add_member(acme, late, ["admin"])
    situation = organization_leave_situation(actor=alice, organization_id=acme.id)
    assert not situation.must_hand_over
    # The first page, then the admins only (the first page could not tell).
    assert emulator.calls_to("organizations.users.list") == 2


def test_in_a_large_organization_a_search_finds_who_takes_over(emulator, acme, alice):
    add_members(emulator, acme, SUCCESSORS_SHOWN + 5)
    situation = organization_leave_situation(actor=alice, organization_id=acme.id)
    assert situation.must_hand_over
    assert not situation.successors_complete
    # Everyone on the first page but Alice (when her id is among the first hundred).
    assert len(situation.successors) in (SUCCESSORS_SHOWN - 1, SUCCESSORS_SHOWN)
    found = organization_leave_situation(actor=alice, organization_id=acme.id, q="person104")
    assert [m.user.primary_email for m in found.successors] == ["person104@example.com"]
    assert found.successors_complete


# -- the overview ----------------------------------------------------------------------------
def test_the_overview_counts_members_and_pending_invitations(emulator, acme, alice, bob):
    inviter = emulator.state.user_by_email("alice@example.com").id
    for status in ("Pending", "Pending", "Revoked"):
        invitation = Invitation(
            id=new_id(21),
            invitee=f"{new_id(6)}@example.com",
            organization_id=acme.id,
            expires_at=now_ms() + 86_400_000,
            inviter_id=inviter,
            role_ids=[role(emulator, "member")],
        )
        invitation.status = status
        emulator.state.invitations[invitation.id] = invitation
    overview = organization_overview(actor=alice, organization_id=acme.id)
    assert (overview.member_count, overview.pending_invitations) == (2, 2)
    assert overview.leave.must_hand_over
    # A member who cannot see invitations is not told how many there are.
    assert organization_overview(actor=bob, organization_id=acme.id).pending_invitations is None


def test_the_setup_checklist_of_a_new_organization_fills_in(emulator, alice, bob):
    org = organization_create(actor=alice, name="Zeta")
    steps = {s.key: s for s in organization_overview(actor=alice, organization_id=org.id).setup}
    assert {key: step.done for key, step in steps.items()} == {
        "invite": False,
        "describe": False,
        "require_mfa": False,
    }
    assert steps["require_mfa"].optional
    organization_update(actor=alice, organization_id=org.id, name="Zeta", description="Z team")
    emulator.state.add_member(
        emulator.state.organizations[org.id], emulator.state.user_by_email("bob@example.com")
    )
    overview = organization_overview(actor=alice, organization_id=org.id)
    assert [(s.key, s.done) for s in overview.setup] == [
        ("invite", True),
        ("describe", True),
        ("require_mfa", False),
    ]
    assert not overview.setup_unfinished  # only the optional step is left


def test_plain_members_get_no_checklist(emulator, acme, bob):
    overview = organization_overview(actor=bob, organization_id=acme.id)
    assert overview.setup == ()
    assert not overview.leave.must_hand_over


# -- hand over and leave ---------------------------------------------------------------------
def test_hand_over_makes_the_member_an_admin_then_leaves(emulator, acme, alice, bob):
    name = organization_hand_over_and_leave(
        actor=alice, organization_id=acme.id, successor_id=bob.logto_id
    )
    assert name == "Bob Member"
    assert alice.logto_id not in acme.members
    assert sorted(acme.members[bob.logto_id]) == sorted(
        [role(emulator, "member"), role(emulator, "admin")]
    )
    assert events("member.roles_changed") == [("success", "bob@example.com")]
    promoted = AuditEvent.objects.get(action="member.roles_changed")
    assert (promoted.before, promoted.after) == (
        {"roles": ["member"]},
        {"roles": ["admin", "member"]},
    )
    left = AuditEvent.objects.get(action="member.left")
    assert (left.outcome, left.after) == ("success", {"handed_over_to": "bob@example.com"})
    alice.refresh_from_db()
    assert alice.last_organization_id != acme.id


@pytest.mark.parametrize(
    ("successor", "sentence"),
    [("", HAND_OVER_CHOOSE), ("self", HAND_OVER_NOT_YOURSELF)],
)
def test_hand_over_needs_someone_else(emulator, acme, alice, successor, sentence):
    with pytest.raises(ApplicationError, match=str(sentence)):
        organization_hand_over_and_leave(
            actor=alice,
            organization_id=acme.id,
            successor_id=alice.logto_id if successor == "self" else successor,
        )
    assert alice.logto_id in acme.members


def test_hand_over_to_a_non_member_changes_nothing(emulator, acme, alice, carol):
    with pytest.raises(MemberGone, match="no longer a member"):
        organization_hand_over_and_leave(
            actor=alice, organization_id=acme.id, successor_id=carol.logto_id
        )
    assert alice.logto_id in acme.members and carol.logto_id not in acme.members


def test_a_plain_member_has_nothing_to_hand_over(emulator, acme, alice, bob):
    with pytest.raises(NotAllowed):
        organization_hand_over_and_leave(
            actor=bob, organization_id=acme.id, successor_id=alice.logto_id
        )
    assert bob.logto_id in acme.members


def test_a_failed_leave_takes_the_role_back(emulator, acme, alice, bob):
    emulator.set_fault("organizations.users.remove", status=500)
    with pytest.raises(ServiceUnavailable) as caught:
        organization_hand_over_and_leave(
            actor=alice, organization_id=acme.id, successor_id=bob.logto_id
        )
    assert "nothing was changed: you are still a member" in caught.value.message
    assert "Logto" not in caught.value.message
    assert acme.members[bob.logto_id] == [role(emulator, "member")]
    assert acme.members[alice.logto_id] == [role(emulator, "admin")]
    # Each step audited: the promotion, the failed leave, the undo.
    assert events("member.roles_changed") == [
        ("success", "bob@example.com"),
        ("success", "bob@example.com"),
    ]
    assert events("member.left") == [("failure", "alice@example.com")]
    undo = AuditEvent.objects.filter(action="member.roles_changed").order_by("id").last()
    assert (undo.before, undo.after) == ({"roles": ["admin", "member"]}, {"roles": ["member"]})


def test_when_the_undo_fails_too_the_sentence_says_who_kept_the_role(emulator, acme, alice, bob):
    emulator.set_fault("organizations.users.remove", status=500)
    emulator.set_fault("organizations.users.roles.replace", status=500)
    with pytest.raises(ServiceUnavailable) as caught:
        organization_hand_over_and_leave(
            actor=alice, organization_id=acme.id, successor_id=bob.logto_id
        )
    assert "Bob Member keeps the admin role" in caught.value.message
    assert "You are still a member" in caught.value.message
    assert role(emulator, "admin") in acme.members[bob.logto_id]
    assert alice.logto_id in acme.members
    assert events("member.roles_changed")[-1] == ("failure", "bob@example.com")


def test_a_failed_promotion_changes_nothing(emulator, acme, alice, bob):
    emulator.set_fault("organizations.users.roles.add", status=503)
    with pytest.raises(ServiceUnavailable) as caught:
        organization_hand_over_and_leave(
            actor=alice, organization_id=acme.id, successor_id=bob.logto_id
        )
    assert caught.value.message.startswith(
        "Bob Member could not be given the admin role, so nothing was changed"
    )
    assert acme.members[bob.logto_id] == [role(emulator, "member")]
    assert alice.logto_id in acme.members
    assert emulator.calls_to("organizations.users.remove") == 0
    assert events("member.roles_changed") == [("failure", "bob@example.com")]
    assert events("member.left") == []


@pytest.mark.parametrize("route", ["organizations.users.roles.add", "organizations.users.remove"])
def test_a_step_whose_answer_was_lost_is_read_back_and_carried_on(
    emulator, acme, alice, bob, route
):
    emulator.set_fault(route, after_work=True, latency=0.01, times=1)
    organization_hand_over_and_leave(
        actor=alice, organization_id=acme.id, successor_id=bob.logto_id
    )
    assert emulator.faults[route].acted == 1
    assert alice.logto_id not in acme.members
    assert role(emulator, "admin") in acme.members[bob.logto_id]
    assert events("member.left") == [("success", "alice@example.com")]


def test_a_leave_of_unknown_outcome_keeps_the_successor_an_admin(emulator, acme, alice, bob):
    with shared_reads.shared(), pytest.raises(ServiceUnavailable) as caught:
        # The request's fresh read of alice's access comes first (a change re-reads it),
        # then the faults: the removal's answer is lost and the read-back fails too.
        access_for_change(user=alice, organization_id=acme.id)
        emulator.set_fault("organizations.users.remove", after_work=True, latency=0.01, times=1)
        emulator.set_fault("users.organizations", status=503)
        organization_hand_over_and_leave(
            actor=alice, organization_id=acme.id, successor_id=bob.logto_id
        )
    assert "cannot tell whether you left" in caught.value.message
    # Taking the role back could have left nobody to manage members.
    assert role(emulator, "admin") in acme.members[bob.logto_id]
    assert alice.logto_id not in acme.members  # it did happen


def test_someone_removed_meanwhile_is_told_so(emulator, acme, alice, bob):
    organization_leave_situation(actor=alice, organization_id=acme.id)  # access cached
    del acme.members[alice.logto_id]
    with pytest.raises(Gone):
        organization_hand_over_and_leave(
            actor=alice, organization_id=acme.id, successor_id=bob.logto_id
        )
    assert acme.members[bob.logto_id] == [role(emulator, "member")]
