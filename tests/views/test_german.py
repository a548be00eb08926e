"""The pages' own sentences in German for a browser that asks for it (Accept-Language: de):
messages and toasts after an action, form errors that keep what was typed, sign-in failures;
English without the header."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import cast

import pytest
from django.utils import translation

from orgportal.services.invitation_batches import BatchProgress
from orgportal.views.invitations import outcome_summary
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


def toast(response) -> str:
    return json.loads(response["HX-Trigger"])["messages"][0]["message"]


def test_removing_a_member_says_so_in_german(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    response = client.post(f"/orgs/{acme.id}/members/{bob_id}/remove/", headers={**HTMX, **GERMAN})
    assert response.status_code == 200
    assert toast(response) == "bob@example.com wurde aus Acme entfernt."


def test_without_accept_language_the_toast_is_english(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    response = client.post(f"/orgs/{acme.id}/members/{bob_id}/remove/", headers=HTMX)
    assert toast(response) == "bob@example.com was removed from Acme."


def test_a_role_change_toast_and_its_undo_in_german(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    response = client.post(
        f"/orgs/{acme.id}/members/{bob_id}/roles/",
        {"roles": [rid(emulator, "admin")]},
        headers={**HTMX, **GERMAN},
    )
    message = json.loads(response["HX-Trigger"])["messages"][0]
    assert message["message"] == "Rollen von bob@example.com gespeichert."
    assert message["undo"]["label"] == "Rollenänderung von bob@example.com rückgängig machen"


def test_creating_an_organization_greets_in_german(client, emulator):
    login_as(client, emulator, "alice@example.com")
    response = client.post("/orgs/new/", {"name": "Zeta"}, headers=GERMAN, follow=True)
    assert "Zeta ist eingerichtet. Sie sind Admin dieser Organisation." in (
        response.content.decode()
    )


def test_an_invite_form_error_in_german_keeps_what_was_typed(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    data = {
        "emails": "dora@example.com",
        "roles": [rid(emulator, "member")],
        "expires_in_days": "99",
        "message": "Willkommen im Team",
    }
    response = client.post(f"/orgs/{acme.id}/invitations/", data, headers=GERMAN)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Wählen Sie zwischen 1 und 30 Tagen." in body
    assert "E-Mail-Adressen" in body  # the field's label
    assert "dora@example.com</textarea>" in body and "Willkommen im Team" in body
    assert emulator.state.invitations == {}


def test_too_many_addresses_counts_them_in_german(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    emails = " ".join(f"p{n}@example.com" for n in range(101))
    data = {"emails": emails, "roles": [rid(emulator, "member")], "expires_in_days": "7"}
    response = client.post(f"/orgs/{acme.id}/invitations/", data, headers=GERMAN)
    assert response.status_code == 422
    assert "Das sind 101 Adressen; laden Sie höchstens 100 auf einmal ein." in (
        response.content.decode()
    )


def test_an_activity_filter_error_in_german(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.get(f"/orgs/{acme.id}/activity/?from=someday", headers=GERMAN)
    body = response.content.decode()
    assert "Geben Sie das Datum als JJJJ-MM-TT ein, z. B. 2025-03-31." in body
    assert 'value="someday"' in body


def test_a_failed_sign_in_explains_itself_in_german(client, emulator):
    response = client.get("/signin/failed/", headers=GERMAN)
    assert response.status_code == 400
    assert "Die Anmeldung wurde nicht abgeschlossen, daher sind Sie nicht angemeldet." in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("counts", "language", "summary"),
    [
        ((1, 0, 0), "en", "1 sent"),
        ((2, 1, 3), "en", "2 sent · 1 skipped · 3 failed"),
        ((2, 1, 3), "de", "2 gesendet · 1 übersprungen · 3 fehlgeschlagen"),
    ],
)
def test_a_batch_summary_counts_in_the_viewers_language(counts, language, summary):
    sent, skipped, failed = counts
    progress = SimpleNamespace(sent=sent, skipped=skipped, failed=failed)
    with translation.override(language):
        assert outcome_summary(cast(BatchProgress, progress)) == summary
