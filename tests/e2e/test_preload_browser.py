"""Repeat views in the browser (issue 22): resting the pointer on the next page or on a tab
fetches it, and the click then shows it without asking the server again; a change made on the
page in between is never hidden by what was fetched before it."""

from __future__ import annotations

from django.core.signals import request_started
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_members_browser import acme_of, add_sixty_members


def count_server_hits(query_part: str) -> list[str]:
    """The query strings of the requests the portal served that contain `query_part`."""
    hits: list[str] = []

    def seen(sender, environ, **kwargs) -> None:
        if query_part in environ.get("QUERY_STRING", "") and "two-step" not in environ["PATH_INFO"]:
            hits.append(environ["PATH_INFO"] + "?" + environ["QUERY_STRING"])

    request_started.connect(seen, weak=False, dispatch_uid="preload-hits")
    return hits


def test_the_next_page_hovered_is_shown_from_the_preload(live_server, live_emulator, page):
    acme = acme_of(live_emulator)
    add_sixty_members(live_emulator, acme)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    hits = count_server_hits("page=2")
    try:
        next_link = page.get_by_role("link", name="Next →")
        next_link.hover()
        page.wait_for_timeout(600)  # the preload starts after 100 ms of rest
        assert len(hits) == 1
        next_link.click()
        expect(page.get_by_text("Page 2 of 4", exact=True)).to_be_visible()
        assert "page=2" in page.url
        # The click was answered by what the preload fetched: the server saw one request.
        assert len(hits) == 1
    finally:
        request_started.disconnect(dispatch_uid="preload-hits")


def test_a_tab_gets_the_focus_and_is_fetched_ahead(live_server, live_emulator, page):
    acme = acme_of(live_emulator)
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/")
    preloads = []
    page.on(
        "request",
        lambda request: (
            preloads.append(request.url) if request.headers.get("hx-preloaded") == "true" else None
        ),
    )
    page.get_by_role("link", name="Invitations", exact=True).focus()
    page.wait_for_timeout(600)
    assert any(url.endswith(f"/orgs/{acme.id}/invitations/") for url in preloads)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Invitations")).to_be_visible()
