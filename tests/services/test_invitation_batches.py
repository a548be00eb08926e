"""Invitation batches: retries, exactly-once creation, and finishing after the worker died.

The task runs inline here (django-tasks' immediate backend, as in every test about something
else); `tests/integration/test_batch_worker.py` runs the same work through a real `db_worker`.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from werkzeug.wrappers import Response

from orgportal import request_context, shared_locks
from orgportal.models import AuditEvent, InvitationBatch, InvitationBatchItem
from orgportal.services import invitation_batch_runner, invitation_steps
from orgportal.services.invitation_batch_runner import (
    INTERRUPTED_REASON,
    NOT_ALLOWED_REASON,
    STALE_AFTER,
    BatchRun,
    LeaseLost,
)
from orgportal.services.invitation_batches import (
    invitation_batch_progress,
    invitation_batch_start,
    invitation_batches_resume_stale,
)
from orgportal.services.invitation_steps import UNCONFIRMED_REASON

pytestmark = pytest.mark.django_db

Step = InvitationBatchItem.Step
PEOPLE = ["ann@example.com", "ben@example.com", "cat@example.com", "dan@example.com"]


class WorkerKilled(BaseException):
    """The worker process dying: nothing in the task may catch it (not an Exception)."""


def start(alice, acme, emulator, emails, **kwargs) -> InvitationBatch:
    return invitation_batch_start(
        actor=alice,
        organization_id=acme.id,
        emails=emails,
        role_ids=[emulator.state.role_by_name("member").id],
        **kwargs,
    )


def steps(batch: InvitationBatch) -> list[tuple[str, str]]:
    return [(item.address or item.email, item.step) for item in batch.items.all()]


def invitations_per_invitee(emulator) -> Counter:
    return Counter(i.invitee for i in emulator.state.invitations.values())


def emails_per_address() -> Counter:
    return Counter(message.to[0] for message in mail.outbox)


def make_stale(batch: InvitationBatch) -> None:
    InvitationBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - STALE_AFTER - timedelta(seconds=1)
    )


def test_a_batch_is_recorded_and_run_as_a_task(emulator, acme, alice):
    batch = start(alice, acme, emulator, ["Dave@Example.com", "bob@example.com", "nope", "DAVE@x"])
    batch.refresh_from_db()
    assert batch.is_done and batch.runs == 1 and batch.runner == ""
    assert [(i.email, i.status, i.reason) for i in batch.items.all()] == [
        ("Dave@Example.com", "sent", ""),
        ("bob@example.com", "skipped", "already a member"),
        ("nope", "failed", "not a valid email address"),
        ("DAVE@x", "failed", "not a valid email address"),
    ]
    sent = batch.items.get(position=0)
    assert (sent.address, sent.attempts) == ("dave@example.com", 1)
    assert sent.invitation_id in emulator.state.invitations


def test_bad_input_is_refused_at_once_and_records_nothing(emulator, acme, alice):
    from orgportal.services.errors import ApplicationError

    with pytest.raises(ApplicationError):
        start(alice, acme, emulator, [f"u{n}@example.com" for n in range(101)])
    with pytest.raises(ApplicationError):
        start(alice, acme, emulator, ["a@example.com"], expires_in_days=31)
    assert not InvitationBatch.objects.exists()


def test_audit_events_carry_the_request_that_started_the_batch(emulator, acme, alice):
    tokens = (request_context.request_id.set("req-42"), request_context.client_ip.set("10.1.2.3"))
    try:
        start(alice, acme, emulator, ["dave@example.com"])
    finally:
        request_context.request_id.reset(tokens[0])
        request_context.client_ip.reset(tokens[1])
    event = AuditEvent.objects.get(action="invitation.sent")
    assert (event.outcome, event.request_id, event.ip) == ("success", "req-42", "10.1.2.3")


# -- retries --------------------------------------------------------------------------------
def test_a_rate_limited_create_is_retried_with_backoff(
    emulator, acme, alice, settings, monkeypatch
):
    settings.ORGPORTAL_BATCH_RETRY_DELAYS = (0.5, 2.0, 5.0)
    waits: list[float] = []
    monkeypatch.setattr(invitation_batch_runner.time, "sleep", waits.append)
    emulator.set_fault("invitations.create", status=429, times=2)
    batch = start(alice, acme, emulator, ["dave@example.com"])
    assert steps(batch) == [("dave@example.com", Step.SENT)]
    assert batch.items.get().attempts == 3
    # Other threads' short polls for a shared lock (the cold M2M token) go through the same
    # patched sleep; the backoff is what is left.
    assert [w for w in waits if w != shared_locks._POLL_SECONDS] == [0.5, 2.0]
    assert emulator.calls_to("invitations.create") == 3
    assert len(emulator.state.invitations) == 1 and len(mail.outbox) == 1


def test_an_outage_that_lasts_fails_the_address_with_nothing_sent(emulator, acme, alice):
    emulator.set_fault("invitations.create", status=503)
    batch = start(alice, acme, emulator, ["dave@example.com", "erin@example.com"])
    assert [(i.status, i.reason, i.attempts) for i in batch.items.all()] == [
        ("failed", "our sign-in service could not be reached; nothing was sent", 4)
    ] * 2
    assert emulator.state.invitations == {} and mail.outbox == []
    assert AuditEvent.objects.filter(action="invitation.sent", outcome="failure").count() == 2


def test_a_create_that_failed_before_the_work_is_read_back_then_made_once(emulator, acme, alice):
    emulator.set_fault("invitations.create", status=503, times=1)
    batch = start(alice, acme, emulator, ["dave@example.com"])
    assert steps(batch) == [("dave@example.com", Step.SENT)]
    assert emulator.calls_to("invitations.create") == 2
    assert invitations_per_invitee(emulator) == {"dave@example.com": 1}


def test_a_create_that_timed_out_after_the_work_is_adopted_not_repeated(emulator, acme, alice):
    """Outcome unknown: read back before any retry, find it, send its email once."""
    emulator.set_fault("invitations.create", status=504, times=1, after_work=True)
    batch = start(alice, acme, emulator, ["dave@example.com", "erin@example.com"])
    assert steps(batch) == [("dave@example.com", Step.SENT), ("erin@example.com", Step.SENT)]
    assert emulator.calls_to("invitations.create") == 2  # one per address: none repeated
    assert invitations_per_invitee(emulator) == {"dave@example.com": 1, "erin@example.com": 1}
    assert emails_per_address() == {"dave@example.com": 1, "erin@example.com": 1}
    dave = batch.items.get(position=0)
    assert dave.invitation_id == next(
        i.id for i in emulator.state.invitations.values() if i.invitee == "dave@example.com"
    )
    assert AuditEvent.objects.filter(action="invitation.sent", outcome="success").count() == 2


def test_a_pending_one_refused_as_a_duplicate_after_an_unknown_outcome_is_adopted(
    emulator, acme, alice, monkeypatch
):
    """The read-back missed it, the retry hit Logto's uniqueness rule: it is ours."""
    emulator.set_fault("invitations.create", status=504, times=1, after_work=True)
    real = invitation_steps.pending_invitation
    answers = iter([None, None])  # the pending check, then a read-back that misses it

    def pending(organization_id, address):
        return next(answers, "real") and real(organization_id, address)

    monkeypatch.setattr(invitation_steps, "pending_invitation", pending)
    monkeypatch.setattr(invitation_batch_runner, "pending_invitation", pending)
    batch = start(alice, acme, emulator, ["dave@example.com"])
    assert steps(batch) == [("dave@example.com", Step.SENT)]
    creates = [status for _, route, status in emulator.calls if route == "invitations.create"]
    assert creates == [504, 422]
    assert invitations_per_invitee(emulator) == {"dave@example.com": 1}
    assert emails_per_address() == {"dave@example.com": 1}


