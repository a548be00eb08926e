"""One run of an invitation batch: a worker's hold on it, and each address taken from the
step it reached to sent, skipped or failed.

A runner claims the batch with a token and keeps a heartbeat on it; every change it makes to
an address is saved together with a heartbeat that also checks the token, so a runner that
was taken for dead (and replaced) changes nothing more. Each step is saved before the Logto
call it guards, which is what lets a later run continue where a dead one stopped.

No wasted calls: what Logto holds is read once per run (`Standing`: the organization's
pending invitations and its members, both at once), and the hourly limits are reserved
before any call for an address, so an address costs its create call (and its email's, when
Logto sends it). Only a run that resumes an address whose create had an unknown outcome reads
that one address back (`create_exactly_once`).

Several at a time: the addresses go through ORGPORTAL_BATCH_PARALLELISM lanes
(`concurrency.each`). A lane does all of its address, database writes included, on its own
connection (closed when the lane ends): the steps stay as they are, each saved right before
its call, instead of every save being handed to one thread. What the lanes share is shared
through the database or under a lock: the heartbeat check in every save (no lane of a runner
that lost the batch changes anything), the hourly limits (counted under shared locks, so no
more are reserved than allowed), a broken email setup (once a lane sees it, no lane starts
another invitation), and a 429 (every lane waits out the backoff before its next call). On
SQLite, writers on several connections wait for each other (`timeout`, and transactions that
take the write lock when they begin) rather than fail. Other connections cannot see what a
transaction not yet committed wrote, so a run started inside one (a test's) keeps to one
lane: the caller's thread.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from orgportal import logto, request_context
from orgportal.concurrency import each, together
from orgportal.logto.errors import LogtoError, NotFound
from orgportal.logto.models import Invitation, InvitationStatus
from orgportal.models import InvitationBatch, InvitationBatchItem
from orgportal.services.access import Perm, access_for_change
from orgportal.services.errors import OrganizationNotFound
from orgportal.services.invitation_steps import (
    NOT_CONFIGURED_REASON,
    CreateFailed,
    InvitationSpec,
    OrganizationRef,
    Pace,
    create_exactly_once,
    create_failure,
    deliver_or_withdraw,
    member_emails,
    pending_invitation,
    pending_invitees,
    with_retries,
    withdraw,
)
from orgportal.services.invitations import QuotaUsed, invitation_quota, is_member

logger = logging.getLogger(__name__)
A = TypeVar("A")
B = TypeVar("B")

Step = InvitationBatchItem.Step
STALE_AFTER = timedelta(seconds=90)  # well above the longest single Logto call with retries
BEAT_EVERY = 5.0  # seconds: the heartbeat while waiting between retries
MAX_RUNS = 5  # a batch that keeps stopping its worker is ended rather than retried forever
# Reasons are stored in English and translated when shown (`services/reasons.py`).
INTERRUPTED_REASON = gettext_noop("not sent: sending was interrupted too often; try again")
WITHDRAWN_MEANWHILE = gettext_noop("the invitation was withdrawn meanwhile; try again")
NOT_ALLOWED_REASON = gettext_noop("not sent: you are no longer allowed to invite people here")
ALREADY_PENDING = gettext_noop("already has a pending invitation")
ALREADY_A_MEMBER = gettext_noop("already a member")


class LeaseLost(Exception):
    """Another runner took the batch over (this one looked dead): stop touching it."""


class _Halted(Exception):
    """Another lane stopped the run: this lane makes no further call."""


class _NoNewInvitations(Exception):
    """Another lane found that invitation emails cannot be sent: this address's invitation
    is not made."""


@dataclass(frozen=True)
class Standing:
    """What Logto held when the run started, for the addresses still to check."""

    pending: frozenset[str]  # addresses with a pending invitation here
    members: frozenset[str] | None  # members' emails; None: too many to list, look each up
    unreadable: str = ""  # why neither could be read: each address fails with it


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


class BatchRun:
    """One runner's hold on a batch: the heartbeat, and every item change made under it."""

    def __init__(self, batch: InvitationBatch, token: str) -> None:
        self.batch = batch
        self.token = token
        self.delivery_broken = False
        self._lock = threading.Lock()
        self._paused_until = 0.0  # time.monotonic(): after a 429, no lane calls Logto before
        self._this_lane = threading.local()  # the pause this lane's thread already waited out
        self._halt: BaseException | None = None  # why the lanes take no more addresses

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
        """Wait `seconds`, or out the lanes' pause after a 429 if that ends later, keeping the
        heartbeat. Every Logto call of a lane comes after one of these: a lane of a run that
        halted stops here."""
        self._stop_if_halted()
        paused_until = self._paused_until
        if paused_until > getattr(self._this_lane, "waited_until", 0.0):
            seconds = max(seconds, paused_until - time.monotonic())
            self._this_lane.waited_until = paused_until
        while seconds > 0:
            time.sleep(min(seconds, BEAT_EVERY))
            seconds -= BEAT_EVERY
            self.beat()
            self._stop_if_halted()

    def pause_lanes(self, seconds: float) -> None:
        """Logto refused a call for too many requests: no lane calls it for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _stop_if_halted(self) -> None:
        if self._halt is not None:
            raise _Halted

    def lanes(self) -> int:
        """How many addresses go at a time. The lanes write on connections of their own,
        which cannot see what an open transaction on this one wrote: inside one, one lane."""
        if transaction.get_connection().in_atomic_block:
            return 1
        return max(1, settings.ORGPORTAL_BATCH_PARALLELISM)

    def at_once(self, first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
        """Two reads at the same time, unless the run keeps to one lane (their waits may
        beat the heartbeat, a write)."""
        if self.lanes() == 1:
            return first(), second()
        return together(first, second)

    def save(self, item: InvitationBatchItem, **fields: object) -> None:
        with transaction.atomic():
            self.beat()  # first: a runner that lost the batch changes nothing more
            for name, value in fields.items():
                setattr(item, name, value)
            item.save(update_fields=[*fields, "updated_at"])

    def work(self) -> None:
        batch = self.batch
        items = list(batch.items.exclude(step__in=InvitationBatchItem.FINAL).order_by("position"))
        self.delivery_broken = batch.items.filter(reason=NOT_CONFIGURED_REASON).exists()
        try:
            if batch.runs > MAX_RUNS:
                raise Stop(INTERRUPTED_REASON)
            if batch.runs > 1:  # resumed, maybe much later: may the inviter still invite?
                self._still_allowed()
            standing = self._standing(items)
            each(partial(self._lane, standing), items, at_once=self.lanes())
            if self._halt is not None:
                raise self._halt
        except Stop as stop:
            self._withdraw_unsent()
            self._end_items(stop.reason)
        except OrganizationNotFound as gone:  # its invitations went with it
            batch.stopped_reason = gone.source  # English: shown translated
            batch.save(update_fields=["stopped_reason"])
            self._end_items("not sent: the organization no longer exists")
        InvitationBatch.objects.filter(pk=batch.pk, runner=self.token).update(
            finished_at=timezone.now(), runner=""
        )

    def _standing(self, items: list[InvitationBatchItem]) -> Standing:
        """Who already has a pending invitation here and who is a member, read once for the
        addresses that still need checking (none: nothing is read)."""
        to_check = sum(1 for item in items if item.step == Step.QUEUED)
        if not to_check or self.delivery_broken:
            return Standing(frozenset(), frozenset())
        organization_id = self.batch.organization_id
        try:
            pending, members = self.at_once(
                lambda: with_retries(lambda: pending_invitees(organization_id), RunPace(self)),
                lambda: with_retries(
                    lambda: member_emails(organization_id, at_most_pages=to_check),
                    RunPace(self),
                ),
            )
        except LogtoError as error:
            return Standing(frozenset(), frozenset(), unreadable=create_failure(error))
        return Standing(pending, members)

    def _lane(self, standing: Standing, item: InvitationBatchItem) -> None:
        """One address, in one of the lanes; once the run halts, no lane takes another."""
        if self._halt is not None:
            return
        try:
            _process(self, item, standing)
        except _Halted:
            pass
        except BaseException as error:  # a dying worker too: the other lanes stop with it
            with self._lock:
                if self._halt is None or isinstance(error, LeaseLost):
                    self._halt = error

    def _still_allowed(self) -> None:
        try:
            access = access_for_change(
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
            language=batch.language,
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


class RunPace(Pace):
    """Waits keep the batch's heartbeat, and the backoff after a 429 holds every lane."""

    def __init__(self, run: BatchRun) -> None:
        self.run = run
        self._backoff = False

    def sleep(self, seconds: float) -> None:
        if self._backoff:
            self._backoff = False
            self.run.pause_lanes(seconds)
        self.run.sleep(seconds)

    def rate_limited(self) -> None:
        self._backoff = True


