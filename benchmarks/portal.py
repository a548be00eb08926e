"""The whole portal: Management API calls, time and CPU of every page and main action.

What it measures, for each page and main action:

- **calls cold / warm**: Management API calls (the emulator's record of calls, routes other
  than `oidc.*` and `emulator.*`) made by the one measured request, including calls it left
  running when it answered (waited for, and listed under the table). *Cold*: the portal's cache
  was cleared just before, except for the machine-to-machine token (fetched again before the
  request, as a running portal always has one). *Warm*: right after what a person does just
  before (the same page a moment earlier; for a form, the page that holds it; to accept an
  invitation, its landing page).
- **time**: wall time of that request with the Logto emulator served over real HTTP on
  127.0.0.1 and a latency L added to every Management API call (not to sign-in or token
  calls). At L = 0 in milliseconds; at L = 50 ms and 200 ms divided by L, i.e. "how many
  Logto round trips long" the request was (sequential calls add up, concurrent ones overlap).
- **CPU**: `time.process_time()` (all threads of the process) around a warm request, minus
  the CPU spent inside the emulator. For that the emulator runs in-process (its calls routed
  through `logto_emulator.inprocess`, which stands in for the socket) at L = 0, and the CPU
  of each routed call is counted with `time.thread_time()`; what remains is the portal's own
  work (and `requests` preparing each call). "templates" is the part spent rendering the
  response's template.

Scenarios: the dashboard and "my invitations" of a person with 20 pending invitations from 20
inviters in 20 organizations; an admin's members page (20 rows, each with its two-step status);
the invitations page of an organization with 50 pending invitations from 50 inviters; the
organization's overview, settings and activity; an invitation's landing page, signed in;
accepting an invitation (a fresh invitation in a fresh organization for each run); the bulk
role change (member to admin) and the bulk removal of 20 members (POSTs, which answer with the
members page; the members are put back before each run); inviting 100 addresses (the form's
POST, and the batch a worker then runs, timed on its own, its 100 emails sent by the portal;
at L = 200 ms it would take a minute a run, so it is left to benchmarks/invitation_batch.py
there); and the members page of organizations of 10 and of 10,000 members (made last, as
10,000 more users would slow the emulator's searches in the other scenarios).

The invitations form waits up to `WAIT_SECONDS` for a worker to finish small batches; no worker
runs here, so that wait is set to 0 and the POST is measured for its own work.

The database is a fresh test database (SQLite, config.settings.test), the cache Django's
per-process memory cache. Medians of BENCH_PORTAL_RUNS runs at L = 0 (default 3) and of
BENCH_PORTAL_CPU_RUNS warm runs for CPU (default 10); one run each at L > 0, where latency
dominates. Runs that did not succeed (a refusal, the request deadline reached, a batch
address not sent) are marked in the table: they are what the portal does, not errors here.

A second table weighs pages and fragments on the wire and times repeated views (issue 22):
the members page of an organization of 45 members, its second page and a search as htmx
fetches them, the invitations page, the overview, the activity and the dashboard. Bytes
without compression and with gzip (as a browser sending `Accept-Encoding: gzip, …` gets
them); then each asked for first (right after the page a person comes from), again as a
browser asks for what it kept (`If-None-Match`, a 304 when nothing changed) and once more,
with the calls and the time of each at every latency. BENCH_PORTAL_PARTS=wire measures only
that table (about half a minute).

Run with `make bench` (or alone: `.venv/bin/python benchmarks/portal.py`). Prints a Markdown
table and writes it to artifacts/bench.md. Figures go in the issue note; nothing here
asserts a speed.
"""

from __future__ import annotations

import gzip
import html
import logging
import os
import re
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.http import HttpResponseBase  # noqa: E402
from django.template.backends import django as django_templates  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from werkzeug.test import Client as WsgiClient  # noqa: E402

from logto_emulator import Emulator, build_emulator, inprocess  # noqa: E402
from logto_emulator.server import EmulatorServer  # noqa: E402
from logto_emulator.state import Invitation, Organization  # noqa: E402
from logto_emulator.state import User as LogtoUser  # noqa: E402
from orgportal import logto  # noqa: E402
from orgportal.models import InvitationBatch, User  # noqa: E402
from orgportal.services.invitation_batch_runner import invitation_batch_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LATENCIES = (0.0, 0.05, 0.2)
RUNS = int(os.environ.get("BENCH_PORTAL_RUNS", "3"))
CPU_RUNS = int(os.environ.get("BENCH_PORTAL_CPU_RUNS", "10"))
BIG = int(os.environ.get("BENCH_MEMBERS", "10000"))
# "wire" measures only the bytes on the wire and repeated views (the second table), in a minute.
PARTS = os.environ.get("BENCH_PORTAL_PARTS", "all")
# The members of the organization whose pages and fragments are weighed: three pages of 20.
WIRE_MEMBERS = 45
# What a browser says it accepts (GZipMiddleware answers with gzip, the only one it speaks).
ACCEPT_GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}
INVITES = 100
BULK = 20
OUTPUT = ROOT / "artifacts" / "bench.md"
DAY_MS = 86_400_000


