"""Every organization URL against every kind of visitor (pretix-style matrix)."""

from __future__ import annotations

import pytest

from tests.conftest import login_as

pytestmark = pytest.mark.django_db

# (url template, status for a plain member, status for an admin)
ORG_URLS = [
    ("/orgs/{org}/", 200, 200),
    ("/orgs/{org}/settings/", 403, 200),
    ("/orgs/{org}/delete/", 403, 200),
    ("/orgs/{org}/leave/", 200, 200),
]


@pytest.mark.parametrize(("template", "member_status", "admin_status"), ORG_URLS)
def test_organization_urls(client, emulator, acme, template, member_status, admin_status):
    url = template.format(org=acme.id)
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/oidc/authenticate/")

    login_as(client, emulator, "carol@example.com")
    assert client.get(url).status_code == 404, "non-members must not learn it exists"

    login_as(client, emulator, "bob@example.com")
    assert client.get(url).status_code == member_status

    login_as(client, emulator, "alice@example.com")
    assert client.get(url).status_code == admin_status


@pytest.mark.parametrize("template", ["/orgs/{org}/settings/", "/orgs/{org}/delete/"])
def test_forged_posts_by_members_are_refused(client, emulator, acme, template):
    login_as(client, emulator, "bob@example.com")
    response = client.post(
        template.format(org=acme.id), {"name": "Hijacked", "confirm_name": "Acme"}
    )
    assert response.status_code == 403
    assert acme.name == "Acme" and acme.id in emulator.state.organizations


def test_an_unknown_organization_is_404(client, emulator):
    login_as(client, emulator, "alice@example.com")
    assert client.get("/orgs/does-not-exist/settings/").status_code == 404


def test_creation_page_needs_sign_in(client, emulator):
    assert client.get("/orgs/new/").status_code == 302
