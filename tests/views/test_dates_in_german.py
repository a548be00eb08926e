"""Pages show dates and times in the reader's language and time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from orgportal.models import AuditEvent
from orgportal.services.organizations import organization_update
from tests.conftest import login_as
from tests.translation_checks import GERMAN_MONTHS

pytestmark = pytest.mark.django_db


def test_the_activity_page_says_when_in_german_in_the_viewers_zone(client, emulator, acme, alice):
    organization_update(actor=alice, organization_id=acme.id, name="Acme Jetzt")
    login_as(client, emulator, "alice@example.com")
    client.cookies["tz"] = "Europe/Berlin"
    body = client.get(f"/orgs/{acme.id}/activity/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert ">gerade eben</time>" in body
    event = AuditEvent.objects.get()
    with timezone.override("Europe/Berlin"), translation.override("de"):
        exact = date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT")
    assert f'title="{exact}"' in body
    assert re.fullmatch(r"\d{1,2}\. (\w+) \d{4}, \d\d:\d\d (CET|CEST)", exact)
    assert exact.split()[1] in GERMAN_MONTHS

    english = client.get(f"/orgs/{acme.id}/activity/").content.decode()
    assert ">just now</time>" in english


def test_the_invitations_list_dates_read_german(client, emulator, acme):
    state = emulator.state
    sent = datetime(2025, 3, 7, 23, 30, tzinfo=UTC)  # 8 March in Berlin
    state.add_invitation(
        acme,
        "old@example.com",
        inviter=state.user_by_email("alice@example.com"),
        status="Accepted",
        created_at=int(sent.timestamp() * 1000),
    )
    login_as(client, emulator, "alice@example.com")
    client.cookies["tz"] = "Europe/Berlin"
    url = f"/orgs/{acme.id}/invitations/?status=all"

    german = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert ">8. März 2025</time>" in german

    english = client.get(url).content.decode()
    assert ">8 Mar 2025</time>" in english
