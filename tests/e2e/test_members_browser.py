"""Members in a real browser: search as you type, change a role in place, remove, act on
several at once; two-step statuses filling in; and the same without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from logto_emulator.state import MfaVerification
from tests.e2e.conftest import confirm_in_dialog, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alice_manages_members(live_server, live_emulator, page, screenshot):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    for n in range(25):
        state.add_member(
            acme,
            state.add_user(f"person{n:02}@example.com", "pw", name=f"Person {n:02}"),
            ["member"],
        )
    state.user_by_email("bob@example.com").mfa_verifications.append(
        MfaVerification(id="totp1", type="Totp")
    )
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    expect(page.get_by_text("27 members")).to_be_visible()
    # The two-step column fills in after the page, every cell of it.
    expect(page.locator("td.mfa .badge")).to_have_count(20)  # "On" or "Not set up"
    expect(page.get_by_text("Checking…")).to_have_count(0)
    expect(page.locator("table.members")).not_to_have_attribute("aria-busy", "true")
    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"members-{width}")
    page.set_viewport_size({"width": 1200, "height": 800})

    page.get_by_label("Search members").fill("person1")
    expect(page.get_by_text("10 members match")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=person1"))
    # "@" never occurs in a user id, and Logto searches ids too: "bob" alone matched a
    # random id such as "fbobdmfzakgd" once in CI.
    page.get_by_label("Search members").fill("bob@")
    expect(page.get_by_text("1 member matches")).to_be_visible()
    expect(page.locator("tr", has_text="bob@example.com").locator("td.mfa")).to_have_text("On")

    row = page.locator("tr", has_text="bob@example.com")
    expect(row.get_by_label("admin", exact=True)).to_have_count(0)  # no editor until asked
    row.get_by_role("link", name="Change roles").click()
    expect(row.get_by_label("member", exact=True)).to_be_checked()
    expect(row.locator("summary")).to_be_focused()
    row.get_by_label("admin", exact=True).check()
    screenshot("roles-editor-open")
    row.get_by_role("button", name="Save roles").click()
    expect(
        page.locator("tr", has_text="bob@example.com").locator(".role", has_text="admin")
    ).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("Roles of bob@example.com saved.")
    screenshot("role-changed")
    bob_id = state.user_by_email("bob@example.com").id
    assert state.role_by_name("admin").id in acme.members[bob_id]

    page.locator("tr", has_text="bob@example.com").get_by_role("link", name="Remove").click()
    confirm_in_dialog(page)
    expect(page.locator("tr", has_text="bob@example.com")).to_have_count(0)
    assert bob_id not in acme.members

    page.go_back()  # history keeps the search state
    expect(page).to_have_url(re.compile(r"q=person1"))


def test_a_refused_role_change_keeps_the_row(live_server, live_emulator, page):
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    row = page.locator("tr", has_text="alice@example.com")
    row.get_by_role("link", name="Change roles").click()
    row.get_by_label("admin", exact=True).uncheck()  # not "Select Alice Admin"
    row.get_by_label("member", exact=True).check()
    row.get_by_role("button", name="Save roles").click()
    expect(page.locator("#toasts")).to_contain_text("last person who can manage members")
    expect(page.locator("tr", has_text="alice@example.com")).to_have_count(1)
    alice_id = live_emulator.state.user_by_email("alice@example.com").id
    assert acme.members[alice_id] == [live_emulator.state.role_by_name("admin").id]


def test_alice_gives_several_members_a_role_at_once(live_server, live_emulator, page, screenshot):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    people = [state.add_user(f"team{n}@example.com", "pw", name=f"Team {n}") for n in range(3)]
    for person in people:
        state.add_member(acme, person, ["member"])
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/?q=team")
    for person in people[:2]:
        page.get_by_label(f"Select {person.name}").check()
    page.get_by_label("With selected").select_option("add_role")
    page.get_by_label("Role", exact=True).select_option(label="admin")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".outcomes li.ok")).to_have_count(2)
    expect(page.locator("tr", has_text="team0@").locator(".role", has_text="admin")).to_be_visible()
    screenshot("bulk-done")
    admin = state.role_by_name("admin").id
    assert [admin in acme.members[p.id] for p in people] == [True, True, False]


def test_members_without_javascript(live_server, live_emulator, no_js_page):
    page = no_js_page
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/?q=bob%40")
    expect(page.locator("tr", has_text="bob@example.com").locator("td.mfa")).to_have_text(
        "Checking…"
    )
    page.get_by_role("link", name="Check two-step verification").click()
    expect(page).to_have_url(re.compile(r"/members/\?q=bob%40$"))
    expect(page.locator("tr", has_text="bob@example.com").locator("td.mfa")).to_have_text(
        "Not set up"
    )

    page.locator("tr", has_text="bob@example.com").get_by_role("link", name="Change roles").click()
    expect(page.get_by_role("heading", name="Roles of bob@example.com")).to_be_visible()
    page.get_by_label("admin").check()
    page.get_by_role("button", name="Save roles").click()
    expect(page).to_have_url(re.compile(r"/members/\?q=bob%40$"))
    expect(page.get_by_text("Roles of bob@example.com saved.")).to_be_visible()
    expect(
        page.locator("tr", has_text="bob@example.com").locator(".role", has_text="admin")
    ).to_be_visible()
