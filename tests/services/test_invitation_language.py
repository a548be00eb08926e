"""Invitation emails in the language chosen for them, whatever language the worker runs in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.utils import translation

from orgportal.models import AuditEvent, InvitationBatch
from orgportal.services.errors import ApplicationError
from orgportal.services.invitation_batches import invitation_batch_start, invitation_send
from orgportal.services.invitation_delivery import invitation_email_send
from orgportal.services.invitations import invitation_resend
from orgportal.services.languages import email_language, user_language_set
from tests.translation_checks import GERMAN_MONTHS

pytestmark = pytest.mark.django_db

ENGLISH_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def invite(alice, acme, emulator, emails, **kwargs) -> InvitationBatch:
    """The task runs inline (the immediate backend) with English active, as a worker would."""
    with translation.override("en"):
        invitation_batch_start(
            actor=alice,
            organization_id=acme.id,
            emails=emails,
            role_ids=[emulator.state.role_by_name("member").id],
            **kwargs,
        )
        assert translation.get_language() == "en"
    return InvitationBatch.objects.latest("created_at")


def html_of(email) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


def test_an_email_rendered_in_german_dates_its_expiry_in_german():
    with translation.override("en"):
        invitation_email_send(
            to="dave@example.com",
            invitation_id="inv1",
            organization_name="Acme",
            inviter_name="Alice",
            role_names=["member"],
            expires_at=datetime(2026, 12, 24, 9, 30, tzinfo=UTC),
            language="de",
        )
        assert translation.get_language() == "en"  # the worker's language is left alone
    [email] = mail.outbox
    for body in (email.body, html_of(email)):
        assert "Dezember 2026" in body and "December" not in body


def test_an_invitation_sent_in_german_is_written_in_german_by_an_english_worker(
    emulator, acme, alice
):
    batch = invite(alice, acme, emulator, ["dave@example.com"], language="de")
    assert batch.language == "de"
    [email] = mail.outbox
    month = batch.expires_at.month - 1
    assert GERMAN_MONTHS[month] in email.body and GERMAN_MONTHS[month] in html_of(email)
    if GERMAN_MONTHS[month] != ENGLISH_MONTHS[month]:
        assert ENGLISH_MONTHS[month] not in email.body
    sent = AuditEvent.objects.get(action="invitation.sent")
    assert sent.after["language"] == "de"


def test_an_invitation_in_english_stays_english_under_a_german_request(emulator, acme, alice):
    with translation.override("de"):
        [outcome] = invitation_send(
            actor=alice,
            organization_id=acme.id,
            emails=["dave@example.com"],
            role_ids=[emulator.state.role_by_name("member").id],
            language="en",
        )
    assert outcome.status == "sent"
    [email] = mail.outbox
    expires = emulator.state.invitations[outcome.invitation_id].expires_at
    month = datetime.fromtimestamp(expires / 1000, tz=UTC).month - 1
    assert ENGLISH_MONTHS[month] in email.body


def test_without_a_choice_the_email_takes_the_inviters_saved_language(emulator, acme, alice):
    assert invite(alice, acme, emulator, ["dave@example.com"]).language == "en"
    user_language_set(user=alice, language="de")
    assert invite(alice, acme, emulator, ["erin@example.com"]).language == "de"


def test_a_language_the_portal_does_not_speak_is_refused_before_anything_is_sent(
    emulator, acme, alice
):
    with pytest.raises(ApplicationError, match="Choose one of the languages offered"):
        invite(alice, acme, emulator, ["dave@example.com"], language="fr")
    assert not InvitationBatch.objects.exists() and not mail.outbox


def test_a_resent_invitation_keeps_the_language_it_was_written_in(emulator, acme, alice):
    batch = invite(alice, acme, emulator, ["dave@example.com"], language="de")
    [item] = batch.items.all()
    with translation.override("en"):
        invitation_resend(actor=alice, organization_id=acme.id, invitation_id=item.invitation_id)
    first, again = mail.outbox
    month = GERMAN_MONTHS[batch.expires_at.month - 1]
    assert month in first.body and month in again.body


def test_logtos_route_carries_the_language_as_the_messages_locale(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    invite(alice, acme, emulator, ["dave@example.com"], language="de")
    [message] = emulator.state.outbox
    assert message.payload["locale"] == "de"


def test_email_language_defaults(alice):
    assert email_language(chosen="de-CH", sender=alice) == "de"
    assert email_language(chosen=None, sender=alice) == "en"
    assert email_language(chosen="", sender=None) == "en"
    alice.language = "de"
    assert email_language(chosen="", sender=alice) == "de"
    alice.language = "tlh"  # a language no longer offered
    assert email_language(chosen="", sender=alice) == "en"
