"""Sign-in that goes wrong: refused with a clear page, and never a session."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.cache import cache
from werkzeug.test import Client as WsgiClient

from logto_emulator.keys import SigningKey
from orgportal.logto.oidc import JWKS_CACHE_KEY
from tests.helpers import emulator_path, sign_in, sign_in_at_emulator

pytestmark = pytest.mark.django_db


def start_sign_in(client, emulator, email="alice@example.com"):
    start = client.get("/oidc/authenticate/")
    return sign_in_at_emulator(emulator, start["Location"], email)


def with_params(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def assert_not_signed_in(client):
    assert "_auth_user_id" not in client.session
    assert "Sign in" in client.get("/").content.decode()


def test_a_callback_with_a_wrong_state_is_refused(client, emulator):
    callback = start_sign_in(client, emulator)
    response = client.get(with_params(callback, state="forged-state"))
    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert_not_signed_in(client)


def test_a_replayed_code_is_refused(client, emulator):
    first = sign_in(client, emulator, "alice@example.com")
    client.logout()
    # A new sign-in puts a fresh state in the session; the old code comes back with it.
    fresh = start_sign_in(client, emulator)
    old_code = parse_qs(urlsplit(first).query)["code"][0]
    response = client.get(with_params(fresh, code=old_code))
    assert response.status_code == 400
    assert "did not accept this sign-in" in response.content.decode()
    assert_not_signed_in(client)


def test_an_id_token_with_a_bad_signature_is_refused(client, emulator):
    real = emulator.signing_key
    cache.set(JWKS_CACHE_KEY, {"keys": [real.public_jwk]})
    forger = SigningKey("ES384")
    forger.kid = real.kid  # same key id, different private key
    emulator.keys = [forger]
    callback = start_sign_in(client, emulator)
    response = client.get(emulator_path(callback))
    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert_not_signed_in(client)


def test_logto_unreachable_at_the_callback_gives_a_clear_page(client, emulator):
    callback = start_sign_in(client, emulator)
    emulator.set_fault("oidc.token", status=503)
    response = client.get(emulator_path(callback))
    assert response.status_code == 503
    assert "could not reach our sign-in service" in response.content.decode()
    assert_not_signed_in(client)


def test_logto_unreachable_on_the_dashboard_gives_a_clear_page(client, emulator):
    sign_in(client, emulator, "alice@example.com")
    emulator.set_fault("users.organizations", status=503)
    response = client.get("/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "could not reach our sign-in service" in body
    assert "Traceback" not in body
    # GETs are retried (2 retries) before giving up.
    assert emulator.calls_to("users.organizations") == 3


def test_logto_down_on_the_dashboard_over_a_dead_socket(client, emulator, settings):
    sign_in(client, emulator, "alice@example.com")
    settings.LOGTO = type(settings.LOGTO)(
        **{**settings.LOGTO.__dict__, "endpoint": "http://127.0.0.1:9", "max_retries": 0}
    )
    response = client.get("/")
    assert response.status_code == 503
    assert "could not reach our sign-in service" in response.content.decode()


def test_htmx_requests_are_sent_to_logto_for_a_silent_refresh(client, emulator):
    browser = WsgiClient(emulator)  # keeps the emulator's session cookie, like a browser
    start = client.get("/oidc/authenticate/")
    callback = sign_in_at_emulator(
        emulator, start["Location"], "alice@example.com", browser=browser
    )
    client.get(emulator_path(callback))
    session = client.session
    session["oidc_id_token_expiration"] = 0
    session.save()

    response = client.get(
        "/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/?from=page"},
    )

    assert response.status_code == 200
    refresh_url = response["HX-Redirect"]
    assert refresh_url.startswith(emulator.endpoint + "/oidc/auth?")
    assert "prompt=none" in refresh_url
    assert client.session["oidc_login_next"] == "/?from=page"
    # The browser follows it; Logto still knows alice, so no page is shown.
    callback = browser.get(emulator_path(refresh_url)).location
    back = client.get(emulator_path(callback))
    assert back["Location"] == "/?from=page"
    assert client.session["_auth_user_id"]


def test_plain_requests_are_redirected_for_the_refresh(client, emulator):
    sign_in(client, emulator, "alice@example.com")
    session = client.session
    session["oidc_id_token_expiration"] = 0
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(emulator.endpoint + "/oidc/auth?")
