"""Invitation batches: retries, exactly-once creation, and finishing after the worker died.

The task runs inline here (django-tasks' immediate backend, as in every test about something
else); `tests/integration/test_batch_worker.py` runs the same work through a real `db_worker`.
"""

from __future__ import annotations

import itertools
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
    answers = iter([None])  # a read-back that misses it (the batch's own check is a list)

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
    made = itertools.count(1)  # one number per create, whichever lane makes it

    def create(self, **kwargs):
        invitation = real(self, **kwargs)
        if next(made) == number:
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


# -- several addresses at a time ------------------------------------------------------------
# These run the batch in lanes (ORGPORTAL_BATCH_PARALLELISM, 8 by default): each lane writes
# on its own connection, so the test's rows must be committed (transaction=True). The tests
# above run inside the test's transaction, where a batch keeps to one lane.
lanes = pytest.mark.django_db(transaction=True)


def logto_calls(emulator, since: int = 0) -> Counter:
    """The Management API calls made since call number `since`, by route (the M2M token is
    not one)."""
    calls = emulator.calls[since:]
    return Counter(route for _, route, _ in calls if not route.startswith("oidc."))


def run_counting_calls(alice, acme, emulator, emails) -> tuple[InvitationBatch, Counter]:
    """Queue a batch (the request's own checks call Logto too), then run it as the worker
    does: the batch, and the calls of the run alone. Needs the `db_tasks` fixture."""
    batch = start(alice, acme, emulator, emails)
    before = len(emulator.calls)
    invitation_batch_runner.invitation_batch_run(str(batch.pk))
    return batch, logto_calls(emulator, before)


def invite_pending(emulator, acme, address: str, status: str = "Pending") -> None:
    from logto_emulator.state import Invitation, new_id, now_ms

    invitation = Invitation(
        id=new_id(), invitee=address, organization_id=acme.id, expires_at=now_ms() + 86_400_000
    )
    invitation.status = status
    emulator.state.invitations[invitation.id] = invitation


@lanes
@pytest.mark.parametrize(("delivery", "calls_per_address"), [("django", 1), ("logto", 2)])
def test_a_batch_reads_what_logto_holds_once_then_calls_once_per_address_and_email(
    emulator, acme, alice, settings, db_tasks, delivery, calls_per_address
):
    """N new addresses: 2 + N calls (2 + 2N when Logto sends the emails); it was 3N."""
    settings.ORGPORTAL_INVITATION_DELIVERY = delivery
    invite_pending(emulator, acme, "erin@example.com")
    invite_pending(emulator, acme, "fay@example.com", status="Revoked")  # may be invited again
    new = [f"new{n}@example.com" for n in range(10)]
    typed = [*new[:5], "bob@example.com", "Erin@Example.com", *new[5:], "fay@example.com"]
    batch, calls = run_counting_calls(alice, acme, emulator, typed)
    assert [(i.email, i.status, i.reason) for i in batch.items.all()] == [
        *((address, "sent", "") for address in new[:5]),
        ("bob@example.com", "skipped", "already a member"),
        ("Erin@Example.com", "skipped", "already has a pending invitation"),
        *((address, "sent", "") for address in new[5:]),
        ("fay@example.com", "sent", ""),
    ]
    sent = len(new) + 1
    assert sum(calls.values()) == 2 + calls_per_address * sent
    assert calls["invitations.list"] == calls["organizations.users.list"] == 1
    assert calls["invitations.create"] == sent


@lanes
def test_lanes_racing_for_the_hourly_limit_never_pass_it_and_the_rest_make_no_calls(
    emulator, acme, alice, settings, db_tasks
):
    settings.ORGPORTAL_INVITATIONS_PER_HOUR = 5
    emulator.set_fault("invitations.create", latency=0.02)  # the lanes' reservations overlap
    addresses = [f"p{n}@example.com" for n in range(16)]
    batch, calls = run_counting_calls(alice, acme, emulator, addresses)
    statuses = Counter((i.status, i.reason) for i in batch.items.all())
    assert statuses == {
        ("sent", ""): 5,
        ("skipped", "you reached the limit of 5 invitations an hour; try again later"): 11,
    }
    assert len(emulator.state.invitations) == 5
    assert sum(calls.values()) == 2 + 5  # nothing for the 11 skipped


@lanes
def test_a_429_seen_by_one_lane_makes_the_other_lanes_wait_before_their_next_call(
    emulator, acme, alice, settings, monkeypatch
):
    import threading

    from orgportal.logto.client import LogtoClient

    settings.ORGPORTAL_BATCH_PARALLELISM = 2
    settings.ORGPORTAL_BATCH_RETRY_DELAYS = (0.5, 2.0, 5.0)
    waits: list[tuple[str, float]] = []

    def record(seconds: float) -> None:
        if seconds != shared_locks._POLL_SECONDS:
            waits.append((threading.current_thread().name, seconds))

    monkeypatch.setattr(invitation_batch_runner.time, "sleep", record)
    paused = threading.Event()
    real_pause = BatchRun.pause_lanes

    def pause_lanes(self, seconds):
        real_pause(self, seconds)
        paused.set()

    monkeypatch.setattr(BatchRun, "pause_lanes", pause_lanes)
    real_create = LogtoClient.create_organization_invitation

    def create(self, **kwargs):
        if kwargs["invitee"] == "ben@example.com":
            assert paused.wait(5)  # ben's create is under way when ann's is refused
        return real_create(self, **kwargs)

    monkeypatch.setattr(LogtoClient, "create_organization_invitation", create)
    emulator.set_fault("invitations.create", status=429, times=1)  # ann's: ben's waits
    batch = start(alice, acme, emulator, ["ann@example.com", "ben@example.com"])
    assert [i.status for i in batch.items.all()] == ["sent", "sent"]
    assert emulator.calls_to("invitations.create") == 3
    # Ann's lane backs off 0.5 s; ben's lane waits out what is left of that pause before its
    # next step (the email), not a wait of its own on top.
    [own] = [seconds for _, seconds in waits if seconds == 0.5]
    [shared] = [seconds for _, seconds in waits if seconds != 0.5]
    assert 0 < shared < own
    assert len({thread for thread, _ in waits}) == 2


