"""`manage.py rundev`: the Logto emulator, the portal and its task worker, for `make run`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from logto_emulator import defaults as dev_defaults


class Command(BaseCommand):
    help = (
        "Run the Logto emulator (demo data), the portal's development server on 127.0.0.1 "
        "and the background task worker (invitation batches)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options) -> None:
        portal_url = f"http://127.0.0.1:{port}"
        uses_emulator = settings.LOGTO.endpoint == dev_defaults.ENDPOINT
        children: list[subprocess.Popen] = []
        # `kill`/`timeout` send SIGTERM: stop the children then too, not only on Ctrl-C.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            if uses_emulator:
                children.append(self._start_emulator(port))
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
                    start_new_session=True,
                    # Links in emails point at the port actually served, unless configured.
                    env={"PORTAL_BASE_URL": portal_url, **os.environ, **_UNBUFFERED},
                )
            )
            # The worker reads the same settings, so the same SQLite file, as the portal.
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "run_worker", "--interval", "0.5"],
                    start_new_session=True,
                    env={"PORTAL_BASE_URL": portal_url, **os.environ},
                )
            )
            self._banner(portal_url, uses_emulator)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            raise CommandError("A server stopped; see its output above.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the portal, the emulator and the worker.")
            self.stdout.flush()
        finally:
            # Each child leads its own process group (runserver's reloader has a child too).
            for child in children:
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    # E.g. the worker finishing a long batch: stop it and its reloader's child;
                    # the batch is resumed when the worker starts again.
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)
                    child.wait()

    def _start_emulator(self, port: int) -> subprocess.Popen:
        discovery = dev_defaults.ENDPOINT + "/oidc/.well-known/openid-configuration"
        if _answers(discovery):
            raise CommandError(
                f"Something already listens on {dev_defaults.ENDPOINT} (another `make run`?). "
                "Stop it first."
            )
        emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "logto_emulator",
                "--seed",
                "demo",
                "--portal-url",
                f"http://127.0.0.1:{port}",
                "--portal-url",
                f"http://localhost:{port}",
            ],
            start_new_session=True,
            env={**os.environ, **_UNBUFFERED},
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if emulator.poll() is not None:
                raise CommandError(
                    f"The Logto emulator could not start (is port {dev_defaults.EMULATOR_PORT} "
                    "in use?)."
                )
            if _answers(discovery):
                return emulator
            time.sleep(0.2)
        emulator.terminate()
        raise CommandError("The Logto emulator did not answer within 15 seconds.")

    def _banner(self, portal_url: str, uses_emulator: bool) -> None:
        lines = [
            "",
            f"  orgportal:       {portal_url}/",
            "  task worker:     running (invitation batches)",
        ]
        if uses_emulator:
            lines += [
                f"  Logto emulator:  {dev_defaults.ENDPOINT}/  (demo data, in memory)",
                "  Demo logins (one password for all):",
                "    alice@example.com  admin of Acme",
                "    bob@example.com    member of Acme",
                "    carol@example.com  in no organization",
                "    staff@example.com  product staff: the admin at /admin/",
                f"    password: {dev_defaults.DEMO_PASSWORD}",
            ]
        else:
            lines.append(f"  Logto:           {settings.LOGTO.endpoint}")
        lines += ["  Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
        # Written to a file or a pipe, stdout is block-buffered: without this the banner would
        # only appear when the servers stop.
        self.stdout.flush()


# The servers' own lines (requests, the emails of the console backend) reach a file or a pipe
# as they are written too, not in blocks.
_UNBUFFERED = {"PYTHONUNBUFFERED": "1"}


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
