"""Helpers that drive the emulator's sign-in pages the way a browser would, in-process."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.test import Client
from werkzeug.test import Client as WsgiClient

from logto_emulator import Emulator
from logto_emulator import defaults as dev_defaults


def emulator_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in_at_emulator(
    emulator: Emulator,
    authorize_url: str,
    email: str,
    password: str = dev_defaults.DEMO_PASSWORD,
    browser: WsgiClient | None = None,
) -> str:
    """Follow Logto's sign-in for `authorize_url`; returns the portal callback URL."""
    browser = browser or WsgiClient(emulator)
    response = browser.get(emulator_path(authorize_url))
    if response.status_code == 302 and "/sign-in" in response.location:
        interaction = response.location.split("interaction=")[1].split("&")[0]
        response = browser.post(
            "/sign-in",
            data={"interaction": interaction, "identifier": email, "password": password},
        )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def sign_in(client: Client, emulator: Emulator, email: str, **kwargs) -> str:
    """Sign `email` into the portal through the real OIDC flow; returns the callback URL."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    callback = sign_in_at_emulator(emulator, start["Location"], email, **kwargs)
    response = client.get(emulator_path(callback))
    assert response.status_code == 302, response.content
    return callback


def page_text(html: str) -> str:
    """The text of an HTML page or fragment, tags dropped and spaces collapsed."""
    import re

    return " ".join(re.sub(r"<[^>]+>", "", html).split())
