"""Organization API keys end to end: alice makes a key on the page, the secret is shown once,
the emulator's token endpoint gives it an organization token, and the portal's API lets that
token invite and remove people with the same rules and audit, as "API key “HR sync”"."""

from __future__ import annotations

import re
from html import unescape

import pytest
import requests
from django.conf import settings

from orgportal.models import ApiKey, AuditEvent
from orgportal.services.api_keys import api_key_revoke, api_keys_sweep
from tests.api.conftest import bearer
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

MEMBER_MANAGEMENT = "API: member management"
READ_ONLY = "API: read-only"
MEMBER_SCOPES = "invite:member manage:member delete:member"


def role_id(emulator, name):
    return emulator.state.role_by_name(name).id


def create_key(client, acme, emulator, name="HR sync", roles=(MEMBER_MANAGEMENT,), **extra):
    return client.post(
        f"/orgs/{acme.id}/api-keys/",
        {"name": name, "roles": [role_id(emulator, r) for r in roles], **extra},
    )


def shown_secret(response) -> tuple[str, str]:
    html = response.content.decode()
    key_id = re.search(r'id="api-key-id"[^>]*value="([^"]+)"', html)
    secret = re.search(r'id="api-key-secret"[^>]*value="([^"]+)"', html)
    assert key_id and secret, "the new secret is on the page"
    return unescape(key_id.group(1)), unescape(secret.group(1))


def token_for(app_id, secret, organization_id, scope=MEMBER_SCOPES):
    return requests.post(
        f"{settings.LOGTO.endpoint}/oidc/token",
        data={
            "grant_type": "client_credentials",
            "organization_id": organization_id,
            "scope": scope,
        },
        auth=(app_id, secret),
        timeout=5,
    )