@dataclass
class Scenario:
    """One row: `act` is the measured request (or batch run) and says whether it succeeded;
    `prepare` sets the stage before every run (unmeasured); `warm_up` is what makes a run
    warm (by default the same request once more); `tidy` puts back what the runs changed, for
    the scenarios after it."""

    label: str
    act: Callable[[], bool]
    prepare: Callable[[], None] = lambda: None
    warm_up: Callable[[], object] | None = None
    tidy: Callable[[], None] = lambda: None
    cpu_runs: int = CPU_RUNS
    latencies: tuple[float, ...] = LATENCIES
    warm_with_latency: bool = True


@dataclass
class Run:
    calls: int
    late_calls: int  # answered after the request's own answer (work it left running)
    seconds: float
    ok: bool
    routes: Counter[str]


@dataclass
class Row:
    label: str
    runs: dict[tuple[float, bool], list[Run]] = field(default_factory=dict)
    cpu: float | None = None
    templates: float | None = None


# -- the tenant -------------------------------------------------------------------------------
class Tenant:
    """The emulator's data for the scenarios, and the people signed in to the portal."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        state = emulator.state
        self.member_role = state.role_by_name("member").id
        self.admin_role = state.role_by_name("admin").id
        self.alice = state.user_by_email("alice@example.com")
        # Bench: alice administers it with 20 members; 50 invitations from 50 inviters pending.
        self.bench = state.add_organization("Bench", "Where the benchmark works")
        state.add_member(self.bench, self.alice, ["admin"])
        self.members = [
            state.add_user(f"member{n:02}@bench.example", name=f"Member {n:02}")
            for n in range(BULK)
        ]
        self.restore_members()
        for n in range(50):
            sender = state.add_user(f"sender{n:02}@bench.example", name=f"Sender {n:02}")
            self.invitation(self.bench, f"guest{n:02}@elsewhere.example", sender)
        # Dana: 20 pending invitations from 20 inviters in 20 organizations.
        self.dana = state.add_user("dana@bench.example", name="Dana")
        self.dana_invitations = []
        for n in range(20):
            team = state.add_organization(f"Team {n:02}")
            inviter = state.add_user(f"inviter{n:02}@bench.example", name=f"Inviter {n:02}")
            state.add_member(team, inviter, ["admin"])
            self.dana_invitations.append(self.invitation(team, self.dana.primary_email, inviter))
        # Erin accepts a fresh invitation in a fresh organization each run.
        self.erin = state.add_user("erin@bench.example", name="Erin")
        # Outreach: alice invites 100 addresses there (emptied before each run).
        self.outreach = state.add_organization("Outreach")
        state.add_member(self.outreach, self.alice, ["admin"])
        self.browsers = {
            person.id: signed_in(person) for person in (self.alice, self.dana, self.erin)
        }

    def browser(self, person: LogtoUser) -> Client:
        return self.browsers[person.id]

    def invitation(self, org: Organization, email: str, inviter: LogtoUser) -> Invitation:
        state = self.emulator.state
        invitation = Invitation(
            id=f"bench-inv-{len(state.invitations):05}",
            invitee=email,
            organization_id=org.id,
            expires_at=int(time.time() * 1000) + 7 * DAY_MS,
            inviter_id=inviter.id,
            role_ids=[self.member_role],
        )
        state.invitations[invitation.id] = invitation
        return invitation

    def restore_members(self) -> None:
        """Bench's 20 members back, each with the member role only."""
        for user in self.members:
            self.emulator.state.add_member(self.bench, user, ["member"])

    def fresh_invitation_for_erin(self) -> Invitation:
        state = self.emulator.state
        org = state.add_organization(f"Welcome {len(state.organizations)}")
        state.add_member(org, self.alice, ["admin"])
        return self.invitation(org, self.erin.primary_email, self.alice)

    def empty_outreach(self) -> None:
        state = self.emulator.state
        for invitation_id in [
            i.id for i in state.invitations.values() if i.organization_id == self.outreach.id
        ]:
            del state.invitations[invitation_id]
        InvitationBatch.objects.all().delete()

    def organization_of(self, size: int) -> Organization:
        """An organization of `size` members, alice (admin) among them."""
        state = self.emulator.state
        org = state.add_organization(f"Size {size}")
        state.add_member(org, self.alice, ["admin"])
        for n in range(size - 1):
            user = state.add_user(f"s{size}-{n:05}@bench.example", name=f"Person {n:05}")
            state.add_member(org, user, ["member"])
        return org


