"""A long invitation batch in a real browser: a worker sends while each address fills in."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [f"person{n:02}@example.com" for n in range(1, 11)]
SENDING = re.compile(r"Sending \d+ of 12…")


def test_the_result_fills_in_while_the_worker_sends(
    live_server, live_emulator, worker_thread, page, look, settings
):
    settings.PORTAL_BASE_URL = live_server.url
    # A slow Logto: the worker sends 8 addresses at a time (ORGPORTAL_BATCH_PARALLELISM), so
    # the 10 new ones take two rounds of 3 s.
    live_emulator.set_fault("invitations.create", latency=3.0)
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    page.get_by_role("link", name="Invite people").click()
    page.get_by_label("Email addresses").fill("\n".join([*PEOPLE, "bob@example.com", "oops@"]))
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator("#batch-card")).to_be_focused()  # the dialog closed, the result shows

    summary = page.locator("#batch-summary")
    expect(summary).to_have_text(SENDING)
    assert summary.get_attribute("aria-live") == "polite"
    expect(page.locator("#batch-body li.working")).to_have_count(8)  # the first round
    expect(page.locator("#batch-body")).to_contain_text("oops@: failed (not a valid email address)")
    look(page, "batch-in-progress-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    expect(summary).to_have_text(SENDING)
    look(page, "batch-in-progress-375")

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(summary).to_have_text("Done: 10 sent · 1 skipped · 1 failed.", timeout=30_000)
    expect(page.locator("#batch-body li.ok")).to_have_count(10)
    expect(page.locator("#batch-body")).to_contain_text(
        "bob@example.com: skipped (already a member)"
    )
    expect(page.get_by_label(re.compile("Failed address"))).to_have_value("oops@")  # to fix
    expect(page.locator("#toasts")).to_contain_text("Invitations: 10 sent · 1 skipped · 1 failed.")
    expect(page.locator("#invitation-list")).to_contain_text("person10@example.com")
    look(page, "batch-done-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(500)  # let the scrolling table repaint before the full-page shot
    look(page, "batch-done-375")
    assert len(live_emulator.state.invitations) == 10


def test_without_javascript_the_page_reloads_until_the_batch_is_done(
    live_server, live_emulator, worker_thread, no_js_page, look, settings
):
    page = no_js_page
    settings.PORTAL_BASE_URL = live_server.url
    # All three go out at once; slower than the page waits before it answers (1.5 s).
    live_emulator.set_fault("invitations.create", latency=4.0)
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    page.get_by_role("link", name="Invite people").click()  # a page of its own without JS
    page.get_by_label("Email addresses").fill("\n".join(PEOPLE[:3]))
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator("#batch-summary")).to_contain_text("of 3…")
    look(page, "batch-no-js-in-progress", run_axe=False)
    # The page refreshes itself every 3 s (a <noscript> meta refresh) until it is done.
    expect(page.locator("#batch-summary")).to_have_text("Done: 3 sent.", timeout=30_000)
    assert "?batch=" in page.url
    expect(page.locator("#invitation-list")).to_contain_text(PEOPLE[2])
    look(page, "batch-no-js-done", run_axe=False)
