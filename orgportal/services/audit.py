"""The audit trail: every change the portal makes in Logto, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from orgportal import request_context
from orgportal.logto.errors import LogtoError
from orgportal.models import AuditEvent, User
from orgportal.services.errors import ApplicationError, in_source_language
from orgportal.staff import is_acting_as_staff, last_admin_overridden


def audit_record(
    *,
    actor: User | None,
    action: str,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    organization_id: str = "",
    organization_name: str = "",
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    error: str = "",
    actor_label: str = "",
) -> AuditEvent:
    """`actor_label` names an actor who is no user of the portal (e.g. the sign-in service)."""
    after = dict(after or {})
    if last_admin_overridden():
        after["superuser_override"] = "last-admin rule"
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or _label(actor),
        action=action,
        outcome=outcome,
        organization_id=organization_id,
        organization_name=organization_name[:255],
        target_type=target_type,
        target_id=target_id,
        target_label=target_label[:255],
        before=before or {},
        after=after,
        error=error,
        request_id=request_context.request_id.get() or "",
        ip=request_context.client_ip.get(),
    )


API_KEY_PREFIX = "api key: "  # the label of an organization API key acting


def _label(actor: User | None) -> str:
    if actor is None:
        return "system"
    if actor.is_api_key:
        return f"{API_KEY_PREFIX}{actor.name}"
    label = actor.email or actor.display_name
    return f"staff: {label}" if is_acting_as_staff(actor) else label


def audit_in_organization(
    *,
    actor: User | None,
    organization: Any,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    error: object = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """An event about `organization` (anything with `id` and `name`): a failure when `error`
    (an exception or a refusal sentence) is given, else a success. The trail keeps the error
    in English whatever the request's language: the activity page reads its reasons from it."""
    return audit_record(
        actor=actor,
        action=action,
        outcome=AuditEvent.Outcome.FAILURE if error else AuditEvent.Outcome.SUCCESS,
        organization_id=organization.id,
        organization_name=organization.name,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        before=before,
        after=after,
        error=in_source_language(error) if error else "",
    )


@dataclass
class AuditEntry:
    """What an `audited` block records; the block may fill in `after` once it knows it, and
    `error` when a failure has more to it than the exception says (e.g. a failed undo)."""

    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    error: str = ""


@contextmanager
def audited(
    *,
    actor: User | None,
    organization: Any,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Iterator[AuditEntry]:
    """Record the block's outcome in `organization`: a success when it ends normally, a
    failure (with the Logto failure behind a refusal, when there is one) when it raises a
    service error or a Logto error, which then goes on. A failure records its technical
    cause (the Logto or email error behind a refusal) when there is one, else the sentence."""
    entry = AuditEntry(before=before, after=after)

    def record(error: object = None) -> None:
        audit_in_organization(
            actor=actor,
            organization=organization,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label,
            error=error,
            before=entry.before,
            after=entry.after,
        )

    try:
        yield entry
    except (ApplicationError, LogtoError) as error:
        # A refusal as its (English) sentence; a Logto error as its message.
        said = error if isinstance(error, ApplicationError) else error.message or error
        record(entry.error or error.__cause__ or said)
        raise
    record()
