"""The activity page's read side: an organization's audit events as sentences people read
("Alice invited new.person@example.com as Member"), filtered by person, kind and date, and
exported as CSV. The audit trail itself is written by `services/audit.py`."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from orgportal.models import AuditEvent, User
from orgportal.times import relative_time

STAFF_PREFIX = "staff: "  # how `audit._label` marks staff acting from the admin
API_KEY_PREFIX = "api key: "  # how `audit._label` marks an organization API key acting
# The actor of changes made outside the portal (logto_events.OUTSIDE_ACTOR_LABEL).
OUTSIDE_ACTOR_LABEL = "sign-in service"

# Every action the portal records, as the filter offers it, grouped as people think of them.
ACTION_KINDS: dict[str, dict[str, str]] = {
    gettext_noop("Invitations"): {
        "invitation.sent": gettext_noop("Invitations sent"),
        "invitation.resent": gettext_noop("Invitations sent again"),
        "invitation.reissued": gettext_noop("Expired invitations renewed"),
        "invitation.revoked": gettext_noop("Invitations revoked"),
        "invitation.accepted": gettext_noop("Invitations accepted"),
        "invitation.declined": gettext_noop("Invitations declined"),
    },
    gettext_noop("Invite links"): {
        "invite_link.created": gettext_noop("Invite links created"),
        "invite_link.revoked": gettext_noop("Invite links revoked"),
        "invite_link.joined": gettext_noop("Joined through invite links"),
    },
    gettext_noop("Members"): {
        "member.added": gettext_noop("Members added"),
        "member.roles_changed": gettext_noop("Roles changed"),
        "member.removed": gettext_noop("Members removed"),
        "member.left": gettext_noop("Members who left"),
        "member.mfa_reminded": gettext_noop("Two-step verification reminders"),
        "member.added_outside": gettext_noop("Members added in the sign-in service"),
        "member.removed_outside": gettext_noop("Members removed in the sign-in service"),
    },
    gettext_noop("Domains"): {
        "domain.added": gettext_noop("Domains added"),
        "domain.verified": gettext_noop("Domains verified"),
        "domain.awaiting_staff": gettext_noop("Domains held for staff"),
        "domain.approved_by_staff": gettext_noop("Domains approved by staff"),
        "domain.refused_by_staff": gettext_noop("Domains refused by staff"),
        "domain.removed": gettext_noop("Domains removed"),
        "domain.join_settings_changed": gettext_noop("How people join"),
        "member.joined_by_domain": gettext_noop("Members who joined by domain"),
        "join_request.created": gettext_noop("Requests to join"),
        "join_request.approved": gettext_noop("Requests approved"),
        "join_request.declined": gettext_noop("Requests declined"),
    },
    gettext_noop("Organization"): {
        "organization.created": gettext_noop("Organization created"),
        "organization.updated": gettext_noop("Settings changed"),
        "organization.deleted": gettext_noop("Organization deleted"),
        "organization.renamed_outside": gettext_noop("Renamed in the sign-in service"),
    },
    gettext_noop("API keys"): {
        "api_key.created": gettext_noop("API keys created"),
        "api_key.rotated": gettext_noop("API key secrets renewed"),
        "api_key.revoked": gettext_noop("API keys revoked"),
        "api_key.expired": gettext_noop("API keys expired"),
        "api_key.secret_retired": gettext_noop("Old API key secrets removed"),
    },
}
KNOWN_ACTIONS = {code for kinds in ACTION_KINDS.values() for code in kinds}


# -- filtering ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActivityFilter:
    """What the page narrows the trail to; empty fields do not narrow it."""

    person: int | None = None  # the actor's user id
    action: str = ""
    since: date | None = None  # whole days, in the viewer's time zone
    until: date | None = None


def activity_events(
    *, organization_id: str, narrowed_to: ActivityFilter = ActivityFilter()
) -> QuerySet[AuditEvent]:
    """The organization's events, newest first, narrowed by the filter."""
    events = AuditEvent.objects.filter(organization_id=organization_id).select_related("actor")
    if narrowed_to.person is not None:
        events = events.filter(actor_id=narrowed_to.person)
    if narrowed_to.action:
        events = events.filter(action=narrowed_to.action)
    if narrowed_to.since:
        events = events.filter(created_at__gte=_start_of(narrowed_to.since))
    if narrowed_to.until:
        events = events.filter(created_at__lt=_start_of(narrowed_to.until + timedelta(days=1)))
    return events.order_by("-created_at", "-id")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def activity_people(*, organization_id: str) -> list[tuple[int, str]]:
    """Everyone who acted in the organization, as (user id, "Name (email)"), by name."""
    people = User.objects.filter(audit_events__organization_id=organization_id).distinct()
    labelled = [(person.pk, _person_option(person)) for person in people]
    return sorted(labelled, key=lambda option: option[1].casefold())


