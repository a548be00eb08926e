"""Fixtures around the Logto emulator, the one stand-in for Logto in every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache

from orgportal.logto.emulator import Emulator, build_emulator
from orgportal.logto.emulator.inprocess import routed_to
from orgportal.logto.emulator.server import EmulatorServer


def make_emulator(portal_urls: list[str], seed: str = "demo", **options) -> Emulator:
    return build_emulator(
        settings.LOGTO.endpoint,
        seed=seed,
        portal_urls=portal_urls,
        management_api_resource=settings.LOGTO.management_api_resource,
        **options,
    )


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """The demo tenant, with every `requests` call to the Logto endpoint routed into it."""
    emu = make_emulator(["http://testserver"])
    with routed_to(emu):
        yield emu


@pytest.fixture
def live_emulator(live_server) -> Iterator[Emulator]:
    """The demo tenant served over HTTP at LOGTO_ENDPOINT, knowing the live portal's URL."""
    emu = make_emulator([live_server.url])
    port = int(settings.LOGTO.endpoint.rsplit(":", 1)[1])
    with EmulatorServer(emu, port=port):
        yield emu