def signed_in(person: LogtoUser) -> Client:
    user = User.objects.create(
        username=person.id,
        logto_id=person.id,
        email=person.primary_email,
        email_verified=True,
        name=person.name or "",
    )
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return browser


# -- the scenarios ----------------------------------------------------------------------------
def page(browser: Client, url: str) -> Callable[[], bool]:
    return lambda: browser.get(url).status_code == 200


def scenarios(tenant: Tenant) -> list[Scenario]:
    alice, dana, erin = (
        tenant.browser(tenant.alice),
        tenant.browser(tenant.dana),
        tenant.browser(tenant.erin),
    )
    bench = f"/orgs/{tenant.bench.id}"
    outreach = f"/orgs/{tenant.outreach.id}"
    member_ids = [user.id for user in tenant.members]

    def bulk(action: str) -> Callable[[], bool]:
        def act() -> bool:
            data = {"members": member_ids, "action": action, "role": tenant.admin_role}
            response = alice.post(f"{bench}/members/bulk/", data)
            done = f"Done for {BULK} of {BULK} selected."
            return response.status_code == 200 and done in response.content.decode()

        return act

    accepted: list[Invitation] = []

    def accept_prepare() -> None:
        accepted[:] = [tenant.fresh_invitation_for_erin()]

    def accept() -> bool:
        response = erin.post(f"/invitations/{accepted[0].id}/accept/")
        return response.status_code == 302 and "/orgs/" in response["Location"]

    def invite() -> bool:
        emails = "\n".join(f"new{n:03}@invitee.example" for n in range(INVITES))
        data = {"emails": emails, "roles": [tenant.member_role], "expires_in_days": "7"}
        with mock.patch("orgportal.views.invitations.WAIT_SECONDS", 0):
            response = alice.post(f"{outreach}/invitations/", data)
        # Without HTMX the form answers with a redirect to the page showing the batch.
        return response.status_code in (200, 302) and InvitationBatch.objects.exists()

    def batch_prepare() -> None:
        tenant.empty_outreach()
        if not invite():
            raise RuntimeError("The invitations form refused the batch")

    def batch_run() -> bool:
        batch = InvitationBatch.objects.get()
        invitation_batch_run(str(batch.pk))
        steps = list(batch.items.values_list("step", flat=True))
        return len(steps) == INVITES and set(steps) == {"sent"}

    return [
        Scenario(
            "dashboard (20 invitations from 20 inviters in 20 organizations)", page(dana, "/")
        ),
        Scenario("my invitations (the same 20)", page(dana, "/invitations/")),
        Scenario("members page, admin, 20 rows", page(alice, f"{bench}/members/")),
        Scenario(
            "invitations page, 50 pending from 50 inviters", page(alice, f"{bench}/invitations/")
        ),
        Scenario("overview", page(alice, f"{bench}/")),
        Scenario("settings", page(alice, f"{bench}/settings/")),
        Scenario("activity", page(alice, f"{bench}/activity/")),
        Scenario(
            "invitation landing page, signed in",
            page(dana, f"/invitations/{tenant.dana_invitations[0].id}/"),
        ),
        Scenario(
            "accept invitation (warm: after its landing page)",
            accept,
            prepare=accept_prepare,
            warm_up=lambda: erin.get(f"/invitations/{accepted[0].id}/"),
            cpu_runs=RUNS,
        ),
        Scenario(
            f"bulk role change of {BULK} members (warm: after the members page)",
            bulk("set_role"),
            prepare=tenant.restore_members,
            tidy=tenant.restore_members,
            warm_up=lambda: alice.get(f"{bench}/members/"),
            cpu_runs=RUNS,
        ),
        Scenario(
            f"bulk removal of {BULK} members (warm: after the members page)",
            bulk("remove"),
            prepare=tenant.restore_members,
            tidy=tenant.restore_members,
            warm_up=lambda: alice.get(f"{bench}/members/"),
            cpu_runs=RUNS,
        ),
        Scenario(
            f"invite {INVITES} addresses: the form's POST (warm: after the page)",
            invite,
            prepare=tenant.empty_outreach,
            warm_up=lambda: alice.get(f"{outreach}/invitations/"),
            tidy=tenant.empty_outreach,
            cpu_runs=RUNS,
        ),
        Scenario(
            f"invite {INVITES} addresses: the batch the worker runs (warm: right after the POST)",
            batch_run,
            prepare=batch_prepare,
            warm_up=lambda: None,
            tidy=tenant.empty_outreach,
            cpu_runs=1,
            # 300 calls one after another: a minute at 200 ms, which invitation_batch.py measures.
            latencies=LATENCIES[:2],
            warm_with_latency=False,
        ),
    ]


