"""Verified domains in a real browser: alice proves northwind.example with a TXT record on
a real DNS server (tests/dns_server.py); erin registers there and lands in Acme; frank, who
already had an account, joins from his dashboard, or asks and alice approves; gmail.com is
refused; another organization cannot silently claim the verified domain."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from logto_emulator import defaults as dev_defaults
from tests.dns_server import dns_zone  # noqa: F401  (the fixture)
from tests.e2e.test_journeys import new_page, org_named, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOMAIN = "northwind.example"


@pytest.fixture(autouse=True)
def _portal_url(settings, live_server):
    settings.PORTAL_BASE_URL = live_server.url


def verify_by_txt_record(page, live_server, dns_zone, org_id, look=None) -> str:  # noqa: F811
    """On the domains page: add the domain, create the record it shows, check now."""
    page.goto(f"{live_server.url}/orgs/{org_id}/domains/")
    page.get_by_label("Domain", exact=True).fill(DOMAIN)
    page.get_by_role("button", name="Add domain").click()
    row = page.locator(".domain-row", has_text=DOMAIN)
    expect(row.get_by_text("Not verified yet")).to_be_visible()
    if look:
        look(page, "domain-added-record-shown")
    codes = row.locator(".dns-record code")
    dns_zone.add_txt(codes.nth(1).inner_text(), codes.nth(2).inner_text())
    row.get_by_role("button", name="Check now").click()
    page.wait_for_load_state("networkidle")
    return page.locator(".domain-row", has_text=DOMAIN).locator(".badge").inner_text()


def test_alice_verifies_by_txt_record_then_erin_and_frank_join(
    live_server,
    live_emulator,
    page,
    look,
    browser,
    dns_zone,  # noqa: F811
):
    acme = org_named(live_emulator, "Acme")
    member = live_emulator.state.role_by_name("member").id
    live_emulator.state.add_user(f"frank@{DOMAIN}", dev_defaults.DEMO_PASSWORD, name="Frank")
    sign_in(page, live_server, look, "alice@example.com", check=False)
    page.wait_for_url(live_server.url + "/")

    # gmail.com is refused with one sentence.
    page.goto(f"{live_server.url}/orgs/{acme.id}/domains/")
    look(page, "domains-empty")
    page.get_by_label("Domain", exact=True).fill("gmail.com")
    page.get_by_role("button", name="Add domain").click()
    expect(page.locator(".form-errors")).to_contain_text(
        "belong to a public or disposable email provider"
    )
    look(page, "gmail-refused")

    # People who join this way become members (never more than alice's own permissions).
    page.locator("#joining-form").get_by_label("member", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved how people join.")).to_be_visible()
    assert verify_by_txt_record(page, live_server, dns_zone, acme.id, look) == "Verified"
    look(page, "domain-verified")
    assert live_emulator.state.organizations[acme.id].jit_email_domains == [DOMAIN]

    # erin registers with an address there: the sign-in service puts her into Acme.
    erin = new_page(browser)
    erin.goto(live_server.url + "/oidc/authenticate/")
    erin.get_by_role("link", name="Create account").click()
    erin.get_by_label("Email").fill(f"erin@{DOMAIN}")
    erin.get_by_label("Password").fill("a-good-password")
    erin.get_by_role("button", name="Create account").click()
    erin.wait_for_url(live_server.url + "/")
    expect(erin.locator(".org-card", has_text="Acme")).to_be_visible()
    look(erin, "erin-registered-in-acme")
    erin_id = live_emulator.state.user_by_email(f"erin@{DOMAIN}").id
    assert member in acme.members[erin_id]

    # frank had an account before: his dashboard offers Acme, one click joins.
    frank = new_page(browser)
    sign_in(frank, live_server, look, f"frank@{DOMAIN}", check=False)
    frank.wait_for_url(live_server.url + "/")
    offer = frank.locator(".suggestions")
    expect(offer).to_contain_text("Organizations you can join")
    look(frank, "frank-dashboard-suggestion")
    offer.get_by_role("button", name="Join Acme").click()
    frank.wait_for_url(f"{live_server.url}/orgs/{acme.id}/")
    look(frank, "frank-joined")
    frank_id = live_emulator.state.user_by_email(f"frank@{DOMAIN}").id
    assert acme.members[frank_id] == [member]


def test_a_request_is_approved_and_another_organization_cannot_claim_the_domain(
    live_server,
    live_emulator,
    page,
    look,
    browser,
    dns_zone,  # noqa: F811
):
    state = live_emulator.state
    acme = org_named(live_emulator, "Acme")
    zeta = state.add_organization("Zeta", "The Zeta team")
    state.add_member(zeta, state.user_by_email("alice@example.com"), ["admin"])
    state.add_user(f"frank@{DOMAIN}", dev_defaults.DEMO_PASSWORD, name="Frank")
    sign_in(page, live_server, look, "alice@example.com", check=False)
    page.wait_for_url(live_server.url + "/")
    assert verify_by_txt_record(page, live_server, dns_zone, acme.id) == "Verified"
    page.get_by_label("Ask an admin").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved how people join.")).to_be_visible()
    assert state.organizations[acme.id].jit_email_domains == []  # nobody joins unasked

    frank = new_page(browser)
    sign_in(frank, live_server, look, f"frank@{DOMAIN}", check=False)
    frank.wait_for_url(live_server.url + "/")
    frank.get_by_role("button", name="Ask to join Acme").click()
    expect(frank.locator(".suggestions")).to_contain_text("Request sent")
    look(frank, "frank-asked")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]

    page.goto(f"{live_server.url}/orgs/{acme.id}/domains/")
    look(page, "request-waiting")
    page.get_by_role("button", name=f"Approve frank@{DOMAIN}").click()
    expect(page.get_by_text(f"frank@{DOMAIN} joined.")).to_be_visible()
    frank_id = state.user_by_email(f"frank@{DOMAIN}").id
    assert frank_id in state.organizations[acme.id].members
    assert mail.outbox[-1].to == [f"frank@{DOMAIN}"]

    # Zeta proves the same domain: it waits for staff, and nothing reaches the JIT list.
    assert verify_by_txt_record(page, live_server, dns_zone, zeta.id) == "Waiting for staff"
    expect(page.get_by_text("Another organization already verified this domain")).to_have_count(2)
    look(page, "claim-held-for-staff")
    assert state.organizations[zeta.id].jit_email_domains == []
