"""The activity page in a real browser: sentences, filters (with and without JavaScript), the
CSV export, at phone and desktop widths with many events, long names and failures."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from orgportal.models import AuditEvent
from orgportal.services.audit import audit_record
from tests.conftest import local_user
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "someone.with.an.exceptionally.long.address.that.keeps.going@subdomain.example.com"


def busy_trail(emulator, acme):
    """60 events: invitations by alice (some failed), role changes, bob's refused removal."""
    alice = local_user(emulator, "alice@example.com")
    bob = local_user(emulator, "bob@example.com")
    for n in range(24):
        audit_record(
            actor=alice,
            action="invitation.sent",
            outcome=AuditEvent.Outcome.FAILURE if n % 6 == 0 else AuditEvent.Outcome.SUCCESS,
            organization_id=acme.id,
            target_type="invitation",
            target_id=f"inv{n}",
            target_label=LONG if n % 5 == 0 else f"new.person{n}@example.com",
            after={"roles": ["member"]},
            error="The email could not be sent." if n % 6 == 0 else "",
        )
        audit_record(
            actor=alice,
            action="member.roles_changed",
            organization_id=acme.id,
            target_type="user",
            target_id=bob.logto_id or "",
            target_label="bob@example.com",
            before={"roles": ["member"]},
            after={"roles": ["admin"]},
        )
    for _ in range(12):
        audit_record(
            actor=bob,
            action="member.removed",
            outcome=AuditEvent.Outcome.FAILURE,
            organization_id=acme.id,
            target_type="user",
            target_id=alice.logto_id or "",
            target_label="alice@example.com",
            error="You are not allowed to remove members here.",
        )
    return alice, bob


def acme_of(emulator):
    return next(o for o in emulator.state.organizations.values() if o.name == "Acme")


def fits(page) -> None:
    """Nothing scrolls sideways, and the filter's button and the export link are on screen."""
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    width = page.viewport_size["width"]
    for control in (
        page.get_by_role("button", name="Apply filters"),
        page.get_by_role("link", name=re.compile(r"^Export \d+ events? as CSV$")),
    ):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box


@pytest.mark.parametrize("width", [375, 1280, 1440])
def test_the_activity_reads_as_sentences_at_every_width(
    live_server, live_emulator, browser, look, width
):
    acme = acme_of(live_emulator)
    busy_trail(live_emulator, acme)
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/activity/")
    expect(page.locator(".count")).to_contain_text("60 events")
    first = page.locator(".activity-sentence").first
    expect(first).to_have_text("Bob Member tried to remove Alice Admin: not allowed.")
    expect(page.locator(".activity-item").first.get_by_text("Refused")).to_be_visible()
    expect(page.get_by_text("invitation.sent")).to_have_count(0)
    expect(page.locator(".activity time").first).to_have_text("just now")
    fits(page)
    look(page, f"activity-{width}")
    # What a person sees first, without scrolling.
    page.screenshot(path=str(ARTIFACTS / f"activity-first-screen-{width}.png"))


def test_filters_swap_the_list_push_the_url_and_export_what_is_shown(
    live_server, live_emulator, page, look, tmp_path
):
    acme = acme_of(live_emulator)
    _, bob = busy_trail(live_emulator, acme)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/activity/")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Person").select_option(label="Bob Member (bob@example.com)")
    expect(page.locator(".count")).to_contain_text("12 events match these filters")
    assert f"person={bob.pk}" in page.url
    assert page.evaluate("window.stillTheSamePage === true"), "the list was swapped in place"
    page.get_by_label("Action").select_option(label="Invitations sent")
    expect(page.get_by_text("No activity matches these filters.")).to_be_visible()
    page.get_by_label("Person").select_option(label="Everyone")
    expect(page.locator(".count")).to_contain_text("24 events match these filters")
    look(page, "filtered")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export 24 events as CSV").click()
    saved = tmp_path / "activity.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert rows[0] == ["time", "actor", "action", "sentence", "target", "outcome"]
    assert len(rows) == 25 and {row[2] for row in rows[1:]} == {"invitation.sent"}
    assert rows[1][3].startswith("Alice Admin ")

    page.reload()  # the pushed URL is the filtered page itself
    expect(page.get_by_label("Action")).to_have_value("invitation.sent")
    expect(page.locator(".count")).to_contain_text("24 events match these filters")


def test_filters_and_pages_work_without_javascript(live_server, live_emulator, no_js_page, look):
    page = no_js_page
    acme = acme_of(live_emulator)
    alice, _ = busy_trail(live_emulator, acme)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/activity/")
    page.get_by_label("Person").select_option(label="Alice Admin (alice@example.com)")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".count")).to_contain_text("48 events match these filters · page 1 of 2")
    expect(page.locator(".activity-sentence").first).to_have_text(
        "Alice Admin changed the role of Bob Member from Member to Admin."
    )
    page.get_by_role("link", name="Older →").click()
    expect(page.locator(".count")).to_contain_text("48 events match these filters · page 2 of 2")
    assert f"person={alice.pk}" in page.url and "page=2" in page.url
    expect(page.locator(".activity-item")).to_have_count(23)
    expect(page.get_by_label("Person")).to_have_value(str(alice.pk))
    look(page, "no-js-page-2", run_axe=False)
