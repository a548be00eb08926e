"""Organizations in a real browser: create, switch, rename, delete; with and without JS."""

import re

import pytest
from playwright.sync_api import expect

from logto_emulator.state import MfaVerification
from tests.e2e.conftest import ARTIFACTS, sign_in

ORG_PAGE = re.compile(r".*/orgs/(?!new/)[^/]+/$")
INVITE_STEP = re.compile(r".*/orgs/[^/]+/invite-your-team/$")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alice_creates_renames_and_deletes_zeta(live_server, live_emulator, page, screenshot):
    sign_in(page, live_server, "alice@example.com")
    page.get_by_role("link", name="Create organization").first.click()
    page.get_by_label("Name").fill("Zeta")
    page.get_by_label("Description").fill("The Zeta team")
    screenshot("create")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(INVITE_STEP)
    expect(page.locator(".toasts, .messages").get_by_text("Zeta is ready")).to_be_visible()
    page.get_by_role("link", name="Skip for now").click()
    page.wait_for_url(ORG_PAGE)
    expect(page.get_by_role("heading", name="Zeta", exact=True)).to_be_visible()
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
    page.wait_for_url(INVITE_STEP)
    expect(page.get_by_role("heading", name="Invite your team to Carol's Crew")).to_be_visible()
    page.get_by_role("link", name="Skip for now").click()
    page.wait_for_url(ORG_PAGE)
    expect(page.get_by_role("heading", name="Carol's Crew", exact=True)).to_be_visible()


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
        "invite-your-team": f"/orgs/{acme.id}/invite-your-team/",
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


# -- issue 17, defects 7 and 8: after creating, and leaving as the last admin ----------------
WIDTHS = (375, 1280, 1440)
LONG_NAME = ("Northwind Traders International Holdings and Subsidiaries " * 3)[:120]


def sized_page(browser, width: int, *, javascript: bool = True):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def fits(page, selector: str) -> None:
    """The element is inside the viewport's width and not clipped by a scrolling ancestor."""
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{selector} leaves the screen"


def many_members(emulator, organization, count: int) -> None:
    state = emulator.state
    for n in range(count):
        name = f"Member {n:02} " + ("with a rather long name " if n % 7 == 0 else "")
        user = state.add_user(f"member{n:02}@example.com", "pw", name=name.strip())
        state.add_member(organization, user, ["member"])


def test_after_creating_the_team_is_invited_then_the_overview_shows_it(
    live_server, live_emulator, page, look
):
    sign_in(page, live_server, "alice@example.com")
    page.goto(live_server.url + "/orgs/new/")
    page.get_by_label("Name").fill("Zeta")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(INVITE_STEP)
    expect(page.get_by_role("heading", name="Invite your team to Zeta")).to_be_visible()
    look(page, "invite-step")
    page.get_by_label("Email addresses").fill("new.person@example.com, not-an-address")
    page.get_by_role("button", name="Send invitations").click()
    # The answer lands on this step, as on the invitations page.
    expect(page.locator("#batch-summary")).to_contain_text("Done: 1 sent")
    expect(page.get_by_role("link", name="Continue to the overview")).to_be_visible()
    look(page, "invite-step-sent")
    page.get_by_role("link", name="Continue to the overview").click()
    page.wait_for_url(ORG_PAGE)
    stats = page.locator(".overview-stats")
    expect(stats).to_contain_text("1 member")
    expect(stats).to_contain_text("1 pending invitation")
    setup = page.get_by_role("region", name="Set up Zeta")
    expect(setup).to_contain_text("1 of 3 done")
    expect(setup.locator(".is-done")).to_contain_text("Invite your team")
    # The only member's overview offers deleting, not a Leave that cannot work.
    expect(page.get_by_text("You are its only member")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Leave "))).to_have_count(0)
    look(page, "overview-new")


@pytest.mark.parametrize("width", WIDTHS)
def test_overview_and_leave_fit_every_width_with_many_members_and_a_long_name(
    live_server, live_emulator, browser, look, width
):
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    acme.name = LONG_NAME
    many_members(live_emulator, acme, 60)
    page = sized_page(browser, width)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/")
    expect(page.locator(".overview-stats")).to_contain_text("62 members")
    fits(page, ".stat-action .button")
    fits(page, "[data-dialog-open=hand-over-dialog]")
    look(page, f"overview-{width}")
    page.get_by_role("link", name="Hand over and leave…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    fits(page, "dialog .button-danger")
    look(page, f"hand-over-dialog-{width}")
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}/orgs/{acme.id}/leave/")
    fits(page, ".leave-panel .button-danger")
    look(page, f"leave-{width}")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invite-your-team/")
    fits(page, "#invite-form button[type=submit]")
    look(page, f"invite-step-{width}")
    page.context.close()


def test_the_last_admin_hands_over_and_leaves_in_the_dialog(
    live_server, live_emulator, browser, look
):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    many_members(live_emulator, acme, 12)
    page = sized_page(browser, 375)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/")
    expect(page.locator(".leave-zone")).to_contain_text(
        "You are the only person who can manage its members, so someone has to take that over"
    )
    opener = page.get_by_role("link", name="Hand over and leave…")
    opener.click()
    dialog = page.get_by_role("dialog", name=re.compile("Hand over and leave Acme"))
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.contains(document.activeElement)"), "focus moves into it"
    # Sending without a choice is refused by the browser before anything happens.
    dialog.get_by_role("button", name="Hand over and leave").click()
    assert state.user_by_email("alice@example.com").id in acme.members
    dialog.get_by_label(re.compile("Bob Member")).check()
    look(page, "hand-over-chosen")
    dialog.get_by_role("button", name="Hand over and leave").click()
    page.wait_for_url(live_server.url + "/")
    expect(
        page.get_by_text("Bob Member now manages the members of Acme, and you left it.")
    ).to_be_visible()
    bob = state.user_by_email("bob@example.com")
    assert state.role_by_name("admin").id in acme.members[bob.id]
    assert state.user_by_email("alice@example.com").id not in acme.members
    page.context.close()


def test_a_failed_hand_over_says_so_in_the_dialog_and_changes_nothing(
    live_server, live_emulator, page, look
):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/")
    live_emulator.set_fault("organizations.users.remove", status=503)
    page.get_by_role("link", name="Hand over and leave…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile("Bob Member")).check()
    dialog.get_by_role("button", name="Hand over and leave").click()
    expect(dialog.get_by_role("alert")).to_contain_text(
        "Leaving did not work, so nothing was changed"
    )
    look(page, "hand-over-failed")
    bob = state.user_by_email("bob@example.com")
    assert acme.members[bob.id] == [state.role_by_name("member").id]


def test_hand_over_and_leave_without_javascript(live_server, live_emulator, no_js_page, look):
    page = no_js_page
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/")
    page.get_by_role("link", name="Hand over and leave…").click()
    page.wait_for_url(re.compile(r".*/leave/$"))
    look(page, "no-js-hand-over", run_axe=False)
    page.get_by_label(re.compile("Bob Member")).check()
    page.get_by_role("button", name="Hand over and leave").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_text("Bob Member now manages the members of Acme")).to_be_visible()
    assert state.role_by_name("admin").id in acme.members[state.user_by_email("bob@example.com").id]
