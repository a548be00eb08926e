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
    ("/orgs/{org}/members/", 200, 200),
    ("/orgs/{org}/members/{bob}/remove/", 403, 200),  # a confirmation page, for those who may
    ("/orgs/{org}/invitations/", 403, 200),
    ("/orgs/{org}/activity/", 403, 200),
]

# (url template, status for a member's POST): every change-making URL refuses members.
MEMBER_POSTS = [
    "/orgs/{org}/invitations/",
    "/orgs/{org}/invitations/{invitation}/revoke/",
    "/orgs/{org}/invitations/{invitation}/resend/",
    "/orgs/{org}/members/{alice}/roles/",
    "/orgs/{org}/members/{alice}/remove/",
    "/orgs/{org}/members/bulk/",
]


@pytest.mark.parametrize(("template", "member_status", "admin_status"), ORG_URLS)
def test_organization_urls(client, emulator, acme, template, member_status, admin_status):
    bob_id = emulator.state.user_by_email("bob@example.com").id
    url = template.format(org=acme.id, bob=bob_id)
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


@pytest.mark.parametrize("template", MEMBER_POSTS)
def test_member_changes_are_refused_for_plain_members_and_strangers(
    client, emulator, acme, template
):
    alice_id = emulator.state.user_by_email("alice@example.com").id
    invitation = emulator.management.state.invitations.setdefault(
        "inv1", _pending_invitation(acme.id, alice_id)
    )
    url = template.format(org=acme.id, alice=alice_id, invitation=invitation.id)
    data = {
        "roles": [emulator.state.role_by_name("member").id],
        "members": [alice_id],
        "action": "remove",
        "emails": "dave@example.com",
        "expires_in_days": "7",
    }
    assert client.post(url, data).status_code == 302  # anonymous: sign in first
    login_as(client, emulator, "carol@example.com")
    assert client.post(url, data).status_code == 404
    login_as(client, emulator, "bob@example.com")
    assert client.post(url, data).status_code == 403
    assert alice_id in acme.members
    assert invitation.status == "Pending"
    assert len(emulator.state.invitations) == 1


def _pending_invitation(organization_id: str, inviter_id: str):
    from logto_emulator.state import Invitation, now_ms

    return Invitation(
        id="inv1",
        invitee="dave@example.com",
        organization_id=organization_id,
        expires_at=now_ms() + 86_400_000,
        inviter_id=inviter_id,
    )
