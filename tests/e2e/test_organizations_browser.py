"""Organizations in a real browser: create, switch, rename, delete; with and without JS."""

import re

import pytest
from playwright.sync_api import expect

from logto_emulator.state import MfaVerification
from tests.e2e.conftest import ARTIFACTS, sign_in

ORG_PAGE = re.compile(r".*/orgs/(?!new/)[^/]+/$")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alice_creates_renames_and_deletes_zeta(live_server, live_emulator, page, screenshot):
    sign_in(page, live_server, "alice@example.com")
    page.get_by_role("link", name="Create organization").first.click()
    page.get_by_label("Name").fill("Zeta")
    page.get_by_label("Description").fill("The Zeta team")
    screenshot("create")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(ORG_PAGE)
    expect(page.get_by_role("heading", name="Zeta")).to_be_visible()
    expect(page.locator(".toasts, .messages").get_by_text("Zeta is ready")).to_be_visible()
    expect(page.locator(".switcher-current")).to_have_text("Zeta")
    page.locator(".switcher summary").click()
    expect(page.locator(".switcher-menu").get_by_text("Acme")).to_be_visible()
    screenshot("overview-with-switcher")
    page.keyboard.press("Escape")

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Name", exact=True).fill("Zeta Prime")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Zeta Prime")).to_be_visible()
    assert any(o.name == "Zeta Prime" for o in live_emulator.state.organizations.values())

    opener = page.get_by_role("link", name="Delete organization…")
    opener.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    field = dialog.get_by_label("Type the organization's name to confirm")
    assert field.evaluate("el => el === document.activeElement"), "focus moves into the dialog"
    field.fill("Zeta")
    expect(dialog.get_by_role("button", name="Delete this organization")).to_be_disabled()
    screenshot("delete-dialog-not-yet")
    page.keyboard.press("Escape")
    assert opener.evaluate("el => el === document.activeElement"), "focus returns to the opener"

    opener.click()
    dialog.get_by_label("Type the organization's name to confirm").fill("Zeta Prime")
    dialog.get_by_role("button", name="Delete this organization").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_text("Zeta Prime was deleted.")).to_be_visible()
    assert not any(o.name.startswith("Zeta") for o in live_emulator.state.organizations.values())


def test_creating_an_organization_works_without_javascript(
    live_server, live_emulator, no_js_page, screenshot
):
    page = no_js_page
    # The emulator's sign-out page auto-submits with JS; sign-in itself is plain forms.
    sign_in(page, live_server, "carol@example.com")
    expect(page.get_by_text("No organizations yet")).to_be_visible()
    page.get_by_role("link", name="Create organization").first.click()
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("Give the organization a name.")).to_be_visible()
    screenshot("no-js-create-error")
    page.get_by_label("Name").fill("Carol's Crew")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(ORG_PAGE)
    expect(page.get_by_role("heading", name="Carol's Crew")).to_be_visible()


def test_pages_fit_a_phone_screen(live_server, live_emulator, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    acme.name = "Acme " + "Very Long Organization Name " * 4
    sign_in(page, live_server, "alice@example.com")
    pages = {
        "dashboard": "/",
        "overview": f"/orgs/{acme.id}/",
        "settings": f"/orgs/{acme.id}/settings/",
        "new": "/orgs/new/",
        "leave": f"/orgs/{acme.id}/leave/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.screenshot(path=str(ARTIFACTS / f"phone--{name}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{path} scrolls sideways at 375 px"
    context.close()


def test_requiring_mfa_shows_who_loses_access_before_it_is_switched_on(
    live_server, live_emulator, page, look
):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    state.user_by_email("alice@example.com").mfa_verifications.append(
        MfaVerification(id="totp1", type="Totp")
    )
    state.mfa.factors = ["Totp"]
    state.mfa.organization_required_mfa_policy = "Mandatory"
    sign_in(page, live_server, "alice@example.com")

    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    bob_row = page.locator("tr", has_text="bob@example.com")
    expect(bob_row.locator("td.mfa")).to_have_text("Not set up")
    expect(page.locator("tr", has_text="alice@example.com").locator("td.mfa")).to_have_text("On")

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Require two-step verification").check()
    page.get_by_role("button", name="Save changes").click()
    impact = page.locator("#mfa-impact")
    expect(impact).to_contain_text("1 of 2 members has not set up two-step verification")
    expect(impact).to_contain_text("Bob Member")
    expect(impact).to_contain_text("asked to set it up the next time they sign in")
    assert not acme.is_mfa_required, "nothing changes before the second click"
    look(page, "mfa-impact")

    page.get_by_role("button", name="Require two-step verification").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_label("Require two-step verification")).to_be_checked()
    assert acme.is_mfa_required
