"""Member use cases against the emulator: escalation, last admin, races, bulk."""

from __future__ import annotations

import pytest

from orgportal.models import AuditEvent
from orgportal.services.access import organization_access
from orgportal.services.errors import (
    ApplicationError,
    LastAdminError,
    NotAllowed,
    OrganizationNotFound,
)
from orgportal.services.members import (
    MemberGone,
    member_list,
    member_remove,
    member_roles_set,
    members_bulk,
)

pytestmark = pytest.mark.django_db


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


def uid(emulator, email):
    return emulator.state.user_by_email(email).id


@pytest.fixture
def manager_role(emulator):
    """A role that may manage members but holds nothing else (for escalation tests)."""
    return emulator.state.add_role("manager", ["manage:member", "invite:member"])


@pytest.fixture
def dave(emulator, acme, manager_role):
    """dave manages members of Acme but is not an admin."""
    from tests.conftest import local_user

    user = emulator.state.add_user("dave@example.com", "pw", name="Dave Manager")
    emulator.state.add_member(acme, user, ["manager"])
    return local_user(emulator, "dave@example.com")


def test_member_search_takes_the_typed_text_literally_and_trimmed(emulator, acme, bob):
    for email, name in (
        ("bo_b@example.com", "Literal Underscore"),
        ("50pc@example.com", "50% Off"),
    ):
        emulator.state.add_member(acme, emulator.state.add_user(email, "pw", name=name), ["member"])
    found = member_list(actor=bob, organization_id=acme.id, q="  bo_b  ")
    assert [m.user.name for m in found] == ["Literal Underscore"]  # not "Bob Member"
    assert [m.user.name for m in member_list(actor=bob, organization_id=acme.id, q="0%")] == [
        "50% Off"
    ]
    assert member_list(actor=bob, organization_id=acme.id, q="%").total == 1


def test_members_are_listed_one_page_at_a_time(emulator, acme, bob):
    for n in range(30):
        emulator.state.add_member(
            acme, emulator.state.add_user(f"u{n}@example.com", "pw"), ["member"]
        )
    page = member_list(actor=bob, organization_id=acme.id, page=2, page_size=10)
    assert (page.total, len(page.items), page.page_count) == (32, 10, 4)
    found = member_list(actor=bob, organization_id=acme.id, q="U1@")
    assert found.total == 1


def test_strangers_cannot_list(emulator, acme, carol):
    with pytest.raises(OrganizationNotFound):
        member_list(actor=carol, organization_id=acme.id)


def test_an_admin_changes_roles_and_the_cache_is_dropped(emulator, acme, alice, bob):
    assert not organization_access(user=bob, organization_id=acme.id).can("manage_member")
    member = member_roles_set(
        actor=alice,
        organization_id=acme.id,
        user_id=bob.logto_id,
        role_ids=[rid(emulator, "admin")],
    )
    assert [r.name for r in member.roles] == ["admin"]
    assert acme.members[bob.logto_id] == [rid(emulator, "admin")]
    # bob's next request sees the new permissions at once.
    assert organization_access(user=bob, organization_id=acme.id).can("manage_member")
    event = AuditEvent.objects.get(action="member.roles_changed")
    assert (event.before, event.after, event.target_label) == (
        {"roles": ["member"]},
        {"roles": ["admin"]},
        "bob@example.com",
    )


def test_members_without_manage_member_cannot_change_roles(emulator, acme, bob, alice):
    with pytest.raises(NotAllowed):
        member_roles_set(
            actor=bob,
            organization_id=acme.id,
            user_id=bob.logto_id,
            role_ids=[rid(emulator, "admin")],
        )
    assert acme.members[bob.logto_id] == [rid(emulator, "member")]


