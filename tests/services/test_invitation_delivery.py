"""The invitation email's subject is one clean line, whatever names Logto holds."""

from __future__ import annotations

import pytest
from django.core import mail

from orgportal.services.invitation_delivery import invitation_email_send


@pytest.mark.parametrize(
    ("organization_name", "inviter_name", "subject"),
    [
        (
            "Acme\nBcc: eve@example.com",
            "Alice",
            "Alice invited you to join Acme Bcc: eve@example.com",
        ),
        ("Acme\r\n\r\nCorp", "Al\tice  Admin", "Al ice Admin invited you to join Acme Corp"),
        ("\u202eemca\u202c", "\u2066Alice\u2069\u200f", "Alice invited you to join emca"),
        ("Acme\x00\u0085\u2028Corp", "Alice\u061c", "Alice invited you to join Acme Corp"),
    ],
)
def test_names_from_logto_become_one_clean_subject_line(organization_name, inviter_name, subject):
    invitation_email_send(
        to="dave@example.com",
        invitation_id="inv1",
        organization_name=organization_name,
        inviter_name=inviter_name,
        role_names=["member"],
        expires_at=None,
    )
    [email] = mail.outbox
    assert email.subject == subject


def _email_in(language: str, role_names: list[str]):
    from datetime import UTC, datetime

    from django.utils import translation

    mail.outbox.clear()
    with translation.override(language):
        invitation_email_send(
            to="dave@example.com",
            invitation_id="inv1",
            organization_name="Acme",
            inviter_name="Alice",
            role_names=role_names,
            expires_at=datetime(2026, 12, 14, 9, 15, tzinfo=UTC),
            personal_message="Willkommen!",
        )
    [email] = mail.outbox
    return email.body, email.alternatives[0][0]


def test_the_invitation_email_in_german():
    text, html = _email_in("de", ["admin", "member"])
    assert "Alice hat Sie eingeladen, Acme mit den Rollen admin, member beizutreten." in text
    assert "Persönliche Nachricht:\nWillkommen!" in text
    assert "Hier können Sie die Einladung annehmen oder ablehnen:" in text
    assert "Die Einladung läuft am 14. Dezember 2026, 09:15 UTC ab." in text
    assert "Gesendet von Organisationsportal" in text
    assert '<html lang="de">' in html and "<title>Einladung zu Acme</title>" in html
    assert "mit den Rollen <strong>admin, member</strong> beizutreten." in html
    assert "Einladung ansehen" in html and "14. Dezember 2026, 09:15 UTC" in html
    for english in ("invited you", "expires", "Sent by", "View the invitation"):
        assert english not in text + html, english

    text, html = _email_in("de", ["member"])
    assert "Acme mit der Rolle member beizutreten." in text
    text, _ = _email_in("en", ["member"])
    assert "Alice invited you to join Acme as member." in text
    assert "The invitation expires on 14 December 2026, 09:15 UTC." in text
