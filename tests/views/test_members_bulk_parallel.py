"""Bulk actions outside a transaction change several members at the same time (real threads,
their own database connections), and keep every rule."""

from __future__ import annotations

import pytest

from orgportal.models import AuditEvent
from tests.conftest import login_as

pytestmark = pytest.mark.django_db(transaction=True)


def add_members(emulator, organization, count: int, roles: list[str]) -> list[str]:
    ids = []
    for n in range(count):
        user = emulator.state.add_user(f"bulk{n:02}@example.com", "pw")
        emulator.state.add_member(organization, user, roles)
        ids.append(user.id)
    return ids


def test_removing_twelve_members_at_once_removes_and_audits_each(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    ids = add_members(emulator, acme, 12, ["member"])
    response = client.post(f"/orgs/{acme.id}/members/bulk/", {"members": ids, "action": "remove"})
    assert response.status_code == 200
    assert "Done for 12 of 12 selected." in [str(m) for m in response.context["messages"]]
    assert not set(ids) & set(emulator.state.organizations[acme.id].members)
    assert AuditEvent.objects.filter(action="member.removed", outcome="success").count() == 12


def test_demoting_every_admin_at_once_never_leaves_the_organization_without_one(
    client, emulator, acme
):
    alice = login_as(client, emulator, "alice@example.com")
    admins = add_members(emulator, acme, 5, ["admin"])
    member = emulator.state.role_by_name("member").id
    admin = emulator.state.role_by_name("admin").id
    everyone = [alice.logto_id, *admins]
    response = client.post(
        f"/orgs/{acme.id}/members/bulk/",
        {"members": everyone, "action": "set_role", "role": member},
    )
    members = emulator.state.organizations[acme.id].members
    still = [uid for uid in everyone if admin in members[uid]]
    # However the lanes interleave (and the actor may demote herself on the way, losing
    # the right to go on), someone still manages members and every refusal says why.
    assert still
    refused = [o for o in response.context["outcomes"] if not o.ok]
    assert len(refused) == len(still) and all(o.message for o in refused)


def test_the_other_admins_are_demoted_at_once(client, emulator, acme):
    alice = login_as(client, emulator, "alice@example.com")
    admins = add_members(emulator, acme, 5, ["admin"])
    member = emulator.state.role_by_name("member").id
    client.post(
        f"/orgs/{acme.id}/members/bulk/",
        {"members": admins, "action": "set_role", "role": member},
    )
    members = emulator.state.organizations[acme.id].members
    assert all(members[uid] == [member] for uid in admins)
    assert emulator.state.role_by_name("admin").id in members[alice.logto_id]
    assert AuditEvent.objects.filter(action="member.roles_changed", outcome="success").count() == 5
