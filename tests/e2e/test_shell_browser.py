"""The shell in a real browser at 375, 1280 and 1440 px: header, switcher, layout, failures,
busy states, the confirm dialog, dark mode and the viewer's time zone."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from logto_emulator.state import Invitation, new_id, now_ms
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1280, 1440)
LONG_NAME = ("Northwind Interplanetary Logistics and Cargo Handling Cooperative " * 3)[:120]


def open_page(browser, width: int, **options):
    context = browser.new_context(viewport={"width": width, "height": 900}, **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"shell--{name}.png"), full_page=True)


def assert_fits(page, where: str) -> None:
    """No sideways scrolling, and every primary button inside the viewport, not clipped."""
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{where}: the page scrolls sideways ({scroll} > {width})"
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('main .button:not(.button-quiet)')]
          .filter(b => b.offsetParent !== null && !b.closest('dialog'))
          .filter(b => {
            const r = b.getBoundingClientRect();
            if (r.left < 0 || r.right > window.innerWidth) return true;
            for (let p = b.parentElement; p && p !== document.body; p = p.parentElement) {
              const s = getComputedStyle(p);
              if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
              const c = p.getBoundingClientRect();
              if (r.left < c.left - 1 || r.right > c.right + 1) return true;
            }
            return b.scrollWidth > b.clientWidth + 1;
          }).map(b => b.textContent.trim())"""
    )
    assert clipped == [], f"{where}: buttons outside the viewport or clipped: {clipped}"


