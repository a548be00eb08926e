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
