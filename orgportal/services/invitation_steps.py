"""Creating one invitation and sending its email, exactly once, with retries.

Logto has no idempotency keys and the client never retries a POST, so a create that timed
out (or answered 5xx) may have happened or not: its outcome is unknown. Before any retry we
read back the organization's pending invitations for that invitee; one found is ours (the
caller checked there was none before the first attempt), so it is adopted, never duplicated.
A refusal to even try (429) is simply retried. An invitation is never left pending without
its email: when the email cannot be sent it is withdrawn, as the portal always did.

The caller paces the attempts (`Pace`): a batch persists each attempt before it is made and
keeps its heartbeat while waiting; the request path just sleeps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn, Protocol, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy, gettext_noop

from orgportal import logto
from orgportal.concurrency import each
from orgportal.logto.client import MAX_PAGE_SIZE
from orgportal.logto.errors import (
    InvalidInput,
    LogtoError,
    NotConfigured,
    RateLimited,
    Unavailable,
    is_foreign_key_missing,
)
from orgportal.logto.models import Invitation, InvitationStatus
from orgportal.models import User
from orgportal.services.access import require_organization_exists
from orgportal.services.audit import audit_in_organization
from orgportal.services.errors import ApplicationError, LimitReached, ServiceUnavailable
from orgportal.services.invitation_delivery import invitation_deliver
from orgportal.services.reasons import not_accepted, stored

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Seconds before the 2nd, 3rd and 4th attempt of a call that failed transiently.
RETRY_DELAYS = (0.5, 2.0, 5.0)
UNIQUE_VIOLATION = "entity.unique_integrity_violation"

NOT_CONFIGURED_SENTENCE = gettext_lazy(
    "Invitation emails are not set up yet, so nothing was sent. "
    "Please tell the people who run this portal."
)
# The reasons beside an address: made in a worker and stored, so in English; they are
# translated when shown (`services/reasons.py`).
NOT_CONFIGURED_REASON = gettext_noop("not sent: invitation emails are not set up")
WITHDRAWN_REASON = gettext_noop(
    "the email could not be sent, so the invitation was withdrawn; try again"
)
NOT_WITHDRAWN_REASON = gettext_noop(
    "the email could not be sent; revoke the invitation and try again"
)
UNCONFIRMED_REASON = gettext_noop(
    "the sign-in service did not answer, so we could not confirm the invitation; "
    "if it is listed below, revoke it and try again"
)


class DeliveryFailed(ServiceUnavailable):
    """The invitation email did not go out (its cause says why)."""


class DeliveryNotConfigured(DeliveryFailed):
    """Email delivery is not set up (no email connector): no retry can help."""


class CreateFailed(Exception):
    """The invitation was not created (and was audited as such); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def retry_delays() -> tuple[float, ...]:
    return tuple(getattr(settings, "ORGPORTAL_BATCH_RETRY_DELAYS", RETRY_DELAYS))


class Pace:
    """How a caller waits between attempts and records them; this one just sleeps."""

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def attempt(self) -> None:
        """Called just before each create call goes out."""

    def sent(self) -> None:
        """Called in the transaction that records the email as sent."""

    def rate_limited(self) -> None:
        """Logto refused the last call for too many requests; the next wait is its backoff
        (a batch makes its other lanes wait it out too)."""

    def delivery_not_configured(self) -> None:
        """An email turned out impossible to send (no email connector), before the
        invitation is withdrawn; a batch starts no further invitation from now on."""


class OrganizationRef(Protocol):
    """What an invitation needs of its organization (an `Organization` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class InvitationSpec:
    """One invitation to make: who invites whom, into what, as what."""

    actor: User
    organization: OrganizationRef
    address: str  # lower-cased: Logto's uniqueness and member checks are case-sensitive
    role_ids: list[str]
    role_names: list[str]
    expires_at: datetime
    message: str
    language: str = ""  # of the email; "" for the portal's default


def with_retries(call: Callable[[], T], pace: Pace) -> T:
    """`call` (a read), tried again after a 429 or an outage; the last failure is raised."""
    *early, last = (0.0, *retry_delays())
    for delay in early:
        pace.sleep(delay)
        try:
            return call()
        except RateLimited as error:
            logger.info("Retrying after %s", error)
            pace.rate_limited()
        except Unavailable as error:
            logger.info("Retrying after %s", error)
    pace.sleep(last)
    return call()


def pending_invitation(organization_id: str, address: str) -> Invitation | None:
    """The newest pending invitation of `address` here (Logto matches the invitee ignoring
    case and lists newest first)."""
    found = logto.get_client().list_organization_invitations(
        organization_id=organization_id, invitee=address
    )
    return next((i for i in found if i.is_pending), None)


def pending_invitees(organization_id: str) -> frozenset[str]:
    """The (lower-cased) addresses with a pending invitation here, in one call: Logto does
    not paginate the organization's invitations."""
    found = logto.get_client().list_organization_invitations(organization_id=organization_id)
    return frozenset(i.invitee.lower() for i in found if i.is_pending)


