"""The organization's security panel in a real browser, at a phone's and a desktop's width:
requiring two-step verification names who loses access in the confirmation, the members
page's filter lists who has not set it up, and reminders go out by email."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from logto_emulator.state import MfaVerification
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_admin_requires_mfa_filters_members_and_reminds_them(
    live_server, live_emulator, browser, look, width
):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    state.user_by_email("alice@example.com").mfa_verifications.append(
        MfaVerification(id="totp1", type="Totp")
    )
    carol = state.user_by_email("carol@example.com")
    state.add_member(acme, carol, ["member"])
    state.mfa.factors = ["Totp"]
    state.mfa.organization_required_mfa_policy = "Mandatory"
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, "alice@example.com")

    # The panel: not required yet, what that means here, and who has no factor.
    page.goto(f"{live_server.url}/orgs/{acme.id}/")
    page.get_by_role("link", name="Security").click()
    panel = page.locator("#mfa-requirement")
    expect(panel).to_contain_text("Not required")
    expect(panel).to_contain_text("asked to set up an authenticator app at their next sign-in")
    expect(panel).to_contain_text("2 of 3 members have not set up two-step verification")
    expect(panel.locator("#mfa-without")).to_contain_text("Bob Member")
    look(page, f"security-{width}")

    # Requiring it: the confirmation names the consequence, and nothing changes on Cancel.
    page.get_by_role("button", name="Require two-step verification…").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).to_have_text("Require two-step verification in Acme?")
    expect(dialog).to_contain_text("2 members lose access to the organization's API")
    expect(dialog).to_contain_text("Bob Member")
    look(page, f"security-confirm-{width}")
    dialog.get_by_role("button", name="Cancel").click()
    assert not acme.is_mfa_required
    page.get_by_role("button", name="Require two-step verification…").click()
    dialog.get_by_role("button", name="Require").click()
    expect(page.get_by_text("Two-step verification is now required in Acme.")).to_be_visible()
    expect(panel.get_by_text("Required", exact=True)).to_be_visible()
    assert acme.is_mfa_required

    # The members page's filter.
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    page.get_by_label("Show").select_option("off")
    expect(page.locator(".count")).to_contain_text("2 members without two-step verification")
    table = page.locator("#member-table table")
    expect(table).to_contain_text("bob@example.com")
    expect(table).not_to_contain_text("alice@example.com")
    look(page, f"members-without-mfa-{width}")

    # Reminding only Bob: one email, and he shows as reminded.
    page.get_by_role("link", name="Remind them by email").click()
    remind = page.locator("#mfa-remind")
    expect(remind).to_contain_text("at most one reminder every 24 hours")
    remind.get_by_label("Carol", exact=False).uncheck()
    remind.get_by_role("button", name="Send reminder").click()
    expect(dialog).to_contain_text("Members selected: 1")
    dialog.get_by_role("button", name="Send").click()
    expect(page.get_by_text("A reminder is on its way to 1 member.")).to_be_visible()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert mail.outbox[0].subject == "Please set up two-step verification for Acme"
    bob_box = page.locator("#mfa-remind label", has_text="Bob Member")
    expect(bob_box).to_contain_text("reminded just now")
    expect(bob_box.locator("input")).to_be_disabled()
    look(page, f"security-reminded-{width}")
    context.close()
