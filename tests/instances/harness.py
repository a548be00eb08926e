"""Several portal instances on loopback, for the multi-instance tests and `make bench`.

PostgreSQL and Redis (tests/servers.py), portal instances under gunicorn with the
repository's config (tests/production/processes.py), the Logto emulator over HTTP; all on free
127.0.0.1 ports, and stopped by the context manager that started them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import requests

from logto_emulator import defaults as dev_defaults
from tests.production.processes import Gunicorn, manage, production_env
from tests.servers import PostgresServer, RedisServer, free_port, postgres_bindir

__all__ = ["free_port", "manage", "production_env"]


def servers_missing() -> str:
    """Why the real servers cannot start here ('' when they can)."""
    if postgres_bindir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    if not shutil.which("redis-server"):
        return "Redis is not installed (apt-get install redis-server)"
    return ""


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL; yields the DATABASE_URL of a fresh database."""
    with PostgresServer() as server:
        yield server.create_database("portal")


@contextmanager
def redis() -> Iterator[str]:
    with RedisServer() as server:
        yield server.url()


def portal_environment(*, database_url: str, redis_url: str, logto_endpoint: str, base_url: str):
    """A production portal (DEBUG off) on plain-http loopback, talking to the emulator."""
    return production_env(
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # No TLS on loopback: no https redirect, cookies over http.
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        PORTAL_BASE_URL=base_url,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LOGTO_ENDPOINT=logto_endpoint,
        LOGTO_API_RESOURCE=dev_defaults.API_RESOURCE,
    )


def migrate(environment: dict[str, str]) -> None:
    result = manage(environment, "migrate", "--noinput")
    assert result.returncode == 0, result.stderr


def instances(count: int, *, workers: int = 2, threads: int = 4) -> list[Gunicorn]:
    """Portal instances not yet started: their addresses are known before the emulator is
    built (it must know their redirect URIs)."""
    return [Gunicorn({}, workers=workers, threads=threads) for _ in range(count)]


@contextmanager
def serving(instance: Gunicorn, environment: dict[str, str]) -> Iterator[Gunicorn]:
    instance.env.update(environment)
    with instance:
        yield instance.wait_until_serving()


def sign_in(portal_url: str, email: str, browser: requests.Session | None = None):
    """Sign in through the emulator's pages like a browser; the session holds the cookies."""
    browser = browser or requests.Session()
    page = browser.get(f"{portal_url}/oidc/authenticate/", timeout=10)
    interaction = parse_qs(urlsplit(page.url).query)["interaction"][0]
    signed_in = browser.post(
        page.url.split("?")[0],
        data={
            "interaction": interaction,
            "identifier": email,
            "password": dev_defaults.DEMO_PASSWORD,
        },
        timeout=10,
    )
    assert signed_in.url.startswith(portal_url), signed_in.url
    return browser


def csrf_post(browser: requests.Session, url: str, data: dict, **kwargs) -> requests.Response:
    """A form POST as the portal's pages send it (CSRF token from the cookie)."""
    token = browser.cookies.get("csrftoken")
    if token is None:
        page = browser.get(url.rsplit("/", 2)[0] + "/", timeout=10)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        token = match.group(1) if match else ""
    headers = {"Referer": url, "X-CSRFToken": token, **kwargs.pop("headers", {})}
    return browser.post(
        url, data={**data, "csrfmiddlewaretoken": token}, headers=headers, timeout=30, **kwargs
    )