@lanes
def test_once_a_lane_finds_emails_not_set_up_no_lane_starts_another_invitation(
    emulator, acme, alice, settings
):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    emulator.state.email_connector = False
    batch = start(alice, acme, emulator, [f"p{n}@example.com" for n in range(20)])
    assert {(i.status, i.reason) for i in batch.items.all()} == {
        ("failed", invitation_steps.NOT_CONFIGURED_REASON)
    }
    # At most the creates already under way in the other lanes, each undone.
    assert 1 <= emulator.calls_to("invitations.create") <= settings.ORGPORTAL_BATCH_PARALLELISM
    assert emulator.calls_to("invitations.delete") == emulator.calls_to("invitations.create")
    assert emulator.state.invitations == {}


@lanes
def test_a_runner_that_lost_the_batch_changes_nothing_more_from_any_lane(
    emulator, acme, alice, monkeypatch
):
    from orgportal.logto.client import LogtoClient

    real = LogtoClient.create_organization_invitation
    made = itertools.count(1)
    when_taken_over: list[tuple[str, int, str]] = []

    def create(self, **kwargs):
        invitation = real(self, **kwargs)
        if next(made) == 3:  # another runner takes the batch over (this one looked dead)
            batch = InvitationBatch.objects.get()
            InvitationBatch.objects.filter(pk=batch.pk).update(runner="another-runner")
            when_taken_over.extend(batch.items.values_list("step", "attempts", "reason"))
        return invitation

    with monkeypatch.context() as patched:
        patched.setattr(LogtoClient, "create_organization_invitation", create)
        batch = start(alice, acme, emulator, [f"p{n}@example.com" for n in range(12)])
    # Lanes in the middle of an address stopped at their next save; none took another.
    assert list(batch.items.values_list("step", "attempts", "reason")) == when_taken_over

    make_stale(batch)  # the other runner died too: the next one finishes the batch
    assert invitation_batches_resume_stale() == [str(batch.pk)]
    assert [i.status for i in batch.items.all()] == ["sent"] * 12
    assert set(invitations_per_invitee(emulator).values()) == {1}


@lanes
def test_a_worker_that_died_with_creates_in_flight_finishes_once_resumed(
    emulator, acme, alice, monkeypatch
):
    with monkeypatch.context() as patched:
        kill_on_create(patched, emulator, 3)
        batch = start(alice, acme, emulator, [*PEOPLE, "bob@example.com", "oops"])
    batch.refresh_from_db()
    assert not batch.is_done
    assert Step.CREATING in {step for _, step in steps(batch)}  # made, but never recorded

    make_stale(batch)
    assert invitation_batches_resume_stale() == [str(batch.pk)]
    batch.refresh_from_db()
    assert batch.is_done and batch.runs == 2
    assert [i.status for i in batch.items.all()] == [*["sent"] * 4, "skipped", "failed"]
    assert invitations_per_invitee(emulator) == dict.fromkeys(PEOPLE, 1)
    assert emails_per_address() == dict.fromkeys(PEOPLE, 1)
    assert {i.attempts for i in batch.items.filter(step=Step.SENT)} == {1}  # read back


def test_without_a_first_look_at_logto_every_address_fails_and_nothing_is_made(
    emulator, acme, alice
):
    emulator.set_fault("invitations.list", status=503)
    batch = start(alice, acme, emulator, ["dave@example.com", "erin@example.com"])
    assert [(i.status, i.reason) for i in batch.items.all()] == [
        ("failed", "our sign-in service could not be reached; nothing was sent")
    ] * 2
    assert emulator.calls_to("invitations.create") == 0
    assert emulator.state.invitations == {}


def test_in_a_large_organization_the_cheaper_of_listing_and_looking_up_finds_members(
    emulator, acme, alice
):
    for n in range(230):  # 3 pages of members, ordered by id
        user = emulator.state.add_user(f"m{n}@example.com", user_id=f"u{n:03}")
        emulator.state.add_member(acme, user, ["member"])
    last = "m229@example.com"  # on the third page

    before = logto_calls(emulator)["organizations.users.list"]
    batch = start(alice, acme, emulator, [last, "new1@example.com"])  # 2 pages left, 2 to check
    assert [(i.status, i.reason) for i in batch.items.all()] == [
        ("skipped", "already a member"),
        ("sent", ""),
    ]
    assert logto_calls(emulator)["organizations.users.list"] - before == 3  # every page

    before = logto_calls(emulator)["organizations.users.list"]
    batch = start(alice, acme, emulator, [last])  # 2 pages left, 1 to check
    assert [(i.status, i.reason) for i in batch.items.all()] == [("skipped", "already a member")]
    assert logto_calls(emulator)["organizations.users.list"] - before == 2  # page 1, one lookup
