"""The organization, members and invitations pages for a browser that asks for German: German
text, plural forms that follow the count, and English still without Accept-Language."""

from __future__ import annotations

import pytest

from tests.conftest import login_as
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
HTMX = {"HX-Request": "true"}


def german_text(client, url: str, **extra) -> str:
    response = client.get(url, **GERMAN, **extra)
    assert response.status_code == 200
    return page_text(response.content.decode())


def test_the_overview_in_german_counts_members_and_invitations(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    text = german_text(client, f"/orgs/{acme.id}/")
    assert "2 Mitglieder" in text  # the plural
    assert "0 ausstehende Einladungen" in text
    assert "Übersicht" in text and "Einstellungen" in text and "Aktivität" in text
    assert "Diese Organisation verlassen" in text
    assert "Zwei-Faktor-Authentifizierung" in text
    assert "members" not in text and "pending invitation" not in text


def test_a_new_organization_in_german_has_one_member_and_one_invitation(client, emulator):
    login_as(client, emulator, "alice@example.com")
    response = client.post("/orgs/new/", {"name": "Zeta"}, follow=True, **GERMAN)
    text = page_text(response.content.decode())
    assert "Ihre neue Organisation ist bereit" in text and "Vorerst überspringen" in text
    zeta = next(o for o in emulator.state.organizations.values() if o.name == "Zeta")
    emulator.state.add_invitation(zeta, "neu@example.com")
    text = german_text(client, f"/orgs/{zeta.id}/")
    assert "1 Mitglied " in text and "1 ausstehende Einladung " in text  # the singulars
    assert "Zeta einrichten" in text and "Ihr Team einladen" in text


def test_the_members_page_in_german(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/members/", **GERMAN).content.decode()
    text = page_text(body)
    assert "2 Mitglieder" in text
    assert "Name oder E-Mail suchen" in body  # the search's placeholder
    assert "Letzte Anmeldung" in text and "Rollen ändern" in text
    # The rows are built in Python: their buttons, labels and confirmations are German too.
    assert "--label-roles: &quot;Rollen&quot;" in body  # the phone layout's cell labels
    assert 'data-remove-question="{member} aus Acme entfernen?"' in body  # app.js names the member
    assert 'aria-label="Rollen von bob@example.com ändern"' in body
    assert "Die Person verliert den Zugriff auf die Organisation" in body
    assert ">Entfernen</a>" in body
    assert "Change roles" not in body and "Last sign-in" not in body


def test_a_search_in_german_counts_its_matches(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    text = german_text(client, f"/orgs/{acme.id}/members/?q=bob", headers=HTMX)
    assert "1 Mitglied passt zu „bob“" in text
    text = german_text(client, f"/orgs/{acme.id}/members/?q=example", headers=HTMX)
    assert "2 Mitglieder passen zu „example“" in text
    text = german_text(client, f"/orgs/{acme.id}/members/?q=niemand", headers=HTMX)
    assert "Kein Mitglied passt zu „niemand“." in text


def test_the_bulk_removal_page_in_german_counts_the_members(client, emulator, acme):
    bob = emulator.state.user_by_email("bob@example.com")
    carol = emulator.state.add_user("carol2@example.com", "pw", name="Carol Zwei")
    emulator.state.add_member(acme, carol, ["member"])
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/members/bulk/",
        {"action": "remove", "members": [bob.id, carol.id], "ask": "1"},
        **GERMAN,
    )
    text = page_text(response.content.decode())
    assert "2 Mitglieder aus Acme entfernen?" in text
    assert "2 Mitglieder entfernen" in text and "Abbrechen" in text


def test_the_invitations_page_in_german(client, emulator, acme):
    emulator.state.add_invitation(acme, "eins@example.com")
    emulator.state.add_invitation(acme, "zwei@example.com")
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/", **GERMAN).content.decode()
    text = page_text(body)
    assert "2 ausstehende Einladungen" in text
    assert "Personen einladen" in text and "Einladungen senden" in text
    assert "Ausstehend" in text and "läuft am" in text
    assert 'data-confirm="Einladung für eins@example.com zurückziehen?"' in body
    assert ">Zurückziehen</button>" in body and ">Erneut senden</button>" in body
    assert '<option value="Accepted">Angenommen</option>' in body
    assert "pending invitations" not in text and ">Revoke<" not in body


def test_an_empty_invitation_filter_in_german(client, emulator, acme):
    emulator.state.add_invitation(acme, "eins@example.com")
    login_as(client, emulator, "alice@example.com")
    text = german_text(client, f"/orgs/{acme.id}/invitations/?status=Expired", headers=HTMX)
    assert "Keine abgelaufenen Einladungen." in text
    text = german_text(client, f"/orgs/{acme.id}/invitations/?q=eins", headers=HTMX)
    assert "1 ausstehende Einladung passt zu „eins“" in text


def test_the_settings_mfa_warning_in_german_uses_the_plural(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/",
        {"name": "Acme", "is_mfa_required": "on"},
        headers=HTMX,
        **GERMAN,
    )
    text = page_text(response.content.decode())
    assert "2 von 2 Mitgliedern haben die Zwei-Faktor-Authentifizierung nicht eingerichtet." in text
    assert "Bevor Sie Zwei-Faktor-Authentifizierung verlangen" in text


def test_the_leave_and_delete_pages_in_german(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    text = german_text(client, f"/orgs/{acme.id}/leave/")
    assert "Acme übergeben und verlassen" in text and "Wer übernimmt?" in text
    text = german_text(client, f"/orgs/{acme.id}/delete/")
    assert "Acme löschen?" in text and "Diese Organisation löschen" in text


def test_the_invitation_landing_page_in_german(client, emulator, acme):
    invitation = emulator.state.add_invitation(acme, "neu@example.com")
    text = german_text(client, f"/invitations/{invitation.id}/")
    assert "Acme beitreten" in text and "Eingeladen von" in text
    assert "Anmelden und annehmen" in text and "Konto erstellen" in text


def test_without_accept_language_the_pages_stay_english(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    text = page_text(client.get(f"/orgs/{acme.id}/members/").content.decode())
    assert "2 members" in text and "Change roles" in text and "Mitglieder" not in text
