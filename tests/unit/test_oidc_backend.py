"""The OIDC backend's hooks, as plain functions over claim dicts."""

import time

import jwt
import pytest
from django.core.exceptions import SuspiciousOperation

from logto_emulator.keys import SigningKey
from orgportal.logto.models import Profile
from orgportal.logto.oidc import LogtoOIDCBackend, provider_logout_url
from orgportal.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend():
    return LogtoOIDCBackend()


def claims(**overrides):
    base = {
        "sub": "u1",
        "email": "alice@example.com",
        "name": "Alice",
        "picture": "https://img.test/a.png",
    }
    return {**base, **overrides}


def test_user_is_created_keyed_by_sub(backend):
    user = backend.create_user(claims())
    assert user.logto_id == "u1"
    assert user.username == "u1"
    assert (user.email, user.name, user.picture) == (
        "alice@example.com",
        "Alice",
        "https://img.test/a.png",
    )
    assert not user.has_usable_password()


def test_users_are_matched_on_sub_never_on_email(backend):
    User.objects.create(username="x", logto_id="someone-else", email="alice@example.com")
    assert list(backend.filter_users_by_claims(claims())) == []
    mine = User.objects.create(username="u1", logto_id="u1", email="old@example.com")
    assert list(backend.filter_users_by_claims(claims())) == [mine]


def test_profile_is_refreshed_at_each_sign_in(backend):
    user = User.objects.create(username="u1", logto_id="u1", email="old@example.com", name="Old")
    backend.update_user(user, claims(email="new@example.com", name="New", picture=None))
    user.refresh_from_db()
    assert (user.email, user.name, user.picture) == ("new@example.com", "New", "")


def test_name_falls_back_to_username():
    user = User(username="u1")
    assert user.apply_profile(Profile.from_claims({"sub": "u1", "username": "ali"}))
    assert user.name == "ali"
    assert not user.apply_profile(Profile.from_claims({"sub": "u1", "username": "ali"}))


def test_claims_need_a_subject(backend):
    assert backend.verify_claims({"sub": "u1"})
    assert not backend.verify_claims({"email": "alice@example.com"})


def _token(key: SigningKey, settings, **overrides) -> str:
    now = int(time.time())
    payload = {
        "iss": settings.OIDC_OP_ISSUER,
        "aud": settings.OIDC_RP_CLIENT_ID,
        "sub": "u1",
        "iat": now,
        "exp": now + 600,
        **overrides,
    }
    return key.sign(payload)


@pytest.mark.parametrize("alg", ["ES384", "RS256"])
def test_es384_and_rs256_id_tokens_are_accepted(backend, settings, alg):
    key = SigningKey(alg)
    token = _token(key, settings)
    public = jwt.PyJWK(key.public_jwk, algorithm=alg).key
    assert backend._verify_jws(token, public)["sub"] == "u1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-app"},
        {"iss": "https://evil.example/oidc"},
        {"exp": int(time.time()) - 3600},
    ],
    ids=["wrong-audience", "wrong-issuer", "expired"],
)
def test_id_tokens_for_someone_else_are_refused(backend, settings, overrides):
    key = SigningKey("ES384")
    public = jwt.PyJWK(key.public_jwk, algorithm="ES384").key
    with pytest.raises(SuspiciousOperation):
        backend._verify_jws(_token(key, settings, **overrides), public)


def test_hs256_tokens_are_refused(backend, settings):
    secret = "s" * 48
    token = jwt.encode({"sub": "u1"}, secret, algorithm="HS256")
    with pytest.raises(SuspiciousOperation):
        backend._verify_jws(token, secret)


def test_sign_out_url_ends_the_logto_session(rf, settings):
    request = rf.get("/")
    request.session = {"oidc_id_token": "the.id.token"}
    url = provider_logout_url(request)
    assert url.startswith(settings.LOGTO.endpoint + "/oidc/session/end?")
    assert "id_token_hint=the.id.token" in url
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2F" in url
    assert f"client_id={settings.OIDC_RP_CLIENT_ID}" in url