def member_emails(organization_id: str, *, at_most_pages: int) -> frozenset[str] | None:
    """The (lower-cased) primary emails of the organization's members, or None when listing
    them would take more than `at_most_pages` pages after the first (looking each address up
    then costs less). The pages after the first are read at the same time."""
    client = logto.get_client()
    first = client.list_organization_users(organization_id, page=1, page_size=MAX_PAGE_SIZE)
    if first.page_count - 1 > at_most_pages:
        return None
    pages = [
        first,
        *each(
            lambda page: client.list_organization_users(
                organization_id, page=page, page_size=MAX_PAGE_SIZE
            ),
            range(2, first.page_count + 1),
        ),
    ]
    return frozenset(
        m.user.primary_email.lower() for page in pages for m in page if m.user.primary_email
    )


# -- create ---------------------------------------------------------------------------------
def create_exactly_once(spec: InvitationSpec, pace: Pace, *, maybe_created: bool) -> Invitation:
    """The invitation, created once or adopted; CreateFailed (audited) when there is none.

    `maybe_created`: an earlier attempt (before a restart) went out with an unknown outcome.
    """
    unknown = maybe_created  # an attempt may have created it: read back before trying again
    tried_unknown = maybe_created  # some attempt had an unknown outcome
    error: LogtoError | None = None
    for delay in (0.0, *retry_delays()):
        pace.sleep(delay)
        try:
            if unknown:
                found = pending_invitation(spec.organization.id, spec.address)
                if found is not None:
                    logger.info("Adopted invitation %s after an unknown outcome", found.id)
                    return found
                unknown = False
            pace.attempt()
            return _create(spec)
        except RateLimited as exc:  # refused before doing anything: nothing to read back
            error = exc
            pace.rate_limited()
        except Unavailable as exc:  # timed out or 5xx: it may exist all the same
            error, unknown, tried_unknown = exc, True, True
        except InvalidInput as exc:
            if exc.code == UNIQUE_VIOLATION and tried_unknown:
                # A pending one exists although there was none before our first attempt:
                # that attempt did create it. Read it back and adopt it.
                error, unknown = exc, True
                continue
            _fail(spec, exc)
        except LogtoError as exc:
            _fail(spec, exc)
    assert error is not None  # the loop only ends after a failed attempt
    if unknown:
        return _settle(spec, pace, error)
    _fail(spec, error)


def _create(spec: InvitationSpec) -> Invitation:
    # With Logto delivery the email could go out with the create call (Logto rolls the
    # invitation back if sending fails), but the link needs the id: create, then send.
    return logto.get_client().create_organization_invitation(
        organization_id=spec.organization.id,
        invitee=spec.address,
        expires_at=spec.expires_at,
        inviter_id=spec.actor.logto_id,
        role_ids=spec.role_ids,
    )


def _settle(spec: InvitationSpec, pace: Pace, error: LogtoError) -> Invitation:
    """After the last attempt's outcome stayed unknown: adopt it if it exists, else fail."""
    try:
        found = with_retries(lambda: pending_invitation(spec.organization.id, spec.address), pace)
    except LogtoError as exc:
        logger.error("Could not confirm an invitation for %s: %s", spec.address, exc)
        _audit_create_failure(spec, exc)
        raise CreateFailed(UNCONFIRMED_REASON) from exc
    if found is not None:
        return found
    _fail(spec, error)


def _fail(spec: InvitationSpec, error: LogtoError) -> NoReturn:
    _audit_create_failure(spec, error)
    if is_foreign_key_missing(error):
        # The organization (or a role) was deleted meanwhile: no address can go out.
        require_organization_exists(spec.organization.id)
    raise CreateFailed(create_failure(error)) from error


