"""Members page benchmark: an organization of 10,000 members, through the Django test client.

Measures the server time of the members page (first page, a search, page 50) with the
Logto emulator in-process, the part of that time spent inside the emulator, and the number
of Management API calls per page view once caches are warm. A 100-member organization is
measured too, to show that page time does not grow with the organization's size.

Run with `make bench`. Figures go in the issue note; nothing here asserts a speed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from logto_emulator import build_emulator  # noqa: E402
from logto_emulator.inprocess import routed_to  # noqa: E402
from orgportal.models import User  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "40"))
BIG = int(os.environ.get("BENCH_MEMBERS", "10000"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def main() -> None:
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    emulator = build_emulator(
        settings.LOGTO.endpoint,
        portal_urls=["http://testserver"],
        management_api_resource=settings.LOGTO.management_api_resource,
    )
    state = emulator.state
    bob = state.user_by_email("bob@example.com")
    big = state.add_organization("Big")
    small = state.add_organization("Small")
    for org, size in ((big, BIG), (small, 100)):
        state.add_member(org, bob, ["member"])
        for n in range(size - 1):
            user = state.add_user(f"{org.name.lower()}{n:05}@example.com", None, name=f"User {n}")
            state.add_member(org, user, ["member"])

    emulator_seconds = [0.0]
    dispatch = emulator.dispatch

    def timed_dispatch(request):
        started = time.perf_counter()
        try:
            return dispatch(request)
        finally:
            emulator_seconds[0] += time.perf_counter() - started

    emulator.dispatch = timed_dispatch

    portal_user = User.objects.create(username=bob.id, logto_id=bob.id, email=bob.primary_email)
    client = Client()
    client.force_login(portal_user, backend="django.contrib.auth.backends.ModelBackend")
    scenarios = [
        (f"{BIG:,} members, first page", f"/orgs/{big.id}/members/"),
        (f"{BIG:,} members, search", f"/orgs/{big.id}/members/?q=big0123"),
        (f"{BIG:,} members, page 50", f"/orgs/{big.id}/members/?page=50"),
        ("100 members, first page", f"/orgs/{small.id}/members/"),
    ]
    print(
        f"Members page, {RUNS} views each after warm-up (Django test client, emulator in-process)"
    )
    header = (
        f"{'scenario':34} {'median ms':>9} {'p95 ms':>7} {'emulator ms':>11} "
        f"{'portal ms':>9} {'API calls/view':>14}"
    )
    print(header)
    print("-" * len(header))
    with routed_to(emulator):
        for label, url in scenarios:
            for _ in range(3):  # warm the token, membership and permission caches
                assert client.get(url).status_code == 200
            totals, inside, calls = [], [], []
            for _ in range(RUNS):
                emulator_seconds[0] = 0.0
                before = len(emulator.calls)
                started = time.perf_counter()
                response = client.get(url)
                totals.append(time.perf_counter() - started)
                assert response.status_code == 200
                inside.append(emulator_seconds[0])
                calls.append(
                    sum(1 for c in emulator.calls[before:] if not c[1].startswith("oidc."))
                )
            median = statistics.median(totals) * 1000
            emulator_median = statistics.median(inside) * 1000
            print(
                f"{label:34} {median:9.1f} {percentile(totals, 0.95) * 1000:7.1f} "
                f"{emulator_median:11.1f} {median - emulator_median:9.1f} "
                f"{statistics.mean(calls):14.2f}"
            )
    print(
        "\n'emulator ms' is time inside the in-process Logto emulator (which filters its "
        "in-memory list in Python);\n'portal ms' is the rest: the portal's own work for the view."
    )
    with routed_to(emulator):
        admin_two_step_status(emulator, small)


def admin_two_step_status(emulator, organization) -> None:
    """An admin's members page also shows each member's two-step status: one Logto call per
    member (Logto has no bulk read), made in parallel and cached for a minute."""
    from orgportal.services.mfa import MFA_STATUS_TTL, mfa_status_forget

    state = emulator.state
    alice = state.user_by_email("alice@example.com")
    state.add_member(organization, alice, ["admin"])
    admin = User.objects.create(username=alice.id, logto_id=alice.id, email=alice.primary_email)
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/orgs/{organization.id}/members/"
    latency = 0.05
    print(
        f"\nAdmin's members page (20 rows with two-step status), {latency * 1000:.0f} ms "
        f"injected on every Logto call, {RUNS // 4} views each"
    )
    print(f"{'scenario':34} {'median ms':>9} {'API calls/view':>14}")
    for _ in range(3):
        assert client.get(url).status_code == 200
    emulator.set_fault("*", latency=latency)
    try:
        for label, cold in (("statuses cached (<60 s)", False), ("statuses cold", True)):
            totals, calls = [], []
            for _ in range(RUNS // 4):
                if cold:
                    for user_id in organization.members:
                        mfa_status_forget(user_id)
                before = len(emulator.calls)
                started = time.perf_counter()
                assert client.get(url).status_code == 200
                totals.append(time.perf_counter() - started)
                calls.append(len(emulator.calls) - before)
            print(
                f"{label:34} {statistics.median(totals) * 1000:9.1f} {statistics.mean(calls):14.2f}"
            )
    finally:
        emulator.clear_faults()
    print(f"(statuses are cached for {MFA_STATUS_TTL} s per user)")


if __name__ == "__main__":
    main()
