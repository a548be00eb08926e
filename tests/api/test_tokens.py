"""Bearer token validation: every way a token can be wrong gets 401/403, never access."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from django.core.cache import cache

from logto_emulator.keys import SigningKey
from orgportal.logto.oidc import JWKS_CACHE_KEY, JWKS_FORCED_REFRESH
from orgportal.shared_locks import throttle_key
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/organizations"


def assert_invalid(response, fragment: str = ""):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    body = response.json()
    assert body["code"] == "invalid_token"
    assert fragment in body["message"]


def test_a_valid_token_works(client, emulator, mint):
    response = client.get(URL, headers=bearer(mint("alice@example.com")))
    assert response.status_code == 200
    assert response.json()[0]["organization"]["name"] == "Acme"


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic abc", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Bearer " + "x" * 43],
)
def test_missing_malformed_and_opaque_tokens(client, emulator, header):
    headers = {"Authorization": header} if header is not None else {}
    assert_invalid(client.get(URL, headers=headers))


def test_an_expired_token(client, emulator, mint):
    token = mint("alice@example.com", exp=int(time.time()) - 120, iat=int(time.time()) - 4000)
    assert_invalid(client.get(URL, headers=bearer(token)), "expired")


def test_small_clock_skew_is_tolerated(client, emulator, mint):
    token = mint("alice@example.com", exp=int(time.time()) - 10, nbf=int(time.time()) + 10)
    assert client.get(URL, headers=bearer(token)).status_code == 200


def test_a_token_not_yet_valid(client, emulator, mint):
    token = mint("alice@example.com", nbf=int(time.time()) + 600)
    assert_invalid(client.get(URL, headers=bearer(token)))


def test_wrong_audience_and_wrong_issuer(client, emulator, mint):
    assert_invalid(
        client.get(URL, headers=bearer(mint("alice@example.com", audience="https://other.api"))),
        "not meant",
    )
    assert_invalid(
        client.get(URL, headers=bearer(mint("alice@example.com", iss="https://evil.example/oidc"))),
        "not issued",
    )


def test_an_organization_token_does_not_work_on_user_endpoints(client, emulator, org_token):
    assert_invalid(client.get(URL, headers=bearer(org_token("alice@example.com"))))


def test_a_token_for_organization_a_never_works_on_b(client, emulator, acme, org_token):
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    token = org_token("alice@example.com", "manage:organization", organization_id=acme.id)
    response = client.patch(
        f"/api/v1/organizations/{other.id}",
        {"name": "Hijack"},
        content_type="application/json",
        headers=bearer(token),
    )
    assert_invalid(response)
    assert other.name == "Other"


def test_an_organizations_resource_token_never_authorizes(client, emulator, acme, mint):
    """Logto names every requested permission in it, whatever the roles (BEHAVIOUR.md)."""
    token = mint(
        "bob@example.com",
        audience="urn:logto:resource:organizations",
        scopes="manage:organization delete:organization",
    )
    response = client.patch(
        f"/api/v1/organizations/{acme.id}",
        {"name": "Bob's now"},
        content_type="application/json",
        headers=bearer(token),
    )
    assert_invalid(response)
    assert acme.name == "Acme"


def test_a_missing_permission_is_insufficient_scope(client, emulator, acme, org_token):
    token = org_token("alice@example.com", "invite:member")
    response = client.patch(
        f"/api/v1/organizations/{acme.id}",
        {"name": "X"},
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 403
    assert (
        response["WWW-Authenticate"]
        == 'Bearer error="insufficient_scope", scope="manage:organization"'
    )
    assert response.json()["code"] == "insufficient_scope"
    assert acme.name == "Acme"


def test_a_key_rotation_is_followed(client, emulator, mint):
    client.get(URL, headers=bearer(mint("alice@example.com")))  # JWKS now cached
    emulator.keys = [SigningKey("ES384")]  # Logto rotated its key: unknown kid
    response = client.get(URL, headers=bearer(mint("alice@example.com")))
    assert response.status_code == 200


def test_rs256_tokens_are_accepted(client, emulator, mint):
    emulator.keys = [SigningKey("RS256")]
    cache.delete(JWKS_CACHE_KEY)
    assert client.get(URL, headers=bearer(mint("alice@example.com"))).status_code == 200


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(client, emulator, mint):
    good = jwt.decode(mint("alice@example.com"), options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(good)}."
    assert_invalid(client.get(URL, headers=bearer(unsigned)))


def test_hs256_signed_with_the_public_key_is_refused(client, emulator, mint):
    good = jwt.decode(mint("alice@example.com"), options={"verify_signature": False})
    public_pem = json.dumps(emulator.signing_key.public_jwk)
    forged = jwt.encode(
        good, public_pem + "x" * 32, algorithm="HS256", headers={"kid": emulator.signing_key.kid}
    )
    assert_invalid(client.get(URL, headers=bearer(forged)))


def test_a_signature_by_another_key_with_the_same_kid(client, emulator, mint):
    client.get(URL, headers=bearer(mint("alice@example.com")))
    real = emulator.signing_key
    forger = SigningKey("ES384")
    forger.kid = real.kid
    emulator.keys = [forger]
    forged = mint("alice@example.com")
    emulator.keys = [real]
    assert_invalid(client.get(URL, headers=bearer(forged)))


def test_the_session_cookie_is_not_an_api_credential(client, emulator):
    from tests.conftest import login_as

    login_as(client, emulator, "alice@example.com")
    assert_invalid(client.get(URL))


def test_only_the_permissions_in_the_tokens_scope_count(client, emulator, acme, org_token):
    """Alice is an admin, but a token naming no permission must not remove anyone."""
    bob = emulator.state.user_by_email("bob@example.com").id
    url = f"/api/v1/organizations/{acme.id}/members/{bob}"
    refused = client.delete(url, headers=bearer(org_token("alice@example.com", "")))
    assert refused.status_code == 403
    assert bob in acme.members
    allowed = client.delete(url, headers=bearer(org_token("alice@example.com", "delete:member")))
    assert allowed.status_code == 204
    assert bob not in acme.members


def test_a_flood_of_unknown_kids_refetches_the_keys_at_most_once(client, emulator, mint):
    """An unknown `kid` may mean Logto rotated its key, but a flood of random ones must cost
    Logto one refetch, not one per request."""
    client.get(URL, headers=bearer(mint("alice@example.com")))  # JWKS now cached
    claims = jwt.decode(mint("alice@example.com"), options={"verify_signature": False})
    before = emulator.calls_to("oidc.jwks")
    for _ in range(50):
        forged = SigningKey("ES384").sign(claims)  # a new random kid each time
        assert_invalid(client.get(URL, headers=bearer(forged)))
    assert emulator.calls_to("oidc.jwks") - before <= 1


def test_after_a_refused_flood_a_rotation_is_followed_once_the_pause_is_over(
    client, emulator, mint
):
    client.get(URL, headers=bearer(mint("alice@example.com")))
    claims = jwt.decode(mint("alice@example.com"), options={"verify_signature": False})
    assert_invalid(client.get(URL, headers=bearer(SigningKey("ES384").sign(claims))))
    emulator.keys = [SigningKey("ES384")]  # Logto rotates right after the refetch
    assert_invalid(client.get(URL, headers=bearer(mint("alice@example.com"))))
    cache.delete(throttle_key(JWKS_FORCED_REFRESH))  # as when the pause has run out
    assert client.get(URL, headers=bearer(mint("alice@example.com"))).status_code == 200