def _audit_create_failure(spec: InvitationSpec, error: LogtoError) -> None:
    audit_in_organization(
        actor=spec.actor,
        organization=spec.organization,
        action="invitation.sent",
        target_type="invitation",
        target_id="",
        target_label=spec.address,
        error=error,
    )


def create_failure(error: LogtoError) -> str:
    """Why the invitation was not created, as its (English) reason."""
    if isinstance(error, Unavailable):
        return gettext_noop("our sign-in service could not be reached; nothing was sent")
    if isinstance(error, RateLimited):
        return gettext_noop("too many requests right now; try again in a few minutes")
    if isinstance(error, InvalidInput):
        if error.code == UNIQUE_VIOLATION:
            return gettext_noop("already has a pending invitation")
        if "already a member" in (error.message or ""):
            return gettext_noop("already a member")
        detail = error.message
        return stored(lambda: not_accepted(detail))
    return gettext_noop("it was refused")


# -- deliver --------------------------------------------------------------------------------
def deliver_or_withdraw(spec: InvitationSpec, invitation: Invitation, pace: Pace) -> str:
    """Send the email (retrying passing failures); "" when it went out, else the reason the
    invitation was withdrawn. Audited once, with the final outcome."""
    failure: ApplicationError | None = None
    for delay in (0.0, *retry_delays()):
        pace.sleep(delay)
        try:
            deliver(
                spec.actor,
                spec.organization,
                invitation,
                spec.role_names,
                spec.message,
                language=spec.language,
            )
        except DeliveryNotConfigured as exc:
            pace.delivery_not_configured()
            _audit_delivery(spec, invitation, exc)
            # Like Logto's own rollback: no email went out, so no trace of it is left either.
            withdraw(invitation.id, delete=True)
            return NOT_CONFIGURED_REASON
        except LimitReached as exc:  # Logto's per-address email limit lasts minutes
            failure = exc
            break
        except DeliveryFailed as exc:
            failure = exc
            logger.info("Invitation email to %s failed, retrying: %s", spec.address, exc.__cause__)
        else:
            with transaction.atomic():  # the audit event and the caller's record, together
                _audit_delivery(spec, invitation, None)
                pace.sent()
            return ""
    assert failure is not None
    _audit_delivery(spec, invitation, failure)
    logger.warning("Invitation email to %s failed: %s", spec.address, failure.__cause__)
    return WITHDRAWN_REASON if withdraw(invitation.id) else NOT_WITHDRAWN_REASON


def _audit_delivery(
    spec: InvitationSpec, invitation: Invitation, error: ApplicationError | None
) -> None:
    audit_in_organization(
        actor=spec.actor,
        organization=spec.organization,
        action="invitation.sent",
        target_type="invitation",
        target_id=invitation.id,
        target_label=spec.address,
        error=(error.__cause__ or error) if error else None,
        after={
            "invitee": spec.address,
            "roles": spec.role_names,
            "message": spec.message,
            "language": spec.language,
        },
    )


def deliver(
    actor: User,
    organization: OrganizationRef,
    invitation: Invitation,
    role_names: list[str],
    personal_message: str,
    *,
    language: str = "",
) -> None:
    try:
        invitation_deliver(
            invitation=invitation,
            organization_name=organization.name,
            inviter_name=actor.display_name,
            role_names=role_names,
            personal_message=personal_message,
            language=language,
        )
    except NotConfigured as error:
        logger.error(
            "Invitation emails cannot be sent: %s. Add an email connector in the Logto "
            "Console, or set ORGPORTAL_INVITATION_DELIVERY=django.",
            error,
        )
        raise DeliveryNotConfigured(NOT_CONFIGURED_SENTENCE) from error
    except RateLimited as error:
        raise LimitReached(
            gettext_lazy("Too many emails went to this address recently. Try again in ten minutes.")
        ) from error
    except Exception as error:  # SMTP, connector or network: any way the email did not go out
        raise DeliveryFailed(
            gettext_lazy("The email could not be sent. Try again in a moment.")
        ) from error


def withdraw(invitation_id: str, *, delete: bool = False) -> bool:
    client = logto.get_client()
    try:
        if delete:
            client.delete_organization_invitation(invitation_id)
        else:
            client.set_organization_invitation_status(invitation_id, InvitationStatus.REVOKED)
    except LogtoError as error:
        logger.error(
            "Could not withdraw invitation %s after a failed email: %s", invitation_id, error
        )
        return False
    return True
