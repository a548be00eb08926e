"""An invitation batch of 100 addresses with Logto answering every call after 200 ms.

Before: the batch ran inside the request, which gunicorn killed at 30 s (a 500, no outcomes,
74 invitations already made). Now the page answers at once and a worker does the Logto work.
Measures the page's answer (status, time), then the batch as the worker runs it (time, and
whether every address ended sent, skipped or failed with a reason, none twice).

Run with `make bench`. Figures go in the issue note; nothing here asserts a speed.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from logto_emulator import build_emulator  # noqa: E402
from logto_emulator.inprocess import routed_to  # noqa: E402
from orgportal.models import InvitationBatch, User  # noqa: E402
from orgportal.services.invitation_batch_runner import invitation_batch_run  # noqa: E402

ADDRESSES = int(os.environ.get("BENCH_BATCH_ADDRESSES", "100"))
LATENCY = float(os.environ.get("BENCH_BATCH_LATENCY", "0.2"))


def main() -> None:
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    emulator = build_emulator(
        settings.LOGTO.endpoint,
        portal_urls=["http://testserver"],
        management_api_resource=settings.LOGTO.management_api_resource,
    )
    alice = emulator.state.user_by_email("alice@example.com")
    acme = next(o for o in emulator.state.organizations.values() if o.name == "Acme")
    member = emulator.state.role_by_name("member").id
    admin = User.objects.create(
        username=alice.id, logto_id=alice.id, email=alice.primary_email, email_verified=True
    )
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    emails = "\n".join(f"new{n:03}@example.com" for n in range(ADDRESSES))
    tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with routed_to(emulator), override_settings(TASKS=tasks, ORGPORTAL_INVITATIONS_PER_HOUR=1000):
        client.get(f"/orgs/{acme.id}/invitations/")  # warm the caches
        emulator.set_fault("*", latency=LATENCY)
        started = time.perf_counter()
        response = client.post(
            f"/orgs/{acme.id}/invitations/",
            {"emails": emails, "roles": [member], "expires_in_days": "7"},
        )
        answered = time.perf_counter() - started
        batch = InvitationBatch.objects.latest("created_at")
        calls_before = len(emulator.calls)
        started = time.perf_counter()
        invitation_batch_run(str(batch.pk))  # what the worker does with the queued task
        ran = time.perf_counter() - started
        calls = Counter(route for _, route, _ in emulator.calls[calls_before:])
    steps = Counter(batch.items.values_list("step", flat=True))
    invitees = Counter(i.invitee for i in emulator.state.invitations.values())
    print(f"Invitation batch: {ADDRESSES} addresses, {LATENCY * 1000:.0f} ms on every Logto call")
    print(f"page answered:     HTTP {response.status_code} in {answered:.2f} s")
    print(f"worker ran batch:  {ran:.1f} s = {ran / LATENCY:.0f} x the latency")
    print(f"its Logto calls:   {sum(calls.values())} {dict(calls.most_common())}")
    print(f"address outcomes:  {dict(steps)}")
    print(f"invitees with more than one invitation: {sum(1 for c in invitees.values() if c > 1)}")


if __name__ == "__main__":
    main()