def size_scenarios(tenant: Tenant) -> list[Scenario]:
    alice = tenant.browser(tenant.alice)
    return [
        Scenario(f"members page, admin, {size:,} members", page(alice, f"/orgs/{org.id}/members/"))
        for size, org in ((10, tenant.organization_of(10)), (BIG, tenant.organization_of(BIG)))
    ]


# -- measuring --------------------------------------------------------------------------------
def is_management_call(route: str) -> bool:
    return not route.startswith(("oidc.", "emulator."))


def management_calls(emulator: Emulator, since: int) -> Counter[str]:
    """The Management API calls made since the `since`th call, by route name."""
    return Counter(route for _, route, _ in emulator.calls[since:] if is_management_call(route))


def set_latency(emulator: Emulator, seconds: float) -> None:
    """`seconds` on every Management API route; sign-in and token routes answer at once."""
    emulator.clear_faults()
    if seconds:
        for route in emulator._handlers:  # the emulator keeps no other list of its routes
            if is_management_call(route):
                emulator.set_fault(route, latency=seconds)


class InFlight:
    """Calls the emulator is answering now, to wait for those a request left running (the
    members page stops waiting for slow two-step statuses) before counting its calls."""

    def __init__(self, emulator: Emulator) -> None:
        self._count = 0
        self._idle = threading.Condition()
        dispatch = emulator.dispatch

        def counted(request):  # type: ignore[no-untyped-def]
            with self._idle:
                self._count += 1
            try:
                return dispatch(request)
            finally:
                with self._idle:
                    self._count -= 1
                    self._idle.notify_all()

        emulator.dispatch = counted  # type: ignore[method-assign]

    def wait_idle(self, timeout: float = 60.0) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._count == 0, timeout=timeout)


def forget_all_but_the_token() -> None:
    cache.clear()
    logto.get_client().tokens.get()


def get_ready(scenario: Scenario, *, cold: bool) -> None:
    scenario.prepare()
    if cold:
        forget_all_but_the_token()
    elif scenario.warm_up is not None:
        scenario.warm_up()
    else:
        scenario.act()
        scenario.prepare()


def measure(emulator: Emulator, in_flight: InFlight, scenario: Scenario, *, cold: bool) -> Run:
    get_ready(scenario, cold=cold)
    in_flight.wait_idle()
    before = len(emulator.calls)
    started = time.perf_counter()
    ok = scenario.act()
    seconds = time.perf_counter() - started
    answered = management_calls(emulator, before).total()
    in_flight.wait_idle()
    routes = management_calls(emulator, before)
    return Run(routes.total(), routes.total() - answered, seconds, ok, routes)


def run_passes(
    emulator: Emulator, in_flight: InFlight, scenarios: list[Scenario], rows: dict[str, Row]
) -> None:
    for latency in LATENCIES:
        set_latency(emulator, latency)
        for scenario in scenarios:
            row = rows.setdefault(scenario.label, Row(scenario.label))
            if latency not in scenario.latencies:
                continue
            for cold in (True, False):
                if latency and not cold and not scenario.warm_with_latency:
                    continue
                runs = RUNS if latency == 0 else 1
                row.runs[(latency, cold)] = [
                    measure(emulator, in_flight, scenario, cold=cold) for _ in range(runs)
                ]
            scenario.tidy()
            print(f"  measured at L = {latency * 1000:.0f} ms: {scenario.label}", flush=True)
    set_latency(emulator, 0)


class EmulatorCpu:
    """CPU spent by calls routed into the in-process emulator, in any thread."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds

    @contextmanager
    def routed(self, emulator: Emulator) -> Iterator[None]:
        meter = self

        class MeteredClient(WsgiClient):
            def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                started = time.thread_time()
                try:
                    return super().open(*args, **kwargs)
                finally:
                    meter.add(time.thread_time() - started)

        with mock.patch.object(inprocess, "Client", MeteredClient), inprocess.routed_to(emulator):
            yield


class TemplateCpu:
    """CPU of rendering responses' templates (the outermost render of each thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._local = threading.local()

    @contextmanager
    def counting(self) -> Iterator[None]:
        original = django_templates.Template.render
        meter = self

        def render(template, context=None, request=None):  # type: ignore[no-untyped-def]
            if getattr(meter._local, "inside", False):
                return original(template, context, request)
            meter._local.inside = True
            started = time.thread_time()
            try:
                return original(template, context, request)
            finally:
                meter.seconds += time.thread_time() - started
                meter._local.inside = False

        with mock.patch.object(django_templates.Template, "render", render):
            yield


