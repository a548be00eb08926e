"""The shell around every page: branding, the viewer's time zone, the header's badge."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from orgportal.models import User
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def test_the_browser_reported_time_zone_is_kept_on_the_user(client, emulator):
    user = login_as(client, emulator, "alice@example.com")
    client.cookies["tz"] = "Europe/Berlin"
    body = client.get("/").content.decode()
    assert '<meta name="viewer-time-zone" content="Europe/Berlin">' in body
    assert User.objects.get(pk=user.pk).time_zone == "Europe/Berlin"

    client.cookies["tz"] = "Mars/Olympus_Mons"  # typed by anyone: not a zone, ignored
    body = client.get("/").content.decode()
    assert '<meta name="viewer-time-zone" content="Europe/Berlin">' in body


def test_branding_replaces_the_portals_own_name(client, emulator, settings):
    settings.ORGPORTAL_PRODUCT_NAME = "Acme Cloud"
    settings.ORGPORTAL_SUPPORT_EMAIL = "help@acme.test"
    settings.ORGPORTAL_ACCENT_COLOR = "#0b6e4f"
    body = client.get("/").content.decode()
    assert "<title>Welcome · Acme Cloud</title>" in body
    assert "--brand: #0b6e4f" in body and "mailto:help@acme.test" in body
    assert "orgportal" not in body.replace("/static/orgportal/", "")
    assert "Logto" not in body


def test_the_invitation_badge_costs_no_call_and_shows_once_known(client, emulator, acme):
    login_as(client, emulator, "carol@example.com")
    cache.clear()
    before = emulator.calls_to("invitations.list")
    body = client.get("/orgs/new/").content.decode()
    assert emulator.calls_to("invitations.list") == before  # the header never asks
    assert 'data-load-badge="/invitations/"' in body  # app.js fetches it after the page
    client.get("/invitations/")
    body = client.get("/orgs/new/").content.decode()
    assert "data-load-badge" not in body


# -- German -----------------------------------------------------------------------------------


def test_the_landing_page_and_shell_speak_german_to_a_german_browser(client, emulator):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert "<title>Willkommen · Organisationsportal</title>" in body
    assert "Ihre Organisation in Ihrer Hand" in body and "Zum Inhalt springen" in body
    assert ">Anmelden</a>" in body
    assert "Sign in" not in body and "Organization portal" not in body
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<title>Welcome · Organization portal</title>" in english


def test_the_dashboard_in_german_counts_invitations_in_german(client, emulator, acme):
    state = emulator.state
    alice = state.user_by_email("alice@example.com")
    state.add_invitation(acme, "carol@example.com", inviter=alice)
    login_as(client, emulator, "carol@example.com")
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h1>Ihre Organisationen</h1>" in body
    assert "Sie haben 1 ausstehende Einladung" in body
    assert "von Alice Admin · läuft" in body and "Einladung<span" in body
    assert "Abmelden" in body and "Organisation erstellen" in body

    other = state.add_organization("Globex")
    state.add_invitation(other, "carol@example.com", inviter=alice)
    cache.clear()  # the invitee's list is cached for a moment
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Sie haben 2 ausstehende Einladungen" in body


def test_the_support_line_is_one_german_sentence(client, emulator, settings):
    settings.ORGPORTAL_SUPPORT_URL = "https://help.acme.test/"
    settings.ORGPORTAL_SUPPORT_EMAIL = "help@acme.test"
    body = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert (
        'Brauchen Sie Hilfe? <a href="https://help.acme.test/">Wenden Sie sich an den Support</a>'
        ' oder schreiben Sie an <a href="mailto:help@acme.test">help@acme.test</a>.'
    ) in body