def test_no_one_grants_a_role_beyond_their_own_permissions(emulator, acme, dave):
    bob_id = uid(emulator, "bob@example.com")
    with pytest.raises(NotAllowed) as caught:
        member_roles_set(
            actor=dave, organization_id=acme.id, user_id=bob_id, role_ids=[rid(emulator, "admin")]
        )
    assert "admin" in caught.value.message
    assert acme.members[bob_id] == [rid(emulator, "member")]
    # ...nor take it away from someone who has it.
    alice_id = uid(emulator, "alice@example.com")
    with pytest.raises(NotAllowed):
        member_roles_set(actor=dave, organization_id=acme.id, user_id=alice_id, role_ids=[])
    # Roles within the manager's own permissions are fine.
    member_roles_set(
        actor=dave, organization_id=acme.id, user_id=bob_id, role_ids=[rid(emulator, "manager")]
    )
    assert AuditEvent.objects.filter(outcome="failure").count() == 2


def test_unknown_roles_are_refused(emulator, acme, alice, bob):
    with pytest.raises(ApplicationError) as caught:
        member_roles_set(
            actor=alice, organization_id=acme.id, user_id=bob.logto_id, role_ids=["forged"]
        )
    assert "does not exist" in caught.value.message


def test_the_last_manager_cannot_be_demoted(emulator, acme, alice):
    with pytest.raises(LastAdminError):
        member_roles_set(
            actor=alice,
            organization_id=acme.id,
            user_id=alice.logto_id,
            role_ids=[rid(emulator, "member")],
        )
    assert acme.members[alice.logto_id] == [rid(emulator, "admin")]


def test_unknown_or_departed_members_are_reported(emulator, acme, alice, carol):
    with pytest.raises(MemberGone):
        member_roles_set(actor=alice, organization_id=acme.id, user_id="ghost", role_ids=[])
    with pytest.raises(MemberGone) as caught:
        member_roles_set(actor=alice, organization_id=acme.id, user_id=carol.logto_id, role_ids=[])
    # Not named: a stranger's id must not reveal who it is.
    assert caught.value.message == "That person is no longer a member of this organization."


def test_remove_a_member(emulator, acme, alice):
    bob_id = uid(emulator, "bob@example.com")
    assert member_remove(actor=alice, organization_id=acme.id, user_id=bob_id) == "bob@example.com"
    assert bob_id not in acme.members
    assert AuditEvent.objects.get(action="member.removed").before == {"roles": ["member"]}


def test_removing_twice_at_once_tells_the_second_one(emulator, acme, alice):
    bob_id = uid(emulator, "bob@example.com")
    member_remove(actor=alice, organization_id=acme.id, user_id=bob_id)
    with pytest.raises(MemberGone):
        member_remove(actor=alice, organization_id=acme.id, user_id=bob_id)


def test_a_concurrent_removal_between_check_and_delete(emulator, acme, alice):
    """Someone else removes bob after our checks but before our DELETE reaches Logto."""
    from logto_emulator.management import _bearer_required

    bob_id = uid(emulator, "bob@example.com")
    original = emulator.management.member_remove

    def removed_meanwhile(request, org_id, user_id):
        acme.members.pop(user_id, None)
        return original(request, org_id, user_id)

    emulator._handlers["organizations.users.remove"] = _bearer_required(emulator, removed_meanwhile)
    with pytest.raises(MemberGone) as caught:
        member_remove(actor=alice, organization_id=acme.id, user_id=bob_id)
    assert "already removed" in caught.value.message


def test_removal_rules(emulator, acme, alice, bob, dave):
    with pytest.raises(NotAllowed):
        member_remove(actor=bob, organization_id=acme.id, user_id=alice.logto_id)
    with pytest.raises(ApplicationError) as caught:
        member_remove(actor=alice, organization_id=acme.id, user_id=alice.logto_id)
    assert "Leave organization" in caught.value.message
    # dave may manage members; the template has delete:member, which dave lacks.
    with pytest.raises(NotAllowed):
        member_remove(actor=dave, organization_id=acme.id, user_id=bob.logto_id)


def test_manage_member_may_remove_when_the_template_has_no_delete_member(emulator, acme, dave, bob):
    scope = emulator.state.scope_by_name("delete:member")
    del emulator.state.organization_scopes[scope.id]
    for role in emulator.state.organization_roles.values():
        role.scope_ids = [s for s in role.scope_ids if s != scope.id]
    member_remove(actor=dave, organization_id=acme.id, user_id=bob.logto_id)
    assert bob.logto_id not in acme.members


