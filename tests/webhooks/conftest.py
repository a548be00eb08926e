"""The portal subscribed to the emulator's webhooks, in-process: the emulator's delivery
thread hands each delivery for the portal's URL to Django's test client (as Logto would POST
it over HTTP), and changes "in Logto" are Management API calls that do not come from the
portal (another user agent, as Logto's console or another product)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.db import connections
from django.test import Client

from logto_emulator import Emulator
from orgportal import logto
from tests.logto_console import CONSOLE_USER_AGENT, PORTAL_EVENTS

PORTAL_HOOK_URL = "http://testserver/webhooks/logto"


@dataclass
class PortalHook:
    emulator: Emulator
    signing_key: str

    def delivered(self) -> list[Any]:
        """Every delivery made so far, once the emulator has made all it owes."""
        return self.emulator.webhooks.wait_idle()


class Console:
    """Management API calls as Logto's console makes them: not the portal's."""

    def __init__(self, emulator: Emulator) -> None:
        self.base = f"{emulator.endpoint}/api"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {logto.get_client().tokens.get()}",
            "User-Agent": CONSOLE_USER_AGENT,
        }
        response = requests.request(method, self.base + path, headers=headers, timeout=5, **kwargs)
        assert response.status_code < 400, response.text
        return response


def to_test_client(url: str, headers: dict[str, str], body: bytes):
    """The emulator's transport for the portal's URL: Django's test client, in the delivery
    thread (with its own database connection, closed after each delivery)."""
    assert url == PORTAL_HOOK_URL, url
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    try:
        answer = Client().post(
            "/webhooks/logto", data=body, content_type="application/json", **extra
        )
    finally:
        connections.close_all()
    error = None if answer.status_code < 300 else f"status {answer.status_code}"
    return answer.status_code, answer.content.decode(), error


@pytest.fixture
def portal_hook(emulator, settings) -> Iterator[PortalHook]:
    """The portal's hook registered in the tenant (as `logto_bootstrap` does), its key in
    the portal's settings, and deliveries reaching the portal in-process."""
    hook = logto.get_client().create_hook(
        name="orgportal", events=PORTAL_EVENTS, url=PORTAL_HOOK_URL
    )
    settings.LOGTO_WEBHOOK_SIGNING_KEYS = [hook.signing_key]
    emulator.webhooks.transport = to_test_client
    yield PortalHook(emulator, hook.signing_key)
    emulator.webhooks.wait_idle()


@pytest.fixture
def console(emulator) -> Console:
    return Console(emulator)
