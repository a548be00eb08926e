"""The language switch in a real browser: without JavaScript, at 375 and 1280 px, and a
second browser of the same person getting the saved language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_page(browser, width: int, **options):
    context = browser.new_context(viewport={"width": width, "height": 800}, **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"language--{name}.png"))


def fits(page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    box = page.locator(".language-switch summary").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [375, 1280])
def test_a_visitor_switches_to_german_without_javascript(browser, live_server, width):
    context, page = open_page(browser, width, java_script_enabled=False)
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    fits(page)
    page.locator(".language-switch summary").click()
    shot(page, f"visitor-menu-{width}")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert page.url == live_server.url + "/"
    fits(page)
    shot(page, f"visitor-de-{width}")
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_signed_in_choice_follows_the_person_to_another_browser(
    browser, live_server, live_emulator, width
):
    context, page = open_page(browser, width, locale="en-US")
    sign_in(page, live_server, "alice@example.com")
    fits(page)
    shot(page, f"signed-in-en-{width}")
    page.locator(".language-switch summary").click()
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator(".language-switch button[aria-current]")).to_have_text("Deutsch")
    fits(page)
    page.locator(".language-switch summary").click()
    shot(page, f"signed-in-de-menu-{width}")
    context.close()

    other, page = open_page(browser, width, locale="en-US")
    sign_in(page, live_server, "alice@example.com")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert live_emulator.state.ui_locales_requested[-1] == "en"  # before sign-in: the browser's
    other.close()
