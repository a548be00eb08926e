"""Light pages and repeat views (issue 22): compressed answers, a 304 for a repeated view that
did not change, `Vary` that keeps fragments, pages and languages apart, and rows that weigh
little."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.conftest import login_as

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def twenty_five(emulator, acme):
    for n in range(25):
        user = emulator.state.add_user(f"user{n:02}@example.com", "pw", name=f"User {n:02}")
        emulator.state.add_member(acme, user, ["member"])


def members_url(acme) -> str:
    return f"/orgs/{acme.id}/members/?page_size=20"


def test_pages_and_fragments_come_gzip_compressed_when_the_browser_accepts_it(
    client, emulator, acme, twenty_five
):
    login_as(client, emulator, "alice@example.com")
    plain = client.get(members_url(acme))
    compressed = client.get(members_url(acme), headers=GZIP)
    fragment = client.get(members_url(acme), headers={**GZIP, **HTMX})
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip" and fragment["Content-Encoding"] == "gzip"
    page = gzip.decompress(compressed.content).decode()
    assert "<html" in page and page.count('<tr id="member-') == 20
    assert "<html" not in gzip.decompress(fragment.content).decode()
    assert len(compressed.content) < len(plain.content) / 4
    assert "Accept-Encoding" in compressed["Vary"]


def test_a_repeated_view_that_did_not_change_is_answered_304(client, emulator, acme, twenty_five):
    login_as(client, emulator, "alice@example.com")
    for headers in ({}, HTMX):
        first = client.get(members_url(acme), headers=headers)
        assert first["Cache-Control"] == "private, no-cache"  # kept, but asked again each time
        # Every answer carries CSRF tokens masked anew, yet the tag is the same.
        assert first.content.count(b"csrfmiddlewaretoken") >= 1
        again = client.get(members_url(acme), headers={**headers, "If-None-Match": first["ETag"]})
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == first["ETag"]


def test_a_change_makes_the_next_view_whole_again(client, emulator, acme, twenty_five):
    login_as(client, emulator, "alice@example.com")
    first = client.get(members_url(acme), headers=HTMX)
    alice = emulator.state.user_by_email("alice@example.com").id
    shown = next(
        uid
        for uid in re.findall(r'<tr id="member-([^"]+)"', first.content.decode())
        if uid != alice
    )
    admin = emulator.state.role_by_name("admin").id
    saved = client.post(f"/orgs/{acme.id}/members/{shown}/roles/", {"roles": [admin]})
    assert saved.status_code in (200, 302)
    after = client.get(members_url(acme), headers={**HTMX, "If-None-Match": first["ETag"]})
    assert after.status_code == 200 and after["ETag"] != first["ETag"]


def test_a_new_sign_in_never_revives_a_page_with_old_csrf_tokens(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    before = client.get(f"/orgs/{acme.id}/members/")
    del client.cookies["csrftoken"]  # a new CSRF secret, as after signing in again
    after = client.get(f"/orgs/{acme.id}/members/", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]


def test_vary_keeps_fragments_pages_and_languages_apart(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/members/")
    fragment = client.get(f"/orgs/{acme.id}/members/", headers=HTMX)
    german = client.get(f"/orgs/{acme.id}/members/", headers={"Accept-Language": "de"})
    for response in (page, fragment, german):
        vary = {name.strip() for name in response["Vary"].split(",")}
        assert {"Accept-Language", "Cookie", "HX-Request", "X-Portal-View"} <= vary
    assert len({page["ETag"], fragment["ETag"], german["ETag"]}) == 3
    # A fragment's tag never matches the page, so the page is never answered with a fragment.
    whole = client.get(f"/orgs/{acme.id}/members/", headers={"If-None-Match": fragment["ETag"]})
    assert whole.status_code == 200 and b"<html" in whole.content


def test_only_a_preload_may_be_used_for_a_few_seconds_without_asking(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    preloaded = client.get(f"/orgs/{acme.id}/invitations/", headers={"HX-Preloaded": "true"})
    assert preloaded["Cache-Control"] == "private, max-age=10"
    assert client.get(f"/orgs/{acme.id}/invitations/")["Cache-Control"] == "private, no-cache"


def test_a_page_of_twenty_rows_stays_light(client, emulator, acme, twenty_five):
    """The targets of issue 22: a 20-row fragment at most 3 KB on the wire (gzip), the whole
    members page at most 7 KB; a row carries what differs from member to member."""
    login_as(client, emulator, "alice@example.com")
    fragment = client.get(members_url(acme), headers=HTMX).content
    page = client.get(members_url(acme)).content
    rows = re.findall(rb'<tr id="member-.*?</tr>', fragment)
    assert len(rows) == 20
    assert max(len(row) for row in rows) <= 1_100
    assert len(fragment) <= 24_000
    assert len(gzip.compress(fragment)) + 100 <= 3_000  # +100: the BREACH padding at most
    assert len(gzip.compress(page)) + 100 <= 7_000
    assert fragment.count(b"data-confirm=") == 1  # the bulk bar's; rows ask through the table
    assert b"hx-" not in b"".join(rows)


def test_invitation_rows_share_one_form_and_one_csrf_token(client, emulator, acme):
    for n in range(50):
        emulator.state.add_invitation(acme, f"guest{n:02}@example.com")
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    body = page.split('<section id="invitation-list"')[1].split("</section>")[0]
    assert body.count('form="invitation-actions"') == 100  # Resend and Revoke in 50 rows
    assert body.count('<form id="invitation-actions"') == 1
    assert body.count("csrfmiddlewaretoken") == 1
    assert "data-label" not in body
