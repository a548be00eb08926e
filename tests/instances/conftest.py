"""Two portal instances under gunicorn sharing PostgreSQL and Redis, the emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from logto_emulator import Emulator, build_emulator
from logto_emulator.server import EmulatorServer
from logto_emulator.state import Hook, new_id
from tests.instances import harness
from tests.logto_console import PORTAL_EVENTS
from tests.servers import PostgresServer, RedisServer


@dataclass
class Deployment:
    a: str
    b: str
    emulator: Emulator


REDIS_DB = 15  # a database of the session's Redis for these tests alone, emptied per test


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> str:
    """collectstatic once, as an image build does (hashed names for WhiteNoise)."""
    root = str(tmp_path_factory.mktemp("instances-static"))
    result = harness.manage(
        harness.production_env(DJANGO_STATIC_ROOT=root, ORGPORTAL_SINGLE_PROCESS="true"),
        "collectstatic",
        "--noinput",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture
def deployment(
    postgres_server: PostgresServer, redis_server: RedisServer, static_root: str
) -> Iterator[Deployment]:
    """A fresh demo tenant and database; two instances (A, B), two gthread workers each."""
    with deployed(postgres_server, redis_server, static_root) as deployment:
        yield deployment


@pytest.fixture
def hooked_deployment(
    postgres_server: PostgresServer, redis_server: RedisServer, static_root: str
) -> Iterator[Deployment]:
    """The same, with the portal's Logto webhook registered in the tenant (pointing at A, as
    a load balancer would send it to either) and its signing key configured on both."""
    with deployed(postgres_server, redis_server, static_root, webhook=True) as deployment:
        yield deployment


@contextmanager
def deployed(
    postgres_server: PostgresServer,
    redis_server: RedisServer,
    static_root: str,
    *,
    webhook: bool = False,
) -> Iterator[Deployment]:
    redis_server.client(REDIS_DB).flushdb()
    database_url = postgres_server.create_database(f"instances_{harness.free_port()}")
    a, b = harness.instances(2)
    emulator_port = harness.free_port()
    endpoint = f"http://127.0.0.1:{emulator_port}"
    emulator = build_emulator(
        endpoint,
        portal_urls=[a.url, b.url],
        management_api_resource="https://default.logto.app/api",
    )
    environments = [
        harness.portal_environment(
            database_url=database_url,
            redis_url=redis_server.url(REDIS_DB),
            logto_endpoint=endpoint,
            base_url=instance.url,
        )
        for instance in (a, b)
    ]
    if webhook:
        hook = Hook(
            id=new_id(21),
            name="orgportal",
            events=list(PORTAL_EVENTS),
            url=f"{a.url}/webhooks/logto",
        )
        emulator.state.hooks[hook.id] = hook
    for environment in environments:
        environment["DJANGO_STATIC_ROOT"] = static_root
        if webhook:
            environment["LOGTO_WEBHOOK_SIGNING_KEYS"] = hook.signing_key
    harness.migrate(environments[0])
    with (
        EmulatorServer(emulator, port=emulator_port),
        harness.serving(a, environments[0]),
        harness.serving(b, environments[1]),
    ):
        yield Deployment(a=a.url, b=b.url, emulator=emulator)
