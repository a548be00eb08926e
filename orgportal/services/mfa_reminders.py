"""Reminding members to set up two-step verification (MFA), by email.

An admin sends one reminder to every member without a factor, or to those they picked. Each
member gets at most one a day per organization: the `MfaReminder` row of (organization,
member) is claimed with one conditional UPDATE, or created under a unique constraint, so two
admins clicking at once on two machines still send one email. The emails go out from the
background worker (like invitation emails), each written in the member's saved language,
else in the language of the admin who sent it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from orgportal.logto.models import Member
from orgportal.models import MfaReminder, User
from orgportal.services.access import Perm, access_for_change
from orgportal.services.audit import audit_in_organization
from orgportal.services.errors import ApplicationError
from orgportal.services.languages import supported_language, user_language
from orgportal.services.mfa import NOT_ALLOWED_SECURITY, SignInPrompt, organization_security
from orgportal.services.text import one_line

logger = logging.getLogger(__name__)

REMIND_EVERY = timedelta(days=1)  # at most one reminder per member and organization
NOBODY_TO_REMIND = gettext_lazy(
    "Nobody was reminded: every member you chose has two-step verification now, or was "
    "reminded in the last 24 hours."
)
CHOOSE_MEMBERS = gettext_lazy("Choose the members to remind.")
CANNOT_SET_UP = gettext_lazy(
    "Members cannot set up two-step verification at sign-in yet, so a reminder would not "
    "help. Ask the people who run this portal to enable an authenticator app for sign-in."
)


def mfa_reminded_recently(organization_id: str, user_ids: Iterable[str]) -> dict[str, datetime]:
    """When each of these members was last reminded, for those reminded in the last day."""
    since = timezone.now() - REMIND_EVERY
    rows = MfaReminder.objects.filter(
        organization_id=organization_id, user_id__in=list(user_ids), reminded_at__gte=since
    ).values_list("user_id", "reminded_at")
    return dict(rows)


@dataclass(frozen=True)
class RemindersSent:
    """Who was reminded now, and how many of those asked for were not (reminded in the last
    day, or no longer without a factor)."""

    reminded: tuple[str, ...]  # labels (address, else name)
    skipped: int


def mfa_reminders_send(
    *, actor: User, organization_id: str, user_ids: list[str] | None = None
) -> RemindersSent:
    """Queue a reminder email to each member without a factor (all of them, or those of
    `user_ids` among them) not reminded in the last day; one audit event for all of them."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED_SECURITY)
    overview = organization_security(actor=actor, organization_id=organization_id)
    if overview.prompt == SignInPrompt.NONE:
        raise ApplicationError(CANNOT_SET_UP)
    chosen = set(user_ids) if user_ids is not None else None
    if chosen is not None and not chosen:
        raise ApplicationError(CHOOSE_MEMBERS)
    candidates = [
        member for member in overview.without_factor if chosen is None or member.user.id in chosen
    ]
    asked = len(chosen) if chosen is not None else len(candidates)
    organization = access.organization
    language_of_sender = user_language(actor) or settings.LANGUAGE_CODE
    saved = _saved_languages(member.user.id for member in candidates)
    reminded: list[tuple[Member, MfaReminder]] = []
    for member in candidates:
        row = _claim(
            organization_id=organization.id,
            organization_name=organization.name,
            member=member,
            sender_name=actor.display_name,
            language=saved.get(member.user.id) or language_of_sender,
            prompt=overview.prompt,
        )
        if row is not None:
            reminded.append((member, row))
    if not reminded:
        raise ApplicationError(NOBODY_TO_REMIND)
    labels = tuple(member.user.primary_email or member.user.display_name for member, _ in reminded)
    audit_in_organization(
        actor=actor,
        organization=organization,
        action="member.mfa_reminded",
        target_type="",
        target_id="",
        target_label="",
        after={"count": len(reminded), "members": list(labels[:50])},
    )
    for _member, row in reminded:
        send_mfa_reminder.enqueue(str(row.pk))
    return RemindersSent(reminded=labels, skipped=max(asked - len(reminded), 0))


def _saved_languages(user_ids: Iterable[str]) -> dict[str, str]:
    """The languages members saved in the portal (those who ever signed in here)."""
    found = User.objects.filter(logto_id__in=list(user_ids)).values_list("logto_id", "language")
    return {uid: code for uid, language in found if uid and (code := supported_language(language))}


def _claim(
    *,
    organization_id: str,
    organization_name: str,
    member: Member,
    sender_name: str,
    language: str,
    prompt: str,
) -> MfaReminder | None:
    """The member's reminder row, claimed for a reminder now; None when they were reminded
    in the last day (by anyone, on any machine)."""
    now = timezone.now()
    fields = {
        "organization_name": organization_name[:255],
        "email": member.user.primary_email or "",
        "name": (member.user.name or "")[:255],
        "sender_name": sender_name[:255],
        "language": language,
        "prompt": prompt,
        "reminded_at": now,
        "sent_at": None,
        "error": "",
    }
    if not fields["email"]:
        return None  # no address to write to
    key = {"organization_id": organization_id, "user_id": member.user.id}
    taken = MfaReminder.objects.filter(**key, reminded_at__lt=now - REMIND_EVERY).update(**fields)
    if not taken:
        try:
            with transaction.atomic():
                MfaReminder.objects.create(**key, **fields)
        except IntegrityError:
            return None  # reminded within the day
    return MfaReminder.objects.get(**key)


# -- the task -------------------------------------------------------------------------------
@task()
def send_mfa_reminder(reminder_id: str) -> None:
    """Send one reminder email (the worker runs this); a failure is kept on the row."""
    reminder = MfaReminder.objects.filter(pk=reminder_id).first()
    if reminder is None or reminder.sent_at is not None:
        return
    try:
        try:
            mfa_reminder_email_send(reminder)
        except Exception:
            mfa_reminder_email_send(reminder)  # one retry for a passing SMTP hiccup
    except Exception as error:
        logger.warning("Could not send the two-step reminder %s: %s", reminder_id, error)
        MfaReminder.objects.filter(pk=reminder.pk).update(error=str(error)[:1000])
        return
    MfaReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now(), error="")


def mfa_reminder_email_send(reminder: MfaReminder) -> None:
    """Send the reminder written in its language, whatever language the worker runs in."""
    with translation.override(reminder.language or settings.LANGUAGE_CODE):
        context = {
            "name": reminder.name,
            "organization_name": reminder.organization_name,
            "sender_name": reminder.sender_name,
            "prompt": reminder.prompt,
            "link": f"{settings.PORTAL_BASE_URL}/",
        }
        # Names come from Logto, where anyone may have put a line break (a header injection).
        subject = _("Please set up two-step verification for %(organization)s") % {
            "organization": one_line(reminder.organization_name)
        }
        text = render_to_string("orgportal/email/mfa_reminder.txt", context)
        html = render_to_string("orgportal/email/mfa_reminder.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[reminder.email])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
