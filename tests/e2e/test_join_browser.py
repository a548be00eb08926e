"""Joining without an admin's hand (issue 20, parts 3-4), in a real browser: an invitee on a
sign-in-only tenant creates an account from the emailed link and accepts; an address with an
account is told to sign in; an invite link with a use limit of 1 admits one person only; an
invite link that asks an admin makes a request an admin approves."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from logto_emulator import defaults as dev_defaults
from orgportal.services.invitation_batches import invitation_batch_start
from tests.conftest import local_user
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def acme_of(emulator):
    return next(o for o in emulator.state.organizations.values() if o.name == "Acme")


def emailed_link(emulator, email: str) -> str:
    """Alice invites `email` through the portal; the link in the email it sent."""
    acme = acme_of(emulator)
    alice = local_user(emulator, "alice@example.com")
    member = emulator.state.role_by_name("member").id
    invitation_batch_start(actor=alice, organization_id=acme.id, emails=[email], role_ids=[member])
    [message] = [m for m in mail.outbox if m.to == [email]]
    return re.search(r"https?://\S+/invitations/\S+", message.body).group(0)


def sign_out(page, live_server) -> None:
    page.context.clear_cookies()


@pytest.mark.parametrize("width", [375, 1280])
def test_an_invitee_on_a_sign_in_only_tenant_joins_through_the_emailed_link(
    live_server, live_emulator, page, look, settings, width
):
    settings.PORTAL_BASE_URL = live_server.url
    live_emulator.state.sign_in_mode = "SignIn"
    page.set_viewport_size({"width": width, "height": 900})
    link = emailed_link(live_emulator, "dave@example.com")
    page.goto(link)
    look(page, "landing-from-the-email")
    page.get_by_role("button", name="Create my account").click()
    # Back from the sign-in service (no page there: the token signed dave up), signed in.
    expect(page.get_by_role("button", name="Accept and join")).to_be_visible()
    look(page, "landing-signed-up")
    page.get_by_role("button", name="Accept and join").click()
    expect(page.get_by_text("Welcome to Acme!")).to_be_visible()
    dave = live_emulator.state.user_by_email("dave@example.com")
    assert dave.email_verified and dave.id in acme_of(live_emulator).members


def test_an_address_with_an_account_is_told_to_sign_in(
    live_server, live_emulator, page, look, settings
):
    settings.PORTAL_BASE_URL = live_server.url
    link = emailed_link(live_emulator, "carol@example.com")
    page.goto(link)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("An account with this email address already exists.")).to_be_visible()
    look(page, "landing-account-exists")
    assert live_emulator.state.one_time_tokens == {}
    assert "/invitations/" in page.url


def test_an_invite_link_with_a_use_limit_of_one_refuses_its_second_use(
    live_server, live_emulator, page, look, settings
):
    settings.PORTAL_BASE_URL = live_server.url
    acme = acme_of(live_emulator)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    page.get_by_role("link", name="Invite links").click()
    page.get_by_label("Use limit").fill("1")
    page.get_by_role("button", name="Create link").click()
    url = page.locator("#created-link-url").input_value()
    assert "/join/" in url
    look(page, "invite-links-created")
    for email in ("erin@example.com", "frank@example.com"):
        live_emulator.state.add_user(email, dev_defaults.DEMO_PASSWORD, name=email[:5])
    sign_out(page, live_server)
    page.goto(url)
    look(page, "join-anonymous")
    sign_in(page, live_server, "erin@example.com")
    page.goto(url)
    page.get_by_role("button", name="Join Acme").click()
    expect(page.get_by_text("Welcome to Acme!")).to_be_visible()
    sign_out(page, live_server)
    sign_in(page, live_server, "frank@example.com")
    page.goto(url)
    expect(page.get_by_text("used as often as it allows")).to_be_visible()
    look(page, "join-used-up")
    members = acme.members
    erin = live_emulator.state.user_by_email("erin@example.com")
    frank = live_emulator.state.user_by_email("frank@example.com")
    assert erin.id in members and frank.id not in members
    sign_out(page, live_server)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/links/")
    expect(page.get_by_text("1 of 1")).to_be_visible()
    page.get_by_text("1 person joined with it").click()
    expect(page.get_by_text("erin@example.com")).to_be_visible()


@pytest.mark.parametrize("width", [375, 1280])
def test_an_invite_link_that_asks_an_admin_lets_people_in_once_approved(
    live_server, live_emulator, page, look, settings, width
):
    settings.PORTAL_BASE_URL = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    acme = acme_of(live_emulator)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/links/")
    page.get_by_label("Ask an admin to approve each person").check()
    page.get_by_role("button", name="Create link").click()
    url = page.locator("#created-link-url").input_value()
    live_emulator.state.add_user("erin@example.com", dev_defaults.DEMO_PASSWORD, name="Erin")
    sign_out(page, live_server)
    sign_in(page, live_server, "erin@example.com")
    page.goto(url)
    look(page, f"join-asks-admin-{width}")
    page.get_by_role("button", name="Ask to join Acme").click()
    expect(page.get_by_text("Your request was sent.")).to_be_visible()
    erin = live_emulator.state.user_by_email("erin@example.com")
    assert erin.id not in acme.members
    sign_out(page, live_server)

    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/links/")
    requests = page.locator("#join-requests")
    expect(requests).to_contain_text("erin@example.com")
    expect(requests).to_contain_text("for the role member")
    look(page, f"invite-links-request-{width}")
    requests.get_by_role("button", name="Approve erin@example.com").click()
    expect(page.get_by_text("erin@example.com joined.")).to_be_visible()
    expect(page.locator("#join-requests")).to_contain_text("No one is waiting.")
    assert acme.members[erin.id] == [live_emulator.state.role_by_name("member").id]
    page.get_by_text("1 person asked to join with it").click()
    expect(page.locator(".invite-link-uses")).to_contain_text("Approved")
    look(page, f"invite-links-approved-{width}")
