"""From a change made in Logto to the portal refusing the next request, with its webhook.

Starts PostgreSQL, Redis, the Logto emulator over HTTP and two portal instances under gunicorn
(tests/instances/harness.py); the portal's hook points at instance A, and bob browses on
instance B. Each round: bob's page is read (his access is cached), a change is made through
the Management API as Logto's console would (not through the portal), and bob asks for the
page again and again until B refuses it. Reports the median and the slowest of BENCH_ROUNDS
rounds, for a removal from the organization and for a suspension; then one round of a removal
with the hook disabled, where only the caches' expiry ends his access.

Run with `make bench`. Figures go in the issue note; nothing here asserts a speed.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from logto_emulator import build_emulator
from logto_emulator.server import EmulatorServer
from tests.instances import harness
from tests.logto_console import HttpConsole

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
GIVE_UP = 90.0  # seconds; longer than every cache's lifetime


def until_refused(ask: Callable[[], int]) -> tuple[float, int]:
    """Seconds from now until `ask()` answers something else than 200, and the requests sent."""
    started = time.perf_counter()
    sent = 0
    while time.perf_counter() - started < GIVE_UP:
        sent += 1
        if ask() != 200:
            return time.perf_counter() - started, sent
    raise RuntimeError(f"still served after {GIVE_UP} s")


def report(label: str, samples: list[tuple[float, int]]) -> None:
    times = [seconds * 1000 for seconds, _ in samples]
    requests = [sent for _, sent in samples]
    print(
        f"{label:44} {statistics.median(times):9.1f} {max(times):9.1f} "
        f"{statistics.median(requests):9.0f} {len(samples):7d}"
    )


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log
    missing = harness.servers_missing()
    if missing:
        print(f"Skipped: {missing}")
        return
    with harness.postgres() as database_url, harness.redis() as redis_url:
        portals = harness.instances(2, workers=2, threads=4)
        a_url, b_url = (portal.url for portal in portals)
        emulator_port = harness.free_port()
        endpoint = f"http://127.0.0.1:{emulator_port}"
        emulator = build_emulator(
            endpoint,
            portal_urls=[a_url, b_url],
            management_api_resource="https://default.logto.app/api",
        )
        static_root = tempfile.mkdtemp(prefix="orgportal-static-")
        with EmulatorServer(emulator, port=emulator_port):
            console = HttpConsole(endpoint)
            hook_url = f"{a_url}/webhooks/logto"
            signing_key = console.subscribe(hook_url)
            hook_id = next(iter(emulator.state.hooks))
            environments = [
                {
                    **harness.portal_environment(
                        database_url=database_url,
                        redis_url=redis_url,
                        logto_endpoint=endpoint,
                        base_url=url,
                    ),
                    "DJANGO_STATIC_ROOT": static_root,
                    "LOGTO_WEBHOOK_SIGNING_KEYS": signing_key,
                }
                for url in (a_url, b_url)
            ]
            for step in (("collectstatic", "--noinput"), ("migrate", "--noinput")):
                result = harness.manage(environments[0], *step)
                assert result.returncode == 0, result.stderr
            acme = next(o for o in emulator.state.organizations.values() if o.name == "Acme")
            bob = emulator.state.user_by_email("bob@example.com").id
            page = f"{b_url}/orgs/{acme.id}/"
            with (
                harness.serving(portals[0], environments[0]),
                harness.serving(portals[1], environments[1]),
            ):
                print(
                    "From a change in Logto (the emulator's Management API over HTTP) to the "
                    "portal refusing bob's next request on the other instance; gunicorn gthread "
                    "(2 workers x 4 threads per instance), PostgreSQL + Redis, hook delivered "
                    "to instance A"
                )
                print(f"{'change':44} {'p50 ms':>9} {'max ms':>9} {'requests':>9} {'rounds':>7}")

                removals = []
                for _ in range(ROUNDS):
                    console("POST", f"/organizations/{acme.id}/users", json={"userIds": [bob]})
                    emulator.webhooks.wait_idle()
                    browser = harness.sign_in(b_url, "bob@example.com")
                    assert browser.get(page, timeout=10).status_code == 200  # cached now
                    console("DELETE", f"/organizations/{acme.id}/users/{bob}")
                    removals.append(
                        until_refused(lambda b=browser: b.get(page, timeout=10).status_code)
                    )
                report("removed from the organization (webhook)", removals)

                suspensions = []
                console("POST", f"/organizations/{acme.id}/users", json={"userIds": [bob]})
                for _ in range(ROUNDS):
                    console("PATCH", f"/users/{bob}/is-suspended", json={"isSuspended": False})
                    emulator.webhooks.wait_idle()
                    browser = harness.sign_in(b_url, "bob@example.com")
                    assert browser.get(page, timeout=10).status_code == 200
                    console("PATCH", f"/users/{bob}/is-suspended", json={"isSuspended": True})
                    suspensions.append(
                        until_refused(
                            lambda b=browser: (
                                b.get(page, timeout=10, allow_redirects=False).status_code
                            )
                        )
                    )
                report("suspended (webhook: signed out)", suspensions)
                console("PATCH", f"/users/{bob}/is-suspended", json={"isSuspended": False})
                emulator.webhooks.wait_idle()

                console("PATCH", f"/hooks/{hook_id}", json={"enabled": False})
                browser = harness.sign_in(b_url, "bob@example.com")
                assert browser.get(page, timeout=10).status_code == 200
                console("DELETE", f"/organizations/{acme.id}/users/{bob}")
                without = until_refused(lambda: browser.get(page, timeout=10).status_code)
                report("removed, hook disabled (caches expire)", [without])
        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    main()