def _person_option(person: User) -> str:
    if person.is_api_key:
        return api_key_name(person.name)
    if person.is_staff:
        # The product's support staff: customers see that it was staff, not their address.
        return _("{name} (staff)").format(name=person.name or _("Support"))
    if person.name and person.email:
        return f"{person.name} ({person.email})"
    return person.display_name


def activity_kinds(*, organization_id: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The filter's choice of kinds: every kind the portal records, grouped, and under
    "Other" any kind a newer version recorded that this one has no name for."""
    groups = [
        (_(group), [(code, _(label)) for code, label in kinds.items()])
        for group, kinds in ACTION_KINDS.items()
    ]
    recorded = (
        AuditEvent.objects.filter(organization_id=organization_id)
        .exclude(action__in=KNOWN_ACTIONS)
        .values_list("action", flat=True)
        .distinct()
    )
    others = sorted((code, _humanized(code)) for code in recorded)
    return groups + ([(_("Other"), others)] if others else [])


# -- sentences ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """A piece of a sentence; names (people, addresses, organizations) are `strong`."""

    text: str
    strong: bool = False


@dataclass(frozen=True)
class ActivityEntry:
    """One event as people read it."""

    at: datetime
    ago: str  # "just now", "5 minutes ago", … ; `at` is the exact time
    actor: str
    actor_picture: str
    target: str
    parts: tuple[Part, ...]
    outcome: str  # "success", "refused" or "failed"
    action: str  # the recorded code: for the CSV, never shown on the page

    @property
    def sentence(self) -> str:
        return "".join(part.text for part in self.parts)

    @property
    def failed(self) -> bool:
        return self.outcome != AuditEvent.Outcome.SUCCESS


def activity_entries(
    events: Iterable[AuditEvent], *, now: datetime | None = None
) -> list[ActivityEntry]:
    """The events as sentences. People who signed in here are named as they are now (one
    query for all of them); others as the trail recorded them."""
    events = list(events)
    now = now or timezone.now()
    target_ids = {e.target_id for e in events if e.target_type == "user" and e.target_id}
    people = {u.logto_id: u for u in User.objects.filter(logto_id__in=target_ids)}
    return [_entry(event, people, now) for event in events]


def _entry(event: AuditEvent, people: Mapping[str | None, User], now: datetime) -> ActivityEntry:
    actor = _actor_name(event)
    target_user = people.get(event.target_id) if event.target_type == "user" else None
    target = target_user.display_name if target_user else event.target_label
    done, tried, values = _phrases(event)
    values = {"actor": actor, "target": target or _("someone"), **values}
    if event.outcome == AuditEvent.Outcome.SUCCESS:
        template, outcome = done, AuditEvent.Outcome.SUCCESS.value
    else:
        reason, outcome = _reason(event)
        template = _("{attempt}: {reason}.").replace("{attempt}", tried).replace("{reason}", reason)
    if (event.after or {}).get("superuser_override"):
        template += " " + _("The last-admin rule was overridden.")
    return ActivityEntry(
        at=event.created_at,
        ago=relative_time(event.created_at, now),
        actor=actor,
        actor_picture=event.actor.picture if event.actor else "",
        target=event.target_label,
        parts=_parts(template, values),
        outcome=outcome,
        action=event.action,
    )


def api_key_name(name: str) -> str:
    """An organization API key as the actor of a change."""
    return _("API key “{name}”").format(name=name)


def _actor_name(event: AuditEvent) -> str:
    label = event.actor_label
    if label.startswith(API_KEY_PREFIX):
        return api_key_name(label.removeprefix(API_KEY_PREFIX))  # its name at the time
    as_staff = label.startswith(STAFF_PREFIX)
    name = event.actor.display_name if event.actor else label.removeprefix(STAFF_PREFIX)
    if label == "system" and event.actor is None:
        return _("An automatic task")
    if label == OUTSIDE_ACTOR_LABEL and event.actor is None:
        return _("The sign-in service")
    return _("{name} (staff)").format(name=name) if as_staff else name


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PLAIN_VALUES = {"roles", "from_roles", "to_roles", "what", "count"}


def _parts(template: str, values: Mapping[str, str]) -> tuple[Part, ...]:
    """The template with its placeholders filled in; the names among them `strong`."""
    parts: list[Part] = []
    for index, piece in enumerate(_PLACEHOLDER.split(template)):
        if index % 2 == 0:
            if piece:
                parts.append(Part(piece))
        else:
            parts.append(Part(values.get(piece, ""), strong=piece not in _PLAIN_VALUES))
    return tuple(parts)


Phrases = tuple[str, str, dict[str, str]]  # what was done, what was tried, extra values


def _phrases(event: AuditEvent) -> Phrases:
    before, after = event.before or {}, event.after or {}
    action = event.action
    if action == "member.roles_changed":
        return _roles_changed(before, after)
    if action == "organization.updated":
        return _settings_changed(before, after)
    if action == "member.mfa_reminded":
        return _mfa_reminded(after)
    if action in ("invitation.sent", "member.added", "invitation.accepted"):
        return _with_roles(action, after.get("roles") or [])
    if action in _INVITE_LINK:
        return _invite_link(action, after.get("roles") or [])
    if action in _OUTSIDE:
        # Recorded from the sign-in service's word after the fact: never an attempt.
        old_name, name = str(before.get("name", "")), str(after.get("name", ""))
        return _(_OUTSIDE[action]), _(_OUTSIDE[action]), {"old_name": old_name, "name": name}
    if action in _SIMPLE:
        done, tried = _SIMPLE[action]
        return _(done), _(tried), {}
    what = _humanized(action)
    return (
        _("{actor} made a change ({what}) concerning {target}.")
        if event.target_label
        else _("{actor} made a change ({what})."),
        _("{actor} tried to make a change ({what})"),
        {"what": what},
    )


def _mfa_reminded(after: Mapping[str, Any]) -> Phrases:
    count = int(after.get("count") or 0)
    return (
        ngettext(
            "{actor} reminded {count} member to set up two-step verification.",
            "{actor} reminded {count} members to set up two-step verification.",
            count,
        ),
        _("{actor} tried to remind members to set up two-step verification"),
        {"count": str(count)},
    )


# Changes made outside the portal (in the sign-in service's console or another product), which
# the portal learnt from the service's webhook (services/logto_events.py).
_OUTSIDE: dict[str, str] = {
    "member.added_outside": gettext_noop(
        "{target} was added to the organization in the sign-in service."
    ),
    "member.removed_outside": gettext_noop(
        "{target} was removed from the organization in the sign-in service."
    ),
    "organization.renamed_outside": gettext_noop(
        "The organization was renamed from {old_name} to {name} in the sign-in service."
    ),
}

_SIMPLE: dict[str, tuple[str, str]] = {
    "organization.created": (
        gettext_noop("{actor} created the organization {target}."),
        gettext_noop("{actor} tried to create the organization {target}"),
    ),
    "organization.deleted": (
        gettext_noop("{actor} deleted the organization {target}."),
        gettext_noop("{actor} tried to delete the organization {target}"),
    ),
    "member.removed": (
        gettext_noop("{actor} removed {target} from the organization."),
        gettext_noop("{actor} tried to remove {target}"),
    ),
    "member.left": (
        gettext_noop("{actor} left the organization."),
        gettext_noop("{actor} tried to leave the organization"),
    ),
    "invitation.resent": (
        gettext_noop("{actor} sent the invitation to {target} again."),
        gettext_noop("{actor} tried to send the invitation to {target} again"),
    ),
    "invitation.reissued": (
        gettext_noop("{actor} renewed the expired invitation to {target}."),
        gettext_noop("{actor} tried to renew the expired invitation to {target}"),
    ),
    "invitation.revoked": (
        gettext_noop("{actor} revoked the invitation to {target}."),
        gettext_noop("{actor} tried to revoke the invitation to {target}"),
    ),
    "invitation.declined": (
        gettext_noop("{actor} declined the invitation."),
        gettext_noop("{actor} tried to decline the invitation"),
    ),
    "api_key.created": (
        gettext_noop("{actor} created the API key {target}."),
        gettext_noop("{actor} tried to create the API key {target}"),
    ),
    "api_key.rotated": (
        gettext_noop("{actor} gave the API key {target} a new secret."),
        gettext_noop("{actor} tried to give the API key {target} a new secret"),
    ),
    "api_key.revoked": (
        gettext_noop("{actor} revoked the API key {target}."),
        gettext_noop("{actor} tried to revoke the API key {target}"),
    ),
    "api_key.expired": (
        gettext_noop("The API key {target} expired and was removed."),
        gettext_noop("{actor} tried to remove the expired API key {target}"),
    ),
    "api_key.secret_retired": (
        gettext_noop("The old secret of the API key {target} stopped working."),
        gettext_noop("{actor} tried to remove the old secret of the API key {target}"),
    ),
    "domain.added": (
        gettext_noop("{actor} added the domain {target}."),
        gettext_noop("{actor} tried to add the domain {target}"),
    ),
    "domain.verified": (
        gettext_noop("{actor} verified the domain {target}."),
        gettext_noop("{actor} tried to verify the domain {target}"),
    ),
    "domain.awaiting_staff": (
        gettext_noop(
            "{actor} proved the domain {target}, which another organization already verified: "
            "staff decide."
        ),
        gettext_noop("{actor} tried to verify the domain {target}"),
    ),
    "domain.approved_by_staff": (
        gettext_noop("{actor} allowed the organization to use the domain {target}."),
        gettext_noop("{actor} tried to allow the domain {target}"),
    ),
    "domain.refused_by_staff": (
        gettext_noop("{actor} refused the domain {target} for this organization."),
        gettext_noop("{actor} tried to refuse the domain {target}"),
    ),
    "domain.removed": (
        gettext_noop("{actor} removed the domain {target}."),
        gettext_noop("{actor} tried to remove the domain {target}"),
    ),
    "domain.join_settings_changed": (
        gettext_noop("{actor} changed how people of verified domains join."),
        gettext_noop("{actor} tried to change how people of verified domains join"),
    ),
    "member.joined_by_domain": (
        gettext_noop("{actor} joined through their verified email domain."),
        gettext_noop("{actor} tried to join through their email domain"),
    ),
    "join_request.created": (
        gettext_noop("{actor} asked to join the organization."),
        gettext_noop("{actor} tried to ask to join the organization"),
    ),
    "join_request.approved": (
        gettext_noop("{actor} approved the request of {target} to join."),
        gettext_noop("{actor} tried to approve the request of {target}"),
    ),
    "join_request.declined": (
        gettext_noop("{actor} declined the request of {target} to join."),
        gettext_noop("{actor} tried to decline the request of {target}"),
    ),
}


# Invite links (services/invite_links.py): (done, tried), each naming the link's roles.
_INVITE_LINK: dict[str, tuple[str, str]] = {
    "invite_link.created": (
        gettext_noop("{actor} created an invite link for {roles}."),
        gettext_noop("{actor} tried to create an invite link for {roles}"),
    ),
    "invite_link.revoked": (
        gettext_noop("{actor} revoked an invite link for {roles}."),
        gettext_noop("{actor} tried to revoke an invite link for {roles}"),
    ),
    "invite_link.joined": (
        gettext_noop("{actor} joined through an invite link as {roles}."),
        gettext_noop("{actor} tried to join through an invite link"),
    ),
}


def _invite_link(action: str, role_names: list[str]) -> Phrases:
    done, tried = _INVITE_LINK[action]
    return _(done), _(tried), {"roles": _role_list(role_names)}


def _with_roles(action: str, role_names: list[str]) -> Phrases:
    roles = {"roles": _role_list(role_names)}
    if action == "invitation.accepted":
        if role_names:
            return (
                _("{actor} accepted the invitation and joined as {roles}."),
                _("{actor} tried to accept the invitation"),
                roles,
            )
        return (
            _("{actor} accepted the invitation and joined."),
            _("{actor} tried to accept the invitation"),
            {},
        )
    if action == "member.added":
        if role_names:
            return (
                _("{actor} added {target} as {roles}."),
                _("{actor} tried to add {target}"),
                roles,
            )
        return _("{actor} added {target}."), _("{actor} tried to add {target}"), {}
    if role_names:
        return (
            _("{actor} invited {target} as {roles}."),
            _("{actor} tried to invite {target} as {roles}"),
            roles,
        )
    return _("{actor} invited {target}."), _("{actor} tried to invite {target}"), {}


def _roles_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> Phrases:
    if "added" in after:  # a bulk "add role": only what was given is known
        added = list(after["added"])
        values = {"roles": _role_list(added)}
        if len(added) == 1:
            return (
                _("{actor} gave {target} the role {roles}."),
                _("{actor} tried to give {target} the role {roles}"),
                values,
            )
        return (
            _("{actor} gave {target} the roles {roles}."),
            _("{actor} tried to give {target} the roles {roles}"),
            values,
        )
    old, new = list(before.get("roles") or []), list(after.get("roles") or [])
    values = {"from_roles": _role_list(old), "to_roles": _role_list(new)}
    if max(len(old), len(new)) > 1:
        return (
            _("{actor} changed the roles of {target} from {from_roles} to {to_roles}."),
            _("{actor} tried to change the roles of {target} from {from_roles} to {to_roles}"),
            values,
        )
    return (
        _("{actor} changed the role of {target} from {from_roles} to {to_roles}."),
        _("{actor} tried to change the role of {target} from {from_roles} to {to_roles}"),
        values,
    )


# What a settings change did, by (renamed, description "changed"/"removed", two-step
# verification "required"/"optional"): one whole sentence per combination, as word order
# differs between languages.
_SETTINGS_CHANGED: dict[tuple[bool, str, str], str] = {
    (False, "", "required"): gettext_noop(
        "{actor} required two-step verification of every member."
    ),
    (False, "", "optional"): gettext_noop("{actor} made two-step verification optional."),
    (False, "changed", ""): gettext_noop("{actor} changed the description."),
    (False, "changed", "required"): gettext_noop(
        "{actor} changed the description and required two-step verification of every member."
    ),
    (False, "changed", "optional"): gettext_noop(
        "{actor} changed the description and made two-step verification optional."
    ),
    (False, "removed", ""): gettext_noop("{actor} removed the description."),
    (False, "removed", "required"): gettext_noop(
        "{actor} removed the description and required two-step verification of every member."
    ),
    (False, "removed", "optional"): gettext_noop(
        "{actor} removed the description and made two-step verification optional."
    ),
    (True, "", ""): gettext_noop("{actor} renamed the organization from {old_name} to {name}."),
    (True, "", "required"): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name} and required two-step "
        "verification of every member."
    ),
    (True, "", "optional"): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name} and made two-step "
        "verification optional."
    ),
    (True, "changed", ""): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name} and changed the description."
    ),
    (True, "changed", "required"): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name}, changed the description "
        "and required two-step verification of every member."
    ),
    (True, "changed", "optional"): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name}, changed the description "
        "and made two-step verification optional."
    ),
    (True, "removed", ""): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name} and removed the description."
    ),
    (True, "removed", "required"): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name}, removed the description "
        "and required two-step verification of every member."
    ),
    (True, "removed", "optional"): gettext_noop(
        "{actor} renamed the organization from {old_name} to {name}, removed the description "
        "and made two-step verification optional."
    ),
}


def _settings_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> Phrases:
    tried = _("{actor} tried to change the organization's settings")
    values: dict[str, str] = {}
    renamed = "name" in before and before["name"] != after.get("name", before["name"])
    if renamed:
        values = {"old_name": str(before["name"]), "name": str(after["name"])}
    description = ""
    if "description" in before and (before["description"] or "") != (
        after.get("description", before["description"]) or ""
    ):
        description = "changed" if after.get("description") else "removed"
    mfa = ""
    if "is_mfa_required" in before and before["is_mfa_required"] != after.get(
        "is_mfa_required", before["is_mfa_required"]
    ):
        mfa = "required" if after.get("is_mfa_required") else "optional"
    done = _SETTINGS_CHANGED.get((renamed, description, mfa))
    if done is None:
        if before:
            return _("{actor} saved the settings without changing them."), tried, {}
        return _("{actor} changed the organization's settings."), tried, {}
    return _(done), tried, values


# -- why something was not done -------------------------------------------------------------
# What the trail records for a failure is free text: the service's refusal sentence, or the
# technical cause behind it. People read one short reason instead; the rules go from the
# most specific to the most general.
REFUSED, FAILED = "refused", "failed"
_REASONS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("no such name", "none matches"), gettext_noop("the DNS record was not found"), REFUSED),
    (
        ("public or disposable email provider",),
        gettext_noop("it belongs to a public email provider"),
        REFUSED,
    ),
    (("last person who can manage",), gettext_noop("no one else could manage members"), REFUSED),
    (
        ("not allowed", "you cannot", "only people", "permissions you do not have"),
        gettext_noop("not allowed"),
        REFUSED,
    ),
    (("already a member",), gettext_noop("they were already a member"), REFUSED),
    (
        ("unique_integrity", "already has a pending invitation"),
        gettext_noop("an invitation was already pending"),
        REFUSED,
    ),
    (("-> 429", "too many", "limit"), gettext_noop("too many requests at the time"), FAILED),
    (
        ("no longer", "does not exist", "-> 404", "a moment ago"),
        gettext_noop("it had changed in the meantime"),
        REFUSED,
    ),
    (("removed again",), gettext_noop("it could not be set up, so it was removed again"), FAILED),
    (
        ("-> 5", "not reachable", "could not reach", "did not answer", "timed out", "timeout"),
        gettext_noop("the service could not be reached"),
        FAILED,
    ),
    (("did not accept", "-> 4"), gettext_noop("the details were not accepted"), REFUSED),
)
_NOT_SET_UP = ("not set up", "connector", "-> 501")


def _reason(event: AuditEvent) -> tuple[str, str]:
    """A short reason for a failed event, and whether it was refused or failed."""
    error = event.error.casefold()
    if _was_delivery(event):
        if any(needle in error for needle in _NOT_SET_UP):
            return _("invitation emails are not set up"), FAILED
        if "-> 429" in error or "too many" in error:
            return _("too many emails went to this address recently"), FAILED
        return _("the email could not be sent"), FAILED
    for needles, reason, outcome in _REASONS:
        if any(needle in error for needle in needles):
            return _(reason), outcome
    return _("it did not go through"), FAILED


def _was_delivery(event: AuditEvent) -> bool:
    """An invitation that existed, whose email failed (a failed create has no id yet)."""
    return event.action == "invitation.resent" or (
        event.action == "invitation.sent" and bool(event.target_id)
    )


# -- small words ----------------------------------------------------------------------------
def _role_list(role_names: Iterable[str]) -> str:
    names = [name[:1].upper() + name[1:] for name in role_names]
    return _joined(names) if names else _("no role")


def _joined(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return _("{first} and {last}").format(first=", ".join(items[:-1]), last=items[-1])


def _humanized(action: str) -> str:
    """A code no sentence knows, as words: "webhook.secret_rotated" -> "webhook secret
    rotated"."""
    words = re.sub(r"[._\-:]+", " ", action).strip()
    return words or _("unnamed")


# -- CSV ------------------------------------------------------------------------------------
# The header, the `action` codes and the `outcome` values are for machines (scripts and
# spreadsheet formulas that read the export), so they stay the same in every language; the
# `sentence` column (and "(staff)") is for people, in the language of whoever exported it.
CSV_COLUMNS = ("time", "actor", "action", "sentence", "target", "outcome")
_FORMULA_STARTS = ("=", "+", "-", "@", "|", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula (after any leading
    blanks or line breaks, which spreadsheets skip; full-width signs included) gets a leading
    apostrophe, so opening the export never runs what someone typed into a name."""
    risky = value[:1] in ("\t", "\r") or value.lstrip().startswith(_FORMULA_STARTS)
    return "'" + value if risky else value


class _Line:
    """The file-like object `csv.writer` writes one row into, for streaming."""

    def write(self, text: str) -> str:
        return text


def activity_csv_lines(events: QuerySet[AuditEvent], *, chunk: int = 500) -> Iterator[str]:
    """The events as CSV lines (a header first), read from the database a chunk at a time."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    batch: list[AuditEvent] = []
    for event in events.iterator(chunk_size=chunk):
        batch.append(event)
        if len(batch) == chunk:
            yield from _csv_rows(writer, batch)
            batch = []
    yield from _csv_rows(writer, batch)


def _csv_rows(writer: Any, events: list[AuditEvent]) -> Iterator[str]:
    for event, entry in zip(events, activity_entries(events), strict=True):
        actor = event.actor_label.removeprefix(STAFF_PREFIX)
        if event.actor_label.startswith(API_KEY_PREFIX):
            actor = entry.actor
        elif event.actor_label.startswith(STAFF_PREFIX):
            actor = _("{name} (staff)").format(name=actor)
        row = (
            entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            actor,
            entry.action,
            entry.sentence,
            entry.target,
            entry.outcome,
        )
        yield writer.writerow([csv_cell(cell) for cell in row])
