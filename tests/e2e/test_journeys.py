"""Every journey of the portal in a real browser, each from a fresh tenant, each page
screenshotted and checked with axe-core (`look`)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from logto_emulator import defaults as dev_defaults
from logto_emulator.state import Invitation, now_ms
from tests.e2e.conftest import confirm_in_dialog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORG_PAGE = re.compile(r".*/orgs/(?!new/)[^/]+/$")
INVITE_STEP = re.compile(r".*/orgs/[^/]+/invite-your-team/$")


@pytest.fixture(autouse=True)
def _portal_url(settings, live_server):
    settings.PORTAL_BASE_URL = live_server.url


def org_named(emulator, name):
    return next(o for o in emulator.state.organizations.values() if o.name == name)


def sign_in(page, live_server, look, email, *, start="/oidc/authenticate/", check=True):
    page.goto(live_server.url + start)
    if check:
        look(page, "logto-sign-in")
    page.get_by_label("Email / Username").fill(email)
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def new_page(browser, **options):
    context = browser.new_context(viewport={"width": 1200, "height": 800}, **options)
    context.set_default_timeout(10_000)
    return context.new_page()


def zeta_with(emulator, **members):
    """Zeta, with alice as admin and the given people as members (email -> role)."""
    state = emulator.state
    zeta = state.add_organization("Zeta", "The Zeta team")
    state.add_member(zeta, state.user_by_email("alice@example.com"), ["admin"])
    for email, role in members.items():
        user = state.user_by_email(email) or state.add_user(email, dev_defaults.DEMO_PASSWORD)
        state.add_member(zeta, user, [role])
    return zeta


def pending(emulator, org, email, *, expired=False) -> Invitation:
    invitation = Invitation(
        id=f"inv{len(emulator.state.invitations) + 1:03}",
        invitee=email,
        organization_id=org.id,
        expires_at=1 if expired else now_ms() + 7 * 86_400_000,
        inviter_id=emulator.state.user_by_email("alice@example.com").id,
        role_ids=[emulator.state.role_by_name("member").id],
    )
    emulator.state.invitations[invitation.id] = invitation
    return invitation


def test_alice_creates_zeta_sees_it_in_the_switcher_and_renames_it(
    live_server, live_emulator, page, look
):
    page.goto(live_server.url + "/")
    look(page, "landing")
    page.get_by_role("link", name="Sign in").first.click()
    page.wait_for_url(re.compile(r".*/sign-in\?.*"))
    look(page, "logto-sign-in")
    page.get_by_label("Email / Username").fill("alice@example.com")
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    look(page, "dashboard")
    page.get_by_role("link", name="Create organization").first.click()
    look(page, "create")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("Give the organization a name.")).to_be_visible()
    look(page, "create-error")
    page.get_by_label("Name").fill("Zeta")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(INVITE_STEP)
    look(page, "invite-your-team")
    page.get_by_role("link", name="Skip for now").click()
    page.wait_for_url(ORG_PAGE)
    expect(page.locator(".switcher-current")).to_have_text("Zeta")
    look(page, "overview")
    page.locator(".switcher summary").click()
    expect(page.locator(".switcher-menu").get_by_text("Acme")).to_be_visible()
    look(page, "switcher-open")
    page.keyboard.press("Escape")
    page.get_by_role("link", name="Settings").click()
    look(page, "settings")
    page.get_by_label("Name", exact=True).fill("Zeta Prime")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Zeta Prime")).to_be_visible()
    expect(page.locator(".switcher-current")).to_have_text("Zeta Prime")
    look(page, "settings-saved")


def test_carol_and_dave_join_zeta_from_their_invitations(
    live_server, live_emulator, browser, page, look
):
    zeta = zeta_with(live_emulator)
    sign_in(page, live_server, look, "alice@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/orgs/{zeta.id}/invitations/")
    look(page, "invitations-empty")
    page.get_by_role("link", name="Invite people").click()  # the form is in a dialog
    page.get_by_label("Email addresses").fill("carol@example.com\ndave@example.com")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".outcomes")).to_contain_text("dave@example.com: sent")
    look(page, "invitations-sent")
    links = {
        m.to[0]: re.search(r"(http://\S+/invitations/\w+/)", m.body).group(1) for m in mail.outbox
    }

    carol = new_page(browser)
    carol.goto(links["carol@example.com"])
    look(carol, "landing-anonymous")
    carol.get_by_role("link", name="Sign in to accept").click()
    expect(carol.get_by_label("Email / Username")).to_have_value("carol@example.com")
    carol.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    carol.get_by_role("button", name="Sign in").click()
    carol.wait_for_url(links["carol@example.com"])
    look(carol, "landing-invitee")
    carol.get_by_role("button", name="Accept and join").click()
    carol.wait_for_url(f"{live_server.url}/orgs/{zeta.id}/")
    expect(carol.get_by_text("Welcome to Zeta!")).to_be_visible()
    look(carol, "joined")

    dave = new_page(browser)
    dave.goto(links["dave@example.com"])
    dave.get_by_role("link", name="Create an account").click()
    look(dave, "logto-register")
    expect(dave.get_by_label("Email")).to_have_value("dave@example.com")
    dave.get_by_label("Password").fill("a-good-password")
    dave.get_by_role("button", name="Create account").click()
    dave.wait_for_url(links["dave@example.com"])
    dave.get_by_role("button", name="Accept and join").click()
    dave.wait_for_url(f"{live_server.url}/orgs/{zeta.id}/")
    expect(dave.locator(".switcher-current")).to_have_text("Zeta")
    member = live_emulator.state.role_by_name("member").id
    for email in ("carol@example.com", "dave@example.com"):
        assert zeta.members[live_emulator.state.user_by_email(email).id] == [member]


def test_alice_promotes_carol_removes_dave_and_manages_invitations(
    live_server, live_emulator, page, look
):
    zeta = zeta_with(live_emulator, **{"carol@example.com": "member", "dave@example.com": "member"})
    erin = pending(live_emulator, zeta, "erin@example.com")
    pending(live_emulator, zeta, "frank@example.com")
    sign_in(page, live_server, look, "alice@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/orgs/{zeta.id}/members/")
    look(page, "members")
    row = page.locator("tr", has_text="carol@example.com")
    row.get_by_text("Change roles").click()
    row.get_by_label("admin").check()
    look(page, "roles-editor-open")
    row.get_by_role("button", name="Save roles").click()
    expect(
        page.locator("tr", has_text="carol@example.com").locator(".role", has_text="admin")
    ).to_be_visible()
    page.locator("tr", has_text="dave@example.com").get_by_role("link", name="Remove").click()
    confirm_in_dialog(page)
    expect(page.locator("tr", has_text="dave@example.com")).to_have_count(0)
    look(page, "members-after")

    page.goto(f"{live_server.url}/orgs/{zeta.id}/invitations/")
    look(page, "invitations-pending")
    page.locator("tr", has_text="erin@example.com").get_by_role("button", name="Revoke").click()
    confirm_in_dialog(page)
    # The list shows pending invitations: the revoked one leaves it.
    expect(page.locator("tr", has_text="erin@example.com")).to_have_count(0)
    page.locator("tr", has_text="frank@example.com").get_by_role("button", name="Resend").click()
    expect(page.locator("#toasts")).to_contain_text("Invitation sent again.")
    look(page, "invitations-after")
    assert erin.status == "Revoked"
    assert [m.to for m in mail.outbox] == [["frank@example.com"]]
    carol_id = live_emulator.state.user_by_email("carol@example.com").id
    assert live_emulator.state.role_by_name("admin").id in zeta.members[carol_id]


def test_bob_sees_no_admin_actions_and_a_forged_request_is_refused(
    live_server, live_emulator, page, look
):
    acme = org_named(live_emulator, "Acme")
    sign_in(page, live_server, look, "bob@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    look(page, "members-as-member")
    expect(page.get_by_text("Change roles")).to_have_count(0)
    expect(page.get_by_role("link", name="Remove")).to_have_count(0)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_role("link", name="Invitations")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    alice_id = live_emulator.state.user_by_email("alice@example.com").id
    forged = page.request.post(
        f"{live_server.url}/orgs/{acme.id}/members/{alice_id}/remove/",
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert forged.status == 403
    forged_roles = page.request.post(
        f"{live_server.url}/orgs/{acme.id}/members/{live_emulator.state.user_by_email('bob@example.com').id}/roles/",
        form={"roles": live_emulator.state.role_by_name("admin").id},
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert forged_roles.status == 403
    page.goto(f"{live_server.url}/orgs/{acme.id}/settings/")
    look(page, "forbidden")
    assert alice_id in acme.members


def test_an_invitation_opened_by_the_wrong_account(live_server, live_emulator, page, look):
    invitation = pending(live_emulator, org_named(live_emulator, "Acme"), "carol@example.com")
    sign_in(page, live_server, look, "bob@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/invitations/{invitation.id}/")
    expect(
        page.get_by_role("heading", name="This invitation is for another address")
    ).to_be_visible()
    look(page, "wrong-account")
    page.get_by_role("button", name="Sign in with another account").click()
    page.wait_for_url(re.compile(r".*/sign-in\?.*"))
    expect(page.get_by_label("Email / Username")).to_have_value("carol@example.com")
    look(page, "switch-to-invitee")


def test_an_expired_invitation_shows_its_page(live_server, live_emulator, page, look):
    invitation = pending(
        live_emulator, org_named(live_emulator, "Acme"), "carol@example.com", expired=True
    )
    page.goto(f"{live_server.url}/invitations/{invitation.id}/")
    expect(page.get_by_role("heading", name="This invitation has expired")).to_be_visible()
    look(page, "expired")
    page.goto(f"{live_server.url}/invitations/does-not-exist/")
    expect(page.get_by_role("heading", name="Invitation not found")).to_be_visible()
    look(page, "unknown")


def test_a_member_leaves_and_the_last_admin_cannot(live_server, live_emulator, browser, page, look):
    acme = org_named(live_emulator, "Acme")
    sign_in(page, live_server, look, "bob@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/orgs/{acme.id}/")
    page.get_by_role("link", name=re.compile("Leave Acme")).click()
    look(page, "leave-confirm")
    page.get_by_role("button", name="Leave organization").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_text("You left Acme.")).to_be_visible()
    look(page, "dashboard-empty")

    alice = new_page(browser)
    sign_in(alice, live_server, look, "alice@example.com", check=False)
    alice.wait_for_url(live_server.url + "/")
    # Bob has gone: the last admin, now its only member, learns it before clicking anything.
    alice.goto(f"{live_server.url}/orgs/{acme.id}/leave/")
    expect(alice.get_by_text("You are its only member")).to_be_visible()
    expect(alice.get_by_role("link", name="Delete organization…")).to_be_visible()
    expect(alice.get_by_role("button", name="Leave organization")).to_have_count(0)
    look(alice, "last-admin-alone")


def test_staff_find_zeta_revoke_an_invitation_and_read_the_audit_trail(
    live_server, live_emulator, page, look
):
    zeta = zeta_with(live_emulator)
    invitation = pending(live_emulator, zeta, "erin@example.com")
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email / Username").fill("staff@example.com")
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")
    look(page, "admin-index")
    page.get_by_role("link", name="Organizations").first.click()
    page.get_by_label("Search organizations").fill("Zeta")
    page.get_by_role("button", name="Search").click()
    look(page, "admin-organizations")
    page.get_by_role("link", name="Zeta").click()
    page.once("dialog", lambda d: d.accept())
    page.locator("tr", has_text="erin@example.com").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Invitation revoked.")).to_be_visible()
    look(page, "admin-organization")
    assert invitation.status == "Revoked"
    page.goto(live_server.url + "/admin/orgportal/auditevent/")
    expect(page.get_by_role("cell", name="invitation.revoked")).to_be_visible()
    look(page, "admin-audit")


def test_without_javascript_create_an_organization_and_invite(
    live_server, live_emulator, browser, look
):
    page = new_page(browser, java_script_enabled=False)
    sign_in(page, live_server, look, "carol@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    page.get_by_role("link", name="Create organization").first.click()
    page.get_by_label("Name").fill("Carol's Crew")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(INVITE_STEP)
    page.get_by_role("link", name="Skip for now").click()
    page.wait_for_url(ORG_PAGE)
    look(page, "no-js-overview", run_axe=False)
    page.get_by_role("link", name="Invitations", exact=True).click()
    page.get_by_role("link", name="Invite people").click()  # a page of its own without JS
    page.get_by_label("Email addresses").fill("dave@example.com")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".outcomes")).to_contain_text("dave@example.com: sent")
    look(page, "no-js-invited", run_axe=False)
    assert mail.outbox[0].to == ["dave@example.com"]


def test_keyboard_only_sign_in_create_and_switch(live_server, live_emulator, page, look):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Sign in"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/sign-in\?.*"))
    # The identifier field takes the focus by itself; type only once it has.
    expect(page.get_by_label("Email / Username")).to_be_focused()
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(dev_defaults.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/orgs/new/")
    page.get_by_label("Name").focus()
    page.keyboard.type("Keyboard Co")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_description"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Create organization"
    page.keyboard.press("Enter")
    page.wait_for_url(INVITE_STEP)
    # The switcher opens with the keyboard and Escape gives focus back to it.
    page.locator(".switcher summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".switcher-menu")).to_be_visible()
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    expect(page.locator(".switcher-menu")).to_be_hidden()


def test_every_page_fits_a_phone(live_server, live_emulator, browser, look):
    zeta = zeta_with(live_emulator, **{"carol@example.com": "member"})
    zeta.name = "Zeta " + "Extraordinarily Long Organization Name " * 3
    invitation = pending(live_emulator, zeta, "someone.with.a.very.long.address@example.com")
    page = browser.new_context(viewport={"width": 375, "height": 740}).new_page()
    sign_in(page, live_server, look, "alice@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    for name, path in [
        ("phone-dashboard", "/"),
        ("phone-overview", f"/orgs/{zeta.id}/"),
        ("phone-members", f"/orgs/{zeta.id}/members/"),
        ("phone-invitations", f"/orgs/{zeta.id}/invitations/"),
        ("phone-settings", f"/orgs/{zeta.id}/settings/"),
        ("phone-activity", f"/orgs/{zeta.id}/activity/"),
        ("phone-new", "/orgs/new/"),
        ("phone-landing", f"/invitations/{invitation.id}/"),
        ("phone-mine", "/invitations/"),
    ]:
        page.goto(live_server.url + path)
        look(page, name)
