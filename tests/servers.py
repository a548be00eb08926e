"""Real PostgreSQL and Redis servers for the tests, started and stopped by the tests.

Each runs from its own temporary directory on a free loopback port, so a test run never touches
(or waits for) a server of the machine, and two runs side by side do not meet. A missing binary
skips the tests that need it on a workstation, and fails them in CI (`CI` set), where every
tier must run: `.ci/run` installs `postgresql` and `redis-server`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import redis

START_TIMEOUT = 30.0  # seconds; a cold initdb plus start takes about two


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(what: str) -> NoReturn:
    message = f"{what} (apt-get install postgresql redis-server)"
    if os.environ.get("CI"):
        pytest.fail(message + "; the server tests must run in CI.", pytrace=False)
    pytest.skip(message)


def postgres_bindir() -> Path | None:
    """Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/<version>/bin."""
    candidates: list[Path] = []
    if configured := os.environ.get("ORGPORTAL_PG_BINDIR"):
        candidates.append(Path(configured))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    newest_first = sorted(
        versions, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True
    )
    candidates += newest_first
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    return next(
        (c for c in candidates if (c / "initdb").is_file() and (c / "postgres").is_file()), None
    )


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{what} did not answer within {START_TIMEOUT:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen, sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PostgresServer:
    """`initdb` into a temporary directory, then `postgres` on 127.0.0.1 only, fsync off.

    The unix socket stays in the temporary directory too. As root (CI containers) both run as
    the `postgres` user, because PostgreSQL refuses to run as root.
    """

    user = "postgres"

    def __init__(self) -> None:
        self.port = 0
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _conninfo(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"

    def _answers(self) -> bool:
        try:
            with psycopg.connect(self._conninfo("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def start(self) -> PostgresServer:
        bindir = postgres_bindir()
        if bindir is None:
            missing("PostgreSQL (initdb, postgres) not found; ORGPORTAL_PG_BINDIR names its bin/")
        as_root = os.geteuid() == 0
        # As root, under /tmp: the postgres user must reach the directory, and root's TMPDIR
        # may be private.
        directory = Path(tempfile.mkdtemp(prefix="orgportal-pg-", dir="/tmp" if as_root else None))
        self.directory = directory
        as_user: dict = {}
        if as_root:
            account = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
            os.chown(directory, account.pw_uid, account.pw_gid)
            as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        data = directory / "data"
        log = directory / "postgres.log"
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        initdb = subprocess.run(
            [
                bindir / "initdb",
                *("-D", data, "-U", self.user, "--auth=trust", "--encoding=UTF8"),
                *("--no-sync", "--no-instructions"),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            **as_user,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")
        self.port = free_port()
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    bindir / "postgres",
                    *("-D", data, "-p", str(self.port), "-k", directory),
                    *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
                    *("-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                **as_user,
            )
        _wait_until(self._answers, self.process, log, "PostgreSQL")
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, signal.SIGINT)  # "fast" shutdown: disconnect clients, no wait
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RedisServer:
    """`redis-server` on 127.0.0.1 with persistence off: nothing is written to disk."""

    def __init__(self) -> None:
        self.port = 0
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server not found")
        self.directory = directory = Path(tempfile.mkdtemp(prefix="orgportal-redis-"))
        self.port = free_port()
        log = directory / "redis.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    binary,
                    *("--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(directory)),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_until(self._answers, self.process, log, "Redis")
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, signal.SIGTERM)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
