"""The emulator answers like Logto (BEHAVIOUR.md), exercised through the real client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from orgportal import logto
from orgportal.logto import errors


@pytest.fixture
def client(emulator):
    return logto.get_client()


def user(emulator, email):
    return emulator.state.user_by_email(email)


def role_id(emulator, name):
    return emulator.state.role_by_name(name).id


def later(days: int = 7) -> datetime:
    return datetime.now(tz=UTC) + timedelta(days=days)


# -- organizations -------------------------------------------------------------------------
def test_create_get_update_delete_an_organization(client):
    org = client.create_organization(name="Zeta", description="Z", is_mfa_required=True)
    assert (org.name, org.description, org.is_mfa_required) == ("Zeta", "Z", True)
    assert client.get_organization(org.id) == org
    renamed = client.update_organization(org.id, name="Zeta 2", description=None)
    assert (renamed.name, renamed.description) == ("Zeta 2", None)
    client.delete_organization(org.id)
    with pytest.raises(errors.NotFound) as caught:
        client.get_organization(org.id)
    assert caught.value.code == "entity.not_exists_with_id"


def test_unknown_ids_answer_with_the_route_specific_404_codes(client):
    with pytest.raises(errors.NotFound) as caught:
        client.delete_organization("nope")
    assert caught.value.code == "entity.not_found"
    for call in (
        lambda: client.get_user("nope"),
        lambda: client.get_organization_role("nope"),
        lambda: client.get_organization_invitation("nope"),
    ):
        with pytest.raises(errors.NotFound) as caught:
            call()
        assert caught.value.code == "entity.not_found"


@pytest.mark.parametrize("name", ["", "x" * 129])
def test_organization_names_are_validated(client, name):
    with pytest.raises(errors.InvalidInput) as caught:
        client.create_organization(name=name)
    assert (caught.value.status, caught.value.code) == (400, "guard.invalid_input")


def test_duplicate_organization_names_are_allowed(client):
    client.create_organization(name="Acme")
    assert [o.name for o in client.iter_organizations(q="acme")] == ["Acme", "Acme"]


def test_organizations_paginate_with_a_total_and_search(client):
    for n in range(25):
        client.create_organization(name=f"Team {n:02}")
    first = client.list_organizations()
    assert (len(first.items), first.total) == (20, 26)  # 20 per page by default
    assert client.list_organizations(q="team 1", page_size=5).total == 10
    assert len(list(client.iter_organizations(page_size=7))) == 26


def test_invalid_pagination_is_refused(emulator, client):
    response = requests.get(
        f"{emulator.endpoint}/api/organizations?page_size=101",
        headers={"Authorization": f"Bearer {client.tokens.get()}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "guard.invalid_pagination"
    assert "Link" not in response.headers


# -- members and roles -----------------------------------------------------------------------
def test_members_come_with_their_roles_and_can_be_searched(client, emulator, acme):
    page = client.list_organization_users(acme.id)
    assert page.total == 2
    by_email = {m.user.primary_email: [r.name for r in m.roles] for m in page}
    assert by_email == {"alice@example.com": ["admin"], "bob@example.com": ["member"]}
    assert [m.user.name for m in client.list_organization_users(acme.id, q="BOB")] == ["Bob Member"]
    admins = client.list_organization_users(acme.id, role_id=role_id(emulator, "admin"))
    assert [m.user.primary_email for m in admins] == ["alice@example.com"]


def test_adding_members_is_idempotent_and_checks_users(client, emulator, acme):
    alice = user(emulator, "alice@example.com")
    client.add_organization_users(acme.id, [alice.id])
    assert acme.members[alice.id] == [role_id(emulator, "admin")]
    with pytest.raises(errors.InvalidInput) as caught:
        client.add_organization_users(acme.id, ["ghost"])
    assert caught.value.code == "entity.relation_foreign_key_not_found"


def test_removing_a_member_drops_their_roles_and_non_members_are_404(client, emulator, acme):
    bob = user(emulator, "bob@example.com")
    client.remove_organization_user(acme.id, bob.id)
    with pytest.raises(errors.NotFound) as caught:
        client.remove_organization_user(acme.id, bob.id)
    assert caught.value.code == "entity.not_found"
    client.add_organization_users(acme.id, [bob.id])
    assert client.list_organization_user_roles(acme.id, bob.id) == []


def test_role_changes_need_membership_and_known_roles(client, emulator, acme):
    carol = user(emulator, "carol@example.com")
    bob = user(emulator, "bob@example.com")
    with pytest.raises(errors.InvalidInput) as caught:
        client.replace_organization_user_roles(acme.id, carol.id, [role_id(emulator, "member")])
    assert caught.value.code == "organization.require_membership"
    with pytest.raises(errors.InvalidInput) as caught:
        client.add_organization_user_roles(acme.id, bob.id, ["no-such-role"])
    assert caught.value.code == "entity.relation_foreign_key_not_found"
    client.add_organization_user_roles(acme.id, bob.id, [role_id(emulator, "admin")])
    assert {r.name for r in client.list_organization_user_roles(acme.id, bob.id)} == {
        "member",
        "admin",
    }
    client.replace_organization_user_roles(acme.id, bob.id, [role_id(emulator, "member")])
    assert [r.name for r in client.list_organization_user_roles(acme.id, bob.id)] == ["member"]


def test_bulk_role_assignment(client, emulator, acme):
    ids = [user(emulator, e).id for e in ("alice@example.com", "bob@example.com")]
    client.add_organization_users_roles(acme.id, ids, [role_id(emulator, "member")])
    assert all(role_id(emulator, "member") in acme.members[i] for i in ids)
    with pytest.raises(errors.InvalidInput):
        client.add_organization_users_roles(acme.id, ["ghost"], [role_id(emulator, "member")])


def test_member_scopes_are_the_permissions_of_their_roles(client, emulator, acme):
    alice = user(emulator, "alice@example.com")
    bob = user(emulator, "bob@example.com")
    assert {s.name for s in client.list_organization_user_scopes(acme.id, alice.id)} == {
        "invite:member",
        "manage:member",
        "delete:member",
        "manage:organization",
        "delete:organization",
    }
    assert client.list_organization_user_scopes(acme.id, bob.id) == []


def test_user_organizations_and_user_search(client, emulator):
    alice = user(emulator, "alice@example.com")
    [membership] = client.list_user_organizations(alice.id)
    assert (membership.organization.name, membership.role_names) == ("Acme", ["admin"])
    assert client.find_user_by_email("ALICE@example.com").id == alice.id
    assert client.find_user_by_email("nobody@example.com") is None
    assert client.list_users(search="%example.com").total == 4  # alice, bob, carol, staff


# -- the organization template -------------------------------------------------------------------
def test_template_roles_with_their_permissions(client):
    roles = {r.name: set(r.scope_names) for r in client.iter_organization_roles()}
    assert roles["member"] == set()
    assert "delete:organization" in roles["admin"]
    assert {s.name for s in client.list_organization_scopes()} >= roles["admin"]


def test_template_names_are_unique(client):
    with pytest.raises(errors.InvalidInput) as caught:
        client.create_organization_scope(name="invite:member")
    assert caught.value.code == "entity.unique_integrity_violation"
    scope = client.create_organization_scope(name="read:billing")
    role = client.create_organization_role(name="billing", scope_ids=[scope.id])
    assert [s.name for s in client.list_organization_role_scopes(role.id)] == ["read:billing"]
    with pytest.raises(errors.InvalidInput):
        client.create_organization_role(name="billing")


# -- invitations ---------------------------------------------------------------------------------
def invite(client, org, email, **kwargs):
    return client.create_organization_invitation(
        organization_id=org.id,
        invitee=email,
        expires_at=kwargs.pop("expires_at", later()),
        **kwargs,
    )


def test_an_invitation_is_created_pending_with_its_roles(client, emulator, acme):
    alice = user(emulator, "alice@example.com")
    invitation = invite(
        client,
        acme,
        "carol@example.com",
        inviter_id=alice.id,
        role_ids=[role_id(emulator, "admin")],
    )
    assert invitation.status == "Pending"
    assert [r.name for r in invitation.roles] == ["admin"]
    assert emulator.state.outbox == []  # no email unless a message payload is given


@pytest.mark.parametrize(
    ("email", "status", "code"),
    [
        ("not-an-email", 400, "guard.invalid_input"),
        ("bob@example.com", 422, "request.invalid_input"),
    ],
)
def test_invitation_input_rules(client, acme, email, status, code):
    with pytest.raises(errors.InvalidInput) as caught:
        invite(client, acme, email)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_an_invitation_must_expire_in_the_future(client, acme):
    with pytest.raises(errors.InvalidInput) as caught:
        invite(client, acme, "carol@example.com", expires_at=later(-1))
    assert (caught.value.status, caught.value.code) == (400, "request.invalid_input")


def test_one_pending_invitation_per_invitee_but_case_sensitive(client, acme):
    invite(client, acme, "carol@example.com")
    with pytest.raises(errors.InvalidInput) as caught:
        invite(client, acme, "carol@example.com")
    assert caught.value.code == "entity.unique_integrity_violation"
    # Logto's quirk: these checks compare the address as typed.
    invite(client, acme, "Carol@Example.COM")
    invite(client, acme, "BOB@EXAMPLE.COM")
    assert len(client.list_organization_invitations(invitee="carol@example.com")) == 2


def test_accepting_needs_the_invitees_email_and_adds_the_member(client, emulator, acme):
    carol = user(emulator, "carol@example.com")
    bob = user(emulator, "bob@example.com")
    invitation = invite(client, acme, "Carol@example.com", role_ids=[role_id(emulator, "member")])
    with pytest.raises(errors.InvalidInput) as caught:
        client.set_organization_invitation_status(invitation.id, "Accepted")
    assert caught.value.code == "request.invalid_input"
    with pytest.raises(errors.InvalidInput):
        client.set_organization_invitation_status(
            invitation.id, "Accepted", accepted_user_id=bob.id
        )
    accepted = client.set_organization_invitation_status(
        invitation.id, "Accepted", accepted_user_id=carol.id
    )
    assert (accepted.status, accepted.accepted_user_id) == ("Accepted", carol.id)
    assert acme.members[carol.id] == [role_id(emulator, "member")]
    # Ended invitations cannot change again; a new one may be created.
    with pytest.raises(errors.InvalidInput):
        client.set_organization_invitation_status(invitation.id, "Revoked")


def test_revoked_invitations_are_final_and_allow_a_new_one(client, acme):
    invitation = invite(client, acme, "dave@example.com")
    assert client.set_organization_invitation_status(invitation.id, "Revoked").status == "Revoked"
    with pytest.raises(errors.InvalidInput):
        client.set_organization_invitation_status(invitation.id, "Revoked")
    assert invite(client, acme, "dave@example.com").status == "Pending"


def test_expiry_is_computed_on_read(client, emulator, acme):
    invitation = invite(client, acme, "dave@example.com")
    emulator.state.invitations[invitation.id].expires_at = 1
    assert client.get_organization_invitation(invitation.id).status == "Expired"
    with pytest.raises(errors.InvalidInput):
        client.set_organization_invitation_status(invitation.id, "Revoked")
    # A new invitation for the same person is allowed once the old one expired.
    assert invite(client, acme, "dave@example.com").status == "Pending"
    # Quirk: Logto still sends a message for an expired invitation.
    client.send_organization_invitation_message(invitation.id, link="https://portal/x")


def test_messages_reach_the_outbox_and_are_rate_limited(client, emulator, acme):
    invitation = invite(client, acme, "Dave@example.com", message_link="https://portal/i/1")
    [email] = emulator.state.outbox
    assert (email.to, email.payload["link"]) == ("Dave@example.com", "https://portal/i/1")
    assert email.payload["organization"]["name"] == "Acme"
    for _ in range(9):
        client.send_organization_invitation_message(invitation.id, link="https://portal/i/1")
    with pytest.raises(errors.RateLimited) as caught:
        client.send_organization_invitation_message(invitation.id, link="https://portal/i/1")
    assert caught.value.code == "request.message_rate_limited"
    assert len(emulator.state.outbox) == 10


def test_deleting_an_accepted_invitation_keeps_the_membership(client, emulator, acme):
    carol = user(emulator, "carol@example.com")
    invitation = invite(client, acme, "carol@example.com")
    client.set_organization_invitation_status(invitation.id, "Accepted", accepted_user_id=carol.id)
    client.delete_organization_invitation(invitation.id)
    assert carol.id in acme.members
    with pytest.raises(errors.NotFound):
        client.send_organization_invitation_message(invitation.id, link="x")


def test_invitation_filters(client, emulator, acme):
    alice = user(emulator, "alice@example.com")
    invite(client, acme, "dave@example.com", inviter_id=alice.id)
    other = client.create_organization(name="Other")
    invite(client, other, "erin@example.com")
    assert [i.invitee for i in client.list_organization_invitations(organization_id=acme.id)] == [
        "dave@example.com"
    ]
    assert len(client.list_organization_invitations(inviter_id=alice.id)) == 1
    assert len(client.list_organization_invitations()) == 2


# -- the guard -------------------------------------------------------------------------------------
def test_the_management_api_needs_a_token_with_scope_all(emulator):
    base = f"{emulator.endpoint}/api/organizations"
    missing = requests.get(base, timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (
        401,
        "auth.authorization_header_missing",
    )
    garbage = requests.get(base, headers={"Authorization": "Bearer x.y.z"}, timeout=5)
    assert (garbage.status_code, garbage.json()["code"]) == (401, "auth.unauthorized")
    token = requests.post(
        f"{emulator.endpoint}/oidc/token",
        data={"grant_type": "client_credentials", "resource": emulator.management_api_resource},
        auth=("orgportal-m2m", "orgportal-m2m-dev-secret"),
        timeout=5,
    ).json()["access_token"]
    no_scope = requests.get(base, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "auth.forbidden")


def test_the_token_endpoint_needs_a_resource_and_the_right_secret(emulator):
    url = f"{emulator.endpoint}/oidc/token"
    no_resource = requests.post(
        url,
        data={"grant_type": "client_credentials", "scope": "all"},
        auth=("orgportal-m2m", "orgportal-m2m-dev-secret"),
        timeout=5,
    )
    assert (no_resource.status_code, no_resource.json()["error"]) == (400, "invalid_target")
    wrong = requests.post(
        url,
        data={"grant_type": "client_credentials", "resource": emulator.management_api_resource},
        auth=("orgportal-m2m", "wrong"),
        timeout=5,
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")


# -- fault injection ---------------------------------------------------------------------------
def test_faults_can_hit_every_nth_call(client, emulator, acme, settings):
    emulator.set_fault("organizations.get", status=500, every=2)
    client.get_organization(acme.id)
    with pytest.raises(errors.Unavailable):
        # 500 is not retried; the second call is the faulty one.
        client.get_organization(acme.id)
    client.get_organization(acme.id)


def test_faults_can_stop_after_a_number_of_times(client, emulator, acme):
    emulator.set_fault("organizations.get", status=503, times=1)
    assert client.get_organization(acme.id).name == "Acme"  # retried past the one fault
    assert emulator.calls_to("organizations.get") == 2


def test_a_fault_after_the_work_leaves_the_change_made(client, emulator, acme):
    """A create that "timed out" at a gateway: the client cannot know it happened."""
    emulator.set_fault("invitations.create", status=504, times=1, after_work=True)
    with pytest.raises(errors.Unavailable):
        invite(client, acme, "dave@example.com")
    [made] = emulator.state.invitations.values()
    assert (made.invitee, made.status) == ("dave@example.com", "Pending")


def test_the_fault_option_after_work_parses_from_the_command_line():
    from logto_emulator.__main__ import parse_fault

    assert parse_fault("invitations.create:status=504,after_work=1") == (
        "invitations.create",
        {"status": 504, "after_work": 1},
    )


def test_the_outbox_is_visible_on_a_page(client, emulator, acme):
    invite(client, acme, "dave@example.com", message_link="http://portal.test/invitations/1/")
    page = requests.get(f"{emulator.endpoint}/emulator/outbox", timeout=5)
    assert "dave@example.com" in page.text
    assert "http://portal.test/invitations/1/" in page.text
