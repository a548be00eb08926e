"""The token endpoint answers like Logto 1.42 (BEHAVIOUR.md "Organization and API tokens",
DIVERGENCES.md rows 10, 12, 13, 20): refresh tokens, organization tokens, API resource tokens
and ID token claims, as a client decoding them would see them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from logto_emulator import defaults as dev_defaults
from orgportal import logto
from tests.helpers import sign_in_at_emulator

API = dev_defaults.API_RESOURCE
ORGANIZATIONS = "urn:logto:resource:organizations"
REDIRECT_URI = "http://testserver/oidc/callback/"
PERMISSIONS = "invite:member manage:member delete:member manage:organization delete:organization"


def sign_in(emulator, email: str, scope: str, resources=(), **extra) -> dict:
    """Sign in at the emulator with prompt=consent and exchange the code; the token answer."""
    query = [
        ("client_id", dev_defaults.WEB_APP_ID),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", scope),
        ("prompt", "consent"),
        ("nonce", "n-1"),
        *(("resource", r) for r in resources),
    ]
    callback = sign_in_at_emulator(emulator, f"/oidc/auth?{urlencode(query)}", email)
    [code] = parse_qs(urlsplit(callback).query)["code"]
    return token(
        emulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, **extra
    )


def token(emulator, **form) -> dict:
    response = post_token(emulator, **form)
    assert response.status_code == 200, response.text
    return response.json()


def post_token(emulator, **form) -> requests.Response:
    return requests.post(
        f"{emulator.endpoint}/oidc/token",
        data=form,
        auth=(dev_defaults.WEB_APP_ID, dev_defaults.WEB_APP_SECRET),
        timeout=5,
    )


def claims(value: str) -> dict:
    return jwt.decode(value, options={"verify_signature": False})


def refresh(emulator, refresh_token: str, **form) -> requests.Response:
    return post_token(emulator, grant_type="refresh_token", refresh_token=refresh_token, **form)


FULL = f"openid profile email offline_access urn:logto:scope:organizations {PERMISSIONS}"


# -- row 10: refresh tokens --------------------------------------------------------------------
def test_a_fresh_refresh_token_is_not_rotated_and_stays_valid(emulator):
    first = sign_in(emulator, "alice@example.com", FULL)["refresh_token"]
    one, two = refresh(emulator, first), refresh(emulator, first)  # e.g. two browser tabs
    assert one.status_code == two.status_code == 200
    assert one.json()["refresh_token"] == two.json()["refresh_token"] == first


def test_organization_token_answers_also_carry_an_id_token_and_the_refresh_token(emulator, acme):
    first = sign_in(emulator, "alice@example.com", FULL, resources=[ORGANIZATIONS])
    answer = refresh(emulator, first["refresh_token"], organization_id=acme.id).json()
    assert set(answer) == {
        "access_token",
        "expires_in",
        "id_token",
        "refresh_token",
        "scope",
        "token_type",
    }
    assert answer["refresh_token"] == first["refresh_token"]


# -- row 12: organization tokens ---------------------------------------------------------------
def test_organization_tokens_have_no_organization_id_claim(emulator, acme):
    first = sign_in(emulator, "alice@example.com", FULL, resources=[ORGANIZATIONS])
    answer = refresh(emulator, first["refresh_token"], organization_id=acme.id).json()
    access = claims(answer["access_token"])
    assert access["aud"] == f"urn:logto:organization:{acme.id}"
    assert "organization_id" not in access
    assert set(access["scope"].split()) == set(PERMISSIONS.split())


def test_an_organization_token_without_permissions_has_no_scope_claim(emulator, acme):
    first = sign_in(emulator, "bob@example.com", FULL, resources=[ORGANIZATIONS])
    answer = refresh(emulator, first["refresh_token"], organization_id=acme.id).json()
    assert answer["scope"] == ""
    assert "scope" not in claims(answer["access_token"])


def test_an_organizations_resource_token_without_an_organization_lists_every_permission(
    emulator,
):
    """The observed trap: bob holds no permission, yet this token names them all."""
    first = sign_in(emulator, "bob@example.com", FULL, resources=[ORGANIZATIONS])
    answer = refresh(emulator, first["refresh_token"], resource=ORGANIZATIONS).json()
    token_claims = claims(answer["access_token"])
    assert token_claims["aud"] == ORGANIZATIONS
    assert token_claims["scope"].split() == PERMISSIONS.split()


def test_a_scope_parameter_narrows_an_organization_token(emulator, acme):
    first = sign_in(emulator, "alice@example.com", FULL, resources=[ORGANIZATIONS])
    answer = refresh(
        emulator, first["refresh_token"], organization_id=acme.id, scope="invite:member"
    ).json()
    assert claims(answer["access_token"])["scope"] == "invite:member"


def test_organization_tokens_need_the_organizations_scope_in_the_grant(emulator, acme):
    first = sign_in(emulator, "alice@example.com", f"openid offline_access {PERMISSIONS}")
    refused = refresh(emulator, first["refresh_token"], organization_id=acme.id)
    assert (refused.status_code, refused.json()) == (
        403,
        {
            "error": "insufficient_scope",
            "error_description": "refresh token missing required scope",
        },
    )


def test_no_organization_token_for_a_non_member(emulator, acme):
    first = sign_in(emulator, "carol@example.com", FULL, resources=[ORGANIZATIONS])
    refused = refresh(emulator, first["refresh_token"], organization_id=acme.id)
    assert (refused.status_code, refused.json()["error"]) == (403, "access_denied")


# -- row 13: API resource tokens ---------------------------------------------------------------
@pytest.fixture
def reports(emulator, acme):
    """`read:reports` on the API through the admin organization role, `export:reports`
    through the global role portal-staff."""
    state = emulator.state
    read = state.add_resource_scope(API, "read:reports")
    export = state.add_resource_scope(API, "export:reports")
    state.role_by_name("admin").resource_scope_ids.append(read.id)
    state.global_role_scope_ids["portal-staff"] = [export.id]
    return read, export


API_SCOPES = f"openid offline_access urn:logto:scope:organizations read:reports {PERMISSIONS}"


def test_an_api_token_holds_requested_scopes_the_user_was_granted(emulator, reports):
    answer = sign_in(emulator, "alice@example.com", API_SCOPES, resources=[API], resource=API)
    assert claims(answer["access_token"])["scope"] == "read:reports"  # no organization names
    again = refresh(emulator, answer["refresh_token"], resource=API).json()
    assert claims(again["access_token"])["scope"] == "read:reports"


def test_an_api_token_without_granted_scopes_has_none(emulator, reports):
    answer = sign_in(emulator, "bob@example.com", API_SCOPES, resources=[API], resource=API)
    access = claims(answer["access_token"])
    assert access["aud"] == API
    assert "scope" not in access


def test_global_role_scopes_count_for_api_tokens(emulator, reports):
    scope = "openid offline_access export:reports read:reports"
    answer = sign_in(emulator, "staff@example.com", scope, resources=[API], resource=API)
    assert claims(answer["access_token"])["scope"] == "export:reports"


def test_an_api_token_for_one_organization_names_it(emulator, acme, reports):
    first = sign_in(emulator, "alice@example.com", API_SCOPES, resources=[API])
    answer = refresh(emulator, first["refresh_token"], resource=API, organization_id=acme.id)
    access = claims(answer.json()["access_token"])
    assert (access["aud"], access["organization_id"], access["scope"]) == (
        API,
        acme.id,
        "read:reports",
    )


# -- row 20: ID token claims -------------------------------------------------------------------
def test_id_tokens_have_no_auth_time_and_no_preferred_username(emulator):
    minimal = claims(sign_in(emulator, "alice@example.com", "openid")["id_token"])
    assert set(minimal) == {"sub", "nonce", "aud", "exp", "iat", "iss"}
    profile = claims(sign_in(emulator, "alice@example.com", "openid profile")["id_token"])
    assert {"name", "picture", "username", "created_at", "updated_at"} <= set(profile)
    assert not {"auth_time", "preferred_username"} & set(profile)


def test_an_organization_role_created_with_resource_scopes_grants_them(emulator, acme):
    client = logto.get_client()
    scope = emulator.state.add_resource_scope(API, "write:reports")
    response = requests.post(
        f"{emulator.endpoint}/api/organization-roles",
        json={"name": "reporter", "resourceScopeIds": [scope.id]},
        headers={"Authorization": f"Bearer {client.tokens.get()}"},
        timeout=5,
    )
    assert response.status_code == 201
    role = next(r for r in client.iter_organization_roles() if r.name == "reporter")
    client.add_organization_user_roles(
        acme.id, emulator.state.user_by_email("bob@example.com").id, [role.id]
    )
    answer = sign_in(
        emulator, "bob@example.com", "openid write:reports", resources=[API], resource=API
    )
    assert claims(answer["access_token"])["scope"] == "write:reports"
