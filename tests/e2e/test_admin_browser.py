"""Staff in a real browser: sign in to the admin through Logto, find Acme, revoke, read audit."""

import pytest
from playwright.sync_api import expect

from logto_emulator import defaults as dev_defaults
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.invite_links import invite_link_create
from tests.conftest import local_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_revoke_an_invitation_and_read_the_audit_trail(
    live_server, live_emulator, page, screenshot
):
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    alice = local_user(live_emulator, "alice@example.com")
    invitation_send(
        actor=alice,
        organization_id=acme.id,
        emails=["dave@example.com"],
        role_ids=[live_emulator.state.role_by_name("member").id],
    )
    invite_link_create(
        actor=alice,
        organization_id=acme.id,
        role_ids=[live_emulator.state.role_by_name("member").id],
        expires_in_days=7,
        allowed_domains=["example.com"],
        asks_admin=True,
    )

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email / Username").fill("staff@example.com")
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.get_by_role("link", name="Organizations").first.click()
    page.get_by_label("Search organizations").fill("Acme")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Acme").click()
    expect(page.get_by_text("Pending invitations (1)")).to_be_visible()
    expect(page.locator("#invite-links")).to_contain_text("An admin approves each person")
    screenshot("admin-organization")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="dave@example.com").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Invitation revoked.")).to_be_visible()
    expect(page.get_by_text("Pending invitations (0)")).to_be_visible()
    expect(page.locator("tr", has_text="invitation.revoked")).to_contain_text(
        "staff: staff@example.com"
    )
    page.goto(live_server.url + "/admin/orgportal/auditevent/")
    expect(page.get_by_role("cell", name="invitation.revoked")).to_be_visible()
    screenshot("admin-audit")


def test_staff_see_the_mfa_impact_before_requiring_it(live_server, live_emulator, page, screenshot):
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    page.goto(f"{live_server.url}/admin/logto/organizations/{acme.id}/")
    page.get_by_label("Email / Username").fill("staff@example.com")
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Require two-step verification").check()
    page.get_by_role("button", name="Save settings").click()
    impact = page.locator("#mfa-impact")
    expect(impact).to_contain_text("2 of 2 members have no two-step factor")
    screenshot("admin-mfa-impact")
    assert not acme.is_mfa_required
    impact.get_by_role("button", name="Require two-step verification").click()
    expect(page.get_by_text("Organization updated.")).to_be_visible()
    assert acme.is_mfa_required