class ItemPace(RunPace):
    """An address's pace: attempts and the sent mark are saved on its item."""

    def __init__(self, run: BatchRun, item: InvitationBatchItem) -> None:
        super().__init__(run)
        self.item = item

    def attempt(self) -> None:
        if self.run.delivery_broken:
            raise _NoNewInvitations
        self.run.save(self.item, step=Step.CREATING, attempts=self.item.attempts + 1)

    def sent(self) -> None:
        self.run.save(self.item, step=Step.SENT, reason="")

    def delivery_not_configured(self) -> None:
        self.run.delivery_broken = True


# -- one address ----------------------------------------------------------------------------
def _process(run: BatchRun, item: InvitationBatchItem, standing: Standing) -> None:
    """Take `item` from the step it reached to sent, skipped or failed."""
    pace = ItemPace(run, item)
    spec = run.spec(item)
    if item.step == Step.QUEUED:
        verdict = _verdict(run, item, spec, standing, pace)
        if verdict:
            run.save(item, step=verdict[0], reason=verdict[1])
            return
    if item.step in (Step.QUEUED, Step.CREATING):
        # "creating" with attempts on arrival: a run stopped with the create's outcome unknown.
        maybe_created = item.step == Step.CREATING and item.attempts > 0
        try:
            created = create_exactly_once(spec, pace, maybe_created=maybe_created)
        except CreateFailed as failed:
            run.save(item, step=Step.FAILED, reason=failed.reason)
            return
        except _NoNewInvitations:
            run.save(item, step=Step.FAILED, reason=NOT_CONFIGURED_REASON)
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


