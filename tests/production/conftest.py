"""The production shape, for real: PostgreSQL, Redis, collectstatic, migrate and gunicorn, with
Logto played by the emulator over HTTP. Nothing is mocked."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from logto_emulator import Emulator, build_emulator
from logto_emulator.server import EmulatorServer
from tests.production.processes import HOST, Gunicorn, manage, production_env
from tests.servers import PostgresServer, RedisServer, free_port

MANAGEMENT_API_RESOURCE = "https://default.logto.app/api"
_databases = itertools.count(1)


@dataclass
class Logto:
    emulator: Emulator
    endpoint: str


@pytest.fixture(scope="session")
def logto() -> Iterator[Logto]:
    """The demo tenant over HTTP on a port of its own."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    emulator = build_emulator(
        endpoint,
        seed="demo",
        portal_urls=[f"https://{HOST}"],
        management_api_resource=MANAGEMENT_API_RESOURCE,
    )
    with EmulatorServer(emulator, port=int(endpoint.rsplit(":", 1)[1])):
        yield Logto(emulator, endpoint)


@pytest.fixture(scope="session")
def deployment_env(
    postgres_server: PostgresServer, redis_server: RedisServer, logto: Logto, tmp_path_factory
) -> dict[str, str]:
    """What an operator sets: a database of its own, Redis, Logto, behind a TLS proxy."""
    number = next(_databases)
    return production_env(
        DATABASE_URL=postgres_server.create_database(f"portal_{number}"),
        REDIS_URL=redis_server.url(db=number),
        LOGTO_ENDPOINT=logto.endpoint,
        LOGTO_MANAGEMENT_API_RESOURCE=MANAGEMENT_API_RESOURCE,
        DJANGO_BEHIND_PROXY="true",
        DJANGO_STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
    )


@pytest.fixture(scope="session")
def portal(deployment_env: dict[str, str]) -> Iterator[Gunicorn]:
    """The README's production steps: compilemessages, collectstatic, migrate, then gunicorn
    (2 workers)."""
    steps = (
        ("compilemessages", "--ignore=.venv", "--ignore=node_modules"),
        ("collectstatic", "--noinput"),
        ("migrate", "--noinput"),
    )
    for step in steps:
        result = manage(deployment_env, *step)
        assert result.returncode == 0, result.stdout + result.stderr
    with Gunicorn(deployment_env) as server:
        yield server.wait_until_serving()
