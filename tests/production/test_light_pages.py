"""Light pages under gunicorn with collected static files (issue 22): scripts and stylesheets
under hashed names, precompressed and kept for ten years; pages and fragments gzip-compressed
with a `Vary` that keeps them apart, and a repeated view answered 304 by either worker."""

from __future__ import annotations

import gzip
import hashlib
import re

import pytest

from tests.production.conftest import Logto
from tests.production.processes import Gunicorn
from tests.production.test_shared_state import sign_in_elsewhere

TEN_YEARS = 315_360_000
GZIP = {"Accept-Encoding": "gzip"}
# What a client that takes no compression says (requests asks for gzip by default).
PLAIN = {"Accept-Encoding": "identity"}
PAGE_VARY = {"Accept-Encoding", "Accept-Language", "Cookie", "HX-Request", "X-Portal-View"}


def vary_of(response) -> set[str]:
    return {name.strip() for name in response.headers.get("Vary", "").split(",")}


HASHED = re.compile(r"\.[0-9a-f]{12}\.(js|css)$")


def scripts_of(page_html: str) -> list[str]:
    """The addresses of the scripts a page loads from the portal's static files."""
    return re.findall(r'<script src="(/static/[^"]+)"', page_html)


@pytest.fixture(scope="module")
def alice_session(deployment_env: dict[str, str], logto: Logto) -> str:
    return sign_in_elsewhere(deployment_env, logto)


def test_scripts_are_named_after_their_content_and_sent_compressed_only_when_asked(
    portal: Gunicorn,
):
    scripts = scripts_of(portal.get("/").text)
    # htmx, its preload extension, django-htmx's helper and the portal's own script.
    assert len(scripts) >= 3 and any("/orgportal/app." in src for src in scripts)

    for src in scripts:
        assert HASHED.search(src), f"{src} is linked under its hashed name"
        compressed = portal.get(src, headers=GZIP, stream=True)
        body = compressed.raw.read()  # as it came over the wire
        plain = portal.get(src, headers=PLAIN)

        assert compressed.status_code == plain.status_code == 200
        assert compressed.headers["Content-Encoding"] == "gzip", src
        assert "Content-Encoding" not in plain.headers
        assert gzip.decompress(body) == plain.content
        assert len(body) < len(plain.content), src
        # The name is the content's: a changed script gets a new name, so keeping it is safe.
        assert hashlib.md5(plain.content).hexdigest()[:12] in src
        for response in (compressed, plain):
            assert "Accept-Encoding" in vary_of(response)
            cache_control = response.headers["Cache-Control"]
            assert f"max-age={TEN_YEARS}" in cache_control and "immutable" in cache_control


def test_a_static_file_under_its_plain_name_is_not_kept_for_long(portal: Gunicorn):
    # The plain name keeps its address when the file changes: browsers ask again after a minute.
    plain_name = portal.get("/static/orgportal/app.js", headers=GZIP)
    assert plain_name.status_code == 200
    cache_control = plain_name.headers["Cache-Control"]
    assert "immutable" not in cache_control and "max-age=60" in cache_control


def test_pages_and_fragments_come_gzip_compressed_and_vary_on_what_they_depend_on(
    portal: Gunicorn, alice_session: str, logto: Logto
):
    cookies = {"sessionid": alice_session}
    acme = next(o for o in logto.emulator.state.organizations.values() if o.name == "Acme")
    members = f"/orgs/{acme.id}/members/"

    dashboard = portal.get("/", headers=GZIP, cookies=cookies, stream=True)
    on_the_wire = dashboard.raw.read()
    plain = portal.get("/", headers=PLAIN, cookies=cookies)
    fragment = portal.get(members, headers={**GZIP, "HX-Request": "true"}, cookies=cookies)

    assert dashboard.status_code == plain.status_code == fragment.status_code == 200
    assert dashboard.headers["Content-Encoding"] == fragment.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    page = gzip.decompress(on_the_wire).decode()
    assert "Acme" in page and "<html" in page  # her dashboard, whole
    assert len(on_the_wire) < len(plain.content) / 3
    assert "<html" not in fragment.text and 'id="member-table"' in fragment.text
    for response in (dashboard, plain, fragment):
        assert vary_of(response) >= PAGE_VARY
        assert response.headers["Cache-Control"] == "private, no-cache"


def test_a_repeated_view_is_answered_304_by_whichever_worker_takes_it(
    portal: Gunicorn, alice_session: str, logto: Logto
):
    acme = next(o for o in logto.emulator.state.organizations.values() if o.name == "Acme")
    url = f"/orgs/{acme.id}/invitations/"
    first = portal.get(url, headers=GZIP, cookies={"sessionid": alice_session})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    # What the browser keeps: the page, its tag, and the CSRF cookie it was given.
    cookies = {"sessionid": alice_session, **first.cookies.get_dict()}
    tag = first.headers["ETag"]

    # Several requests, spread over the two workers as the kernel hands them out.
    for _ in range(4):
        again = portal.get(url, headers={**GZIP, "If-None-Match": tag}, cookies=cookies)
        assert again.status_code == 304 and again.content == b""
        # A 304 names what the 200 named (RFC 9110, 15.4.5): the browser updates its copy's
        # headers from it, and must keep knowing that the copy was chosen by its encoding.
        assert again.headers["ETag"] == tag
        assert vary_of(again) >= PAGE_VARY
    # Another language is another page: never answered with the English copy.
    german = portal.get(
        url,
        headers={**GZIP, "If-None-Match": tag, "Accept-Language": "de"},
        cookies=cookies,
    )
    assert german.status_code == 200 and german.headers["Content-Language"] == "de"
