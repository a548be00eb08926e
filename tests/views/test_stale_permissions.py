"""bob's role is taken away in Logto and no webhook tells the portal: his pages may still show
the cached view, but his next change, from a page or the JSON API, is refused in one sentence."""

from __future__ import annotations

import json

import pytest
import requests

from orgportal import logto
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def rid(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def in_logto(emulator, method: str, path: str, **kwargs) -> None:
    """A change made in Logto itself (the Console), not through the portal."""
    token = logto.get_client().tokens.get()
    response = requests.request(
        method,
        f"{emulator.endpoint}/api{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
        **kwargs,
    )
    assert response.status_code < 300, response.text


@pytest.fixture
def scene(client, emulator, acme):
    """bob, an admin of Acme whose pages are cached, and carol, a member he could remove."""
    bob = emulator.state.user_by_email("bob@example.com")
    acme.members[bob.id] = [rid(emulator, "admin")]
    carol = emulator.state.user_by_email("carol@example.com")
    emulator.state.add_member(acme, carol, ["member"])
    login_as(client, emulator, "bob@example.com")
    assert "Invite" in client.get(f"/orgs/{acme.id}/members/").content.decode()
    return bob.id, carol.id


def demote_bob(emulator, acme, bob_id: str) -> None:
    in_logto(
        emulator,
        "PUT",
        f"/organizations/{acme.id}/users/{bob_id}/roles",
        json={"organizationRoleIds": [rid(emulator, "member")]},
    )


def toast(response) -> str:
    return json.loads(response["HX-Trigger"])["messages"][0]["message"]


def test_the_cached_page_still_offers_it_for_a_while(client, emulator, acme, scene):
    bob_id, carol_id = scene
    demote_bob(emulator, acme, bob_id)
    members_page = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert f"/members/{carol_id}/remove/" in members_page  # cached until it expires


def _remove(client, acme, emulator, carol_id):
    return client.post(f"/orgs/{acme.id}/members/{carol_id}/remove/", headers=HTMX)


def _change_roles(client, acme, emulator, carol_id):
    return client.post(
        f"/orgs/{acme.id}/members/{carol_id}/roles/",
        {"roles": [rid(emulator, "admin")]},
        headers=HTMX,
    )


def _invite(client, acme, emulator, carol_id):
    return client.post(
        f"/orgs/{acme.id}/invitations/",
        {
            "emails": "new.person@example.com",
            "roles": [rid(emulator, "member")],
            "expires_in_days": "7",
        },
        headers=HTMX,
    )


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (_remove, "You are not allowed to remove members here."),
        # These pages' own gate reads Logto afresh on every POST, and refuses first.
        (_change_roles, "You do not have permission to do this here."),
        (_invite, "You do not have permission to do this here."),
    ],
)
def test_the_next_change_is_refused_in_one_sentence(
    client, emulator, acme, scene, change, sentence
):
    bob_id, carol_id = scene
    demote_bob(emulator, acme, bob_id)
    response = change(client, acme, emulator, carol_id)
    assert response.status_code in (403, 422)  # 422: the invitation form comes back with it
    shown = toast(response) if "HX-Trigger" in response else response.content.decode()
    assert sentence in shown
    assert acme.members[carol_id] == [rid(emulator, "member")]
    assert not emulator.state.invitations
    # The refused change refreshed what the pages show.
    page = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert f"/members/{carol_id}/remove/" not in page


def test_without_javascript_the_refusal_is_a_page_with_the_sentence(client, emulator, acme, scene):
    bob_id, carol_id = scene
    demote_bob(emulator, acme, bob_id)
    response = client.post(f"/orgs/{acme.id}/members/{carol_id}/remove/", follow=True)
    assert "You are not allowed to remove members here." in response.content.decode()
    assert carol_id in acme.members


def test_a_member_removed_in_logto_is_refused_at_his_next_change(client, emulator, acme, scene):
    bob_id, carol_id = scene
    in_logto(emulator, "DELETE", f"/organizations/{acme.id}/users/{bob_id}")
    response = client.post(f"/orgs/{acme.id}/members/{carol_id}/remove/", headers=HTMX)
    assert response.status_code == 404
    assert carol_id in acme.members


def test_a_role_granted_in_logto_counts_at_the_next_change(client, emulator, acme, scene):
    """No event tells the portal of a new role either: the page's cached view may still lack
    it, but the next POST is let in on what Logto says now."""
    bob_id, carol_id = scene
    demote_bob(emulator, acme, bob_id)
    assert _invite(client, acme, emulator, carol_id).status_code == 403  # now cached: member
    in_logto(
        emulator,
        "PUT",
        f"/organizations/{acme.id}/users/{bob_id}/roles",
        json={"organizationRoleIds": [rid(emulator, "admin")]},
    )
    response = _invite(client, acme, emulator, carol_id)
    assert response.status_code < 400
    assert [i.invitee for i in emulator.state.invitations.values()] == ["new.person@example.com"]
