"""Invitation batches: the Logto work of inviting many people, as a background task.

Why a task: at 200 ms per Logto call, 100 addresses take longer than a web worker may spend
on a request (gunicorn kills it at 30 s). The request only checks the input
(`invitations.invitation_plan`) and records the batch; a worker makes the calls, and the
inviter watches each address fill in.

Why django-tasks on its database backend: it is the API Django 6 ships as `django.tasks`,
it needs no extra server (the queue is a table), and it works on the SQLite file of
`make run` as on PostgreSQL in production. `manage.py run_worker` runs the worker.

Surviving a dead worker: each address records the step it reached before the Logto call that
step guards (`InvitationBatchItem.Step`), and the batch keeps a heartbeat and the token of
the runner working on it. A batch whose heartbeat is older than STALE_AFTER is queued again:
when a worker starts, by a sweep soon after, and whenever someone looks at it. The new run
continues every address from its step; one left "creating" is read back in Logto first
(`invitation_steps`), so nobody gets two invitations and none is left without its email.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from orgportal import logto, request_context
from orgportal.logto.errors import LogtoError, NotFound
from orgportal.logto.models import Invitation, InvitationStatus
from orgportal.models import InvitationBatch, InvitationBatchItem, User
from orgportal.services.access import Perm, organization_access
from orgportal.services.errors import Gone, OrganizationNotFound
from orgportal.services.invitation_steps import (
    NOT_CONFIGURED_REASON,
    CreateFailed,
    InvitationSpec,
    OrganizationRef,
    Pace,
    create_exactly_once,
    create_failure,
    deliver_or_withdraw,
    pending_invitation,
    with_retries,
    withdraw,
)
from orgportal.services.invitations import (
    InviteOutcome,
    InvitePlan,
    invitation_plan,
    is_member,
    limit_reason,
    sent_last_hour,
)

logger = logging.getLogger(__name__)

Step = InvitationBatchItem.Step
STALE_AFTER = timedelta(seconds=90)  # well above the longest single Logto call with retries
BEAT_EVERY = 5.0  # seconds: the heartbeat while waiting between retries
DELAYED_AFTER = timedelta(seconds=30)  # not started by then: the inviter is told
MAX_RUNS = 5  # a batch that keeps stopping its worker is ended rather than retried forever
INTERRUPTED_REASON = "not sent: sending was interrupted too often; try again"
WITHDRAWN_MEANWHILE = "the invitation was withdrawn meanwhile; try again"
NOT_ALLOWED_REASON = "not sent: you are no longer allowed to invite people here"


class BatchNotFound(Gone):
    """No such batch in this organization."""


class LeaseLost(Exception):
    """Another runner took the batch over (this one looked dead): stop touching it."""


# -- start ----------------------------------------------------------------------------------
def invitation_batch_start(
    *,
    actor: User,
    organization_id: str,
    emails: list[str],
    role_ids: list[str],
    expires_in_days: int | None = None,
    personal_message: str = "",
) -> InvitationBatch:
    """Check the request at once (ApplicationError), record it and queue the Logto work."""
    plan = invitation_plan(
        actor=actor,
        organization_id=organization_id,
        emails=emails,
        role_ids=role_ids,
        expires_in_days=expires_in_days,
        personal_message=personal_message,
    )
    batch = _record(actor, plan)
    run_invitation_batch.enqueue(str(batch.pk))
    return batch


def invitation_send(
    *,
    actor: User,
    organization_id: str,
    emails: list[str],
    role_ids: list[str],
    expires_in_days: int | None = None,
    personal_message: str = "",
) -> list[InviteOutcome]:
    """Invite each address here and now (a batch run in this process, not by a worker), for
    callers that can wait; every address gets an outcome and one failure loses no other."""
    plan = invitation_plan(
        actor=actor,
        organization_id=organization_id,
        emails=emails,
        role_ids=role_ids,
        expires_in_days=expires_in_days,
        personal_message=personal_message,
    )
    batch = _record(actor, plan)
    invitation_batch_run(str(batch.pk))
    batch.refresh_from_db()
    if batch.stopped_reason:
        raise OrganizationNotFound(batch.stopped_reason)
    return [item_outcome(item) for item in batch.items.all()]


def _record(actor: User, plan: InvitePlan) -> InvitationBatch:
    with transaction.atomic():
        batch = InvitationBatch.objects.create(
            actor=actor,
            organization_id=plan.organization.id,
            organization_name=plan.organization.name,
            role_ids=plan.role_ids,
            role_names=plan.role_names,
            expires_at=plan.expires_at,
            message=plan.personal_message,
            request_id=request_context.request_id.get() or "",
            ip=request_context.client_ip.get(),
            heartbeat_at=timezone.now(),
        )
        InvitationBatchItem.objects.bulk_create(
            InvitationBatchItem(
                batch=batch,
                position=position,
                email=typed,
                address=address,
                step=outcome.status if outcome else Step.QUEUED,
                reason=outcome.reason if outcome else "",
            )
            for position, (typed, address, outcome) in enumerate(plan.addresses)
        )
    return batch


# -- the task -------------------------------------------------------------------------------
@task()
def run_invitation_batch(batch_id: str) -> None:
    """The worker's entry point: make the batch's Logto calls, or resume them."""
    invitation_batch_run(batch_id)


@task()
def resume_stale_invitation_batches() -> None:
    """A sweep a worker schedules at start, for batches whose worker died just before."""
    invitation_batches_resume_stale()


def invitation_batch_run(batch_id: str) -> None:
    run = BatchRun.claim(batch_id)
    if run is None:
        return  # finished, or another runner is alive and working on it
    try:
        with run.as_the_request():
            run.work()
    except LeaseLost:
        logger.warning("Invitation batch %s was taken over by another runner", batch_id)
    except Exception:
        # A bug or a database hiccup: let the next look at it resume it at once (MAX_RUNS
        # bounds the retries). A killed process never gets here; its heartbeat goes stale.
        InvitationBatch.objects.filter(pk=batch_id, runner=run.token).update(
            heartbeat_at=timezone.now() - STALE_AFTER
        )
        raise


def invitation_batches_watch() -> list[str]:
    """At worker start: resume the stale batches now, and look again once the batches a worker
    stopped a moment ago have gone stale too. The ids of those resumed now."""
    resumed = invitation_batches_resume_stale()
    sweep = resume_stale_invitation_batches
    if sweep.get_backend().supports_defer and InvitationBatch.objects.filter(finished_at=None):
        later = timezone.now() + STALE_AFTER + timedelta(seconds=5)
        sweep.using(run_after=later).enqueue()
    return resumed


def invitation_batches_resume_stale() -> list[str]:
    """Queue again every unfinished batch nobody works on (heartbeat older than STALE_AFTER);
    the ids of those queued."""
    cutoff = timezone.now() - STALE_AFTER
    stale = InvitationBatch.objects.filter(finished_at=None, heartbeat_at__lt=cutoff)
    return [str(pk) for pk in stale.values_list("pk", flat=True) if _requeue(pk)]


def _requeue(batch_id: uuid.UUID) -> bool:
    # Only one caller wins the conditional update, so a stale batch is queued once; it also
    # takes the batch from a runner that may still be alive but looked dead.
    now = timezone.now()
    won = InvitationBatch.objects.filter(
        pk=batch_id, finished_at=None, heartbeat_at__lt=now - STALE_AFTER
    ).update(runner="", heartbeat_at=now)
    if won:
        logger.warning("Resuming invitation batch %s (its worker stopped)", batch_id)
        run_invitation_batch.enqueue(str(batch_id))
    return bool(won)


class BatchRun:
    """One runner's hold on a batch: the heartbeat, and every item change made under it."""

    def __init__(self, batch: InvitationBatch, token: str) -> None:
        self.batch = batch
        self.token = token
        self.delivery_broken = False

    @classmethod
    def claim(cls, batch_id: str) -> BatchRun | None:
        token = uuid.uuid4().hex
        now = timezone.now()
        claimed = (
            InvitationBatch.objects.filter(pk=batch_id, finished_at=None)
            .filter(Q(runner="") | Q(heartbeat_at__lt=now - STALE_AFTER))
            .update(runner=token, heartbeat_at=now)
        )
        if not claimed:
            return None
        batch = InvitationBatch.objects.select_related("actor").get(pk=batch_id)
        batch.runs += 1
        batch.started_at = batch.started_at or now
        batch.save(update_fields=["runs", "started_at"])
        return cls(batch, token)

    @contextmanager
    def as_the_request(self) -> Iterator[None]:
        """Audit events carry the request id and address of the request that started it."""
        tokens = (
            request_context.request_id.set(self.batch.request_id or None),
            request_context.client_ip.set(self.batch.ip),
        )
        try:
            yield
        finally:
            request_context.request_id.reset(tokens[0])
            request_context.client_ip.reset(tokens[1])

    def beat(self) -> None:
        alive = InvitationBatch.objects.filter(pk=self.batch.pk, runner=self.token).update(
            heartbeat_at=timezone.now()
        )
        if not alive:
            raise LeaseLost(str(self.batch.pk))

    def sleep(self, seconds: float) -> None:
        while seconds > 0:
            time.sleep(min(seconds, BEAT_EVERY))
            seconds -= BEAT_EVERY
            self.beat()

    def save(self, item: InvitationBatchItem, **fields: object) -> None:
        with transaction.atomic():
            self.beat()  # first: a runner that lost the batch changes nothing more
            for name, value in fields.items():
                setattr(item, name, value)
            item.save(update_fields=[*fields, "updated_at"])

    def work(self) -> None:
        batch = self.batch
        items = batch.items.exclude(step__in=InvitationBatchItem.FINAL).order_by("position")
        self.delivery_broken = batch.items.filter(reason=NOT_CONFIGURED_REASON).exists()
        try:
            if batch.runs > MAX_RUNS:
                raise Stop(INTERRUPTED_REASON)
            if batch.runs > 1:  # resumed, maybe much later: may the inviter still invite?
                self._still_allowed()
            for item in items:
                _process(self, item)
        except Stop as stop:
            self._withdraw_unsent()
            self._end_items(stop.reason)
        except OrganizationNotFound as gone:  # its invitations went with it
            batch.stopped_reason = gone.message
            batch.save(update_fields=["stopped_reason"])
            self._end_items("not sent: the organization no longer exists")
        InvitationBatch.objects.filter(pk=batch.pk, runner=self.token).update(
            finished_at=timezone.now(), runner=""
        )

    def _still_allowed(self) -> None:
        try:
            access = organization_access(
                user=self.batch.actor, organization_id=self.batch.organization_id
            )
        except OrganizationNotFound:  # no longer a member (or the organization is gone)
            access = None
        if access is None or not access.can(Perm.INVITE_MEMBER):
            raise Stop(NOT_ALLOWED_REASON)

    def _withdraw_unsent(self) -> None:
        """Before giving up: an address stopped mid-way may have an invitation in Logto
        whose email never went out; withdraw it rather than leave it pending (best effort)."""
        working = self.batch.items.filter(step__in=InvitationBatchItem.WORKING)
        for item in working:
            invitation_id = item.invitation_id
            if not invitation_id:  # "creating": made or not, nobody knows yet
                try:
                    found = pending_invitation(self.batch.organization_id, item.address)
                except LogtoError as error:
                    logger.error("Could not look for %s's invitation: %s", item.address, error)
                    continue
                invitation_id = found.id if found else ""
            if invitation_id:
                withdraw(invitation_id)

    def _end_items(self, reason: str) -> None:
        self.beat()
        self.batch.items.exclude(step__in=InvitationBatchItem.FINAL).update(
            step=Step.FAILED, reason=reason, updated_at=timezone.now()
        )

    def organization(self) -> OrganizationRef:
        return _Organization(self.batch.organization_id, self.batch.organization_name)

    def spec(self, item: InvitationBatchItem) -> InvitationSpec:
        batch = self.batch
        return InvitationSpec(
            actor=batch.actor,
            organization=self.organization(),
            address=item.address,
            role_ids=list(batch.role_ids),
            role_names=list(batch.role_names),
            expires_at=batch.expires_at,
            message=batch.message,
        )


