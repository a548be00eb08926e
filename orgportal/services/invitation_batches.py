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
continues every address from its step (`invitation_batch_runner`); one left "creating" is
read back in Logto first (`invitation_steps`), so nobody gets two invitations and none is
left without its email.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_tasks import task

from orgportal import request_context
from orgportal.models import InvitationBatch, InvitationBatchItem, User
from orgportal.services.access import Perm, organization_access
from orgportal.services.errors import Gone, OrganizationNotFound
from orgportal.services.invitation_batch_runner import STALE_AFTER, invitation_batch_run
from orgportal.services.invitations import (
    NOT_ALLOWED_TO_SEE,
    InviteOutcome,
    InvitePlan,
    invitation_plan,
)
from orgportal.services.languages import email_language
from orgportal.services.reasons import reason_shown

logger = logging.getLogger(__name__)

Step = InvitationBatchItem.Step
DELAYED_AFTER = timedelta(seconds=30)  # not started by then: the inviter is told


class BatchNotFound(Gone):
    """No such batch in this organization."""


# -- start ----------------------------------------------------------------------------------
def invitation_batch_start(
    *,
    actor: User,
    organization_id: str,
    emails: list[str],
    role_ids: list[str],
    expires_in_days: int | None = None,
    personal_message: str = "",
    language: str = "",
) -> InvitationBatch:
    """Check the request at once (ApplicationError), record it and queue the Logto work.
    The emails are written in `language`, else in the inviter's saved language, else English."""
    language = email_language(chosen=language, sender=actor)
    plan = invitation_plan(
        actor=actor,
        organization_id=organization_id,
        emails=emails,
        role_ids=role_ids,
        expires_in_days=expires_in_days,
        personal_message=personal_message,
    )
    batch = _record(actor, plan, language)
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
    language: str = "",
) -> list[InviteOutcome]:
    """Invite each address here and now (a batch run in this process, not by a worker), for
    callers that can wait; every address gets an outcome and one failure loses no other."""
    language = email_language(chosen=language, sender=actor)
    plan = invitation_plan(
        actor=actor,
        organization_id=organization_id,
        emails=emails,
        role_ids=role_ids,
        expires_in_days=expires_in_days,
        personal_message=personal_message,
    )
    batch = _record(actor, plan, language)
    invitation_batch_run(str(batch.pk))
    batch.refresh_from_db()
    if batch.stopped_reason:
        raise OrganizationNotFound(reason_shown(batch.stopped_reason))
    return [item_outcome(item) for item in batch.items.all()]


def _record(actor: User, plan: InvitePlan, language: str) -> InvitationBatch:
    with transaction.atomic():
        batch = InvitationBatch.objects.create(
            actor=actor,
            organization_id=plan.organization.id,
            organization_name=plan.organization.name,
            role_ids=plan.role_ids,
            role_names=plan.role_names,
            expires_at=plan.expires_at,
            message=plan.personal_message,
            language=language,
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
        """How far sending got, counting from 1: the addresses done or going out now (several
        go out at a time)."""
        working = self.count("working")
        return min(self.finished + max(working, 1), self.total)

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
    """The item as its reader sees it: its stored (English) reason in their language."""
    return InviteOutcome(item.email, item.status, reason_shown(item.reason), item.invitation_id)


def invitation_batch_progress(
    *, actor: User, organization_id: str, batch_id: str | uuid.UUID
) -> BatchProgress:
    """How far the batch got. Looking at a batch nobody works on any more resumes it."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, NOT_ALLOWED_TO_SEE)
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
        raise BatchNotFound(gettext_lazy("That batch of invitations does not exist.")) from None
