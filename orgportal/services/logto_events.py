"""What Logto's webhook deliveries do in the portal: changes made outside it reach it at once.

A delivery is checked (signed with one of the configured keys over its raw bytes, not too
large, well formed, recent) and handled once across all instances (its identity is added to
the shared cache). What must take effect at once runs inline and is cheap: dropping shared
cache entries, and marking a suspended or deleted person signed out. What takes longer (reading
Logto, writing profiles and activity, deleting stored sessions) goes to the background queue,
so the endpoint answers within milliseconds (Logto waits 10 s and never retries).

Events and their effects (BEHAVIOUR.md "Webhooks"):
- Organization.Membership.Updated: the added/removed people's memberships and permissions in
  that organization; without delta fields, everyone's in it. Activity for changes made
  elsewhere.
- Organization.Deleted / Organization.Data.Updated: the organization's name and everyone's
  organization lists. Activity for a rename made elsewhere.
- OrganizationRole.* / OrganizationScope.*: the template and everyone's permissions.
- User.SuspensionStatus.Updated (suspended) / User.Deleted: every session and API token of
  theirs ends at its next request.
- User.Data.Updated: the local copy of their name, email and picture.

The portal's own Management API calls carry its user agent (`PORTAL_USER_AGENT`), which Logto
copies into the delivery: their activity is already recorded, so it is not recorded twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from orgportal.logto.models import Profile
from orgportal.logto.models import User as LogtoUser
from orgportal.logto.transport import PORTAL_USER_AGENT
from orgportal.models import AuditEvent, User
from orgportal.services import cache_generations
from orgportal.services.access import permissions_forget, template_scope_names_forget
from orgportal.services.activity import OUTSIDE_ACTOR_LABEL
from orgportal.services.audit import audit_record
from orgportal.services.memberships import organization_list_for_user_forget
from orgportal.services.organization_names import (
    organization_name_cached,
    organization_name_forget,
    organization_names,
)
from orgportal.services.template import template_roles_forget
from orgportal.services.users import user_labels, user_profile_follow, user_state_forget

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "logto-signature-sha-256"
FUTURE_SKEW = timedelta(seconds=60)  # a sender's clock may run a little ahead of ours
MEMBER_ADDED_OUTSIDE = "member.added_outside"
MEMBER_REMOVED_OUTSIDE = "member.removed_outside"
ORGANIZATION_RENAMED_OUTSIDE = "organization.renamed_outside"


class DeliveryRefused(Exception):
    """A delivery the portal does not act on: `status` for Logto's log, `reason` for
    operators (the log line says it; the sender reads only the status)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    event: str
    replayed: bool  # seen before: nothing was done


def max_body_bytes() -> int:
    return int(settings.ORGPORTAL_WEBHOOK_MAX_BYTES)


def webhook_configured() -> bool:
    return bool(settings.LOGTO_WEBHOOK_SIGNING_KEYS)


# -- receiving ------------------------------------------------------------------------------
def delivery_receive(body: bytes, signature: str | None) -> Outcome:
    """Check a delivery and act on it once. DeliveryRefused when it is not to be acted on;
    a refused delivery changes nothing."""
    payload = _verified(body, signature)
    event = payload["event"]
    # The body alone: the signature header may be sent in other spellings (upper case,
    # padded) that verify all the same, and must not make a replay look new.
    identity = hashlib.sha256(body).hexdigest()
    key = f"orgportal:logto-delivery:{identity}"
    # Longer than a delivery stays acceptable: a replay after that is refused as stale.
    remembered = int(settings.ORGPORTAL_WEBHOOK_MAX_AGE) * 2 + int(FUTURE_SKEW.total_seconds())
    if not cache.add(key, True, remembered):
        logger.info("Logto webhook: %s delivery seen before, ignored (replay)", event)
        return Outcome(event, replayed=True)
    try:
        event_apply(payload)
    except Exception:
        cache.delete(key)  # not handled: the same delivery, sent again, may be
        raise
    return Outcome(event, replayed=False)


