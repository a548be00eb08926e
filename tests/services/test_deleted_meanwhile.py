"""Someone deletes the organization (or the member) while a person is working in it.

Logto does not answer 404 for a deleted organization's members: the list is empty, adding
breaks a foreign key, member calls say "not a member". The person must still read that the
organization no longer exists, and the same on the emulator as on a real server."""

from __future__ import annotations

import pytest

from orgportal.services.access import ORGANIZATION_GONE
from orgportal.services.errors import Gone, OrganizationNotFound
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.members import (
    MemberGone,
    member_list,
    member_remove,
    member_roles_set,
    members_bulk,
)
from orgportal.services.organizations import organization_update

pytestmark = pytest.mark.django_db


def meanwhile(emulator, route: str, change) -> None:
    """Run `change` just before the emulator answers the next calls to `route`."""
    answer = emulator._handlers[route]

    def changed_first(request, **params):
        change()
        return answer(request, **params)

    emulator._handlers[route] = changed_first


def deleted_meanwhile(emulator, route: str, organization) -> None:
    meanwhile(emulator, route, lambda: emulator.state.organizations.pop(organization.id, None))


def rid(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def uid(emulator, email: str) -> str:
    return emulator.state.user_by_email(email).id


def test_the_member_list_of_a_deleted_organization(emulator, acme, alice):
    deleted_meanwhile(emulator, "organizations.users.list", acme)
    with pytest.raises(OrganizationNotFound) as caught:
        member_list(actor=alice, organization_id=acme.id)
    assert caught.value.message == ORGANIZATION_GONE == "This organization no longer exists."


def test_an_empty_search_in_an_existing_organization_is_just_empty(emulator, acme, alice):
    assert member_list(actor=alice, organization_id=acme.id, q="nobody-like-this").total == 0


def test_changing_roles_in_a_deleted_organization(emulator, acme, alice):
    deleted_meanwhile(emulator, "organizations.users.roles.list", acme)
    with pytest.raises(OrganizationNotFound) as caught:
        member_roles_set(
            actor=alice,
            organization_id=acme.id,
            user_id=uid(emulator, "bob@example.com"),
            role_ids=[rid(emulator, "admin")],
        )
    assert caught.value.message == ORGANIZATION_GONE


def test_the_last_admin_rule_does_not_blame_a_deleted_organizations_admin(emulator, acme, alice):
    """The manager check lists the other admins: empty because the organization is gone."""
    deleted_meanwhile(emulator, "organizations.users.list", acme)
    with pytest.raises(OrganizationNotFound) as caught:
        member_roles_set(
            actor=alice,
            organization_id=acme.id,
            user_id=alice.logto_id,
            role_ids=[rid(emulator, "member")],
        )
    assert caught.value.message == ORGANIZATION_GONE


def test_removing_a_member_of_a_deleted_organization(emulator, acme, alice):
    deleted_meanwhile(emulator, "organizations.users.remove", acme)
    with pytest.raises(OrganizationNotFound):
        member_remove(
            actor=alice, organization_id=acme.id, user_id=uid(emulator, "bob@example.com")
        )


def test_a_member_removed_meanwhile_is_still_reported_as_such(emulator, acme, alice):
    bob_id = uid(emulator, "bob@example.com")
    meanwhile(emulator, "organizations.users.remove", lambda: acme.members.pop(bob_id, None))
    with pytest.raises(MemberGone) as caught:
        member_remove(actor=alice, organization_id=acme.id, user_id=bob_id)
    assert caught.value.message == "bob@example.com was already removed a moment ago."


def test_bulk_roles_in_a_deleted_organization(emulator, acme, alice):
    deleted_meanwhile(emulator, "organizations.users.roles.bulk", acme)
    with pytest.raises(OrganizationNotFound) as caught:
        members_bulk(
            actor=alice,
            organization_id=acme.id,
            user_ids=[uid(emulator, "bob@example.com")],
            action="add_role",
            role_id=rid(emulator, "admin"),
        )
    assert caught.value.message == ORGANIZATION_GONE


def test_bulk_roles_when_a_member_left_meanwhile(emulator, acme, alice):
    bob_id = uid(emulator, "bob@example.com")
    meanwhile(emulator, "organizations.users.roles.bulk", lambda: acme.members.pop(bob_id, None))
    [outcome] = members_bulk(
        actor=alice,
        organization_id=acme.id,
        user_ids=[bob_id],
        action="add_role",
        role_id=rid(emulator, "admin"),
    )
    assert (outcome.ok, outcome.message) == (
        False,
        "Nothing was changed: one of them is no longer a member.",
    )


def test_inviting_into_a_deleted_organization(emulator, acme, alice):
    deleted_meanwhile(emulator, "invitations.create", acme)
    with pytest.raises(OrganizationNotFound) as caught:
        invitation_send(
            actor=alice,
            organization_id=acme.id,
            emails=["dave@example.com"],
            role_ids=[rid(emulator, "member")],
        )
    assert caught.value.message == ORGANIZATION_GONE


def test_renaming_a_deleted_organization(emulator, acme, alice):
    deleted_meanwhile(emulator, "organizations.update", acme)
    with pytest.raises(OrganizationNotFound) as caught:
        organization_update(actor=alice, organization_id=acme.id, name="Acme 2")
    assert caught.value.message == ORGANIZATION_GONE


def test_adding_a_person_whose_account_was_deleted_meanwhile(emulator, acme, client):
    from orgportal.services.members import member_add_by_email
    from orgportal.staff import acting_as_staff
    from tests.conftest import local_user

    emulator.state.add_user("sam@example.com", "pw")
    sam = local_user(emulator, "sam@example.com")
    sam.is_staff = True
    carol_id = uid(emulator, "carol@example.com")
    meanwhile(emulator, "organizations.users.add", lambda: emulator.state.users.pop(carol_id))
    with acting_as_staff(sam), pytest.raises(Gone) as caught:
        member_add_by_email(
            actor=sam, organization_id=acme.id, email="carol@example.com", role_ids=[]
        )
    assert caught.value.message == "The account of carol@example.com no longer exists."