@pytest.fixture
def hr_sync(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = create_key(client, acme, emulator)
    assert response.status_code == 200
    return shown_secret(response)


def test_the_secret_is_shown_once_and_never_stored(client, emulator, acme, hr_sync):
    app_id, secret = hr_sync
    key = ApiKey.objects.get(application_id=app_id)
    assert (key.name, key.role_names, key.created_by.email) == (
        "HR sync",
        [MEMBER_MANAGEMENT],
        "alice@example.com",
    )
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    page = client.get(f"/orgs/{acme.id}/api-keys/").content.decode()
    assert "HR sync" in page and secret not in page
    # In Logto: an M2M app in Acme with the role, and only the secret that was shown.
    app = emulator.state.applications[app_id]
    assert app.type == "MachineToMachine"
    assert acme.applications[app_id] == [role_id(emulator, MEMBER_MANAGEMENT)]
    assert [s.value for s in app.secrets] == [secret]


def test_the_key_invites_and_removes_as_itself(client, emulator, acme, hr_sync):
    app_id, secret = hr_sync
    answer = token_for(app_id, secret, acme.id)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    invited = client.post(
        f"/api/v1/organizations/{acme.id}/invitations",
        data={"emails": ["dave@example.com"], "roleIds": [role_id(emulator, "member")]},
        content_type="application/json",
        headers=bearer(token),
    )
    assert invited.status_code == 200, invited.content
    assert [o["status"] for o in invited.json()] == ["sent"]
    event = AuditEvent.objects.get(action="invitation.sent", target_label="dave@example.com")
    assert event.actor_label == "api key: HR sync"
    activity = client.get(f"/orgs/{acme.id}/activity/").content.decode()
    assert "API key “HR sync”" in unescape(activity)

    bob = emulator.state.user_by_email("bob@example.com")
    removed = client.delete(
        f"/api/v1/organizations/{acme.id}/members/{bob.id}", headers=bearer(token)
    )
    assert removed.status_code == 204
    assert bob.id not in acme.members


def test_the_key_cannot_grant_more_than_its_roles(client, emulator, acme, hr_sync):
    """Member management does not include making someone an admin: no escalation."""
    app_id, secret = hr_sync
    token = token_for(app_id, secret, acme.id).json()["access_token"]
    invited = client.post(
        f"/api/v1/organizations/{acme.id}/invitations",
        data={"emails": ["eve@example.com"], "roleIds": [role_id(emulator, "admin")]},
        content_type="application/json",
        headers=bearer(token),
    )
    assert invited.status_code == 403


def test_only_the_token_scope_counts(client, emulator, acme, hr_sync):
    app_id, secret = hr_sync
    token = token_for(app_id, secret, acme.id, scope="").json()["access_token"]
    invited = client.post(
        f"/api/v1/organizations/{acme.id}/invitations",
        data={"emails": ["dave@example.com"], "roleIds": [role_id(emulator, "member")]},
        content_type="application/json",
        headers=bearer(token),
    )
    assert invited.status_code == 403
    assert invited.json()["code"] == "insufficient_scope"
    listed = client.get(f"/api/v1/organizations/{acme.id}/members", headers=bearer(token))
    assert listed.status_code == 200


def test_a_token_for_one_organization_is_refused_on_another(client, emulator, acme, hr_sync):
    app_id, secret = hr_sync
    other = emulator.state.add_organization("Globex")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    assert token_for(app_id, secret, other.id).status_code == 403  # Logto: not its organization
    token = token_for(app_id, secret, acme.id).json()["access_token"]
    response = client.get(f"/api/v1/organizations/{other.id}/members", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_after_revoke_the_secret_gets_no_token_and_old_tokens_are_refused(
    client, emulator, acme, hr_sync
):
    app_id, secret = hr_sync
    token = token_for(app_id, secret, acme.id).json()["access_token"]
    key = ApiKey.objects.get(application_id=app_id)
    response = client.post(f"/orgs/{acme.id}/api-keys/{key.pk}/revoke/")
    assert response.status_code == 302
    assert app_id not in emulator.state.applications
    assert app_id not in acme.applications
    assert token_for(app_id, secret, acme.id).status_code == 401
    refused = client.get(f"/api/v1/organizations/{acme.id}/members", headers=bearer(token))
    assert refused.status_code == 401
    page = client.get(f"/orgs/{acme.id}/api-keys/").content.decode()
    assert "was revoked" in page and 'id="api-key-' not in page
    assert "HR sync" not in client.get(f"/orgs/{acme.id}/api-keys/").content.decode()
    assert AuditEvent.objects.filter(action="api_key.revoked", target_label="HR sync").exists()


def test_rotation_keeps_the_old_secret_for_the_grace_period(client, emulator, acme, hr_sync):
    app_id, old = hr_sync
    key = ApiKey.objects.get(application_id=app_id)
    response = client.post(f"/orgs/{acme.id}/api-keys/{key.pk}/rotate/", {"grace_hours": "1"})
    assert response.status_code == 200
    _, new = shown_secret(response)
    assert new != old
    assert token_for(app_id, old, acme.id).status_code == 200
    assert token_for(app_id, new, acme.id).status_code == 200
    key.refresh_from_db()
    assert key.previous_secret_until is not None
    # The grace period ends: the worker's sweep deletes the old secret in Logto.
    type(key).objects.filter(pk=key.pk).update(previous_secret_until=key.rotated_at)
    assert api_keys_sweep() == 1
    assert token_for(app_id, old, acme.id).status_code == 401
    assert token_for(app_id, new, acme.id).status_code == 200


def test_rotation_without_grace_stops_the_old_secret_now(client, emulator, acme, hr_sync):
    app_id, old = hr_sync
    key = ApiKey.objects.get(application_id=app_id)
    response = client.post(f"/orgs/{acme.id}/api-keys/{key.pk}/rotate/", {"grace_hours": "0"})
    _, new = shown_secret(response)
    assert token_for(app_id, old, acme.id).status_code == 401
    assert token_for(app_id, new, acme.id).status_code == 200


def token_fetched_earlier(monkeypatch, app_id, secret, organization_id, seconds=5):
    """A token the old secret got a few seconds ago (its `iat` that far back), without waiting."""
    import time
    from types import SimpleNamespace

    import logto_emulator.applications as emulator_applications

    earlier = SimpleNamespace(time=lambda: time.time() - seconds)
    with monkeypatch.context() as patched:
        patched.setattr(emulator_applications, "time", earlier)
        answer = token_for(app_id, secret, organization_id)
    assert answer.status_code == 200
    return answer.json()["access_token"]


@pytest.mark.parametrize("grace_hours", ["0", "1"])
def test_tokens_from_a_secret_that_stopped_are_refused_before_they_expire(
    client, emulator, acme, hr_sync, monkeypatch, grace_hours
):
    app_id, old = hr_sync
    key = ApiKey.objects.get(application_id=app_id)
    members = f"/api/v1/organizations/{acme.id}/members"
    old_token = token_fetched_earlier(monkeypatch, app_id, old, acme.id)
    assert client.get(members, headers=bearer(old_token)).status_code == 200
    response = client.post(
        f"/orgs/{acme.id}/api-keys/{key.pk}/rotate/", {"grace_hours": grace_hours}
    )
    _, new = shown_secret(response)
    if grace_hours == "1":  # the old secret's tokens count while the grace period runs
        assert client.get(members, headers=bearer(old_token)).status_code == 200
        key.refresh_from_db()
        type(key).objects.filter(pk=key.pk).update(previous_secret_until=key.rotated_at)
        assert api_keys_sweep() == 1
    refused = client.get(members, headers=bearer(old_token))
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    assert "secret was replaced" in refused.json()["message"]
    new_token = token_for(app_id, new, acme.id).json()["access_token"]
    assert client.get(members, headers=bearer(new_token)).status_code == 200


def test_names_are_unique_and_the_limit_holds(client, emulator, acme, hr_sync, settings):
    again = create_key(client, acme, emulator, name="hr SYNC")
    assert again.status_code == 422
    assert "already exists" in again.content.decode()
    settings.ORGPORTAL_API_KEYS_PER_ORGANIZATION = 1
    over = create_key(client, acme, emulator, name="Audit script")
    assert over.status_code == 403 or over.status_code == 422
    assert ApiKey.objects.filter(organization_id=acme.id).count() == 1


def test_a_member_without_the_permission_cannot_see_the_page(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/api-keys/").status_code == 403
    assert "api-keys" not in client.get(f"/orgs/{acme.id}/").content.decode()
    login_as(client, emulator, "carol@example.com")
    assert client.get(f"/orgs/{acme.id}/api-keys/").status_code == 404


def test_a_failed_step_leaves_nothing_in_logto(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    before = set(emulator.state.applications)
    emulator.set_fault("organizations.applications.roles.add", status=500)
    response = create_key(client, acme, emulator)
    assert response.status_code == 503
    assert "removed again" in unescape(response.content.decode())
    assert set(emulator.state.applications) == before
    assert not ApiKey.objects.exists()
    event = AuditEvent.objects.get(action="api_key.created")
    assert event.outcome == AuditEvent.Outcome.FAILURE


def test_a_create_whose_answer_was_lost_is_read_back(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    before = set(emulator.state.applications)
    emulator.set_fault("applications.create", after_work=True, latency=0.01, times=1)
    response = create_key(client, acme, emulator)
    assert emulator.faults["applications.create"].acted == 1
    assert response.status_code == 200
    app_id, secret = shown_secret(response)
    assert set(emulator.state.applications) - before == {app_id}  # one application, not two
    assert token_for(app_id, secret, acme.id).status_code == 200


def test_expired_keys_are_refused_and_removed(client, emulator, acme, hr_sync):
    from datetime import timedelta

    from django.utils import timezone

    app_id, secret = hr_sync
    token = token_for(app_id, secret, acme.id).json()["access_token"]
    ApiKey.objects.filter(application_id=app_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    refused = client.get(f"/api/v1/organizations/{acme.id}/members", headers=bearer(token))
    assert refused.status_code == 401
    page = unescape(client.get(f"/orgs/{acme.id}/api-keys/").content.decode())
    assert "Expired" in page
    assert api_keys_sweep() == 1
    assert app_id not in emulator.state.applications
    key = ApiKey.objects.get(application_id=app_id)
    api_key_revoke(actor=key.created_by, organization_id=acme.id, key_id=str(key.pk))
    assert "HR sync" not in client.get(f"/orgs/{acme.id}/api-keys/").content.decode()
