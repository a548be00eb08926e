"""Two portal instances under gunicorn sharing PostgreSQL and Redis, the emulator over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from logto_emulator import Emulator, build_emulator
from logto_emulator.server import EmulatorServer
from tests.instances import harness

pytestmark = pytest.mark.instances


@pytest.fixture(scope="module")
def backing_servers() -> Iterator[tuple[str, str]]:
    missing = harness.servers_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    with harness.postgres() as database_url, harness.redis() as redis_url:
        yield database_url, redis_url


@dataclass
class Deployment:
    a: str
    b: str
    emulator: Emulator
    redis_url: str


@pytest.fixture
def deployment(backing_servers) -> Iterator[Deployment]:
    """A fresh demo tenant and two instances (A, B), two gthread workers each."""
    database_url, redis_url = backing_servers
    import redis as redis_client

    redis_client.Redis.from_url(redis_url).flushall()
    port_a, port_b, port_emulator = harness.free_port(), harness.free_port(), harness.free_port()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    endpoint = f"http://127.0.0.1:{port_emulator}"
    emulator = build_emulator(
        endpoint,
        portal_urls=[url_a, url_b],
        management_api_resource="https://default.logto.app/api",
    )
    environment = {
        url: harness.portal_environment(
            database_url=database_url, redis_url=redis_url, logto_endpoint=endpoint, base_url=url
        )
        for url in (url_a, url_b)
    }
    harness.migrate(environment[url_a])
    with (
        EmulatorServer(emulator, port=port_emulator),
        harness.gunicorn(port_a, environment[url_a]),
        harness.gunicorn(port_b, environment[url_b]),
    ):
        yield Deployment(a=url_a, b=url_b, emulator=emulator, redis_url=redis_url)
