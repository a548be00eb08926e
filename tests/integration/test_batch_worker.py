"""Invitation batches through a real `db_worker` on the test database (django-tasks' database
backend): the page and the API queue the work, the worker does it, and a worker that died
mid-batch is made good by the next one (`manage.py run_worker`)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orgportal.models import InvitationBatch, InvitationBatchItem
from orgportal.services.invitation_batch_runner import STALE_AFTER
from orgportal.services.invitation_batches import (
    invitation_batch_start,
    invitation_batches_resume_stale,
)
from tests.conftest import ON_SERVERS, local_user, login_as

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = ["ann@example.com", "ben@example.com", "cat@example.com", "dan@example.com"]
HTMX = {"HX-Request": "true"}


class WorkerKilled(BaseException):
    """The worker process dying mid-batch (no `except Exception` in the task can catch it)."""


@pytest.fixture
def restored_signals() -> Iterator[None]:
    """`db_worker` installs its own SIGINT/SIGTERM handlers in the process running it."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_worker_until_idle() -> None:
    call_command(
        "run_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval=0", verbosity=0
    )


def test_a_worker_killed_mid_batch_is_made_good_by_the_next_one(
    db_tasks, restored_signals, emulator, acme, alice, monkeypatch
):
    from orgportal.logto.client import LogtoClient

    batch = invitation_batch_start(
        actor=alice,
        organization_id=acme.id,
        emails=[*PEOPLE, "bob@example.com"],
        role_ids=[emulator.state.role_by_name("member").id],
    )
    assert [r.status for r in DBTaskResult.objects.all()] == ["READY"]  # queued, not run

    real_create = LogtoClient.create_organization_invitation
    made = itertools.count(1)  # one number per create, whichever lane makes it

    def create_then_die_on_the_third(self, **kwargs):
        invitation = real_create(self, **kwargs)
        if next(made) == 3:
            raise WorkerKilled  # Logto made it; the worker never recorded that
        return invitation

    with monkeypatch.context() as patched:
        patched.setattr(LogtoClient, "create_organization_invitation", create_then_die_on_the_third)
        run_worker_until_idle()
    batch.refresh_from_db()
    assert not batch.is_done
    # The addresses went out at the same time: the others in flight finished, the third
    # create's address stays "creating" (made in Logto, never recorded).
    assert "creating" in {item.step for item in batch.items.all()}

    # Later a worker starts again; by then the dead one's heartbeat is stale.
    InvitationBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - STALE_AFTER - timedelta(seconds=1)
    )
    run_worker_until_idle()
    batch.refresh_from_db()
    assert batch.is_done and batch.runs == 2
    assert [(i.address, i.status) for i in batch.items.all()] == [
        *((address, "sent") for address in PEOPLE),
        ("bob@example.com", "skipped"),
    ]
    per_invitee = Counter(i.invitee for i in emulator.state.invitations.values())
    assert per_invitee == dict.fromkeys(PEOPLE, 1)  # nobody invited twice
    assert Counter(m.to[0] for m in mail.outbox) == dict.fromkeys(PEOPLE, 1)
    results = Counter((r.task_path.rsplit(".", 1)[1], r.status) for r in DBTaskResult.objects.all())
    assert results == {
        ("run_invitation_batch", "FAILED"): 1,  # the killed run
        ("run_invitation_batch", "SUCCESSFUL"): 1,  # the resumed run
        ("resume_stale_invitation_batches", "READY"): 2,  # each start's later sweep
    }


