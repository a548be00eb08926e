"""Two admins reminding the same members at the same moment (real threads, each with its own
database connection, as two web instances would): each member still gets one email."""

from __future__ import annotations

import pytest
from django.core import mail

from orgportal.models import AuditEvent
from orgportal.services.mfa_reminders import mfa_reminders_send
from tests.conftest import local_user
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("round_", range(3))
def test_two_admins_reminding_at_once_send_one_email_per_member(emulator, acme, round_):
    emulator.state.mfa.factors = ["Totp"]
    admin = emulator.state.role_by_name("admin").id
    acme.members[emulator.state.user_by_email("bob@example.com").id] = [admin]
    for n in range(6):
        user = emulator.state.add_user(f"m{n}@example.com", "pw", name=f"Member {n}")
        emulator.state.add_member(acme, user, ["member"])
    # Logto's round trips widen the window between reading who has no factor and claiming.
    emulator.set_fault("users.mfa.list", latency=0.02)
    alice = local_user(emulator, "alice@example.com")
    bob = local_user(emulator, "bob@example.com")
    race(
        lambda: mfa_reminders_send(actor=alice, organization_id=acme.id),
        lambda: mfa_reminders_send(actor=bob, organization_id=acme.id),
    )
    recipients = [message.to[0] for message in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 8  # the two admins and six members
    events = AuditEvent.objects.filter(action="member.mfa_reminded")
    assert sum(event.after["count"] for event in events) == 8
