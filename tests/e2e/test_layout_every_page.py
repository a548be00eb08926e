"""Every page, at a phone's and two desktops' widths, in English and in German (long words),
with data that stresses a layout: no page scrolls sideways, and no button or row action is
outside the screen or cut by its box."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1280, 1440)
# The browser's language: the portal answers in it (Accept-Language).
LOCALES = ("en-US", "de-DE")
LONG_NAME = ("Internationale Gesellschaft für außerordentlich lange Organisationsnamen " * 3)[:120]

# Buttons and links styled as buttons, and the row actions of tables, that are on the page
# (not in a closed dialog or menu) and are outside the viewport or clipped by an ancestor that
# hides or scrolls its overflow.
OFF_SCREEN = """
() => {
  const problems = [];
  const targets = document.querySelectorAll(
    'main button, main .button, main input[type=submit], main .row-actions a, .topbar button'
  );
  for (const el of targets) {
    if (el.closest('dialog:not([open]), details:not([open]) > :not(summary), [hidden]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;  // not shown at this width
    const label = (el.textContent || el.value || el.getAttribute('aria-label') || '').trim();
    if (box.left < -1 || box.right > window.innerWidth + 1) {
      const span = `${Math.round(box.left)}..${Math.round(box.right)}`;
      problems.push(`"${label}" is outside the screen (${span})`);
      continue;
    }
    for (let parent = el.parentElement; parent; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (style.overflowX === 'visible') continue;
      const outer = parent.getBoundingClientRect();
      if (box.left < outer.left - 1 || box.right > outer.right + 1) {
        problems.push(`"${label}" is cut by ${parent.tagName.toLowerCase()}.${parent.className}`);
        break;
      }
    }
  }
  if (document.scrollingElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`the page scrolls sideways (${document.scrollingElement.scrollWidth}px)`);
  }
  return problems;
}
"""


@pytest.fixture
def crowded(live_emulator):
    """62 members, 30 pending invitations, 14 organizations (one with a 120-character name)."""
    state = live_emulator.state
    alice = state.user_by_email("alice@example.com")
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    for n in range(60):
        user = state.add_user(
            f"a.very.long.address.number.{n:02}@subsidiary.example.com", "pw", name=f"Person {n}"
        )
        state.add_member(acme, user, ["member"])
    for n in range(30):
        invitee = f"invited.person.with.a.long.name.{n:02}@example.com"
        state.add_invitation(acme, invitee, inviter=alice)
    long = state.add_organization(LONG_NAME)
    state.add_member(long, alice, ["admin"])
    for n in range(12):
        state.add_member(state.add_organization(f"Team {n:02}"), alice, ["member"])
    _invite_links(acme.id)
    return acme, long


JOIN_TOKEN = "layout-check-invite-link-token-0123456789"


def _invite_links(organization_id: str) -> None:
    """Three invite links (one revoked, one with long domains and a dozen uses)."""
    from datetime import timedelta

    from django.utils import timezone

    from orgportal.models import InviteLink, InviteLinkUse
    from orgportal.services.invite_links import token_hash

    later = timezone.now() + timedelta(days=7)
    for n, domains in enumerate(
        ([], ["subsidiary.example.com", "an-unusually-long-domain.example.com"])
    ):
        link = InviteLink.objects.create(
            organization_id=organization_id,
            token_hash=token_hash(JOIN_TOKEN if n == 0 else f"other-{n}"),
            role_ids=[],
            role_names=["member"],
            allowed_domains=domains,
            max_uses=20 if domains else None,
            expires_at=later,
            created_by_label="alice@example.com",
        )
        for u in range(12 if domains else 0):
            InviteLinkUse.objects.create(
                link=link,
                logto_user_id=f"u{u}",
                label=f"a.very.long.address.number.{u:02}@subsidiary.example.com",
            )
    InviteLink.objects.create(
        organization_id=organization_id,
        token_hash=token_hash("revoked"),
        role_names=["admin"],
        expires_at=later,
        revoked_at=timezone.now(),
        created_by_label="alice@example.com",
    )


def _domains_of(acme) -> None:
    """A long domain waiting for its DNS record, a verified one, and a request to join."""
    from orgportal.models import JoinRequest, OrganizationDomain, User

    long_domain = "a-rather-long-subsidiary-name.eu-west.northwind-industries.example"
    for domain, state in ((long_domain, "pending"), ("northwind.example", "verified")):
        OrganizationDomain.objects.get_or_create(
            organization_id=acme.id,
            domain=domain,
            defaults={
                "organization_name": acme.name,
                "verification_token": "x" * 32,
                "state": state,
            },
        )
    person, _ = User.objects.get_or_create(
        username="frank-layout",
        defaults={"email": "frank.with.a.long.address@northwind.example", "name": "Frank"},
    )
    JoinRequest.objects.get_or_create(
        organization_id=acme.id,
        user=person,
        defaults={
            "organization_name": acme.name,
            "email": person.email,
            "domain": "northwind.example",
        },
    )


@pytest.fixture
def localized_page(browser, locale):
    context = browser.new_context(locale=locale, viewport={"width": 1200, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_or_hides_an_action(
    live_server, localized_page, crowded, width, locale
):
    acme, long = crowded
    _domains_of(acme)
    page = localized_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "alice@example.com")
    pages = [
        "/",
        "/invitations/",
        "/orgs/new/",
        f"/orgs/{acme.id}/",
        f"/orgs/{acme.id}/members/",
        f"/orgs/{acme.id}/invitations/",
        f"/orgs/{acme.id}/invitations/links/",
        f"/join/{JOIN_TOKEN}/",
        f"/orgs/{acme.id}/settings/",
        f"/orgs/{acme.id}/security/",
        f"/orgs/{acme.id}/members/?mfa=off",
        f"/orgs/{acme.id}/activity/",
        f"/orgs/{acme.id}/leave/",
        f"/orgs/{acme.id}/delete/",
        f"/orgs/{acme.id}/domains/",
        f"/orgs/{long.id}/domains/",
        f"/orgs/{long.id}/",
        f"/orgs/{long.id}/members/",
    ]
    problems = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(pages):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        found = page.evaluate(OFF_SCREEN)
        # For a human to look at (artifacts/ is not committed).
        name = f"layout-{locale}-{width}-{number:02}.png"
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        if found:
            problems[path] = found
    assert not problems, problems