def axe_clean(page, where: str) -> None:
    violations = Axe().run(page).response["violations"]
    blocking = [
        f"{v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not blocking, f"{where}: " + "; ".join(blocking)


@pytest.fixture
def live_acme(live_emulator):
    return next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")


@pytest.fixture
def many_organizations(live_emulator):
    """Alice in 14 organizations, one of them with a 120-character name."""
    state = live_emulator.state
    alice = state.user_by_email("alice@example.com")
    made = []
    for n in range(12):
        organization = state.add_organization(f"Team {n:02} of Example", f"Team number {n}")
        state.add_member(organization, alice, ["member"])
        made.append(organization)
    long = state.add_organization(LONG_NAME, "A very long name " * 10)
    state.add_member(long, alice, ["admin"])
    return long


def test_dashboard_and_switcher_at_three_widths(live_server, many_organizations, browser):
    for width in WIDTHS:
        context, page = open_page(browser, width)
        sign_in(page, live_server, "alice@example.com")
        assert_fits(page, f"dashboard at {width}")
        tops = page.eval_on_selector_all(
            ".card-list > .card",
            "cards => cards.slice(0, 2).map(c => c.getBoundingClientRect().top)",
        )
        if width > 700:
            assert tops[0] == tops[1], "the first card sits level with the second"
        shot(page, f"dashboard-{width}")

        page.locator(".switcher summary").click()
        search = page.get_by_label("Find an organization")
        expect(search).to_be_focused()
        expect(page.locator("#switcher-list > li:visible")).to_have_count(14)
        search.fill("team 07")
        expect(page.locator("#switcher-list > li:visible")).to_have_count(1)
        menu = page.locator(".switcher-menu")
        expect(menu.get_by_role("link", name="Create organization")).to_be_visible()
        box = menu.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        shot(page, f"switcher-search-{width}")
        search.fill("zzz")
        expect(page.get_by_text("No organization matches.")).to_be_visible()
        search.fill("team 03")
        search.press("Enter")
        page.wait_for_url("**/orgs/**")
        expect(page.locator(".switcher-current")).to_have_text("Team 03 of Example")
        context.close()


def test_a_very_long_name_takes_two_lines_and_the_tabs_hint_at_more(
    live_server, many_organizations, browser
):
    for width in WIDTHS:
        context, page = open_page(browser, width)
        sign_in(page, live_server, "alice@example.com")
        page.goto(f"{live_server.url}/orgs/{many_organizations.id}/settings/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_attribute("title", LONG_NAME)
        lines = heading.evaluate(
            "h => Math.round(h.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(h).lineHeight))"
        )
        assert lines <= 2, f"the heading takes {lines} lines at {width} px"
        assert_fits(page, f"settings at {width}")
        tabs = page.locator(".tabs")
        overflows = tabs.evaluate("t => t.scrollWidth > t.clientWidth")
        if overflows:  # a phone: the edge where more tabs are fades
            expect(tabs).to_have_class(re.compile(r"tabs-more-(start|end)"))
        shot(page, f"long-name-settings-{width}")
        context.close()


def test_saving_while_the_sign_in_service_is_down_says_so(
    live_server, live_emulator, page, live_acme
):
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{live_acme.id}/settings/")
    live_emulator.set_fault("organizations.update", status=503)
    live_emulator.set_fault("organizations.get", status=503)
    page.get_by_label("Description").fill("Changed while down")
    page.get_by_role("button", name="Save changes").click()
    toast = page.locator(".toast-error")
    expect(toast).to_contain_text("sign-in service")
    expect(page.locator("#settings-form .form-errors")).to_contain_text("sign-in service")
    expect(page.get_by_label("Description")).to_have_value("Changed while down")
    shot(page, "settings-503")


def test_a_lost_connection_is_a_toast_too(live_server, live_emulator, page, live_acme):
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{live_acme.id}/settings/")
    page.route(
        "**/settings/",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".toast-error")).to_contain_text("could not reach the server")
    expect(page.get_by_role("button", name="Save changes")).to_be_enabled()


def test_a_slow_save_shows_it_is_working_and_cannot_be_sent_twice(
    live_server, live_emulator, page, live_acme
):
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{live_acme.id}/settings/")
    live_emulator.set_fault("organizations.update", latency=2.5)
    page.get_by_label("Description").fill("Slowly saved")
    button = page.get_by_role("button", name="Save changes")
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_have_class("button is-busy")
    expect(page.locator("#settings-form")).to_have_attribute("aria-busy", "true")
    shot(page, "settings-busy")
    expect(page.locator(".toasts, .messages").get_by_text("Settings saved.")).to_be_visible()
    assert live_emulator.calls_to("organizations.update") == 1


def test_the_delete_button_waits_for_the_exact_name(live_server, live_emulator, page, live_acme):
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{live_acme.id}/settings/")
    page.get_by_role("link", name="Delete organization…").click()
    dialog = page.get_by_role("dialog")
    delete = dialog.get_by_role("button", name="Delete this organization")
    expect(delete).to_be_disabled()
    dialog.get_by_label("Type the organization's name to confirm").fill("Acm")
    expect(delete).to_be_disabled()
    dialog.get_by_label("Type the organization's name to confirm").fill("Acme")
    expect(delete).to_be_enabled()
    shot(page, "delete-dialog-ready")
    page.keyboard.press("Escape")
    assert any(o.name == "Acme" for o in live_emulator.state.organizations.values())


def test_an_hx_confirm_asks_in_a_dialog_that_names_what_happens(
    live_server, live_emulator, page, live_acme
):
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{live_acme.id}/members/?q=bob%40")
    remove = page.locator("#member-table").get_by_role("link", name="Remove")
    remove.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Remove bob@example.com from Acme?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shot(page, "confirm-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(remove).to_be_focused()
    assert live_emulator.calls_to("organizations.users.remove") == 0

    remove.click()
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.locator(".toasts, .messages").get_by_text("bob@example.com")).to_be_visible()
    assert live_emulator.calls_to("organizations.users.remove") == 1


def test_dark_mode_reads_well(live_server, many_organizations, browser, live_acme):
    for width in (375, 1440):
        context, page = open_page(browser, width, color_scheme="dark")
        sign_in(page, live_server, "alice@example.com")
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 24)", "the dark palette applies"
        axe_clean(page, f"dashboard, dark, {width}")
        shot(page, f"dark-dashboard-{width}")
        for path in ("settings/", "members/"):
            page.goto(f"{live_server.url}/orgs/{live_acme.id}/{path}")
            axe_clean(page, f"{path}, dark, {width}")
            if path == "settings/":  # the members table's own layout is the members page's
                assert_fits(page, f"{path}, dark, {width}")
            shot(page, f"dark-{path.strip('/')}-{width}")
        context.close()


