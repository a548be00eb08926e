"""The portal as an operator runs it: `manage.py` commands and gunicorn in subprocesses, with
the production settings (config.settings.base, debug off) and only the environment given."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "production-test-secret-key-Ke7rJp2vQx9LmZ4tWb8nHc3sFd6gYa1u"
HOST = "portal.example.test"
# What a TLS-terminating proxy adds to every request it forwards.
PROXY_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}

# Variables of the test process (and of config/settings/test.py) that must not leak into the
# portal under test: it gets exactly the environment a test names.
_OWN_PREFIXES = ("DJANGO_", "LOGTO_", "ORGPORTAL_", "GUNICORN_", "OIDC_", "EMAIL_", "DATABASE_")
_OWN_NAMES = {"REDIS_URL", "WEB_CONCURRENCY", "PORT", "FORWARDED_ALLOW_IPS"}


def production_env(**variables: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_OWN_PREFIXES) and key not in _OWN_NAMES
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS=HOST,
        PORTAL_BASE_URL=f"https://{HOST}",
        LOGTO_ENDPOINT="https://tenant.logto.example",
        LOGTO_APP_ID="orgportal-web",
        LOGTO_APP_SECRET="orgportal-web-dev-secret",
        LOGTO_M2M_APP_ID="orgportal-m2m",
        LOGTO_M2M_APP_SECRET="orgportal-m2m-dev-secret",
        LOGTO_MANAGEMENT_API_RESOURCE="https://default.logto.app/api",
        LOGTO_API_RESOURCE="https://portal.example.test/api",
    )
    env.update(variables)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Gunicorn:
    """`gunicorn -c config/gunicorn.conf.py config.wsgi` on a free loopback port; its output
    (stdout and stderr together) is collected line by line in `lines`."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, threads: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            **env,
        }
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._collect, daemon=True).start()
        return self

    def _collect(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_until_serving(self, timeout: float = 30) -> Gunicorn:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError("gunicorn exited:\n" + self.output())
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not serve /healthz in time:\n" + self.output())

    def wait_for_exit(self, timeout: float = 30) -> int:
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        time.sleep(0.1)  # the reader thread takes the last lines
        return code

    def output(self) -> str:
        return "\n".join(self.lines)

    def get(self, path: str, **kwargs) -> requests.Response:
        headers = {**PROXY_HEADERS, **kwargs.pop("headers", {})}
        return requests.get(
            self.url + path, headers=headers, timeout=15, allow_redirects=False, **kwargs
        )

    def stop(self) -> int | None:
        """SIGTERM, as an orchestrator stops it: gunicorn finishes what is in flight."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.wait_for_exit(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