def measure_cpu(
    emulator: Emulator, in_flight: InFlight, scenarios: list[Scenario], rows: dict[str, Row]
) -> None:
    emulator_cpu, template_cpu = EmulatorCpu(), TemplateCpu()
    with emulator_cpu.routed(emulator), template_cpu.counting():
        for scenario in scenarios:
            portal, templates = [], []
            for _ in range(scenario.cpu_runs):
                get_ready(scenario, cold=False)
                in_flight.wait_idle()
                emulator_cpu.seconds = template_cpu.seconds = 0.0
                started = time.process_time()
                scenario.act()
                in_flight.wait_idle()
                portal.append(time.process_time() - started - emulator_cpu.seconds)
                templates.append(template_cpu.seconds)
            scenario.tidy()
            row = rows[scenario.label]
            row.cpu = statistics.median(portal)
            row.templates = statistics.median(templates)
            print(f"  measured CPU: {scenario.label}", flush=True)


# -- bytes on the wire and repeated views ----------------------------------------------------
@dataclass
class View:
    """A page or fragment as a browser asks for it. `before` is what the person did just before
    (unmeasured: the page holding the link or the search box); `htmx` are the headers htmx
    adds when the page asks for a fragment."""

    label: str
    browser: Client
    url: str
    before: Callable[[], object] = lambda: None
    htmx: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    """One request of a visit: its time, its Management API calls, its status and the bytes
    it put on the wire (the compressed body, or a 304's status line and headers)."""

    seconds: float
    calls: int
    status: int
    wire_bytes: int


@dataclass
class WireRow:
    label: str
    rows: int = 0
    plain_bytes: list[int] = field(default_factory=list)
    # By latency: one list per run of [first, repeated, again].
    visits: dict[float, list[list[Answer]]] = field(default_factory=dict)


# The three requests of a visit, as the tables name them.
FIRST, REPEATED, AGAIN = range(3)


def htmx_headers(target: str, current_url: str) -> dict[str, str]:
    """What htmx (and app.js's X-Portal-View) sends with a request for a fragment."""
    return {
        "HX-Request": "true",
        "HX-Target": target,
        "HX-Current-URL": f"http://testserver{current_url}",
        "X-Portal-View": "bench.0",
    }


def wire_views(tenant: Tenant) -> list[View]:
    """The members page of an organization of WIRE_MEMBERS (alice among them, admin), its
    second page and a search as htmx fetches them; Bench's invitations, overview and activity;
    Dana's dashboard."""
    state = tenant.emulator.state
    org = state.add_organization("Wire", "Where the benchmark weighs pages")
    state.add_member(org, tenant.alice, ["admin"])
    for n in range(WIRE_MEMBERS - 1):
        user = state.add_user(f"wire{n:02}@bench.example", name=f"Person {n:02}")
        state.add_member(org, user, ["member"])
    alice, dana = tenant.browser(tenant.alice), tenant.browser(tenant.dana)
    members = f"/orgs/{org.id}/members/"
    bench = f"/orgs/{tenant.bench.id}"
    # The pager's link and the search form's query, as the members page renders them.
    second_page = f"{members}?q=&page=2&page_size=20&mfa="
    search = f"{members}?q=person+1&page_size=20&mfa="
    return [
        View(
            "members page, admin (20 rows)",
            alice,
            members,
            before=lambda: alice.get(f"/orgs/{org.id}/"),
        ),
        View(
            "members page 2 as a fragment (the pager)",
            alice,
            second_page,
            before=lambda: alice.get(members),
            htmx=htmx_headers("member-table", members),
        ),
        View(
            "members search “person 1” as a fragment",
            alice,
            search,
            before=lambda: alice.get(members),
            htmx={**htmx_headers("member-table", members), "HX-Trigger": "member-search"},
        ),
        View(
            "invitations page, 50 pending from 50 inviters",
            alice,
            f"{bench}/invitations/",
            before=lambda: alice.get(f"{bench}/members/"),
        ),
        View("overview", alice, f"{bench}/", before=lambda: alice.get("/")),
        View("activity", alice, f"{bench}/activity/", before=lambda: alice.get(f"{bench}/")),
        View(
            "dashboard (20 invitations from 20 inviters in 20 organizations)",
            dana,
            "/",
            before=lambda: dana.get("/invitations/"),
        ),
    ]