def test_light_mode_pages_pass_axe_at_phone_width(live_server, many_organizations, browser):
    context, page = open_page(browser, 375)
    sign_in(page, live_server, "alice@example.com")
    axe_clean(page, "dashboard, light, 375")
    page.goto(f"{live_server.url}/orgs/{many_organizations.id}/settings/")
    axe_clean(page, "settings, light, 375")
    context.close()


def test_times_follow_the_viewers_time_zone(live_server, live_emulator, browser):
    from orgportal.models import User

    context, page = open_page(browser, 1280, timezone_id="Asia/Tokyo")
    sign_in(page, live_server, "alice@example.com")
    page.reload()
    user = User.objects.get(email="alice@example.com")
    assert user.time_zone == "Asia/Tokyo"
    assert page.locator('meta[name="viewer-time-zone"]').get_attribute("content") == "Asia/Tokyo"
    context.close()


def test_the_header_counts_pending_invitations(live_server, live_emulator, page, live_acme):
    state = live_emulator.state
    state.invitations["inv-header"] = Invitation(
        id=new_id(21),
        invitee="carol@example.com",
        organization_id=live_acme.id,
        expires_at=now_ms() + 7 * 24 * 3600 * 1000,
        inviter_id=state.user_by_email("alice@example.com").id,
        role_ids=[state.role_by_name("member").id],
    )
    sign_in(page, live_server, "carol@example.com")
    link = page.locator("#invitations-link")
    expect(link.locator(".count-badge")).to_contain_text("1")
    expect(page.get_by_role("heading", name="You have 1 pending invitation")).to_be_visible()
    page.goto(f"{live_server.url}/orgs/new/")
    expect(page.locator("#invitations-link .count-badge")).to_contain_text("1")
    link = page.locator("#invitations-link")
    link.click()
    page.wait_for_url("**/invitations/")
    expect(page.locator("#invitations-link")).to_have_attribute("aria-current", "page")


def test_german_shell_pages_fit_a_phone(live_server, live_emulator, many_organizations, browser):
    """German words are long: the landing page, the dashboard (with an invitation), the open
    menu and the 404 page at 375 px in a German browser, without sideways scrolling."""
    state = live_emulator.state
    state.add_invitation(
        many_organizations, "alice@example.com", inviter=state.user_by_email("bob@example.com")
    )
    context, page = open_page(browser, 375, locale="de-DE")
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Ihre Organisation in Ihrer Hand")).to_be_visible()
    assert_fits(page, "German landing at 375")
    axe_clean(page, "German landing at 375")
    shot(page, "de-landing-375")

    sign_in(page, live_server, "alice@example.com")
    expect(page.get_by_role("heading", name="Ihre Organisationen")).to_be_visible()
    expect(page.get_by_text("Sie haben 1 ausstehende Einladung")).to_be_visible()
    assert_fits(page, "German dashboard at 375")
    axe_clean(page, "German dashboard at 375")
    shot(page, "de-dashboard-375")
    page.locator(".switcher summary").click()
    expect(page.get_by_label("Organisation suchen")).to_be_focused()
    assert_fits(page, "German menu at 375")
    shot(page, "de-switcher-375")

    page.goto(live_server.url + "/gibt-es-nicht/")
    expect(page.get_by_role("heading", name="Nicht gefunden")).to_be_visible()
    assert_fits(page, "German 404 at 375")
    axe_clean(page, "German 404 at 375")
    shot(page, "de-404-375")
    context.close()
