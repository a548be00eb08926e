"""Every write the portal makes, with Logto doing the work and its answer lost (a timeout).

The person must read what really happened: each of these writes did happen, so each use case
succeeds, leaves the state changed exactly once, and is audited as a success.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from logto_emulator.state import Invitation
from orgportal.models import AuditEvent
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.invitations import invitation_revoke
from orgportal.services.invitee import invitation_accept
from orgportal.services.members import member_remove, member_roles_set, members_bulk
from orgportal.services.organizations import (
    organization_create,
    organization_delete,
    organization_leave,
    organization_update,
)

pytestmark = pytest.mark.django_db


def role(emulator, name):
    return emulator.state.role_by_name(name).id


def pending_for(emulator, acme, email, inviter):
    later = int((datetime.now(tz=UTC) + timedelta(days=7)).timestamp() * 1000)
    return emulator.state.invitations.setdefault(
        "inv-matrix",
        Invitation(
            id="inv-matrix",
            invitee=email,
            organization_id=acme.id,
            expires_at=later,
            inviter_id=inviter,
            role_ids=[role(emulator, "member")],
        ),
    )


CASES = {
    "create organization": (
        "organizations.create",
        lambda e, acme, alice, bob, carol: organization_create(actor=alice, name="Zeta"),
        lambda e, acme, alice, bob, carol: (
            [o.name for o in e.state.organizations.values()].count("Zeta") == 1
        ),
    ),
    "rename": (
        "organizations.update",
        lambda e, acme, alice, bob, carol: organization_update(
            actor=alice, organization_id=acme.id, name="Acme 2"
        ),
        lambda e, acme, alice, bob, carol: acme.name == "Acme 2",
    ),
    "delete organization": (
        "organizations.delete",
        lambda e, acme, alice, bob, carol: organization_delete(
            actor=alice, organization_id=acme.id, confirm_name="Acme"
        ),
        lambda e, acme, alice, bob, carol: acme.id not in e.state.organizations,
    ),
    "leave": (
        "organizations.users.remove",
        lambda e, acme, alice, bob, carol: organization_leave(actor=bob, organization_id=acme.id),
        lambda e, acme, alice, bob, carol: bob.logto_id not in acme.members,
    ),
    "remove a member": (
        "organizations.users.remove",
        lambda e, acme, alice, bob, carol: member_remove(
            actor=alice, organization_id=acme.id, user_id=bob.logto_id
        ),
        lambda e, acme, alice, bob, carol: bob.logto_id not in acme.members,
    ),
    "change roles": (
        "organizations.users.roles.replace",
        lambda e, acme, alice, bob, carol: member_roles_set(
            actor=alice,
            organization_id=acme.id,
            user_id=bob.logto_id,
            role_ids=[role(e, "admin")],
        ),
        lambda e, acme, alice, bob, carol: acme.members[bob.logto_id] == [role(e, "admin")],
    ),
    "bulk add a role": (
        "organizations.users.roles.bulk",
        lambda e, acme, alice, bob, carol: members_bulk(
            actor=alice,
            organization_id=acme.id,
            user_ids=[bob.logto_id],
            action="add_role",
            role_id=role(e, "admin"),
        ),
        lambda e, acme, alice, bob, carol: role(e, "admin") in acme.members[bob.logto_id],
    ),
    "invite": (
        "invitations.create",
        lambda e, acme, alice, bob, carol: invitation_send(
            actor=alice,
            organization_id=acme.id,
            emails=["dave@example.com"],
            role_ids=[role(e, "member")],
        ),
        lambda e, acme, alice, bob, carol: (
            [i.invitee for i in e.state.invitations.values()] == ["dave@example.com"]
        ),
    ),
    "revoke": (
        "invitations.status",
        lambda e, acme, alice, bob, carol: invitation_revoke(
            actor=alice,
            organization_id=acme.id,
            invitation_id=pending_for(e, acme, "carol@example.com", alice.logto_id).id,
        ),
        lambda e, acme, alice, bob, carol: e.state.invitations["inv-matrix"].status == "Revoked",
    ),
    "accept": (
        "invitations.status",
        lambda e, acme, alice, bob, carol: invitation_accept(
            actor=carol,
            invitation_id=pending_for(e, acme, "carol@example.com", alice.logto_id).id,
        ),
        lambda e, acme, alice, bob, carol: carol.logto_id in acme.members,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_write_whose_answer_was_lost_is_reported_as_done(case, emulator, acme, alice, bob, carol):
    route, write, holds = CASES[case]
    before = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()
    emulator.set_fault(route, after_work=True, latency=0.01, times=1)
    write(emulator, acme, alice, bob, carol)  # no refusal: it did happen
    assert emulator.faults[route].acted == 1  # the answer really was lost once
    assert holds(emulator, acme, alice, bob, carol)
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count() > before