def test_when_the_read_back_never_answers_the_address_says_so(emulator, acme, alice):
    create = emulator._handlers["invitations.create"]

    def created_then_cut_off(request, **params):
        create(request, **params)
        emulator.set_fault("invitations.list", status=503)  # from now on, nothing answers
        return Response('{"code":"x","message":"gateway"}', status=504)

    emulator._handlers["invitations.create"] = created_then_cut_off
    batch = start(alice, acme, emulator, ["dave@example.com"])
    assert [(i.status, i.reason) for i in batch.items.all()] == [("failed", UNCONFIRMED_REASON)]
    assert "Logto" not in UNCONFIRMED_REASON
    assert emulator.calls_to("invitations.create") == 1  # never tried blind


def test_an_email_that_failed_once_is_sent_on_the_retry(emulator, acme, alice, monkeypatch):
    from orgportal.services import invitation_delivery

    real = invitation_delivery.invitation_email_send
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["to"])
        if len(calls) <= 2:  # the delivery's own retry, then ours
            raise ConnectionRefusedError("SMTP down")
        real(**kwargs)

    monkeypatch.setattr(invitation_delivery, "invitation_email_send", flaky)
    batch = start(alice, acme, emulator, ["dave@example.com"])
    assert steps(batch) == [("dave@example.com", Step.SENT)]
    assert [i.status for i in emulator.state.invitations.values()] == ["Pending"]
    assert len(mail.outbox) == 1
    assert [e.outcome for e in AuditEvent.objects.filter(action="invitation.sent")] == ["success"]


