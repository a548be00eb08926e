"""Fixtures for the emulator's behaviour tests: the real client, raw calls, a webhook endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from orgportal import logto
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def client(emulator):
    return logto.get_client()


class RawApi:
    """Management API calls without the client, to see statuses, headers and raw bodies."""

    def __init__(self, emulator, client) -> None:
        self.base = f"{emulator.endpoint}/api"
        self.client = client

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.client.tokens.get()}"}
        headers.update(kwargs.pop("headers", None) or {})
        return requests.request(method, self.base + path, headers=headers, timeout=5, **kwargs)


@pytest.fixture
def api(emulator, client) -> RawApi:
    return RawApi(emulator, client)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as endpoint:
        yield endpoint
