"""Real servers on loopback for the multi-instance tests and `make bench`.

PostgreSQL and Redis from Debian's packages in a temporary directory, the Logto emulator over
HTTP, and portal instances under gunicorn (gthread), all on free 127.0.0.1 ports; every
process is stopped by the context manager that started it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from logto_emulator import defaults as dev_defaults

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def servers_missing() -> str:
    """Why the real servers cannot start here ('' when they can)."""
    if not (PG_BIN / "initdb").exists():
        return "PostgreSQL is not installed (apt-get install postgresql)"
    if not shutil.which("redis-server"):
        return "Redis is not installed (apt-get install redis-server)"
    if not shutil.which("gunicorn", path=str(Path(sys.executable).parent)):
        return "gunicorn is not installed in the virtual environment"
    return ""


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s")


def _run_as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster; yields a DATABASE_URL for a fresh database."""
    directory = Path(tempfile.mkdtemp(prefix="orgportal-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    data, port = directory / "data", free_port()
    subprocess.run(
        _run_as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        _run_as_postgres(
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(directory),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server, "PostgreSQL")
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        # `runuser` does not pass signals on: ask pg_ctl for a fast shutdown instead.
        subprocess.run(
            _run_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "stop", "-m", "fast"]),
            capture_output=True,
            timeout=30,
        )
        server.wait(timeout=20)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def redis() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server, "Redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass
class Instance:
    url: str
    process: subprocess.Popen


def portal_environment(*, database_url: str, redis_url: str, logto_endpoint: str, base_url: str):
    """The environment of a production-like portal process (DEBUG off)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LOGTO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "multi-instance-test-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_BASE_URL": base_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOGTO_ENDPOINT": logto_endpoint,
        "LOGTO_APP_ID": dev_defaults.WEB_APP_ID,
        "LOGTO_APP_SECRET": dev_defaults.WEB_APP_SECRET,
        "LOGTO_M2M_APP_ID": dev_defaults.M2M_APP_ID,
        "LOGTO_M2M_APP_SECRET": dev_defaults.M2M_APP_SECRET,
        "LOGTO_API_RESOURCE": dev_defaults.API_RESOURCE,
        "LOGTO_MANAGEMENT_API_RESOURCE": "https://default.logto.app/api",
        "PYTHONUNBUFFERED": "1",
    }


def migrate(environment: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )


@contextmanager
def gunicorn(port: int, environment: dict[str, str], *, workers: int = 2) -> Iterator[Instance]:
    """One portal instance: gunicorn with the repository's config, gthread workers."""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "config.wsgi",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, process, f"gunicorn on {port}")
        yield Instance(url=f"http://127.0.0.1:{port}", process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


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
