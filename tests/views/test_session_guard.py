"""Unsafe requests only from people Logto still vouches for (suspension, deletion, staff)."""

from __future__ import annotations

import pytest

from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def test_a_suspended_person_is_signed_out_and_changes_nothing(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    emulator.state.user_by_email("alice@example.com").is_suspended = True
    response = client.post(f"/orgs/{acme.id}/settings/", {"name": "Hijacked"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert acme.name == "Acme"
    assert "_auth_user_id" not in client.session
    assert client.get(f"/orgs/{acme.id}/settings/").status_code == 302  # to sign-in


def test_a_deleted_person_is_signed_out_on_htmx_too(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    del emulator.state.users[emulator.state.user_by_email("alice@example.com").id]
    response = client.post(
        f"/orgs/{acme.id}/settings/", {"name": "Hijacked"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 401 and response["HX-Redirect"] == "/"
    assert acme.name == "Acme"


def test_reading_pages_needs_no_extra_call(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    before = emulator.calls_to("users.get")
    client.get(f"/orgs/{acme.id}/")
    assert emulator.calls_to("users.get") == before


def test_staff_whose_role_was_removed_lose_the_admin_at_the_next_change(client, emulator, acme):
    staff = emulator.state.user_by_email("staff@example.com")
    user = login_as(client, emulator, "staff@example.com")
    user.is_staff = True
    user.save()
    staff.global_roles = []
    response = client.post(
        f"/admin/logto/organizations/{acme.id}/",
        {"action": "rename", "name": "Staff did it", "description": ""},
    )
    assert response.status_code == 403
    assert acme.name == "Acme"
    user.refresh_from_db()
    assert not user.is_staff
