"""`make run` into a file or a pipe (`make run > run.log`, `make run | tee`, an IDE's console)
shows its URL and the demo logins at once, not when it stops."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from logto_emulator import defaults as dev_defaults
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def emulator_port_taken() -> bool:
    try:
        requests.get(dev_defaults.ENDPOINT, timeout=0.5)
    except requests.ConnectionError:
        return False
    return True


def test_the_banner_reaches_a_pipe_while_the_servers_run(tmp_path):
    if emulator_port_taken():
        message = f"{dev_defaults.ENDPOINT} is taken (a `make run` open?)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        # PYTHONUNBUFFERED would hide the buffering a developer's shell has.
        if not key.startswith(("DJANGO_", "LOGTO_", "ORGPORTAL_", "PYTHONUNBUFFERED"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(DJANGO_DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    rundev = subprocess.Popen(
        [sys.executable, "manage.py", "rundev", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in rundev.stdout], daemon=True
    ).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not any("password:" in line for line in seen) and time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.5).rstrip("\n"))
            except queue.Empty:
                assert rundev.poll() is None, "rundev stopped:\n" + "\n".join(seen)
        assert rundev.poll() is None, "the banner came only when rundev stopped"
        banner = "\n".join(seen)
        assert f"orgportal:       http://127.0.0.1:{port}/" in banner
        assert "alice@example.com  admin of Acme" in banner
        assert f"password: {dev_defaults.DEMO_PASSWORD}" in banner
    finally:
        rundev.send_signal(signal.SIGTERM)  # rundev stops the emulator and runserver with it
        try:
            rundev.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(rundev.pid, signal.SIGKILL)
            rundev.wait()
    assert not emulator_port_taken(), "the emulator was stopped with rundev"
