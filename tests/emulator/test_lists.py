"""Lists answer in Logto 1.42's order, search and pagination (BEHAVIOUR.md, DIVERGENCES.md).

Raw HTTP where the client would hide what a caller notices (query text, headers)."""

from __future__ import annotations

import pytest
import requests

from logto_emulator.state import OrganizationScope
from orgportal import logto


@pytest.fixture
def client(emulator):
    return logto.get_client()


@pytest.fixture
def get(emulator, client):
    def call(path: str, **params) -> requests.Response:
        return requests.get(
            f"{emulator.endpoint}/api{path}",
            params=params,
            headers={"Authorization": f"Bearer {client.tokens.get()}"},
            timeout=5,
        )

    return call


def names(response: requests.Response) -> list[str]:
    return [item["name"] for item in response.json()]


# -- row 3: organizations ------------------------------------------------------------------
def test_organizations_come_oldest_first_and_an_edited_one_moves_to_the_end(client, get):
    for name in ("One", "Two", "Three"):
        client.create_organization(name=name)
    assert names(get("/organizations")) == ["Acme", "One", "Two", "Three"]
    two = next(o for o in client.iter_organizations(q="Two"))
    client.update_organization(two.id, description="edited")
    assert names(get("/organizations")) == ["Acme", "One", "Three", "Two"]


# -- row 4: `q` search ---------------------------------------------------------------------
def test_organization_search_is_on_id_and_name_not_description(client, get, acme):
    assert names(get("/organizations", q="demo")) == []  # "The demo organization"
    assert names(get("/organizations", q="CM")) == ["Acme"]
    assert names(get("/organizations", q=acme.id[2:8])) == ["Acme"]


def test_percent_and_underscore_in_q_are_wildcards_and_q_is_not_trimmed(client, get):
    client.create_organization(name="50% off")
    client.create_organization(name="snake_case")
    assert names(get("/organizations", q="%")) == ["Acme", "50% off", "snake_case"]
    assert names(get("/organizations", q="ke_c")) == ["snake_case"]
    assert names(get("/organizations", q="Ac_e")) == ["Acme"]  # `_` is any one character
    assert names(get("/organizations", q="acme ")) == []  # the trailing space counts
    assert names(get("/organizations", q=" off")) == ["50% off"]


def test_a_backslash_in_q_makes_a_wildcard_literal(client, get):
    client.create_organization(name="50% off")
    client.create_organization(name="snake_case")
    client.create_organization(name="snakeXcase")
    assert names(get("/organizations", q="\\%")) == ["50% off"]
    assert names(get("/organizations", q="e\\_c")) == ["snake_case"]
    assert get("/organizations", q="\\%").headers["Total-Number"] == "1"


def test_member_search_matches_id_email_username_and_name_with_wildcards(get, emulator, acme):
    alice = emulator.state.user_by_email("alice@example.com")
    assert names(get(f"/organizations/{acme.id}/users", q="ALICE@")) == ["Alice Admin"]
    assert names(get(f"/organizations/{acme.id}/users", q="b_b")) == ["Bob Member"]
    assert names(get(f"/organizations/{acme.id}/users", q=alice.id)) == ["Alice Admin"]
    assert len(get(f"/organizations/{acme.id}/users", q="%").json()) == 2


def test_organization_role_search_matches_name_and_description(get):
    assert names(get("/organization-roles", q="manages")) == ["admin"]  # its description
    assert names(get("/organization-roles", q="BE%NGS")) == ["member"]


# -- row 5: members ------------------------------------------------------------------------
def test_members_are_ordered_by_user_id_and_their_roles_by_name(client, emulator, get):
    state = emulator.state
    org = client.create_organization(name="Ordered")
    users = [
        state.add_user(f"{name}@example.com", user_id=uid)
        for name, uid in (("zed", "aaaaaaaaaaa1"), ("amy", "zzzzzzzzzzz9"), ("kim", "mmmmmmmmmmm5"))
    ]
    client.add_organization_users(org.id, [u.id for u in users])
    member, admin = state.role_by_name("member"), state.role_by_name("admin")
    client.add_organization_user_roles(org.id, users[0].id, [member.id, admin.id])
    body = get(f"/organizations/{org.id}/users").json()
    assert [m["id"] for m in body] == ["aaaaaaaaaaa1", "mmmmmmmmmmm5", "zzzzzzzzzzz9"]
    assert [r["name"] for r in body[0]["organizationRoles"]] == ["admin", "member"]


