"""Over the JSON API too, a permission taken away in Logto refuses the next change, whatever
the (hour-long) token still names."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import bearer
from tests.views.test_stale_permissions import demote_bob, rid

pytestmark = pytest.mark.django_db

ADMIN_SCOPES = "invite:member manage:member delete:member manage:organization delete:organization"


@pytest.fixture
def scene(emulator, acme):
    bob = emulator.state.user_by_email("bob@example.com")
    acme.members[bob.id] = [rid(emulator, "admin")]
    carol = emulator.state.user_by_email("carol@example.com")
    emulator.state.add_member(acme, carol, ["member"])
    return bob.id, carol.id


def test_over_the_api_the_token_is_not_enough(client, emulator, acme, scene, org_token):
    """bob's token still names the admin permissions (tokens live an hour): refused anyway."""
    bob_id, carol_id = scene
    token = org_token("bob@example.com", ADMIN_SCOPES)
    members = f"/api/v1/organizations/{acme.id}/members"
    assert client.get(members, headers=bearer(token)).status_code == 200  # warms his cache
    demote_bob(emulator, acme, bob_id)

    removal = client.delete(f"{members}/{carol_id}", headers=bearer(token))
    assert (removal.status_code, removal.json()["code"]) == (403, "forbidden")
    assert removal.json()["message"] == "You are not allowed to remove members here."

    roles = client.put(
        f"{members}/{carol_id}/roles",
        data=json.dumps({"roleIds": [rid(emulator, "admin")]}),
        content_type="application/json",
        headers=bearer(token),
    )
    assert roles.status_code == 403
    assert roles.json()["message"] == "You are not allowed to change members' roles here."

    invite = client.post(
        f"/api/v1/organizations/{acme.id}/invitations",
        data=json.dumps(
            {"emails": ["new.person@example.com"], "roleIds": [rid(emulator, "member")]}
        ),
        content_type="application/json",
        headers=bearer(token),
    )
    assert invite.status_code == 403
    assert invite.json()["message"] == "You are not allowed to invite people here."
    assert acme.members[carol_id] == [rid(emulator, "member")]
    assert not emulator.state.invitations
