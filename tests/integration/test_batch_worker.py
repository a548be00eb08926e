"""Invitation batches through a real `db_worker` on the test database (django-tasks' database
backend): the page and the API queue the work, the worker does it, and a worker that died
mid-batch is made good by the next one (`manage.py run_worker`)."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orgportal.models import InvitationBatch, InvitationBatchItem
from orgportal.services.invitation_batches import STALE_AFTER, invitation_batch_start
from tests.conftest import login_as

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
    made = []

    def create_then_die_on_the_third(self, **kwargs):
        invitation = real_create(self, **kwargs)
        made.append(invitation)
        if len(made) == 3:
            raise WorkerKilled  # Logto made it; the worker never recorded that
        return invitation

    with monkeypatch.context() as patched:
        patched.setattr(LogtoClient, "create_organization_invitation", create_then_die_on_the_third)
        run_worker_until_idle()
    batch.refresh_from_db()
    assert not batch.is_done
    steps = [item.step for item in batch.items.all()]
    assert steps == ["sent", "sent", "creating", "queued", "queued"]

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
    emulator.set_fault("invitations.create", latency=0.4)  # slow enough to watch
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
    assert 'hx-trigger="load delay:1s"' in body  # the rows poll for news
    assert "invitations-changed" not in response.get("HX-Trigger", "")
    batch = InvitationBatch.objects.get()
    status_url = f"/orgs/{acme.id}/invitations/batches/{batch.pk}/"
    assert status_url in body

    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        poll = client.get(status_url, {"emails": ""}, headers=HTMX)
        fragment = poll.content.decode()
        seen.add(fragment.count("sending…"))
        if "load delay:1s" not in fragment:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the batch did not finish within 20 s")
    assert "Done: 5 sent, 1 skipped, 0 failed." in fragment
    assert 'id="invite-form" hx-swap-oob="true"' in fragment  # the box is refilled (empty)
    trigger = json.loads(poll["HX-Trigger"])
    assert "invitations-changed" in trigger
    assert trigger["messages"][0]["message"] == "5 invitations sent."
    assert 1 in seen  # an address was seen "sending…" while the others waited or were done
    assert InvitationBatchItem.objects.filter(step="sent").count() == 5
    assert len(emulator.state.invitations) == 5
