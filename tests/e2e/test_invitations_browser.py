"""Invitations in a real browser: alice invites dave, a new person, who signs up and joins."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dave_signs_up_from_the_invitation_and_joins(
    live_server, live_emulator, browser, page, screenshot, settings
):
    settings.PORTAL_BASE_URL = live_server.url
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    page.get_by_label("Email addresses").fill("dave@example.com, not-an-email")
    page.get_by_label("Personal message").fill("Welcome aboard, Dave!")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".outcomes")).to_contain_text("dave@example.com: sent")
    expect(page.locator(".outcomes")).to_contain_text("not-an-email: failed")
    expect(page.locator("#invitation-list")).to_contain_text("dave@example.com")
    screenshot("invitations")

    link = re.search(r"(http://\S+/invitations/\w+/)", mail.outbox[0].body).group(1)
    dave = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    dave.goto(link)
    expect(dave.get_by_role("heading", name="Join Acme")).to_be_visible()
    expect(dave.get_by_text("d***e@example.com")).to_be_visible()
    dave.screenshot(path=str(ARTIFACTS / "invitation-landing.png"), full_page=True)
    dave.get_by_role("link", name="Create an account").click()
    expect(dave.get_by_role("heading", name="Create account")).to_be_visible()
    expect(dave.get_by_label("Email")).to_have_value("dave@example.com")
    dave.get_by_label("Name").fill("Dave Newcomer")
    dave.get_by_label("Password").fill("a-good-password")
    dave.get_by_role("button", name="Create account").click()
    dave.wait_for_url(link)
    dave.get_by_role("button", name="Accept and join").click()
    dave.wait_for_url(f"{live_server.url}/orgs/{acme.id}/")
    expect(dave.get_by_text("Welcome to Acme!")).to_be_visible()
    expect(dave.locator(".switcher-current")).to_have_text("Acme")
    dave_id = live_emulator.state.user_by_email("dave@example.com").id
    assert acme.members[dave_id] == [live_emulator.state.role_by_name("member").id]
    dave.context.close()


def test_without_an_email_connector_the_inviter_is_told_it_is_not_set_up(
    live_server, live_emulator, page, screenshot, settings, look
):
    settings.PORTAL_BASE_URL = live_server.url
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    live_emulator.state.email_connector = False
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    page.get_by_label("Email addresses").fill("dave@example.com, erin@example.com")
    page.get_by_role("button", name="Send invitations").click()
    outcomes = page.locator(".outcomes")
    expect(outcomes.get_by_role("alert")).to_have_text(
        "Invitation emails are not set up yet, so nothing was sent. "
        "Please tell the people who run this portal."
    )
    expect(outcomes).to_contain_text("dave@example.com: failed")
    expect(outcomes).not_to_contain_text(": sent")
    expect(page.get_by_label("Email addresses")).to_have_value("dave@example.com\nerin@example.com")
    expect(page.locator("#invitation-list")).not_to_contain_text("dave@example.com")
    look(page, "invitations-no-email-connector")
