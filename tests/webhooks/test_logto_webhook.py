"""Changes made in Logto (not through the portal) reach the portal at once through Logto's
webhook, as the emulator delivers it; deliveries that are not Logto's change nothing."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from logto_emulator.webhooks import encode, iso_now, sign
from orgportal.models import AuditEvent, User
from orgportal.services.access import Perm, organization_access
from tests.conftest import local_user, login_as

pytestmark = pytest.mark.django_db(transaction=True)


def member_role_id(emulator) -> str:
    return next(r.id for r in emulator.state.organization_roles.values() if r.name == "member")


def scope_id(emulator, name: str) -> str:
    return next(s.id for s in emulator.state.organization_scopes.values() if s.name == name)


# -- membership ---------------------------------------------------------------------------
def test_removed_in_logto_the_next_request_is_refused_at_once(
    client, emulator, acme, portal_hook, console
):
    bob = login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/").status_code == 200  # his access is cached now
    console("DELETE", f"/organizations/{acme.id}/users/{bob.logto_id}")
    assert all(delivery.ok for delivery in portal_hook.delivered())
    assert client.get(f"/orgs/{acme.id}/").status_code == 404
    assert "Acme" not in client.get("/").content.decode()


def test_added_in_logto_the_organization_opens_at_once(
    client, emulator, acme, portal_hook, console
):
    carol = login_as(client, emulator, "carol@example.com")
    assert client.get(f"/orgs/{acme.id}/").status_code == 404  # and that is cached
    console("POST", f"/organizations/{acme.id}/users", json={"userIds": [carol.logto_id]})
    portal_hook.delivered()
    assert client.get(f"/orgs/{acme.id}/").status_code == 200


def test_a_role_template_change_drops_everyones_cached_permissions(
    emulator, acme, bob, portal_hook, console
):
    assert not organization_access(user=bob, organization_id=acme.id).can(Perm.INVITE_MEMBER)
    console(
        "POST",
        f"/organization-roles/{member_role_id(emulator)}/scopes",
        json={"organizationScopeIds": [scope_id(emulator, "invite:member")]},
    )
    portal_hook.delivered()
    assert organization_access(user=bob, organization_id=acme.id).can(Perm.INVITE_MEMBER)


def test_a_membership_event_without_delta_drops_everyones_permissions_there(
    emulator, acme, bob, portal_hook, console
):
    assert not organization_access(user=bob, organization_id=acme.id).can(Perm.MANAGE_MEMBER)
    admin = emulator.state.role_by_name("admin").id
    acme.members[bob.logto_id] = [admin]  # a role assignment: Logto sends no event for it
    console("POST", f"/organizations/{acme.id}/users", json={"userIds": [bob.logto_id]})
    (delivery,) = portal_hook.delivered()
    assert "addedUserIds" not in delivery.payload  # bob was a member already
    assert organization_access(user=bob, organization_id=acme.id).can(Perm.MANAGE_MEMBER)


def test_an_organization_deleted_in_logto_is_gone_at_once(
    client, emulator, acme, portal_hook, console
):
    login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/").status_code == 200
    console("DELETE", f"/organizations/{acme.id}")
    portal_hook.delivered()
    assert client.get(f"/orgs/{acme.id}/").status_code == 404


# -- people -------------------------------------------------------------------------------
def test_suspended_in_logto_every_session_ends_at_its_next_request(
    emulator, acme, portal_hook, console, db_tasks
):
    """Before the worker deleted the stored sessions (db_tasks: nothing runs them here), the
    mark alone ends them."""
    phone, laptop = Client(), Client()
    bob = login_as(phone, emulator, "bob@example.com")
    login_as(laptop, emulator, "bob@example.com")
    assert phone.get(f"/orgs/{acme.id}/").status_code == 200
    console("PATCH", f"/users/{bob.logto_id}/is-suspended", json={"isSuspended": True})
    portal_hook.delivered()
    for browser in (phone, laptop):
        response = browser.get(f"/orgs/{acme.id}/")  # a read: no Logto call checks it
        assert response.status_code == 302 and response["Location"] == "/"
        assert "_auth_user_id" not in browser.session


def test_a_session_begun_after_the_suspension_was_lifted_goes_on(
    client, emulator, acme, portal_hook, console
):
    bob = local_user(emulator, "bob@example.com")
    console("PATCH", f"/users/{bob.logto_id}/is-suspended", json={"isSuspended": True})
    console("PATCH", f"/users/{bob.logto_id}/is-suspended", json={"isSuspended": False})
    portal_hook.delivered()
    login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/").status_code == 200


def test_deleted_in_logto_the_session_ends_and_is_deleted(
    client, emulator, acme, portal_hook, console
):
    from django.contrib.sessions.models import Session

    bob = login_as(client, emulator, "bob@example.com")
    session_key = client.session.session_key
    console("DELETE", f"/users/{bob.logto_id}")
    portal_hook.delivered()
    assert not Session.objects.filter(session_key=session_key).exists()
    response = client.get(f"/orgs/{acme.id}/members/")
    assert response.status_code == 302 and response["Location"].startswith("/oidc/authenticate/")


def test_a_profile_changed_in_logto_updates_the_local_name_and_email(
    emulator, bob, portal_hook, console
):
    console(
        "PATCH",
        f"/users/{bob.logto_id}",
        json={"name": "Robert Builder", "primaryEmail": "robert@example.com"},
    )
    portal_hook.delivered()
    bob.refresh_from_db()
    assert (bob.name, bob.email) == ("Robert Builder", "robert@example.com")


# -- activity -----------------------------------------------------------------------------
def activity_text(client, organization_id: str) -> str:
    return client.get(f"/orgs/{organization_id}/activity/").content.decode()


def test_a_removal_in_logto_appears_in_the_activity_once(
    client, emulator, acme, bob, portal_hook, console
):
    console("DELETE", f"/organizations/{acme.id}/users/{bob.logto_id}")
    portal_hook.delivered()
    login_as(client, emulator, "alice@example.com")
    page = activity_text(client, acme.id)
    assert page.count("was removed from the organization in the sign-in service.") == 1
    assert AuditEvent.objects.filter(action="member.removed_outside").count() == 1
    event = AuditEvent.objects.get(action="member.removed_outside")
    assert (event.organization_name, event.target_id) == ("Acme", bob.logto_id)


def test_a_removal_through_the_portal_appears_once(client, emulator, acme, bob, portal_hook):
    login_as(client, emulator, "alice@example.com")
    client.post(f"/orgs/{acme.id}/members/{bob.logto_id}/remove/")
    deliveries = portal_hook.delivered()
    assert [d.event for d in deliveries] == ["Organization.Membership.Updated"]
    assert deliveries[0].ok
    assert AuditEvent.objects.filter(target_id=bob.logto_id).count() == 1
    page = activity_text(client, acme.id)
    assert page.count("from the organization.") == 1  # "Alice removed Bob from the organization."
    assert "from the organization in the sign-in service." not in page


def test_a_rename_in_logto_appears_in_the_activity(client, emulator, acme, portal_hook, console):
    login_as(client, emulator, "alice@example.com")
    client.get(f"/orgs/{acme.id}/")  # the portal knows the name
    console("PATCH", f"/organizations/{acme.id}", json={"name": "Acme Corp"})
    portal_hook.delivered()
    page = activity_text(client, acme.id)
    assert "renamed from" in page and "Acme Corp" in page


# -- deliveries that are not Logto's --------------------------------------------------------
def post(body: bytes, signature: str | None, **headers: str):
    extra = {"HTTP_LOGTO_SIGNATURE_SHA_256": signature} if signature is not None else {}
    return Client().post(
        "/webhooks/logto", data=body, content_type="application/json", **extra, **headers
    )


def suspension_of(user: User, created_at: str | None = None) -> bytes:
    return encode(
        {
            "event": "User.SuspensionStatus.Updated",
            "createdAt": created_at or iso_now(),
            "userAgent": "Mozilla/5.0",
            "params": {"userId": user.logto_id},
            "data": {"id": user.logto_id, "isSuspended": True, "name": "Bob"},
        }
    )


@pytest.mark.parametrize(
    ("case", "status"),
    [("unsigned", 401), ("forged", 401), ("stale", 400), ("future", 400), ("oversized", 413)],
)
def test_a_delivery_not_from_logto_changes_nothing_and_is_logged(
    case, status, client, emulator, acme, portal_hook, caplog
):
    bob = login_as(client, emulator, "bob@example.com")
    key = portal_hook.signing_key
    body = suspension_of(bob)
    signature: str | None = sign(key, body)
    if case == "unsigned":
        signature = None
    elif case == "forged":
        signature = sign("not-the-hooks-signing-key-000000", body)
    elif case == "stale":
        body = suspension_of(bob, "2020-01-01T00:00:00.000Z")
        signature = sign(key, body)
    elif case == "future":
        body = suspension_of(bob, "2999-01-01T00:00:00.000Z")
        signature = sign(key, body)
    elif case == "oversized":
        payload = json.loads(body)
        payload["padding"] = "x" * 300_000
        body = encode(payload)
        signature = sign(key, body)
    with caplog.at_level(logging.WARNING, logger="orgportal.views.webhooks"):
        response = post(body, signature)
    assert response.status_code == status
    assert any("Logto webhook refused" in r.getMessage() for r in caplog.records)
    assert client.get(f"/orgs/{acme.id}/").status_code == 200  # still signed in
    assert User.objects.get(pk=bob.pk).signed_out_at is None


def test_malformed_json_is_refused(portal_hook):
    body = b"{not json"
    assert post(body, sign(portal_hook.signing_key, body)).status_code == 400


@pytest.mark.parametrize(
    "respelled",
    [lambda sig: sig, str.upper, lambda sig: f"  {sig}  "],
    ids=["as-sent", "upper-cased", "padded"],
)
def test_a_replayed_delivery_is_answered_but_not_acted_on(
    emulator, bob, portal_hook, console, respelled
):
    console("PATCH", f"/users/{bob.logto_id}", json={"name": "Robert"})
    (delivery,) = [d for d in portal_hook.delivered() if d.event == "User.Data.Updated"]
    User.objects.filter(pk=bob.pk).update(name="Changed since")
    # A signature spelled otherwise verifies all the same: it must not make the replay new.
    response = post(delivery.body, respelled(delivery.headers["logto-signature-sha-256"]))
    assert response.status_code == 200 and response.json()["replayed"] is True
    assert User.objects.get(pk=bob.pk).name == "Changed since"


def test_during_a_key_rotation_both_keys_are_accepted(emulator, bob, portal_hook, settings):
    settings.LOGTO_WEBHOOK_SIGNING_KEYS = [
        "the-new-key-0000000000000000000000",
        portal_hook.signing_key,
    ]
    body = suspension_of(bob)
    assert post(body, sign(portal_hook.signing_key, body)).status_code == 200
    body = suspension_of(bob, iso_now())
    body = body.replace(b'"Bob"', b'"Bob B"')
    assert post(body, sign("the-new-key-0000000000000000000000", body)).status_code == 200


def test_without_a_signing_key_every_delivery_is_refused(emulator, bob, settings, caplog):
    settings.LOGTO_WEBHOOK_SIGNING_KEYS = []
    body = suspension_of(bob)
    with caplog.at_level(logging.WARNING, logger="orgportal.views.webhooks"):
        response = post(body, sign("whatever", body))
    assert response.status_code == 503
    assert "LOGTO_WEBHOOK_SIGNING_KEYS" in caplog.text
    assert User.objects.get(pk=bob.pk).signed_out_at is None


def test_the_endpoint_takes_only_posts(portal_hook):
    assert Client().get("/webhooks/logto").status_code == 405


def access_token(emulator, email: str, issued_at: int) -> str:
    from django.conf import settings

    return emulator.signing_key.sign(
        {
            "iss": emulator.issuer,
            "sub": emulator.state.user_by_email(email).id,
            "aud": settings.LOGTO.api_resource,
            "iat": issued_at,
            "exp": issued_at + 3600,
            "scope": "",
            "client_id": "spa",
        },
        typ="at+jwt",
    )


def test_api_tokens_issued_before_a_suspension_are_refused(emulator, bob, portal_hook, console):
    import time

    def me(token: str) -> int:
        return (
            Client()
            .get("/api/v1/me/organizations", headers={"Authorization": f"Bearer {token}"})
            .status_code
        )

    earlier = access_token(emulator, "bob@example.com", int(time.time()) - 10)
    assert me(earlier) == 200
    console("PATCH", f"/users/{bob.logto_id}/is-suspended", json={"isSuspended": True})
    portal_hook.delivered()
    assert me(earlier) == 401
    console("PATCH", f"/users/{bob.logto_id}/is-suspended", json={"isSuspended": False})
    portal_hook.delivered()
    assert me(access_token(emulator, "bob@example.com", int(time.time()) + 1)) == 200