def test_logto_delivery_that_stays_down_withdraws_the_invitation(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    emulator.set_fault("invitations.message", status=503)
    batch = start(alice, acme, emulator, ["dave@example.com"])
    [item] = batch.items.all()
    assert (item.status, item.reason) == ("failed", invitation_steps.WITHDRAWN_REASON)
    assert [i.status for i in emulator.state.invitations.values()] == ["Revoked"]
    assert emulator.calls_to("invitations.message") == 4


# -- a worker that dies ---------------------------------------------------------------------
def kill_on_create(monkeypatch, emulator, number: int) -> None:
    """The worker dies right after Logto made the `number`th invitation, before it knew."""
    from orgportal.logto.client import LogtoClient

    real = LogtoClient.create_organization_invitation
    made = []

    def create(self, **kwargs):
        invitation = real(self, **kwargs)
        made.append(invitation)
        if len(made) == number:
            raise WorkerKilled
        return invitation

    monkeypatch.setattr(LogtoClient, "create_organization_invitation", create)


def test_a_batch_whose_worker_died_mid_create_finishes_once_resumed(
    emulator, acme, alice, monkeypatch
):
    with monkeypatch.context() as patched:
        kill_on_create(patched, emulator, 3)
        batch = start(alice, acme, emulator, [*PEOPLE, "bob@example.com", "oops"])
    batch.refresh_from_db()
    assert not batch.is_done
    assert steps(batch) == [
        ("ann@example.com", Step.SENT),
        ("ben@example.com", Step.SENT),
        ("cat@example.com", Step.CREATING),  # made in Logto, but the worker never knew
        ("dan@example.com", Step.QUEUED),
        ("bob@example.com", Step.QUEUED),
        ("oops", Step.FAILED),
    ]
    assert "cat@example.com" in invitations_per_invitee(emulator)
    assert invitation_batches_resume_stale() == []  # its heartbeat is fresh: maybe alive

    make_stale(batch)
    assert invitation_batches_resume_stale() == [str(batch.pk)]
    batch.refresh_from_db()
    assert batch.is_done and batch.runs == 2
    assert [i.status for i in batch.items.all()] == [
        "sent",
        "sent",
        "sent",
        "sent",
        "skipped",
        "failed",
    ]
    assert invitations_per_invitee(emulator) == dict.fromkeys(PEOPLE, 1)
    assert emails_per_address() == dict.fromkeys(PEOPLE, 1)
    assert batch.items.get(position=2).attempts == 1  # read back, not created again


def test_an_address_whose_email_may_have_gone_out_gets_it_again_rather_than_none(
    emulator, acme, alice, monkeypatch
):
    from orgportal.services import invitation_delivery

    real = invitation_delivery.invitation_email_send

    def sent_then_killed(**kwargs):
        real(**kwargs)
        if kwargs["to"] == "ben@example.com":
            raise WorkerKilled

    with monkeypatch.context() as patched:
        patched.setattr(invitation_delivery, "invitation_email_send", sent_then_killed)
        batch = start(alice, acme, emulator, PEOPLE[:3])
    assert steps(batch)[1] == ("ben@example.com", Step.DELIVERING)
    make_stale(batch)
    invitation_batches_resume_stale()
    assert [status for _, status in steps(batch)] == [Step.SENT] * 3
    assert invitations_per_invitee(emulator) == dict.fromkeys(PEOPLE[:3], 1)
    # At least once: the resumed run cannot know the email left before the worker died.
    assert emails_per_address() == {
        "ann@example.com": 1,
        "ben@example.com": 2,
        "cat@example.com": 1,
    }


def test_an_invitation_revoked_while_its_batch_was_stopped_is_not_emailed(
    emulator, acme, alice, monkeypatch
):
    with monkeypatch.context() as patched:
        kill_on_create(patched, emulator, 1)
        batch = start(alice, acme, emulator, ["dave@example.com"])
    [made] = emulator.state.invitations.values()
    InvitationBatchItem.objects.filter(batch=batch).update(step=Step.CREATED, invitation_id=made.id)
    made.status = "Revoked"
    make_stale(batch)
    invitation_batches_resume_stale()
    [item] = batch.items.all()
    assert (item.status, item.reason) == ("failed", invitation_batch_runner.WITHDRAWN_MEANWHILE)
    assert mail.outbox == []


def test_a_batch_that_keeps_stopping_its_worker_is_ended(emulator, acme, alice, monkeypatch):
    with monkeypatch.context() as patched:
        kill_on_create(patched, emulator, 1)
        batch = start(alice, acme, emulator, ["dave@example.com", "erin@example.com"])
    InvitationBatch.objects.filter(pk=batch.pk).update(runs=invitation_batch_runner.MAX_RUNS)
    make_stale(batch)
    invitation_batches_resume_stale()
    batch.refresh_from_db()
    assert batch.is_done
    assert [(i.status, i.reason) for i in batch.items.all()] == [
        ("failed", INTERRUPTED_REASON),
        ("failed", INTERRUPTED_REASON),
    ]
    # Dave's invitation was made before the worker died: withdrawn, not left without email.
    assert [i.status for i in emulator.state.invitations.values()] == ["Revoked"]


def test_a_resumed_batch_checks_the_inviter_may_still_invite(emulator, acme, alice, monkeypatch):
    with monkeypatch.context() as patched:
        kill_on_create(patched, emulator, 2)
        batch = start(alice, acme, emulator, PEOPLE[:3])
    emulator.state.add_member(acme, emulator.state.user_by_email("alice@example.com"), ["member"])
    from django.core.cache import cache

    cache.clear()  # permissions are cached for a minute; the resume is "later"
    make_stale(batch)
    invitation_batches_resume_stale()
    assert [(i.status, i.reason) for i in batch.items.all()][1:] == [
        ("failed", NOT_ALLOWED_REASON)
    ] * 2
    assert {i.invitee: i.status for i in emulator.state.invitations.values()} == {
        "ann@example.com": "Pending",
        "ben@example.com": "Revoked",
    }


def test_looking_at_a_stale_batch_resumes_it(emulator, acme, alice, monkeypatch):
    with monkeypatch.context() as patched:
        kill_on_create(patched, emulator, 1)
        batch = start(alice, acme, emulator, ["dave@example.com"])
    progress = invitation_batch_progress(actor=alice, organization_id=acme.id, batch_id=batch.pk)
    assert not progress.done  # fresh heartbeat: someone may still be on it
    make_stale(batch)
    progress = invitation_batch_progress(actor=alice, organization_id=acme.id, batch_id=batch.pk)
    assert progress.done and progress.sent == 1
    assert invitations_per_invitee(emulator) == {"dave@example.com": 1}


def test_one_runner_at_a_time_and_a_runner_taken_over_stops(emulator, acme, alice, monkeypatch):
    with monkeypatch.context() as patched:
        kill_on_create(patched, emulator, 1)
        batch = start(alice, acme, emulator, ["dave@example.com"])
    assert BatchRun.claim(str(batch.pk)) is None  # the dead runner's heartbeat is fresh
    make_stale(batch)
    first = BatchRun.claim(str(batch.pk))
    assert first is not None
    assert BatchRun.claim(str(batch.pk)) is None
    make_stale(batch)
    second = BatchRun.claim(str(batch.pk))
    assert second is not None
    with pytest.raises(LeaseLost):
        first.beat()
    second.beat()


def test_a_batch_of_another_organization_is_not_found(emulator, acme, alice):
    from orgportal.services.invitation_batches import BatchNotFound

    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    batch = start(alice, acme, emulator, ["dave@example.com"])
    with pytest.raises(BatchNotFound):
        invitation_batch_progress(actor=alice, organization_id=other.id, batch_id=batch.pk)
    with pytest.raises(BatchNotFound):
        invitation_batch_progress(actor=alice, organization_id=acme.id, batch_id="not-a-uuid")
