"""Fixtures for the emulator's behaviour tests: the real client and raw calls."""

from __future__ import annotations

import pytest
import requests

from orgportal import logto


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
        return requests.request(method, self.base + path, headers=headers, timeout=5, **kwargs)


@pytest.fixture
def api(emulator, client) -> RawApi:
    return RawApi(emulator, client)
