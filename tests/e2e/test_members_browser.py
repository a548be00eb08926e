"""Members in a real browser: search as you type, change a role in place, remove."""

import re

import pytest
from playwright.sync_api import expect

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
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    expect(page.get_by_text("27 members")).to_be_visible()
    screenshot("members")

    page.get_by_label("Search members").fill("person1")
    expect(page.get_by_text("10 members match")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=person1"))
    # "@" never occurs in a user id, and Logto searches ids too: "bob" alone matched a
    # random id such as "fbobdmfzakgd" once in CI.
    page.get_by_label("Search members").fill("bob@")
    expect(page.get_by_text("1 member matches")).to_be_visible()

    row = page.locator("tr", has_text="bob@example.com")
    row.get_by_text("Change roles").click()
    row.get_by_label("admin").check()
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