def _verified(body: bytes, signature: str | None) -> dict[str, Any]:
    keys = settings.LOGTO_WEBHOOK_SIGNING_KEYS
    if not keys:
        raise DeliveryRefused(
            503, "no signing key configured (LOGTO_WEBHOOK_SIGNING_KEYS): delivery refused"
        )
    if len(body) > max_body_bytes():
        raise DeliveryRefused(413, f"body larger than {max_body_bytes()} bytes")
    if not signature:
        raise DeliveryRefused(401, f"unsigned delivery (no {SIGNATURE_HEADER} header)")
    given = signature.strip().lower()
    matches = [
        hmac.compare_digest(hmac.new(key.encode(), body, hashlib.sha256).hexdigest(), given)
        for key in keys  # every key is tried: the time taken says nothing about which matched
    ]
    if not any(matches):
        raise DeliveryRefused(
            401,
            f"wrong signature (checked against {len(keys)} configured key(s); "
            "was the hook's signing key rotated without updating LOGTO_WEBHOOK_SIGNING_KEYS?)",
        )
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DeliveryRefused(400, f"body is not JSON: {error}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise DeliveryRefused(400, "body is not a JSON object with an `event`")
    created = _created_at(payload.get("createdAt"))
    now = timezone.now()
    max_age = timedelta(seconds=int(settings.ORGPORTAL_WEBHOOK_MAX_AGE))
    if created < now - max_age:
        raise DeliveryRefused(
            400,
            f"stale {payload['event']} delivery: created {created.isoformat()}, "
            f"more than {max_age.total_seconds():.0f} s ago",
        )
    if created > now + FUTURE_SKEW:
        raise DeliveryRefused(
            400,
            f"{payload['event']} delivery from the future: created {created.isoformat()} "
            "(is a clock wrong?)",
        )
    return payload


def _created_at(value: object) -> datetime:
    if not isinstance(value, str):
        raise DeliveryRefused(400, "delivery without `createdAt`")
    try:
        created = datetime.fromisoformat(value)
    except ValueError:
        raise DeliveryRefused(400, f"`createdAt` is not an ISO time: {value[:40]!r}") from None
    if created.tzinfo is None:
        raise DeliveryRefused(400, f"`createdAt` has no time zone: {value[:40]!r}")
    return created


# -- what each event does -------------------------------------------------------------------
def event_apply(payload: dict[str, Any]) -> None:
    """The event's immediate effects (shared cache, sign-out marks), and its slower ones
    queued for the background worker."""
    event = payload["event"]
    if event == "Organization.Membership.Updated":
        _membership_updated(payload)
    elif event in ("Organization.Deleted", "Organization.Data.Updated"):
        _organization_changed(payload)
    elif event.startswith(("OrganizationRole.", "OrganizationScope.")):
        _template_changed()
    elif event in ("User.SuspensionStatus.Updated", "User.Deleted"):
        _user_standing_changed(payload)
    elif event == "User.Data.Updated":
        _user_data_updated(payload)
    else:
        logger.debug("Logto webhook: %s needs nothing of the portal", event)


def made_by_portal(payload: dict[str, Any]) -> bool:
    """Whether the portal itself made the change (its activity then has it already)."""
    return payload.get("userAgent") == PORTAL_USER_AGENT


def _ids(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _params(payload: dict[str, Any]) -> dict[str, Any]:
    params = payload.get("params")
    return params if isinstance(params, dict) else {}


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    return data if isinstance(data, dict) else {}


def _membership_updated(payload: dict[str, Any]) -> None:
    organization_id = payload.get("organizationId") or _params(payload).get("id")
    if not isinstance(organization_id, str) or not organization_id:
        logger.warning("Logto webhook: membership change without an organization id, ignored")
        return
    has_delta = any(
        key in payload
        for key in (
            "addedUserIds",
            "removedUserIds",
            "addedApplicationIds",
            "removedApplicationIds",
        )
    )
    added, removed = _ids(payload.get("addedUserIds")), _ids(payload.get("removedUserIds"))
    if not has_delta:
        # Logto does not say who: everyone's permissions there, and everyone's lists.
        cache_generations.generation_bump(
            cache_generations.organization(organization_id), cache_generations.MEMBERSHIPS
        )
        return
    for user_id in added + removed:
        permissions_forget(organization_id=organization_id, user_id=user_id)
        organization_list_for_user_forget(user_id=user_id)
    if (added or removed) and not made_by_portal(payload):
        membership_activity_record.enqueue(organization_id, added, removed)


def _organization_changed(payload: dict[str, Any]) -> None:
    organization_id = _params(payload).get("id") or _data(payload).get("id")
    if not isinstance(organization_id, str) or not organization_id:
        logger.warning("Logto webhook: %s without an organization id, ignored", payload["event"])
        return
    before = organization_name_cached(organization_id)
    organization_name_forget(organization_id)
    # Names and roles are part of everyone's lists; a deleted organization leaves them all.
    cache_generations.generation_bump(
        cache_generations.organization(organization_id), cache_generations.MEMBERSHIPS
    )
    name = _data(payload).get("name")
    if (
        payload["event"] == "Organization.Data.Updated"
        and isinstance(name, str)
        and not made_by_portal(payload)
    ):
        organization_rename_record.enqueue(organization_id, before or "", name)


def _template_changed() -> None:
    template_roles_forget()
    template_scope_names_forget()
    cache_generations.generation_bump(cache_generations.PERMISSIONS, cache_generations.MEMBERSHIPS)


def _user_id(payload: dict[str, Any]) -> str | None:
    found = _data(payload).get("id") or _params(payload).get("userId")
    return found if isinstance(found, str) and found else None


def _user_standing_changed(payload: dict[str, Any]) -> None:
    user_id = _user_id(payload)
    if user_id is None:
        logger.warning("Logto webhook: %s without a user id, ignored", payload["event"])
        return
    user_state_forget(user_id)
    signed_out = payload["event"] == "User.Deleted" or _data(payload).get("isSuspended") is True
    if not signed_out:
        return
    organization_list_for_user_forget(user_id=user_id)
    marked = User.objects.filter(logto_id=user_id).update(signed_out_at=timezone.now())
    if marked:
        logger.info("Logto webhook: %s: every session of %s ends", payload["event"], user_id)
        user_sessions_delete.enqueue(user_id)


def _user_data_updated(payload: dict[str, Any]) -> None:
    user_id = _user_id(payload)
    data = _data(payload)
    if user_id is None or not data:
        logger.warning("Logto webhook: User.Data.Updated without the user, ignored")
        return
    user_state_forget(user_id)
    if User.objects.filter(logto_id=user_id).exists():
        user_profile_update.enqueue(data)


# -- the background part ----------------------------------------------------------------------
@task()
def membership_activity_record(organization_id: str, added: list[str], removed: list[str]) -> None:
    """The organization's activity shows who was added or removed outside the portal."""
    name = organization_names([organization_id]).get(organization_id) or ""
    labels = user_labels(added + removed)
    for action, user_ids in ((MEMBER_ADDED_OUTSIDE, added), (MEMBER_REMOVED_OUTSIDE, removed)):
        for user_id in user_ids:
            audit_record(
                actor=None,
                actor_label=OUTSIDE_ACTOR_LABEL,
                action=action,
                organization_id=organization_id,
                organization_name=name,
                target_type="user",
                target_id=user_id,
                target_label=labels.get(user_id, user_id),
            )


@task()
def organization_rename_record(organization_id: str, before: str, name: str) -> None:
    """A rename made outside the portal, with the name the portal knew before (the cache's,
    else the one its trail last recorded)."""
    if not before:
        last = (
            AuditEvent.objects.filter(organization_id=organization_id)
            .exclude(organization_name="")
            .order_by("-created_at", "-id")
            .values_list("organization_name", flat=True)
            .first()
        )
        before = last or ""
    if not before or before == name:
        return  # not a rename (another field changed), or nothing to compare with
    audit_record(
        actor=None,
        actor_label=OUTSIDE_ACTOR_LABEL,
        action=ORGANIZATION_RENAMED_OUTSIDE,
        organization_id=organization_id,
        organization_name=name,
        target_type="organization",
        target_id=organization_id,
        target_label=name,
        before={"name": before},
        after={"name": name},
    )


@task()
def user_profile_update(data: dict[str, Any]) -> None:
    """The local copy of a person's name, email and picture follows Logto's."""
    user_profile_follow(Profile.from_user(LogtoUser.from_api(data)), logto_id=str(data["id"]))


@task()
def user_sessions_delete(user_id: str) -> None:
    """Delete the stored sessions of a person signed out in Logto (their mark already ends
    them at the next request; this also frees them from the session store)."""
    from importlib import import_module

    user = User.objects.filter(logto_id=user_id).first()
    if user is None:
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    deleted = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            store(session_key=session.session_key).delete()
            deleted += 1
    logger.info("Deleted %d stored session(s) of %s", deleted, user_id)
