"""Organization use cases against the emulator: rules, compensation and the audit trail."""

from __future__ import annotations

import pytest

from orgportal.models import AuditEvent
from orgportal.services.errors import (
    ApplicationError,
    LastAdminError,
    LimitReached,
    NotAllowed,
    OrganizationNotFound,
    ServiceUnavailable,
)
from orgportal.services.memberships import organization_list_for_user
from orgportal.services.organizations import (
    organization_create,
    organization_delete,
    organization_leave,
    organization_update,
)

pytestmark = pytest.mark.django_db


def orgs_named(emulator, name):
    return [o for o in emulator.state.organizations.values() if o.name == name]


def test_create_makes_the_creator_an_admin_member(emulator, alice):
    organization_list_for_user(user_id=alice.logto_id)  # warm the switcher cache
    org = organization_create(actor=alice, name="  Zeta  ", description=" Z team ")
    stored = emulator.state.organizations[org.id]
    assert (stored.name, stored.description) == ("Zeta", "Z team")
    assert emulator.state.roles_brief(stored.members[alice.logto_id]) == [
        {"id": emulator.state.role_by_name("admin").id, "name": "admin"}
    ]
    # The switcher shows it at once, not after the cache expires.
    assert "Zeta" in [
        i.organization.name for i in organization_list_for_user(user_id=alice.logto_id)
    ]
    alice.refresh_from_db()
    assert alice.last_organization_id == org.id
    event = AuditEvent.objects.get(action="organization.created")
    assert (event.outcome, event.actor, event.organization_id) == ("success", alice, org.id)


def test_a_failed_role_assignment_removes_the_organization_again(emulator, alice):
    emulator.set_fault("organizations.users.roles.add", status=500)
    with pytest.raises(ServiceUnavailable) as caught:
        organization_create(actor=alice, name="Zeta")
    assert "removed again" in caught.value.message
    assert orgs_named(emulator, "Zeta") == []
    event = AuditEvent.objects.get(action="organization.created")
    assert event.outcome == "failure"
    assert "removed again" in event.error


def test_a_failed_cleanup_is_logged_and_audited(emulator, alice, caplog):
    emulator.set_fault("organizations.users.add", status=500)
    emulator.set_fault("organizations.delete", status=500)
    with pytest.raises(ServiceUnavailable):
        organization_create(actor=alice, name="Zeta")
    assert "could not be set up or removed" in caplog.text
    assert "could NOT be removed" in AuditEvent.objects.get().error


def test_logto_down_creates_nothing(emulator, alice):
    emulator.set_fault("organizations.create", status=503)
    with pytest.raises(ServiceUnavailable) as caught:
        organization_create(actor=alice, name="Zeta")
    assert "nothing was changed" in caught.value.message
    assert orgs_named(emulator, "Zeta") == []


def test_only_staff_may_create_when_configured(emulator, alice, settings):
    settings.ORGPORTAL_ORGANIZATION_CREATORS = "staff"
    with pytest.raises(NotAllowed):
        organization_create(actor=alice, name="Zeta")
    alice.is_staff = True
    assert organization_create(actor=alice, name="Zeta").name == "Zeta"


def test_holders_of_a_logto_global_role_may_create_when_configured(emulator, alice, settings):
    settings.ORGPORTAL_ORGANIZATION_CREATORS = "role:org-creator"
    with pytest.raises(NotAllowed):
        organization_create(actor=alice, name="Zeta")
    emulator.state.user_by_email("alice@example.com").global_roles.append("org-creator")
    assert organization_create(actor=alice, name="Zeta").name == "Zeta"


def test_the_per_user_limit(emulator, alice, settings):
    settings.ORGPORTAL_MAX_ORGANIZATIONS_PER_USER = 1
    first = organization_create(actor=alice, name="One")
    with pytest.raises(LimitReached):
        organization_create(actor=alice, name="Two")
    organization_delete(actor=alice, organization_id=first.id, confirm_name="One")
    assert organization_create(actor=alice, name="Two").name == "Two"


def test_update_needs_manage_organization(emulator, acme, alice, bob):
    with pytest.raises(NotAllowed):
        organization_update(actor=bob, organization_id=acme.id, name="Bob's")
    updated = organization_update(
        actor=alice, organization_id=acme.id, name="Acme Inc", description="", is_mfa_required=True
    )
    assert (updated.name, updated.description, updated.is_mfa_required) == ("Acme Inc", None, True)
    event = AuditEvent.objects.get(action="organization.updated", outcome="success")
    assert event.before["name"] == "Acme" and event.after["name"] == "Acme Inc"


def test_strangers_get_not_found(emulator, acme, carol):
    with pytest.raises(OrganizationNotFound):
        organization_update(actor=carol, organization_id=acme.id, name="Mine")
    with pytest.raises(OrganizationNotFound):
        organization_leave(actor=carol, organization_id=acme.id)


def test_delete_needs_the_permission_and_the_exact_name(emulator, acme, alice, bob):
    with pytest.raises(NotAllowed):
        organization_delete(actor=bob, organization_id=acme.id, confirm_name="Acme")
    with pytest.raises(ApplicationError) as caught:
        organization_delete(actor=alice, organization_id=acme.id, confirm_name="acme")
    assert "type the organization's name exactly" in caught.value.message
    assert acme.id in emulator.state.organizations
    organization_delete(actor=alice, organization_id=acme.id, confirm_name=" Acme ")
    assert acme.id not in emulator.state.organizations
    assert AuditEvent.objects.filter(action="organization.deleted", outcome="success").exists()


def test_a_member_can_leave(emulator, acme, bob):
    organization_leave(actor=bob, organization_id=acme.id)
    assert bob.logto_id not in acme.members
    assert organization_list_for_user(user_id=bob.logto_id) == []
    assert AuditEvent.objects.get(action="member.left").before == {"roles": ["member"]}


def test_the_last_admin_cannot_leave_until_someone_else_can_manage(emulator, acme, alice):
    with pytest.raises(LastAdminError) as caught:
        organization_leave(actor=alice, organization_id=acme.id)
    assert "Give that role to someone else first" in caught.value.message
    assert alice.logto_id in acme.members
    assert AuditEvent.objects.get(action="member.left").outcome == "failure"
    bob_id = emulator.state.user_by_email("bob@example.com").id
    acme.members[bob_id].append(emulator.state.role_by_name("admin").id)
    organization_leave(actor=alice, organization_id=acme.id)
    assert alice.logto_id not in acme.members
