"""The main journeys in a browser that asks for German (Chromium, locale de-DE), at a phone's
and a desktop's width: sign in, create an organization, invite, accept as the invitee, change a
role. Every portal page visited is checked for English (tests/translation_checks.py), for
sideways scroll and for cut-off buttons (tests/e2e/test_layout_every_page.py), and screenshotted
to artifacts/screenshots/ (`look`, which also runs axe-core).

The journey finds its way by URLs, form actions and field names, not by button texts: it
reaches every page whatever language the buttons speak, and reports all the English it met at
the end. The Logto sign-in pages (the emulator's) are not the portal's and are not checked."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from logto_emulator import defaults as dev_defaults
from tests.e2e.test_layout_every_page import OFF_SCREEN
from tests.translation_checks import (
    ADMIN_ROLE,
    CatalogueSentences,
    Finding,
    english_findings,
    german_catalogues,
    german_neutral_tenant,
    user_data,
    visible_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1280)
NEW_ORGANIZATION = "Mühlenwerk Süd"
INVITEE = "carol@example.com"
INVITE_STEP = re.compile(r".*/orgs/([^/]+)/invite-your-team/$")


@pytest.fixture(autouse=True)
def _portal_url(settings, live_server):
    settings.PORTAL_BASE_URL = live_server.url


@pytest.fixture
def german_tenant(live_emulator, settings):
    return german_neutral_tenant(live_emulator.state, settings)


def german_page(browser, width: int):
    context = browser.new_context(
        locale="de-DE",
        viewport={"width": width, "height": 900},
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    context.set_default_timeout(10_000)
    return context.new_page()


class Inspector:
    """Checks every portal page a journey shows: English text, sideways scroll, cut buttons."""

    def __init__(self, look, width: int) -> None:
        self.look = look
        self.width = width
        self.sentences = CatalogueSentences.load(german_catalogues())
        self.english: list[Finding] = []
        self.layout: list[str] = []
        self.pages: list[str] = []

    def __call__(self, page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        where = f"{name} at {self.width} px ({page.url})"
        self.pages.append(where)
        lines = visible_text(page.content(), drop=[*user_data(), NEW_ORGANIZATION])
        self.english += english_findings(where, lines, self.sentences)
        self.layout += [f"{where}: {problem}" for problem in page.evaluate(OFF_SCREEN)]
        self.look(page, f"{self.width}-{name}")  # screenshot, axe-core, no sideways scroll

    def toast(self, page, name: str) -> None:
        toasts = page.locator("#toasts")
        expect(toasts).not_to_be_empty()
        lines = [" ".join(toasts.inner_text().split())]
        where = f"{name} toast at {self.width} px"
        self.english += english_findings(where, lines, self.sentences)

    def report(self) -> str:
        parts = []
        if self.english:
            parts.append(
                f"{len(self.english)} English text(s) on the German pages:\n"
                + "\n".join(f"  {f}" for f in self.english)
            )
        if self.layout:
            parts.append("layout:\n" + "\n".join(f"  {p}" for p in self.layout))
        return "\n".join(parts)


def sign_in_at_logto(page, email: str) -> None:
    """The emulator's sign-in page (Logto's, in English in the emulator): not checked."""
    page.locator("input[name=identifier]").fill(email)
    page.locator("input[name=password]").fill(dev_defaults.DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_german_browser_signs_in_creates_invites_accepts_and_changes_a_role(
    live_server, live_emulator, german_tenant, browser, look, width
):
    url = live_server.url
    inspect = Inspector(look, width)

    # alice signs in and meets the dashboard.
    page = german_page(browser, width)
    page.goto(url + "/")
    inspect(page, "landing")
    page.goto(url + "/oidc/authenticate/")
    sign_in_at_logto(page, "alice@example.com")
    page.wait_for_url(url + "/")
    inspect(page, "dashboard")

    # She creates an organization; a nameless one is refused first.
    page.goto(url + "/orgs/new/")
    inspect(page, "new-organization")
    page.locator("#create-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    inspect(page, "new-organization-refused")
    page.locator("#create-form input[name=name]").fill(NEW_ORGANIZATION)
    page.locator("#create-form button[type=submit]").click()
    page.wait_for_url(INVITE_STEP)
    org_id = INVITE_STEP.match(page.url).group(1)
    inspect(page, "invite-your-team")
    page.goto(f"{url}/orgs/{org_id}/")
    inspect(page, "overview")

    # She invites carol, from the invitations page's own form.
    page.goto(f"{url}/orgs/{org_id}/invitations/")
    inspect(page, "invitations-empty")
    page.goto(f"{url}/orgs/{org_id}/invitations/new/")
    inspect(page, "invite")
    page.locator("#invite-form textarea[name=emails]").fill(INVITEE)
    page.locator("#invite-form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".outcomes")).to_contain_text(INVITEE)
    inspect(page, "invitations")
    [message] = [m for m in mail.outbox if m.to == [INVITEE]]
    link = re.search(r"(http://\S+/invitations/\w+/)", message.body).group(1)

    # carol, in a German browser of her own, accepts.
    carol = german_page(browser, width)
    carol.goto(link)
    inspect(carol, "invitation-anonymous")
    carol.locator("main a[href*='?invitation=']:not([href*='first_screen'])").click()
    carol.locator("input[name=password]").fill(dev_defaults.DEMO_PASSWORD)
    carol.locator("form button[type=submit]").first.click()
    carol.wait_for_url(link)
    inspect(carol, "invitation-invitee")
    carol.locator("form[action$='/accept/'] button[type=submit]").click()
    carol.wait_for_url(f"{url}/orgs/{org_id}/")
    inspect(carol, "joined")
    carol.goto(url + "/")
    inspect(carol, "dashboard-invitee")

    # alice makes carol an admin from the members page.
    page.goto(f"{url}/orgs/{org_id}/members/")
    inspect(page, "members")
    carol_id = live_emulator.state.user_by_email(INVITEE).id
    page.locator(f"#member-{carol_id} .roles-link").click()
    editor = page.locator(f"form[data-roles-form='{carol_id}']")
    admin_id = live_emulator.state.role_by_name(ADMIN_ROLE).id
    editor.locator(f"input[name=roles][value='{admin_id}']").check()
    inspect(page, "members-role-editor")
    editor.locator("button[type=submit]").click()
    expect(page.locator(f"#member-{carol_id}")).to_contain_text(ADMIN_ROLE)
    inspect.toast(page, "role changed")
    inspect(page, "members-role-changed")
    page.goto(f"{url}/orgs/{org_id}/invitations/?status=all")
    inspect(page, "invitations-all")

    org = live_emulator.state.organizations[org_id]
    assert admin_id in org.members[carol_id]
    assert len(inspect.pages) >= 15
    assert not (inspect.english or inspect.layout), inspect.report()