def test_the_only_admin_cannot_be_removed_by_someone_with_fewer_permissions(emulator, acme):
    from tests.conftest import local_user

    emulator.state.add_role("remover", ["delete:member"])
    eve_user = emulator.state.add_user("eve@example.com", "pw")
    emulator.state.add_member(acme, eve_user, ["remover"])
    eve = local_user(emulator, "eve@example.com")
    alice_id = uid(emulator, "alice@example.com")
    with pytest.raises(NotAllowed):
        member_remove(actor=eve, organization_id=acme.id, user_id=alice_id)
    assert alice_id in acme.members
    # ...but eve may remove bob, whose role is within her permissions.
    member_remove(actor=eve, organization_id=acme.id, user_id=uid(emulator, "bob@example.com"))


def test_bulk_add_role_uses_one_call(emulator, acme, alice):
    ids = [emulator.state.add_user(f"b{n}@example.com", "pw").id for n in range(3)]
    for user_id in ids:
        acme.members[user_id] = []
    before = emulator.calls_to("organizations.users.roles.bulk")
    outcomes = members_bulk(
        actor=alice,
        organization_id=acme.id,
        user_ids=ids,
        action="add_role",
        role_id=rid(emulator, "member"),
    )
    assert [o.ok for o in outcomes] == [True] * 3
    assert outcomes[0].label == "b0@example.com"
    assert emulator.calls_to("organizations.users.roles.bulk") == before + 1
    assert all(acme.members[i] == [rid(emulator, "member")] for i in ids)


def test_bulk_remove_reports_each_member_and_keeps_going(emulator, acme, alice):
    ids = [emulator.state.add_user(f"r{n}@example.com", "pw").id for n in range(3)]
    for user_id in ids:
        acme.members[user_id] = [rid(emulator, "member")]
    # Logto fails on the second removal only.
    emulator.set_fault("organizations.users.remove", status=500, every=2, times=1)
    outcomes = members_bulk(
        actor=alice,
        organization_id=acme.id,
        user_ids=[*ids, alice.logto_id, "ghost"],
        action="remove",
    )
    assert [(o.label, o.ok) for o in outcomes] == [
        ("r0@example.com", True),
        ("r1@example.com", False),
        ("r2@example.com", True),
        ("alice@example.com", False),
        ("ghost", False),
    ]
    assert ids[1] in acme.members and ids[0] not in acme.members and ids[2] not in acme.members
    assert "Leave organization" in outcomes[3].message


def test_bulk_demotion_stops_at_the_last_manager(emulator, acme, alice):
    bob_id = uid(emulator, "bob@example.com")
    acme.members[bob_id] = [rid(emulator, "admin")]
    outcomes = members_bulk(
        actor=alice,
        organization_id=acme.id,
        user_ids=[bob_id, alice.logto_id],
        action="set_role",
        role_id=rid(emulator, "member"),
    )
    assert [o.ok for o in outcomes] == [True, False]
    assert "last person who can manage members" in outcomes[1].message
    assert acme.members[alice.logto_id] == [rid(emulator, "admin")]


def test_bulk_input_is_checked(emulator, acme, alice, dave):
    with pytest.raises(ApplicationError):
        members_bulk(actor=alice, organization_id=acme.id, user_ids=[], action="remove")
    with pytest.raises(ApplicationError):
        members_bulk(
            actor=alice,
            organization_id=acme.id,
            user_ids=["x"] * 1 + [str(n) for n in range(101)],
            action="remove",
        )
    with pytest.raises(ApplicationError):
        members_bulk(actor=alice, organization_id=acme.id, user_ids=["x"], action="explode")
    with pytest.raises(NotAllowed):
        members_bulk(
            actor=dave,
            organization_id=acme.id,
            user_ids=[alice.logto_id],
            action="add_role",
            role_id=rid(emulator, "admin"),
        )