def test_the_page_fills_in_while_a_worker_sends(worker_thread, client, emulator, acme):
    # Slow enough to watch: the addresses go out at the same time, so the page answers while
    # all of them are still sending.
    emulator.set_fault("invitations.create", latency=3.0)
    login_as(client, emulator, "alice@example.com")
    addresses = [*PEOPLE, "erin@example.com", "bob@example.com"]
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {
            "emails": "\n".join(addresses),
            "roles": [emulator.state.role_by_name("member").id],
            "expires_in_days": "7",
        },
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Sending " in body and " of 6…" in body
    assert 'hx-trigger="every 1s"' in body  # the rows poll for news
    assert "invitations-changed" not in response.get("HX-Trigger", "")
    batch = InvitationBatch.objects.get()
    status_url = f"/orgs/{acme.id}/invitations/batches/{batch.pk}/"
    assert status_url in body

    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        poll = client.get(status_url, {"emails": ""}, headers=HTMX)
        fragment = poll.content.decode()
        seen.add(fragment.count("sending"))
        if "every 1s" not in fragment:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the batch did not finish within 20 s")
    assert "Done: 5 sent · 1 skipped." in fragment
    trigger = json.loads(poll["HX-Trigger"])
    assert "invitations-changed" in trigger
    assert trigger["messages"][0]["message"] == "Invitations: 5 sent · 1 skipped."
    assert 5 in seen  # the five new addresses were seen "sending" at the same time
    assert InvitationBatchItem.objects.filter(step="sent").count() == 5
    assert len(emulator.state.invitations) == 5


# -- a worker process, killed for real --------------------------------------------------------
def start_worker_process(database: str) -> subprocess.Popen:
    """`manage.py run_worker` in its own process, on the test's database file; Logto
    delivers the emails (to the emulator's outbox), so they are visible here."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--no-reload", "--interval=0.1", "-v0"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "ORGPORTAL_TEST_WORKER_DB": database,
            "ORGPORTAL_INVITATION_DELIVERY": "logto",
            # Production would share Redis; here the worker's memory cache only holds its own
            # Logto token, and nothing it caches is read by the test process.
            "ORGPORTAL_SINGLE_PROCESS": "true",
        },
        start_new_session=True,
    )


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {seconds} s")
        time.sleep(0.05)


@pytest.mark.live
@pytest.mark.skipif(
    ON_SERVERS, reason="the worker process shares the SQLite tier's database file; run there"
)
def test_a_worker_process_killed_mid_create_is_made_good_by_the_next(
    db_tasks, live_server, live_emulator, settings
):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    alice = local_user(live_emulator, "alice@example.com")
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    # Logto makes each invitation, then takes 0.6 s to answer: time to die in between.
    live_emulator.set_fault("invitations.create", latency=0.6, after_work=True)
    batch = invitation_batch_start(
        actor=alice,
        organization_id=acme.id,
        emails=PEOPLE,
        role_ids=[live_emulator.state.role_by_name("member").id],
    )
    database = settings.DATABASES["default"]["NAME"]
    worker = start_worker_process(database)
    try:

        def made_but_not_recorded() -> bool:
            invitees = {i.invitee for i in live_emulator.state.invitations.values()}
            creating = batch.items.filter(step="creating").values_list("address", flat=True)
            return any(address in invitees for address in creating)

        wait_for(made_but_not_recorded)
        os.killpg(worker.pid, signal.SIGKILL)  # no handler runs: as in a crash or OOM kill
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    batch.refresh_from_db()
    assert not batch.is_done and batch.runner  # the dead runner still "holds" it
    left = list(batch.items.filter(step="creating"))  # the creates in flight, in its lanes
    # Of those, the ones Logto had made when the worker died (another lane's request may not
    # have reached it yet: that one is simply made by the next worker).
    made = {i.invitee for i in live_emulator.state.invitations.values()}
    made_in_flight = [item for item in left if item.address in made]
    assert made_in_flight

    # Right after, the batch is left alone: its runner might still be alive (fresh heartbeat).
    # Once the heartbeat is stale, the next worker to start resumes it.
    assert invitation_batches_resume_stale() == []
    InvitationBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - STALE_AFTER - timedelta(seconds=1)
    )
    live_emulator.clear_faults()
    worker = start_worker_process(database)
    try:
        wait_for(lambda: InvitationBatch.objects.get(pk=batch.pk).is_done)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=10)
    assert [i.status for i in batch.items.all()] == ["sent"] * len(PEOPLE)
    assert InvitationBatch.objects.get(pk=batch.pk).runs == 2
    per_invitee = Counter(i.invitee for i in live_emulator.state.invitations.values())
    assert per_invitee == dict.fromkeys(PEOPLE, 1)
    assert Counter(m.to for m in live_emulator.state.outbox) == dict.fromkeys(PEOPLE, 1)
    # Read back and adopted, not made again.
    assert {batch.items.get(pk=item.pk).attempts for item in made_in_flight} == {1}