# -- row 7: the template -------------------------------------------------------------------
def test_template_lists_are_ordered_by_name_upper_case_first(client, get):
    delete = client.create_organization_scope(name="delete:billing")
    invite = client.create_organization_scope(name="INVITE:BILLING")
    scope_names = names(get("/organization-scopes"))
    assert scope_names == sorted(scope_names)  # code-point order: upper case first
    assert scope_names.index("INVITE:BILLING") < scope_names.index("delete:billing")
    role = client.create_organization_role(name="ADMIN", scope_ids=[delete.id, invite.id])
    client.create_organization_role(name="Zeta")
    assert names(get("/organization-roles")) == [
        "ADMIN",
        "API: member management",
        "API: read-only",
        "Zeta",
        "admin",
        "member",
    ]
    assert names(get(f"/organization-roles/{role.id}/scopes")) == [
        "INVITE:BILLING",
        "delete:billing",
    ]


# -- row 21: effective permissions -----------------------------------------------------------
def test_a_members_permissions_follow_scope_ids_not_creation_or_name(client, emulator, get, acme):
    state = emulator.state
    for scope_id, name in (("s3", "a:third"), ("s1", "c:first"), ("s2", "b:second")):
        state.organization_scopes[scope_id] = OrganizationScope(id=scope_id, name=name)
    role = client.create_organization_role(name="ordered", scope_ids=["s3", "s1", "s2"])
    bob = state.user_by_email("bob@example.com")
    client.add_organization_user_roles(acme.id, bob.id, [role.id])
    assert names(get(f"/organizations/{acme.id}/users/{bob.id}/scopes")) == [
        "c:first",
        "b:second",
        "a:third",
    ]


# -- row 19: pagination ----------------------------------------------------------------------
def test_a_fractional_page_is_not_an_error(get):
    response = get("/organizations", page="1.5")
    assert response.status_code == 200
    assert response.json() == []  # the page starts half a page in: past the one organization
    assert response.headers["Total-Number"] == "1"


@pytest.mark.parametrize(("page", "page_size"), [("0", "20"), ("abc", "20"), ("1", "0")])
def test_nonsense_page_values_are_refused(get, page, page_size):
    response = get("/organizations", page=page, page_size=page_size)
    assert (response.status_code, response.json()["code"]) == (400, "guard.invalid_pagination")


def test_a_users_global_roles_are_always_paginated(get, emulator):
    staff = emulator.state.user_by_email("staff@example.com")
    response = get(f"/users/{staff.id}/roles")
    assert response.headers["Total-Number"] == "2"
    assert sorted(names(response)) == ["portal-staff", "portal-superuser"]


def test_invitations_and_user_organizations_ignore_page_parameters(get, emulator):
    alice = emulator.state.user_by_email("alice@example.com")
    for path in ("/organization-invitations", f"/users/{alice.id}/organizations"):
        response = get(path, page="abc", page_size="0")
        assert response.status_code == 200
        assert "Total-Number" not in response.headers


def test_link_headers_are_absolute_and_lack_the_api_prefix(emulator):
    response = requests.get(
        f"{emulator.endpoint}/api/organizations",
        params={"page": 1, "page_size": 1},
        headers={"Authorization": f"Bearer {logto.get_client().tokens.get()}"},
        timeout=5,
    )
    first = response.headers["Link"].split(",")[0]
    assert first.startswith(f"<{emulator.endpoint}/organizations?")
    assert 'rel="first"' in first


# -- advanced user search (Logto's utils/search.ts) -----------------------------------------
def test_user_search_by_several_ids_in_exact_mode(get, emulator):
    alice = emulator.state.user_by_email("alice@example.com")
    bob = emulator.state.user_by_email("bob@example.com")
    found = get("/users", **{"search.id": [alice.id, bob.id], "mode.id": "exact"})
    assert sorted(names(found)) == ["Alice Admin", "Bob Member"]
    # Exact mode compares whole values: a part of an id matches nothing.
    assert get("/users", **{"search.id": alice.id[:5], "mode.id": "exact"}).json() == []


def test_user_search_fields_like_mode_and_joint(get):
    assert names(get("/users", **{"search.name": "%admin"})) == ["Alice Admin"]
    either = get("/users", **{"search.name": "%admin", "search.primaryEmail": "bob@%"})
    assert sorted(names(either)) == ["Alice Admin", "Bob Member"]
    both = {"search.name": "%admin", "search.primaryEmail": "bob@%", "joint": "and"}
    assert get("/users", **both).json() == []
    assert get("/users", **{"search.name": "alice%", "isCaseSensitive": "true"}).json() == []


def test_user_search_refuses_several_values_outside_exact_mode_and_unknown_fields(get):
    assert get("/users", **{"search.name": ["a%", "b%"]}).status_code == 400
    assert get("/users", **{"search.password": "x"}).status_code == 400
    assert get("/users", **{"search.name.first": "x"}).status_code == 400
