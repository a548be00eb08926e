"""Alice signs in and out in a real browser, through the emulator's Logto pages."""

import pytest

from logto_emulator import defaults as dev_defaults

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alice_signs_in_sees_dashboard_and_signs_out_everywhere(
    live_server, live_emulator, page, screenshot
):
    page.goto(live_server.url + "/")
    screenshot("landing")
    page.get_by_role("link", name="Sign in").first.click()

    page.wait_for_url(live_emulator.endpoint + "/sign-in**")
    page.get_by_label("Email / Username").fill("alice@example.com")
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    screenshot("logto-sign-in")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", name="Your organizations").is_visible()
    assert page.get_by_role("link", name="Acme").first.is_visible()
    assert page.get_by_text("Alice Admin").is_visible()
    screenshot("dashboard")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", name="Your organization, in your hands").is_visible()
    assert live_emulator.oidc.sessions == {}, "the Logto session must end too"

    # Signing in again asks for the password: Logto no longer remembers alice.
    page.get_by_role("link", name="Sign in").first.click()
    page.wait_for_url(live_emulator.endpoint + "/sign-in**")
    assert page.get_by_label("Password").is_visible()
