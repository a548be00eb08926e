"""Production shape under load: gunicorn (gthread) sharing PostgreSQL and Redis.

Starts PostgreSQL, Redis, the Logto emulator over HTTP and portal instances under gunicorn
on loopback (tests/instances/harness.py), signs in, then sends a bounded load to the members
page: BENCH_CLIENTS concurrent clients for BENCH_SECONDS. Reports requests/s, p50 and p99, and
how many Management API tokens both instances fetched.

Run with `make bench`. Figures go in the issue note; nothing here asserts a speed.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from logto_emulator import build_emulator
from logto_emulator.server import EmulatorServer
from tests.instances import harness

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def load(clients: list, seconds: float) -> list[float]:
    """Each (session, url) client requests its url back to back until time is up."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(pair) -> None:
        browser, url = pair
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = browser.get(url, timeout=30)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            with lock:
                latencies.append(elapsed)

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(client, clients))
    return latencies


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log
    missing = harness.servers_missing()
    if missing:
        print(f"Skipped: {missing}")
        return
    with harness.postgres() as database_url, harness.redis() as redis_url:
        portals = harness.instances(2, workers=2, threads=4)
        urls = [portal.url for portal in portals]
        emulator_port = harness.free_port()
        endpoint = f"http://127.0.0.1:{emulator_port}"
        emulator = build_emulator(
            endpoint, portal_urls=urls, management_api_resource="https://default.logto.app/api"
        )
        issued: list[str] = []
        original = emulator.oidc._token_for_client

        def counting(request, client):
            issued.append(client.id)
            return original(request, client)

        emulator.oidc._token_for_client = counting
        static_root = tempfile.mkdtemp(prefix="orgportal-static-")
        environments = [
            {
                **harness.portal_environment(
                    database_url=database_url,
                    redis_url=redis_url,
                    logto_endpoint=endpoint,
                    base_url=url,
                ),
                "DJANGO_STATIC_ROOT": static_root,
            }
            for url in urls
        ]
        for step in (("collectstatic", "--noinput"), ("migrate", "--noinput")):
            result = harness.manage(environments[0], *step)
            assert result.returncode == 0, result.stderr
        acme = next(o for o in emulator.state.organizations.values() if o.name == "Acme")
        with (
            EmulatorServer(emulator, port=emulator_port),
            harness.serving(portals[0], environments[0]),
            harness.serving(portals[1], environments[1]),
        ):
            print(
                f"Members page under load: {CLIENTS} clients for {SECONDS:.0f} s, "
                "gunicorn gthread (2 workers x 4 threads per instance), PostgreSQL + Redis, "
                "emulator over HTTP"
            )
            print(f"{'target':38} {'requests/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'requests':>9}")
            for label, targets in (("one instance", urls[:1]), ("two instances", urls)):
                browsers = [
                    harness.sign_in(targets[n % len(targets)], "alice@example.com")
                    for n in range(CLIENTS)
                ]
                pages = [
                    f"{targets[n % len(targets)]}/orgs/{acme.id}/members/" for n in range(CLIENTS)
                ]
                for browser, page in zip(browsers, pages, strict=True):
                    browser.get(page, timeout=30)  # warm the caches
                latencies = load(list(zip(browsers, pages, strict=True)), SECONDS)
                print(
                    f"{label:38} {len(latencies) / SECONDS:10.1f} "
                    f"{statistics.median(latencies) * 1000:7.1f} "
                    f"{percentile(latencies, 0.99) * 1000:7.1f} {len(latencies):9d}"
                )
        print(
            f"\nManagement API tokens fetched by both instances (4 workers) in this run: "
            f"{len(issued)}; a token lives 3600 s and is refreshed 60 s early, so two or more "
            "instances fetch about 1.02 per hour together."
        )
        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    main()