def fetch_what_the_page_asks_for(view: View, body: bytes) -> None:
    """The requests a browser makes on its own once an answer is shown: the members page's
    two-step statuses it left "Checking…" (`hx-trigger="load"`)."""
    text = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
    fill = re.search(r'<span hx-get="([^"]+)" hx-trigger="load" hx-swap="none" data-mfa-fill', text)
    if fill:
        url = html.unescape(fill.group(1))
        view.browser.get(url, headers={**ACCEPT_GZIP, **htmx_headers("", view.url)})


def header_bytes(response: HttpResponseBase) -> int:
    """The status line and headers as the portal writes them (the server adds its Date and
    Server lines; cookies are left out)."""
    status = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n".encode()
    return len(status) + len(response.serialize_headers()) + len(b"\r\n\r\n")


def timed_get(
    emulator: Emulator, in_flight: InFlight, view: View, headers: dict[str, str]
) -> tuple[Answer, HttpResponseBase]:
    in_flight.wait_idle()
    before = len(emulator.calls)
    started = time.perf_counter()
    response = view.browser.get(view.url, headers=headers)
    seconds = time.perf_counter() - started
    in_flight.wait_idle()
    if response.status_code not in (200, 304):
        raise RuntimeError(f"{view.label}: answered {response.status_code}")
    if response.status_code == 200 and response.get("Content-Encoding") != "gzip":
        raise RuntimeError(f"{view.label}: not gzip-compressed")
    size = header_bytes(response) if response.status_code == 304 else len(response.content)
    answer = Answer(seconds, management_calls(emulator, before).total(), response.status_code, size)
    return answer, response


def visit(emulator: Emulator, in_flight: InFlight, view: View) -> list[Answer]:
    """The view asked for first (right after what comes before it); then again with the tag
    the browser kept, after what the first answer made the browser fetch on its own; then once
    more, with the tag of the last answer."""
    forget_all_but_the_token()
    view.before()
    headers = {**ACCEPT_GZIP, **view.htmx}
    first, response = timed_get(emulator, in_flight, view, headers)
    fetch_what_the_page_asks_for(view, response.content)
    answers = [first]
    for _ in (REPEATED, AGAIN):
        # A 304 leaves the kept copy, and its tag, as they were.
        tag = response["ETag"]
        answer, again = timed_get(emulator, in_flight, view, {**headers, "If-None-Match": tag})
        if again.status_code == 200:
            response = again
        answers.append(answer)
    return answers


def weigh_plain(view: View, row: WireRow) -> None:
    """The same answer for a client that accepts no compression."""
    forget_all_but_the_token()
    view.before()
    response = view.browser.get(view.url, headers=view.htmx)
    if "Content-Encoding" in response:
        raise RuntimeError(f"{view.label}: compressed without being asked")
    row.plain_bytes.append(len(response.content))
    row.rows = response.content.count(b'<tr id="member-')


def measure_wire(emulator: Emulator, in_flight: InFlight, views: list[View]) -> list[WireRow]:
    rows = [WireRow(view.label) for view in views]
    for latency in LATENCIES:
        set_latency(emulator, latency)
        for view, row in zip(views, rows, strict=True):
            runs = RUNS if latency == 0 else 1
            row.visits[latency] = [visit(emulator, in_flight, view) for _ in range(runs)]
            if latency == 0:
                weigh_plain(view, row)
            print(f"  weighed at L = {latency * 1000:.0f} ms: {view.label}", flush=True)
    set_latency(emulator, 0)
    return rows


def answers_of(row: WireRow, latency: float, which: int) -> list[Answer]:
    return [answers[which] for answers in row.visits[latency]]


def kilobytes(answers: list[Answer]) -> str:
    """The median size, and the status where it was not 200."""
    size = statistics.median(answer.wire_bytes for answer in answers)
    figure = f"{size / 1000:.1f} KB" if size >= 1000 else f"{size:.0f} B"
    statuses = sorted({answer.status for answer in answers})
    return f"{figure} ({', '.join(map(str, statuses))})"


def times(row: WireRow, latency: float) -> str:
    """First / repeated / again: ms at L = 0, else in round trips of L."""

    def spelled(seconds: float) -> str:
        return f"{seconds * 1000:.0f}" if latency == 0 else f"{seconds / latency:.1f}"

    return " / ".join(
        spelled(statistics.median(a.seconds for a in answers_of(row, latency, which)))
        for which in (FIRST, REPEATED, AGAIN)
    )


def calls_range(counts: Iterable[int]) -> str:
    ordered = sorted(set(counts))
    return str(ordered[0]) if len(ordered) == 1 else f"{ordered[0]} to {ordered[-1]}"


