"""Members page benchmark: an organization of 10,000 members, through the Django test client.

Measures the server time of the members page (first page, a search, page 50) with the
Logto emulator in-process, the part of that time spent inside the emulator, and the number
of Management API calls per page view once caches are warm. A 100-member organization is
measured too, to show that page time does not grow with the organization's size. Then an
admin's page: its two-step column (the page, and the `two-step/` request that fills the
statuses it did not have) at 50 ms per Logto call, and its CPU per view and size in bytes.

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
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import Template  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import _TestState, setup_test_environment  # noqa: E402

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
    # The test environment copies every template's context as it renders (for
    # `response.context`); production does not, so neither do the figures here.
    Template._render = _TestState.saved_data.template_render
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
        admin_page_cpu(emulator, big)


def admin_two_step_status(emulator, organization) -> None:
    """An admin's members page also shows each member's two-step status: one Logto call per
    member (Logto has no bulk read), cached for a minute. The page shows the cached ones and
    leaves the others to one request of its own (`two-step/`, sent by the browser once the page
    is there), which reads them in parallel."""
    from orgportal.services.mfa import MFA_STATUS_TTL, mfa_status_forget

    state = emulator.state
    alice = state.user_by_email("alice@example.com")
    state.add_member(organization, alice, ["admin"])
    admin = User.objects.create(username=alice.id, logto_id=alice.id, email=alice.primary_email)
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/orgs/{organization.id}/members/"
    fill_url = f"{url}two-step/"
    latency = 0.05
    print(
        f"\nAdmin's members page (20 rows with two-step status), {latency * 1000:.0f} ms "
        f"injected on every Logto call, {RUNS // 4} views each"
    )
    print(f"{'scenario':34} {'page ms':>9} {'calls':>6} {'two-step/ ms':>12} {'calls':>6}")
    for _ in range(3):
        assert client.get(url).status_code == 200
        assert client.get(fill_url, headers={"HX-Request": "true"}).status_code == 200
    emulator.set_fault("*", latency=latency)
    try:
        for label, cold in (("statuses cached (<60 s)", False), ("statuses cold", True)):
            pages, page_calls, fills, fill_calls = [], [], [], []
            for _ in range(RUNS // 4):
                if cold:
                    for user_id in organization.members:
                        mfa_status_forget(user_id)
                before = len(emulator.calls)
                started = time.perf_counter()
                response = client.get(url)
                pages.append(time.perf_counter() - started)
                page_calls.append(len(emulator.calls) - before)
                assert response.status_code == 200
                if b"data-mfa-fill" not in response.content:
                    fills.append(0.0)
                    fill_calls.append(0)
                    continue
                before = len(emulator.calls)
                started = time.perf_counter()
                assert client.get(fill_url, headers={"HX-Request": "true"}).status_code == 200
                fills.append(time.perf_counter() - started)
                fill_calls.append(len(emulator.calls) - before)
            print(
                f"{label:34} {statistics.median(pages) * 1000:9.1f} "
                f"{statistics.mean(page_calls):6.2f} {statistics.median(fills) * 1000:12.1f} "
                f"{statistics.mean(fill_calls):6.2f}"
            )
    finally:
        emulator.clear_faults()
    print(
        f"(statuses are cached for {MFA_STATUS_TTL} s per user; no two-step/ request when all are)"
    )


def admin_page_cpu(emulator, big) -> None:
    """The portal's CPU per view of an admin's members page (row actions, two-step column),
    20 rows, with the statuses cached: process time of the request minus the emulator's own
    (its thread time inside each call), and the size of the page and of its HTMX fragment."""
    state = emulator.state
    alice = state.user_by_email("alice@example.com")
    ten = state.add_organization("Ten")
    state.add_member(ten, alice, ["admin"])
    for n in range(9):
        state.add_member(ten, state.add_user(f"ten{n}@example.com", None, name=f"Ten {n}"))
    state.add_member(big, alice, ["admin"])
    cache.clear()  # alice's organizations were cached before she joined these two
    now_ms = int(time.time() * 1000)
    for n, user in enumerate(state.users.values()):  # as real members have: "N days ago"
        user.last_sign_in_at = now_ms - (n * 7919 % 1000) * 3_600_000
    inside = [0.0]
    emulator_call = type(emulator).__call__

    def timed_call(self, environ, start_response):
        started = time.thread_time()
        try:
            return emulator_call(self, environ, start_response)
        finally:
            inside[0] += time.thread_time() - started

    type(emulator).__call__ = timed_call
    admin = User.objects.get(logto_id=alice.id)
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    print(f"\nAdmin's members page, portal CPU per view ({RUNS} views, statuses cached)")
    print(f"{'scenario':34} {'CPU ms':>7} {'min':>5} {'bytes':>6}")
    try:
        for label, org in ((f"{BIG:,} members, 20 rows", big), ("10 members, 10 rows", ten)):
            url = f"/orgs/{org.id}/members/"
            client.get(f"{url}two-step/", headers={"HX-Request": "true"})
            for name, headers in (("page", {}), ("fragment", {"HX-Request": "true"})):
                for _ in range(5):
                    assert client.get(url, headers=headers).status_code == 200
                cpu = []
                for _ in range(RUNS):
                    inside[0] = 0.0
                    started = time.process_time()
                    response = client.get(url, headers=headers)
                    cpu.append(time.process_time() - started - inside[0])
                print(
                    f"{label + ', ' + name:34} {statistics.median(cpu) * 1000:7.2f} "
                    f"{min(cpu) * 1000:5.2f} {len(response.content):6}"
                )
    finally:
        type(emulator).__call__ = emulator_call


if __name__ == "__main__":
    main()
