"""Fixtures around the Logto emulator, the one stand-in for Logto in every test."""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from logto_emulator import Emulator, build_emulator
from logto_emulator.inprocess import routed_to
from logto_emulator.server import EmulatorServer
from tests.servers import PostgresServer, RedisServer

# The emulator's HTTP access log is noise in test output.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def make_emulator(portal_urls: list[str], seed: str = "demo", **options) -> Emulator:
    return build_emulator(
        settings.LOGTO.endpoint,
        seed=seed,
        portal_urls=portal_urls,
        management_api_resource=settings.LOGTO.management_api_resource,
        **options,
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL of the test session's own (started on first use)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis of the test session's own (started on first use)."""
    with RedisServer() as server:
        yield server


# `ORGPORTAL_TEST_SERVERS=1` (the second tier of `make test`): the suite runs on PostgreSQL and
# Redis, as in production, instead of SQLite and the per-process memory cache.
ON_SERVERS = os.environ.get("ORGPORTAL_TEST_SERVERS", "") not in ("", "0", "false")


@pytest.fixture(scope="session", autouse=True)
def _suite_servers(request) -> Iterator[None]:
    if not ON_SERVERS:
        yield
        return
    postgres = request.getfixturevalue("postgres_server")
    redis_server = request.getfixturevalue("redis_server")
    # config/settings/test.py already chose the PostgreSQL and Redis backends (with the
    # production options of base.py); only the ports are known now, before the first query.
    settings.DATABASES["default"]["PORT"] = str(postgres.port)
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = redis_server.url()
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(_suite_servers, django_db_modify_db_settings_parallel_suffix):
    """pytest-django creates the test database only after the server's port is set."""


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request in German through the test
    client leaves German active in the thread, as LocaleMiddleware does in a worker."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


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


def local_user(emulator: Emulator, email: str):
    """The portal's User for an emulator user, as a first sign-in would create it."""
    from orgportal.models import User

    logto_user = emulator.state.user_by_email(email)
    user, _ = User.objects.get_or_create(
        logto_id=logto_user.id,
        defaults={
            "username": logto_user.id,
            "email": email,
            "email_verified": logto_user.email_verified,
            "name": logto_user.name or "",
        },
    )
    return user


def login_as(client, emulator: Emulator, email: str):
    """Sign `email` in without the OIDC dance (that has its own tests)."""
    user = local_user(emulator, email)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return user


@pytest.fixture
def acme(emulator):
    return next(o for o in emulator.state.organizations.values() if o.name == "Acme")


@pytest.fixture
def alice(emulator, db):
    return local_user(emulator, "alice@example.com")


@pytest.fixture
def bob(emulator, db):
    return local_user(emulator, "bob@example.com")


@pytest.fixture
def carol(emulator, db):
    return local_user(emulator, "carol@example.com")


# -- background tasks ------------------------------------------------------------------------
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_tasks(settings):
    """Tasks go to the database queue (as in production) instead of running inline."""
    settings.TASKS = DB_TASKS


@pytest.fixture
def worker_thread(db_tasks):
    """A real `db_worker` loop in a thread, with its own connection to the test database
    (tests using it need `django_db(transaction=True)`), polling every 50 ms."""
    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=0.05,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=10)