def wire_table(rows: list[WireRow]) -> str:
    header = [
        "page / fragment",
        "rows",
        "bytes",
        "bytes gzip",
        "repeated (status)",
        "again (status)",
        "calls first / repeated / again",
        "ms first / repeated / again, L=0",
        *(
            f"time/L first / repeated / again, L={latency * 1000:.0f} ms"
            for latency in LATENCIES[1:]
        ),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        calls = " / ".join(
            calls_range(a.calls for a in answers_of(row, 0.0, which))
            for which in (FIRST, REPEATED, AGAIN)
        )
        cells = [
            row.label,
            str(row.rows or ""),
            f"{statistics.median(row.plain_bytes) / 1000:.1f} KB",
            kilobytes(answers_of(row, 0.0, FIRST)).removesuffix(" (200)"),
            kilobytes(answers_of(row, 0.0, REPEATED)),
            kilobytes(answers_of(row, 0.0, AGAIN)),
            calls,
            *(times(row, latency) for latency in LATENCIES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def wire_report(rows: list[WireRow], alice_organizations: int) -> list[str]:
    return [
        "## Bytes on the wire and repeated views",
        "",
        wire_table(rows),
        "",
        "bytes: the body for a client that accepts no compression. bytes gzip: the body as a "
        "browser sending `Accept-Encoding: gzip, deflate, br, zstd` gets it (GZipMiddleware, "
        "its random BREACH padding included). First: the view asked for right after the page "
        "a person comes from (the overview before the members page, the members page before "
        "its second page and the search, the members page before the invitations, the "
        "dashboard before the overview, the overview before the activity, my invitations "
        "before the dashboard), the portal's cache cleared before that but for the "
        "machine-to-machine token. Repeated: the same request right after, with "
        "`If-None-Match` and the tag the browser kept, once the browser has sent what the "
        "first answer asks for on its own (the members page's two-step statuses, which the "
        "next rendering then shows: a 200). Again: once more, with the tag of the last 200. "
        "Their bytes: the gzip body of a 200, or a 304's status line and headers as the "
        "portal writes them (the server adds Date and Server). time/L: in round trips of "
        f"the latency L added to every Management API call. Medians of {RUNS} runs at L = 0, "
        "one run at L > 0. The portal is called in-process (Django's test client), Logto over "
        "HTTP on 127.0.0.1. Every page lists the organizations of the person in its header "
        f"(the switcher): alice, whose pages these are but the dashboard, is in "
        f"{alice_organizations} when they are weighed (accepting invitations above adds some).",
    ]


# -- the table --------------------------------------------------------------------------------
def calls_of(runs: list[Run]) -> str:
    counts = sorted({run.calls for run in runs})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"


def time_of(runs: list[Run] | None, latency: float) -> str:
    if not runs:
        return "not run"
    seconds = statistics.median(run.seconds for run in runs)
    figure = f"{seconds * 1000:.0f} ms" if latency == 0 else f"{seconds / latency:.1f}"
    failed = sum(1 for run in runs if not run.ok)
    return figure if not failed else f"{figure} ✗{failed}"


def table(rows: list[Row]) -> str:
    header = [
        "page / action",
        "calls cold",
        "calls warm",
        "cold ms, L=0",
        "warm ms, L=0",
        "cold time/L, L=50 ms",
        "warm time/L, L=50 ms",
        "cold time/L, L=200 ms",
        "warm time/L, L=200 ms",
        "CPU ms/request (warm)",
        "of which templates",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = [
            row.label,
            calls_of(row.runs[(0.0, True)]),
            calls_of(row.runs[(0.0, False)]),
            time_of(row.runs[(0.0, True)], 0),
            time_of(row.runs[(0.0, False)], 0),
        ]
        for latency in LATENCIES[1:]:
            cells += [
                time_of(row.runs.get((latency, True)), latency),
                time_of(row.runs.get((latency, False)), latency),
            ]
        cells += [f"{(row.cpu or 0) * 1000:.1f}", f"{(row.templates or 0) * 1000:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def where(row: Row, latency: float, cold: bool) -> str:
    return f"{row.label}, {'cold' if cold else 'warm'} at L = {latency * 1000:.0f} ms"


def call_notes(rows: list[Row]) -> list[str]:
    """Call counts that changed with latency (a deadline or a retry cut in), and calls that
    were still being answered when the request had answered."""
    notes = []
    for row in rows:
        for (latency, cold), runs in row.runs.items():
            at_zero = row.runs[(0.0, cold)]
            if latency and {run.calls for run in runs} - {run.calls for run in at_zero}:
                notes.append(
                    f"- {where(row, latency, cold)}: {calls_of(runs)} calls "
                    f"(at L = 0: {calls_of(at_zero)})"
                )
            late = max(run.late_calls for run in runs)
            if late:
                notes.append(
                    f"- {where(row, latency, cold)}: {late} of its calls answered only after "
                    "the request itself had answered"
                )
    return notes


def by_route(rows: list[Row]) -> list[str]:
    """Where the calls of the first run at L = 0 went, cold and warm."""

    def spelled(routes: Counter[str]) -> str:
        return ", ".join(f"{route} {n}" for route, n in routes.most_common()) or "none"

    return [
        f"- {row.label}: cold {spelled(row.runs[(0.0, True)][0].routes)}; "
        f"warm {spelled(row.runs[(0.0, False)][0].routes)}"
        for row in rows
    ]


def report(
    rows: list[Row],
    wire: list[WireRow],
    alice_organizations: int,
    seconds: float,
    load_before: float,
) -> str:
    stamp = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = call_notes(rows)
    # Times at L = 0 are as good as the machine is idle: say how idle it was.
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    calls_and_time = [
        table(rows),
        "",
        "calls: Management API calls of the one request (or batch). time/L: its time in "
        "round trips of L. ✗N: N runs did not succeed (a refusal, the request deadline "
        "reached, an address not sent); at L = 200 ms the deadline is "
        f"{settings.ORGPORTAL_REQUEST_DEADLINE / LATENCIES[-1]:.0f} round trips. "
        "The batch runs without a request deadline, like "
        "the worker; at L = 200 ms it is left to benchmarks/invitation_batch.py (a minute "
        "per run). CPU: the portal's own, the emulator's subtracted (emulator in-process, "
        "L = 0).",
        "",
        "Calls by route (L = 0):",
        *by_route(rows),
        *(
            ["", "Calls that changed with latency, or outlived the request:", *notes]
            if notes
            else []
        ),
        "",
    ]
    return "\n".join(
        [
            "# Portal benchmark",
            "",
            f"{stamp}, {os.cpu_count()} CPUs ({load}), Python {sys.version.split()[0]}. "
            "The Logto emulator over HTTP on 127.0.0.1, L added to every Management API call. "
            f"Medians of {RUNS} runs at L = 0, one run at L > 0; CPU: medians of {CPU_RUNS} "
            f"warm requests ({RUNS} of each action, one batch). Request deadline "
            f"{settings.ORGPORTAL_REQUEST_DEADLINE:g} s (ORGPORTAL_REQUEST_DEADLINE).",
            "",
            *(calls_and_time if rows else []),
            *([*wire_report(wire, alice_organizations), ""] if wire else []),
            f"Measured in {seconds:.0f} s by benchmarks/portal.py"
            + (f" (BENCH_PORTAL_PARTS={PARTS})." if PARTS != "all" else "."),
            "",
        ]
    )


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log
    # Access lines, and the retries and errors of requests cut off by the deadline (the table
    # marks those).
    for name in ("orgportal", "orgportal.access", "django.request", "urllib3"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    setup_test_environment()
    test_database = connection.creation.create_test_db(verbosity=0)  # a file of its own
    emulator = build_emulator(
        settings.LOGTO.endpoint,
        portal_urls=["http://testserver"],
        management_api_resource=settings.LOGTO.management_api_resource,
    )
    in_flight = InFlight(emulator)
    tenant = Tenant(emulator)
    port = int(settings.LOGTO.endpoint.rsplit(":", 1)[1])
    unlimited = {
        "ORGPORTAL_INVITATIONS_PER_HOUR": 10**6,
        "ORGPORTAL_INVITATIONS_PER_HOUR_PER_IP": 10**6,
        # Batches wait in the database queue; the benchmark runs them itself, as a worker would.
        "TASKS": {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}},
    }
    rows: dict[str, Row] = {}
    wire: list[WireRow] = []
    try:
        with EmulatorServer(emulator, port=port), override_settings(**unlimited):
            print(f"Portal benchmark: emulator at {settings.LOGTO.endpoint}", flush=True)
            main_scenarios = scenarios(tenant) if PARTS == "all" else []
            run_passes(emulator, in_flight, main_scenarios, rows)
            # After the actions above (the activity page shows them), before the 10,000 users.
            wire = measure_wire(emulator, in_flight, wire_views(tenant))
            if PARTS == "all":
                # Built only now: 10,000 more users would slow the emulator's searches above.
                sized = size_scenarios(tenant)
                run_passes(emulator, in_flight, sized, rows)
                measure_cpu(emulator, in_flight, main_scenarios + sized, rows)
    finally:
        connections.close_all()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{test_database}{suffix}").unlink(missing_ok=True)
    alice_organizations = sum(
        tenant.alice.id in org.members for org in emulator.state.organizations.values()
    )
    text = report(
        list(rows.values()), wire, alice_organizations, time.perf_counter() - started, load_before
    )
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"Written to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