def _verdict(
    run: BatchRun,
    item: InvitationBatchItem,
    spec: InvitationSpec,
    standing: Standing,
    pace: Pace,
) -> tuple[str, str] | None:
    """Why the address is skipped or fails before any invitation is made; None to go on,
    with the address's share of the hourly limits reserved."""
    if run.delivery_broken:
        # Every further email would fail the same way: don't create and withdraw each.
        return Step.FAILED, NOT_CONFIGURED_REASON
    if standing.unreadable:
        return Step.FAILED, standing.unreadable
    if spec.address in standing.pending:
        return Step.SKIPPED, ALREADY_PENDING
    if standing.members is not None and spec.address in standing.members:
        return Step.SKIPPED, ALREADY_A_MEMBER
    try:
        with invitation_quota(actor=spec.actor, ip=run.batch.ip):
            # The reservation: a working address counts against the limits from now on (no
            # create call yet: attempts stays 0, so a resumed run knows none went out).
            run.save(item, step=Step.CREATING)
    except QuotaUsed as used:
        return Step.SKIPPED, used.reason
    if standing.members is None:  # too many members to list: this one is looked up alone
        try:
            if with_retries(lambda: is_member(spec.organization.id, spec.address), pace):
                return Step.SKIPPED, ALREADY_A_MEMBER  # the reservation goes with "working"
        except LogtoError as error:
            return Step.FAILED, create_failure(error)
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
