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