@dataclass(frozen=True)
class _Organization:
    id: str
    name: str


class Stop(Exception):
    """The rest of the batch cannot go out (`reason` says why for each address)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ItemPace(Pace):
    """Waits keep the batch's heartbeat; attempts and the sent mark are saved on the item."""

    def __init__(self, run: BatchRun, item: InvitationBatchItem) -> None:
        self.run = run
        self.item = item

    def sleep(self, seconds: float) -> None:
        self.run.sleep(seconds)

    def attempt(self) -> None:
        self.run.save(self.item, step=Step.CREATING, attempts=self.item.attempts + 1)

    def sent(self) -> None:
        self.run.save(self.item, step=Step.SENT, reason="")


# -- one address ----------------------------------------------------------------------------
def _process(run: BatchRun, item: InvitationBatchItem) -> None:
    """Take `item` from the step it reached to sent, skipped or failed."""
    pace = ItemPace(run, item)
    spec = run.spec(item)
    if item.step == Step.QUEUED:
        verdict = _verdict(run, spec, pace)
        if verdict:
            run.save(item, step=verdict[0], reason=verdict[1])
            return
    if item.step in (Step.QUEUED, Step.CREATING):
        try:
            # "creating" on arrival: a run stopped with the create call's outcome unknown.
            created = create_exactly_once(spec, pace, maybe_created=item.step == Step.CREATING)
        except CreateFailed as failed:
            run.save(item, step=Step.FAILED, reason=failed.reason)
            return
        run.save(item, step=Step.CREATED, invitation_id=created.id)
        invitation = created
    else:  # created or delivering: the invitation exists; whether its email went out, not
        pending = _still_pending(run, item, pace)
        if pending is None:
            return
        invitation = pending
    run.save(item, step=Step.DELIVERING)
    reason = deliver_or_withdraw(spec, invitation, pace)
    if reason:
        run.save(item, step=Step.FAILED, reason=reason)
        run.delivery_broken = run.delivery_broken or reason == NOT_CONFIGURED_REASON


