"""Refusals and response shapes as Logto 1.42 answers them (BEHAVIOUR.md, DIVERGENCES.md).

Raw HTTP: the status, `code`, headers and body keys are what a caller notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from orgportal import logto


@pytest.fixture
def client(emulator):
    return logto.get_client()


@pytest.fixture
def call(emulator, client):
    def send(method: str, path: str, body=None, *, data=None, headers=None) -> requests.Response:
        return requests.request(
            method,
            f"{emulator.endpoint}/api{path}",
            json=body,
            data=data,
            headers={"Authorization": f"Bearer {client.tokens.get()}", **(headers or {})},
            timeout=5,
        )

    return send


def code(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("code")


def user_id(emulator, email: str) -> str:
    return emulator.state.user_by_email(email).id


def role_id(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def in_a_week() -> int:
    return int((datetime.now(tz=UTC) + timedelta(days=7)).timestamp() * 1000)


# -- row 6: sub-resources of an unknown organization ------------------------------------------
def test_members_of_an_unknown_organization_are_an_empty_page(call):
    response = call("GET", "/organizations/nope/users")
    assert (response.status_code, response.json()) == (200, [])
    assert response.headers["Total-Number"] == "0"


def test_adding_to_an_unknown_organization_breaks_a_foreign_key(call, emulator):
    alice = user_id(emulator, "alice@example.com")
    added = call("POST", "/organizations/nope/users", {"userIds": [alice]})
    assert code(added) == (422, "entity.relation_foreign_key_not_found")
    bulk = call(
        "POST",
        "/organizations/nope/users/roles",
        {"userIds": [alice], "organizationRoleIds": [role_id(emulator, "member")]},
    )
    assert code(bulk) == (422, "entity.relation_foreign_key_not_found")


def test_patching_an_unknown_organization_is_not_exists(call):
    assert code(call("PATCH", "/organizations/nope", {"name": "X"})) == (404, "entity.not_exists")
    assert code(call("GET", "/organizations/nope")) == (404, "entity.not_exists_with_id")


# -- row 8: nothing to write -------------------------------------------------------------------
def test_empty_role_lists_and_patches_are_refused(call, emulator, acme):
    bob = user_id(emulator, "bob@example.com")
    empty = call("POST", f"/organizations/{acme.id}/users/{bob}/roles", {"organizationRoleIds": []})
    assert code(empty) == (422, "entity.invalid_input")
    assert empty.json()["message"] == "Invalid input. Value list must not be empty."
    patch = call("PATCH", f"/organizations/{acme.id}", {})
    assert code(patch) == (422, "entity.invalid_input")
    scopes = call(
        "POST",
        f"/organization-roles/{role_id(emulator, 'admin')}/scopes",
        {"organizationScopeIds": []},
    )
    assert code(scopes) == (400, "guard.invalid_input")


# -- row 9: invitee addresses ------------------------------------------------------------------
@pytest.mark.parametrize(
    "invitee",
    [
        "a@b.c",
        "user@exämple.com",
        "üser@exämple.com",
        "user@[127.0.0.1]",
        '"quoted"@example.com',
        "user@-example.com",
        " dave@example.com",
        "dave..x@example.com",
    ],
)
def test_invitees_that_logto_does_not_take_for_an_email(call, acme, invitee):
    response = call(
        "POST",
        "/organization-invitations",
        {"invitee": invitee, "organizationId": acme.id, "expiresAt": in_a_week()},
    )
    assert code(response) == (400, "guard.invalid_input")
    [issue] = response.json()["data"]["issues"]
    assert (issue["code"], issue["message"], issue["path"]) == (
        "invalid_string",
        "Invalid email",
        ["invitee"],
    )


@pytest.mark.parametrize(
    "invitee", ["dave@example.com", "o'neil+tag@mail.example.co.uk", "x_y-z@a-b.io", "D@EX.ORG"]
)
def test_ordinary_invitees_are_taken(call, acme, invitee):
    response = call(
        "POST",
        "/organization-invitations",
        {"invitee": invitee, "organizationId": acme.id, "expiresAt": in_a_week()},
    )
    assert response.status_code == 201


# -- row 15: unknown role on role-scope calls ------------------------------------------------
def test_adding_scopes_to_an_unknown_role_breaks_a_foreign_key(call, client):
    scope = client.list_organization_scopes()[0]
    response = call("POST", "/organization-roles/nope/scopes", {"organizationScopeIds": [scope.id]})
    assert code(response) == (422, "entity.relation_foreign_key_not_found")


def test_replacing_the_scopes_of_an_unknown_role_is_not_checked(call, client):
    assert (
        call("PUT", "/organization-roles/nope/scopes", {"organizationScopeIds": []}).status_code
        == 204
    )
    # The list that POST refuses (above) is taken here too, and nothing is stored.
    scope = client.list_organization_scopes()[0]
    filled = call("PUT", "/organization-roles/nope/scopes", {"organizationScopeIds": [scope.id]})
    assert filled.status_code == 204
    assert client.list_organization_scopes()[0] == scope


# -- row 16 ------------------------------------------------------------------------------------
def test_an_unknown_application_is_not_exists_with_id(call):
    assert code(call("GET", "/applications/nope")) == (404, "entity.not_exists_with_id")


# -- row 17: shapes ----------------------------------------------------------------------------
def test_users_members_and_roles_carry_logtos_keys_only(call, emulator, acme):
    alice = user_id(emulator, "alice@example.com")
    user = call("GET", f"/users/{alice}").json()
    assert "hasPassword" in user
    assert not {"cimdClientId", "ssoIdentities"} & set(user)
    member = call("GET", f"/organizations/{acme.id}/users").json()[0]
    assert not {"cimdClientId", "ssoIdentities", "hasPassword"} & set(member)
    role = call("POST", "/organization-roles", {"name": "auditor"})
    listed = call("GET", "/organization-roles").json()[0]
    fetched = call("GET", f"/organization-roles/{role.json()['id']}").json()
    assert all("isDefault" not in body for body in (role.json(), listed, fetched))


def test_relation_posts_answer_created_as_text(call, emulator, acme, client):
    bob = user_id(emulator, "bob@example.com")
    bulk = call(
        "POST",
        f"/organizations/{acme.id}/users/roles",
        {"userIds": [bob], "organizationRoleIds": [role_id(emulator, "admin")]},
    )
    scope = client.list_organization_scopes()[0]
    scopes = call(
        "POST",
        f"/organization-roles/{role_id(emulator, 'member')}/scopes",
        {"organizationScopeIds": [scope.id]},
    )
    for response in (bulk, scopes):
        assert (response.status_code, response.text) == (201, "Created")
        assert response.headers["Content-Type"].startswith("text/plain")
    echoed = call("POST", f"/organizations/{acme.id}/users", {"userIds": [bob]})
    assert (echoed.status_code, echoed.json()) == (201, {"userIds": [bob]})
    roles = call(
        "POST",
        f"/organizations/{acme.id}/users/{bob}/roles",
        {"organizationRoleIds": [role_id(emulator, "member")]},
    )
    assert roles.json() == {"organizationRoleIds": [role_id(emulator, "member")]}


def test_guard_refusals_carry_the_zod_error_and_a_details_line(call):
    response = call("POST", "/organizations", {"name": 5})
    body = response.json()
    assert code(response) == (400, "guard.invalid_input")
    assert body["data"]["name"] == "ZodError"
    [issue] = body["data"]["issues"]
    assert (issue["code"], issue["path"]) == ("invalid_type", ["name"])
    assert (
        body["details"]
        == 'Error in key path "name": (invalid_type) Expected string but received number.'
    )


def test_request_invalid_input_has_no_details(call, acme):
    response = call(
        "POST",
        "/organization-invitations",
        {"invitee": "dave@example.com", "organizationId": acme.id, "expiresAt": 1},
    )
    assert code(response) == (400, "request.invalid_input")
    assert "details" not in response.json()
    assert "must be in the future" in response.json()["message"]


# -- row 18: transport -------------------------------------------------------------------------
def test_a_body_that_is_not_json_gets_a_message_without_code(call):
    response = call(
        "POST", "/organizations", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


def test_an_unknown_api_path_is_a_plain_not_found(call):
    response = call("GET", "/no-such-thing")
    assert (response.status_code, response.text) == (404, "Not Found")
    assert response.headers["Content-Type"].startswith("text/plain")


def test_auth_refusals_say_why_in_data(emulator):
    url = f"{emulator.endpoint}/api/organizations"
    garbage = requests.get(url, headers={"Authorization": "Bearer x.y.z"}, timeout=5)
    assert code(garbage) == (401, "auth.unauthorized")
    assert garbage.json()["data"] == {"code": "ERR_JWS_INVALID", "name": "JWSInvalid"}
    basic = requests.get(url, headers={"Authorization": "Basic eDp5"}, timeout=5)
    assert code(basic) == (401, "auth.authorization_token_type_not_supported")
    assert basic.json()["data"] == {"supportedTypes": ["Bearer"]}
