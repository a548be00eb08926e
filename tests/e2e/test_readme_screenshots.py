"""The README's pictures, at 1280 px: `make screenshots` writes them to docs/ (other runs to
artifacts/, so the suite never changes tracked files)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def target() -> Path:
    folder = DOCS if os.environ.get("ORGPORTAL_README_SCREENSHOTS") else ARTIFACTS / "readme"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_readme_screenshots(live_server, live_emulator, browser):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    alice = state.user_by_email("alice@example.com")
    for name in ("Dana Scully", "Fox Mulder", "Walter Skinner", "Monica Reyes", "John Doggett"):
        email = name.lower().replace(" ", ".") + "@example.com"
        state.add_member(acme, state.add_user(email, "pw", name=name), ["member"])
    for team in ("Globex", "Initech", "Umbrella Research"):
        state.add_member(state.add_organization(team, f"The {team} team"), alice, ["admin"])
    invitations = [
        state.add_invitation(acme, invitee, inviter=alice)
        for invitee in ("new.person@example.com", "carol@example.com", "ops@example.org")
    ]

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    folder = target()
    sign_in(page, live_server, "alice@example.com")
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()
    page.screenshot(path=str(folder / "dashboard.png"))
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    page.screenshot(path=str(folder / "members.png"))
    page.goto(f"{live_server.url}/orgs/{acme.id}/invitations/")
    page.screenshot(path=str(folder / "invitations.png"))
    context.close()

    invitee = browser.new_context(viewport={"width": 1280, "height": 800})
    page = invitee.new_page()
    page.goto(f"{live_server.url}/invitations/{invitations[1].id}/")
    expect(page.get_by_role("heading", name="Join Acme")).to_be_visible()
    page.screenshot(path=str(folder / "invitation.png"))
    invitee.close()
    for name in ("dashboard", "members", "invitations", "invitation"):
        assert (folder / f"{name}.png").stat().st_size > 10_000