def _verdict(run: BatchRun, spec: InvitationSpec, pace: Pace) -> tuple[str, str] | None:
    """Why the address is skipped or fails before any invitation is made; None to go on."""
    if run.delivery_broken:
        # Every further email would fail the same way: don't create and withdraw each.
        return Step.FAILED, NOT_CONFIGURED_REASON
    organization_id = spec.organization.id
    try:
        if with_retries(lambda: pending_invitation(organization_id, spec.address), pace):
            return Step.SKIPPED, "already has a pending invitation"
        if with_retries(lambda: is_member(organization_id, spec.address), pace):
            return Step.SKIPPED, "already a member"
    except LogtoError as error:
        return Step.FAILED, create_failure(error)
    if sent_last_hour(spec.actor, organization_id) >= settings.ORGPORTAL_INVITATIONS_PER_HOUR:
        return Step.SKIPPED, limit_reason()
    return None


def _still_pending(run: BatchRun, item: InvitationBatchItem, pace: Pace) -> Invitation | None:
    """The item's invitation if it still waits for its email; else the item is settled."""
    try:
        invitation = with_retries(
            lambda: logto.get_client().get_organization_invitation(item.invitation_id), pace
        )
    except NotFound:
        run.save(item, step=Step.FAILED, reason=WITHDRAWN_MEANWHILE)
        return None
    # Other failures end this run: marking the item failed could leave the invitation pending
    # without its email, so it is settled when the batch is resumed.
    if invitation.status == InvitationStatus.ACCEPTED:  # the email evidently arrived
        run.save(item, step=Step.SENT)
        return None
    if not invitation.is_pending:
        run.save(item, step=Step.FAILED, reason=WITHDRAWN_MEANWHILE)
        return None
    return invitation


