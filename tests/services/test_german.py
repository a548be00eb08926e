"""The services speak the reader's language: a refusal raised in a German request reads
German, while the audit trail and a batch's stored reasons stay English (what the activity
page reads its reasons from, and what the code compares), translated when they are shown."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from orgportal.logto.errors import RateLimited, Unavailable
from orgportal.models import AuditEvent
from orgportal.services.activity import activity_entries, activity_events
from orgportal.services.errors import ApplicationError, Doing, LastAdminError, refusal_from
from orgportal.services.invitation_batches import invitation_batch_progress, invitation_batch_start
from orgportal.services.invitation_delivery import invitation_email_send
from orgportal.services.members import member_remove, member_roles_set, members_bulk
from orgportal.services.organizations import NAME_REQUIRED, organization_name_clean

pytestmark = pytest.mark.django_db


def rid(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def uid(emulator, email: str) -> str:
    return next(u.id for u in emulator.state.users.values() if u.primary_email == email)


def test_errors_read_german_in_a_german_request(emulator, acme, alice):
    with translation.override("de"):
        with pytest.raises(ApplicationError) as yourself:
            member_remove(actor=alice, organization_id=acme.id, user_id=alice.logto_id)
        assert yourself.value.message == (
            "Um sich selbst zu entfernen, verwenden Sie „Organisation verlassen“."
        )
        with pytest.raises(ApplicationError) as nameless:
            organization_name_clean("  ")
        assert str(nameless.value) == "Geben Sie der Organisation einen Namen."
        lost = refusal_from(Unavailable("timeout", outcome_unknown=True), Doing.REMOVAL)
        assert lost.message.startswith("Unser Anmeldedienst hat nicht rechtzeitig geantwortet")
        assert "ob das Entfernen ausgeführt wurde" in lost.message
    # The same error objects, read later in English (the constant was made at import time).
    assert yourself.value.message == "To remove yourself, use “Leave organization”."
    assert nameless.value.message == NAME_REQUIRED == "Give the organization a name."


def test_counts_use_the_german_plural(emulator, acme, alice):
    with translation.override("de"):
        one = refusal_from(RateLimited("busy", retry_after=1), Doing.CHANGE)
        two = refusal_from(RateLimited("busy", retry_after=2), Doing.CHANGE)
        assert one.message.endswith("Versuchen Sie es in 1 Sekunde noch einmal.")
        assert two.message.endswith("Versuchen Sie es in 2 Sekunden noch einmal.")
        with pytest.raises(ApplicationError) as too_many:
            members_bulk(
                actor=alice,
                organization_id=acme.id,
                user_ids=[f"user-{n}" for n in range(101)],
                action="remove",
            )
        assert too_many.value.message == "Wählen Sie höchstens 100 Mitglieder auf einmal aus."
    assert one.message.endswith("Try again in 1 second.")


def test_activity_reads_german_and_a_german_refusal_keeps_its_reason(emulator, acme, alice):
    bob_id = uid(emulator, "bob@example.com")
    with translation.override("de"):
        member_remove(actor=alice, organization_id=acme.id, user_id=bob_id)
        with pytest.raises(LastAdminError):
            member_roles_set(
                actor=alice,
                organization_id=acme.id,
                user_id=alice.logto_id,
                role_ids=[rid(emulator, "member")],
            )
    refused = AuditEvent.objects.get(action="member.roles_changed")
    assert "is the last person who can manage members" in refused.error  # kept in English
    with translation.override("de"):
        changed, removed = activity_entries(activity_events(organization_id=acme.id))
    assert removed.sentence.endswith(" hat bob@example.com aus der Organisation entfernt.")
    assert changed.outcome == "refused"
    assert changed.sentence == (
        "Alice Admin hat versucht, die Rolle von Alice Admin von Admin in Member zu ändern: "
        "sonst hätte niemand mehr die Mitglieder verwalten können."
    )


def test_a_batch_stores_english_reasons_and_shows_them_in_german(emulator, acme, alice):
    with translation.override("de"):  # the request that starts it is German
        batch = invitation_batch_start(
            actor=alice,
            organization_id=acme.id,
            emails=["nope", "bob@example.com", "new@example.com", "new@example.com"],
            role_ids=[rid(emulator, "member")],
        )
    assert [i.reason for i in batch.items.all()] == [
        "not a valid email address",
        "already a member",
        "",
        "listed twice",
    ]
    with translation.override("de"):
        progress = invitation_batch_progress(
            actor=alice, organization_id=acme.id, batch_id=batch.pk
        )
        shown = [(o.status, o.reason) for o in progress.outcomes]
    assert shown == [
        ("failed", "keine gültige E-Mail-Adresse"),
        ("skipped", "bereits Mitglied"),
        ("sent", ""),
        ("skipped", "doppelt angegeben"),
    ]


def test_a_long_address_and_the_hourly_limit_are_shown_in_german(emulator, acme, alice, settings):
    settings.ORGPORTAL_INVITATIONS_PER_HOUR = 1
    batch = invitation_batch_start(
        actor=alice,
        organization_id=acme.id,
        emails=["a" * 250 + "@example.com", "one@example.com", "two@example.com"],
        role_ids=[rid(emulator, "member")],
    )
    assert [i.reason for i in batch.items.all()] == [
        "longer than 254 characters",
        "",
        "you reached the limit of 1 invitation an hour; try again later",
    ]
    with translation.override("de"):
        progress = invitation_batch_progress(
            actor=alice, organization_id=acme.id, batch_id=batch.pk
        )
        reasons = [o.reason for o in progress.outcomes]
    assert reasons == [
        "länger als 254 Zeichen",
        "",
        "Sie haben das Limit von 1 Einladung pro Stunde erreicht; versuchen Sie es später "
        "noch einmal",
    ]


def test_the_invitation_email_subject_follows_the_language(db):
    with translation.override("de"):
        invitation_email_send(
            to="new@example.com",
            invitation_id="inv-1",
            organization_name="Acme",
            inviter_name="Alice",
            role_names=["member"],
            expires_at=None,
        )
    assert mail.outbox[-1].subject == "Alice hat Sie zu Acme eingeladen"
