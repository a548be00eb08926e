"""Browser-side flows against the emulator's OIDC provider, in-process (no portal involved)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from werkzeug.test import Client as WsgiClient

from logto_emulator import Emulator
from logto_emulator import defaults as dev_defaults

REDIRECT_URI = "http://testserver/oidc/callback/"
SCOPES = "openid email profile urn:logto:scope:organizations urn:logto:scope:organization_roles"


def authorize_path(**extra: str) -> str:
    query = {
        "client_id": dev_defaults.WEB_APP_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPES,
        "state": "st",
        **extra,
    }
    return "/oidc/auth?" + urlencode(query)


def interaction_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["interaction"][0]


def register(emulator: Emulator, email: str, password: str = "a-long-password") -> str:
    """Create an account on the emulator's sign-up page; returns the callback URL."""
    browser = WsgiClient(emulator)
    start = browser.get(authorize_path(first_screen="register"))
    response = browser.post(
        "/register",
        data={"interaction": interaction_of(start.location), "email": email, "password": password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def sign_in(emulator: Emulator, email: str, password: str = dev_defaults.DEMO_PASSWORD) -> str:
    browser = WsgiClient(emulator)
    start = browser.get(authorize_path())
    response = browser.post(
        "/sign-in",
        data={
            "interaction": interaction_of(start.location),
            "identifier": email,
            "password": password,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def id_token_claims(emulator: Emulator, callback: str) -> dict:
    """Exchange the callback's code as the portal would; the verified ID token's claims."""
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = WsgiClient(emulator).post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": dev_defaults.WEB_APP_ID,
            "client_secret": dev_defaults.WEB_APP_SECRET,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    id_token = response.get_json()["id_token"]
    return emulator.signing_key.verify(
        id_token, audience=dev_defaults.WEB_APP_ID, issuer=emulator.issuer
    )