# -- reading ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchProgress:
    """A batch as the inviter sees it."""

    batch: InvitationBatch
    items: list[InvitationBatchItem]

    @property
    def done(self) -> bool:
        return self.batch.is_done

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def finished(self) -> int:
        return sum(1 for item in self.items if item.is_final)

    @property
    def started(self) -> bool:
        return self.batch.started_at is not None

    @property
    def current(self) -> int:
        """The address being sent now, counting from 1."""
        return min(self.finished + 1, self.total)

    @property
    def delayed(self) -> bool:
        """Not started long after it was queued (the worker is busy, or not running)."""
        waited = timezone.now() - self.batch.created_at
        return not self.batch.started_at and waited > DELAYED_AFTER

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def outcomes(self) -> list[InviteOutcome]:
        return [item_outcome(item) for item in self.items]


def item_outcome(item: InvitationBatchItem) -> InviteOutcome:
    return InviteOutcome(item.email, item.status, item.reason, item.invitation_id)


def invitation_batch_progress(
    *, actor: User, organization_id: str, batch_id: str | uuid.UUID
) -> BatchProgress:
    """How far the batch got. Looking at a batch nobody works on any more resumes it."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, "You are not allowed to see invitations here.")
    batch = _batch(organization_id, batch_id)
    if not batch.is_done and batch.heartbeat_at < timezone.now() - STALE_AFTER:
        _requeue(batch.pk)
        batch.refresh_from_db()
    return BatchProgress(batch, list(batch.items.all()))


def invitation_batch_wait(batch_id: uuid.UUID, seconds: float) -> bool:
    """Wait up to `seconds` for the batch to finish (small ones usually do); True if it did."""
    deadline = time.monotonic() + seconds
    while True:
        if InvitationBatch.objects.filter(pk=batch_id, finished_at__isnull=False).exists():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _batch(organization_id: str, batch_id: str | uuid.UUID) -> InvitationBatch:
    try:
        return InvitationBatch.objects.get(pk=batch_id, organization_id=organization_id)
    except (InvitationBatch.DoesNotExist, ValidationError):
        raise BatchNotFound("That batch of invitations does not exist.") from None
