"""Invitations in a real browser: the list first (pending, searchable, paged), the invite
dialog, the batch result with every outcome, and dave, a new person, who signs up and joins."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from logto_emulator.state import now_ms
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1440, 1280, 375)
LONG = "firstname.middlename.lastname.with.a.very.long.address"


def acme_of(emulator):
    return next(o for o in emulator.state.organizations.values() if o.name == "Acme")


def add_invitation(emulator, org, email, *, status="Pending", minutes_ago=0, inviter="alice"):
    state = emulator.state
    return state.add_invitation(
        org,
        email,
        inviter=state.user_by_email(f"{inviter}@example.com"),
        roles=("member", "admin"),
        status=status,
        created_at=now_ms() - minutes_ago * 60_000,
        invitation_id=f"inv{len(state.invitations) + 1:04}",
    )


def open_invite_dialog(page):
    page.get_by_role("link", name="Invite people").click()
    dialog = page.get_by_role("dialog", name="Invite people")
    expect(dialog).to_be_visible()
    return dialog


def clipped_actions(page) -> list[str]:
    """Row actions (Resend, Revoke) not wholly inside the viewport and the table's scroll
    container, and whether that container needs scrolling sideways to show them."""
    return page.evaluate(
        """() => {
          const problems = [];
          const wrap = document.querySelector('.invitations-wrap');
          if (wrap.scrollWidth > wrap.clientWidth + 1) problems.push('the table scrolls sideways');
          const box = wrap.getBoundingClientRect();
          const width = document.documentElement.clientWidth;
          for (const button of document.querySelectorAll('#invitation-list tbody button')) {
            const r = button.getBoundingClientRect();
            const inside = (outer) => r.left >= outer.left - 0.5 && r.right <= outer.right + 0.5;
            if (r.width === 0 || !inside(box) || !inside({left: 0, right: width}))
              problems.push(button.getAttribute('aria-label') + ' at ' + r.left + '..' + r.right);
          }
          return problems;
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_every_row_action_is_on_screen_with_thirty_long_pending_invitations(
    live_server, live_emulator, page, look, width
):
    acme = acme_of(live_emulator)
    for n in range(30):
        add_invitation(live_emulator, acme, f"{LONG}.{n:02}@an-unusually-long-domain.example.com")
    add_invitation(live_emulator, acme, "accepted@example.com", status="Accepted", minutes_ago=3)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")

    rows = page.locator("#invitation-list tbody tr")
    expect(rows).to_have_count(30)  # pending by default: the accepted one is not listed
    expect(page.locator("#invitation-list")).not_to_contain_text("accepted@example.com")
    expect(page.get_by_label("Status")).to_have_value("Pending")
    expect(page.locator("#invitation-list .count")).to_contain_text("30 pending invitations")
    assert clipped_actions(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    first = rows.first
    expect(first.get_by_role("button", name=re.compile("^Resend"))).to_be_in_viewport()
    expect(first.get_by_role("button", name=re.compile("^Revoke"))).to_be_in_viewport()
    look(page, f"invitations-30-pending-{width}")
    page.screenshot(path=str(ARTIFACTS / f"invitations-first-screen-{width}.png"))


def test_search_paging_and_the_status_filter(live_server, live_emulator, page, look):
    acme = acme_of(live_emulator)
    for n in range(55):
        add_invitation(live_emulator, acme, f"person{n:02}@example.com", minutes_ago=55 - n)
    add_invitation(live_emulator, acme, "dave@example.com", status="Revoked", minutes_ago=60)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    listing = page.locator("#invitation-list")
    expect(listing.locator(".count")).to_contain_text("55 pending invitations · page 1 of 2")
    expect(listing.locator("tbody tr").first).to_contain_text("person54@example.com")  # newest
    listing.get_by_role("link", name="Next →").click()
    expect(listing.locator("tbody tr")).to_have_count(5)
    expect(listing.locator("tbody tr").last).to_contain_text("person00@example.com")
    assert "page=2" in page.url

    page.get_by_label("Search invitations").fill("person1")
    expect(listing.locator(".count")).to_contain_text("10 pending invitations match")
    expect(listing.locator("tbody tr")).to_have_count(10)
    assert "q=person1" in page.url and "page=" not in page.url  # a new search starts at 1

    page.get_by_label("Search invitations").fill("dave")
    expect(listing).to_contain_text("No pending invitation matches “dave”.")
    listing.get_by_role("link", name="Show all 1").click()
    expect(listing.locator("tbody tr")).to_have_count(1)
    expect(listing.locator("tbody tr")).to_contain_text("Revoked")
    expect(page.get_by_label("Status")).to_have_value("all")
    look(page, "invitations-search-all")

    page.get_by_label("Search invitations").fill("")
    expect(listing.locator("tbody tr")).to_have_count(50)
    page.get_by_label("Status").select_option("Revoked")
    expect(listing.locator("tbody tr")).to_have_count(1)
    page.wait_for_url(re.compile(r"status=Revoked"))
    page.goto(page.url)  # the filter is in the address: opening it shows the same list
    expect(page.get_by_label("Status")).to_have_value("Revoked")
    expect(listing.locator("tbody tr")).to_have_count(1)


def test_a_member_a_new_person_and_a_typo_each_get_their_outcome(
    live_server, live_emulator, page, look, settings
):
    settings.PORTAL_BASE_URL = live_server.url
    acme = acme_of(live_emulator)
    for n in range(30):
        add_invitation(live_emulator, acme, f"person{n:02}@example.com")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    opener = page.get_by_role("link", name="Invite people")
    dialog = open_invite_dialog(page)
    expect(dialog.get_by_label("Email addresses")).to_be_focused()
    look(page, "invite-dialog-1440")
    dialog.get_by_label("Email addresses").fill("bob@example.com\ndave@example.com\ndave@")
    dialog.get_by_role("button", name="Send invitations").click()

    result = page.locator("#batch-card")
    expect(dialog).to_be_hidden()
    expect(result.locator("#batch-summary")).to_have_text("Done: 1 sent · 1 skipped · 1 failed.")
    expect(result).to_be_focused()
    expect(result).to_be_in_viewport()
    expect(result).to_contain_text("bob@example.com: skipped (already a member)")
    expect(result).to_contain_text("dave@example.com: sent")
    expect(result).to_contain_text("dave@: failed (not a valid email address)")
    expect(page.locator("#toasts")).to_contain_text("Invitations: 1 sent · 1 skipped · 1 failed.")
    expect(page.locator("#invitation-list tbody tr").first).to_contain_text("dave@example.com")
    expect(opener).not_to_be_focused()
    look(page, "invite-result-1440")
    page.set_viewport_size({"width": 375, "height": 800})
    look(page, "invite-result-375")
    page.screenshot(path=str(ARTIFACTS / "invite-result-first-screen-375.png"))

    # "Retry failed": the failed address, fixed in place, goes out in one click.
    retry = result.get_by_label(re.compile("Failed address"))
    expect(retry).to_have_value("dave@")
    retry.fill("dave@example.org")
    result.get_by_role("button", name="Retry failed").click()
    expect(page.locator("#batch-summary")).to_have_text("Done: 1 sent.")
    expect(page.locator("#batch-card")).to_be_focused()
    expect(page.locator("#invitation-list")).to_contain_text("dave@example.org")
    assert {m.to[0] for m in mail.outbox} == {"dave@example.com", "dave@example.org"}


def test_a_refused_form_stays_in_the_dialog_with_its_sentence(live_server, live_emulator, page):
    acme = acme_of(live_emulator)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    dialog = open_invite_dialog(page)
    dialog.get_by_label("member").uncheck()
    dialog.get_by_label("Email addresses").fill("dave@example.com")
    dialog.get_by_role("button", name="Send invitations").click()
    expect(dialog).to_contain_text("Choose at least one role.")
    expect(dialog.get_by_label("Email addresses")).to_have_value("dave@example.com")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "invite-dialog-refused-375.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("link", name="Invite people")).to_be_focused()
    assert live_emulator.state.invitations == {}


def test_without_javascript_invite_people_is_a_page(live_server, live_emulator, no_js_page, look):
    page = no_js_page
    acme = acme_of(live_emulator)
    add_invitation(live_emulator, acme, "erin@example.com")
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    page.get_by_role("link", name="Invite people").click()
    assert page.url.endswith(f"/orgs/{acme.id}/invitations/new/")
    page.get_by_label("Email addresses").fill("dave@example.com, bob@example.com, nope@")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator("#batch-summary")).to_have_text("Done: 1 sent · 1 skipped · 1 failed.")
    expect(page.locator(".messages")).to_contain_text("Invitations: 1 sent · 1 skipped · 1 failed.")
    assert re.search(r"\?batch=[\w-]+#batch-card$", page.url)
    look(page, "invite-no-js-result", run_axe=False)
    page.get_by_role("button", name="Retry failed").click()  # plain form: same one click
    expect(page.locator("#batch-summary")).to_have_text("Done: 1 failed.")
    page.locator("tr", has_text="erin@example.com").get_by_role(
        "button", name=re.compile("^Revoke")
    ).click()
    expect(page.locator(".messages")).to_contain_text("Invitation revoked.")
    expect(page.locator("#invitation-list")).not_to_contain_text("erin@example.com")


def test_dave_signs_up_from_the_invitation_and_joins(
    live_server, live_emulator, browser, page, screenshot, settings
):
    settings.PORTAL_BASE_URL = live_server.url
    acme = acme_of(live_emulator)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    dialog = open_invite_dialog(page)
    dialog.get_by_label("Email addresses").fill("dave@example.com, not-an-email")
    dialog.get_by_text("Upload a CSV file, change the expiry or add a message").click()
    dialog.get_by_label("Personal message").fill("Welcome aboard, Dave!")
    dialog.get_by_role("button", name="Send invitations").click()
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
    acme = acme_of(live_emulator)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    dialog = open_invite_dialog(page)
    dialog.get_by_label("Email addresses").fill("dave@example.com, erin@example.com")
    dialog.get_by_role("button", name="Send invitations").click()
    outcomes = page.locator(".outcomes")
    expect(outcomes.get_by_role("alert")).to_have_text(
        "Invitation emails are not set up yet, so nothing was sent. "
        "Please tell the people who run this portal."
    )
    expect(outcomes).to_contain_text("dave@example.com: failed")
    expect(outcomes).not_to_contain_text(": sent")
    expect(outcomes.get_by_label(re.compile("Failed addresses"))).to_have_value(
        "dave@example.com\nerin@example.com"
    )
    expect(page.locator("#invitation-list")).not_to_contain_text("dave@example.com")
    look(page, "invitations-no-email-connector")
