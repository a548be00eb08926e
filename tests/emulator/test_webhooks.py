"""Webhooks, as BEHAVIOUR.md "Webhooks" says: the API, what fires, payloads, signatures and
deliveries (after the answer, 10 s timeout, no retry, visible in recent-logs)."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import UTC, datetime, timedelta

import pytest

from logto_emulator.webhooks import sign
from orgportal.logto import errors
from tests.emulator.flows import register, sign_in
from tests.webhook_receiver import WebhookReceiver

ORG_EVENTS = [
    "Organization.Created",
    "Organization.Data.Updated",
    "Organization.Deleted",
    "Organization.Membership.Updated",
]


@pytest.fixture
def hook(client, receiver):
    return client.create_hook(
        name="Org events", events=ORG_EVENTS, url=receiver.url, headers={"x-tenant": "acme"}
    )


def delivered(emulator, receiver):
    """Everything the receiver got once the emulator has finished delivering."""
    emulator.webhooks.wait_idle()
    return receiver.received


def payloads(emulator, receiver):
    return [r.payload for r in delivered(emulator, receiver)]


# -- the hooks API -----------------------------------------------------------------------------
def test_creating_a_hook_answers_201_with_a_signing_key(api, receiver):
    response = api(
        "POST", "/hooks", json={"name": "h", "events": ["PostSignIn"], "config": {"url": "x"}}
    )
    assert response.status_code == 201
    body = response.json()
    assert len(body["signingKey"]) == 32
    assert (body["event"], body["events"], body["enabled"]) == (None, ["PostSignIn"], True)
    assert body["config"] == {"url": "x"}  # not validated when the hook is created


def test_hooks_need_known_events(api):
    missing = api("POST", "/hooks", json={"name": "h", "config": {"url": "http://x"}})
    assert (missing.status_code, missing.json()["code"]) == (400, "hook.missing_events")
    unknown = api(
        "POST", "/hooks", json={"name": "h", "events": ["Nope"], "config": {"url": "http://x"}}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (400, "guard.invalid_input")


def test_hooks_can_be_listed_changed_rotated_and_deleted(client, hook):
    assert [h.id for h in client.list_hooks()] == [hook.id]
    assert client.get_hook(hook.id) == hook
    changed = client.update_hook(hook.id, name="Renamed", events=["PostSignIn"], enabled=False)
    assert (changed.name, changed.events, changed.enabled) == ("Renamed", ("PostSignIn",), False)
    rotated = client.rotate_hook_signing_key(hook.id)
    assert len(rotated.signing_key) == 32 and rotated.signing_key != hook.signing_key
    client.delete_hook(hook.id)
    with pytest.raises(errors.NotFound):
        client.get_hook(hook.id)
    with pytest.raises(errors.NotFound):
        client.delete_hook(hook.id)


# -- signing -----------------------------------------------------------------------------------
def test_the_signature_matches_logtos_example():
    body = (
        '{"event":"OrganizationScope.Created","createdAt":"2026-11-25T15:06:07.569Z",'
        '"userAgent":"python-requests/2.34.2","ip":"127.0.0.1","path":"/organization-scopes",'
        '"method":"POST","status":201,"params":{},"matchedRoute":"/organization-scopes",'
        '"data":{"tenantId":"default","id":"8kvg79mg9f820yk2cxuzg","name":"invite:member",'
        '"description":null},"hookId":"wyurkzoxq3djaiaexmsbi"}'
    )
    assert (
        sign("nQyptc9RahN1ZEhxPFCdQGAwbRHgkwNK", body.encode())
        == "301ce7622f3860ac74d80d2e73334576d5b808414edd1b8caebcf3a1bcfb4e8a"
    )


def test_deliveries_are_signed_with_the_hooks_key_and_carry_its_headers(
    client, emulator, receiver, hook
):
    client.create_organization(name="Zeta")
    [received] = delivered(emulator, receiver)
    expected = hmac.new(hook.signing_key.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["logto-signature-sha-256"] == expected
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "Logto (https://logto.io/)"
    assert received.headers["x-tenant"] == "acme"


def test_a_rotated_key_signs_the_next_deliveries(client, emulator, receiver, hook):
    rotated = client.rotate_hook_signing_key(hook.id)
    client.create_organization(name="Zeta")
    [received] = delivered(emulator, receiver)
    assert received.headers["logto-signature-sha-256"] == sign(rotated.signing_key, received.body)


# -- what fires, with which payload --------------------------------------------------------------
def test_organization_created_carries_the_call_and_the_answer(client, emulator, receiver, hook):
    org = client.create_organization(name="Zeta")
    [payload] = payloads(emulator, receiver)
    assert list(payload) == [
        "event",
        "createdAt",
        "userAgent",
        "ip",
        "path",
        "method",
        "status",
        "params",
        "matchedRoute",
        "data",
        "hookId",
    ]
    assert payload["event"] == "Organization.Created"
    assert (payload["path"], payload["method"], payload["status"]) == (
        "/organizations",
        "POST",
        201,
    )
    assert (payload["params"], payload["matchedRoute"]) == ({}, "/organizations")
    assert (payload["data"]["id"], payload["hookId"]) == (org.id, hook.id)
    assert payload["ip"] == "127.0.0.1"
    assert payload["userAgent"] == "orgportal"  # the caller's, here the portal's client
    assert datetime.fromisoformat(payload["createdAt"]) > datetime.now(tz=UTC) - timedelta(1)


def test_update_and_delete(client, emulator, receiver, hook, acme):
    client.update_organization(acme.id, name="Acme 2")
    client.delete_organization(acme.id)
    updated, deleted = payloads(emulator, receiver)
    assert (updated["event"], updated["data"]["name"]) == ("Organization.Data.Updated", "Acme 2")
    assert (updated["params"], updated["matchedRoute"]) == ({"id": acme.id}, "/organizations/:id")
    assert deleted["event"] == "Organization.Deleted"
    assert "data" not in deleted


def test_membership_changes_carry_their_delta(client, emulator, receiver, hook, acme):
    carol = emulator.state.user_by_email("carol@example.com")
    bob = emulator.state.user_by_email("bob@example.com")
    client.add_organization_users(acme.id, [carol.id])
    client.add_organization_users(acme.id, [carol.id])  # already a member: no delta
    client.remove_organization_user(acme.id, bob.id)
    added, again, removed = payloads(emulator, receiver)
    assert {p["event"] for p in (added, again, removed)} == {"Organization.Membership.Updated"}
    assert (added["organizationId"], added["addedUserIds"]) == (acme.id, [carol.id])
    assert "data" not in added and "removedUserIds" not in added
    assert again["organizationId"] == acme.id
    assert not {"addedUserIds", "removedUserIds"} & set(again)
    assert removed["removedUserIds"] == [bob.id]
    assert removed["matchedRoute"] == "/organizations/:id/users/:userId"
    assert removed["params"] == {"id": acme.id, "userId": bob.id}


def test_replacing_the_members_carries_both_deltas(api, emulator, receiver, hook, acme):
    alice = emulator.state.user_by_email("alice@example.com")
    carol = emulator.state.user_by_email("carol@example.com")
    response = api("PUT", f"/organizations/{acme.id}/users", json={"userIds": [alice.id, carol.id]})
    assert response.status_code == 204
    (replaced,) = payloads(emulator, receiver)
    bob = emulator.state.user_by_email("bob@example.com")
    assert (replaced["addedUserIds"], replaced["removedUserIds"]) == ([carol.id], [bob.id])
    assert (replaced["method"], replaced["matchedRoute"]) == ("PUT", "/organizations/:id/users")
    assert list(acme.members) == [alice.id, carol.id]


USER_EVENTS = ["User.Data.Updated", "User.SuspensionStatus.Updated", "User.Deleted"]


def test_user_changes_fire_user_events_with_the_callers_user_agent(
    client, api, emulator, receiver, acme
):
    client.create_hook(name="People", events=[*USER_EVENTS, *ORG_EVENTS], url=receiver.url)
    bob = emulator.state.user_by_email("bob@example.com")
    console = {"User-Agent": "Mozilla/5.0 (Console)"}
    renamed = api("PATCH", f"/users/{bob.id}", json={"name": "Robert"}, headers=console)
    suspended = api("PATCH", f"/users/{bob.id}/is-suspended", json={"isSuspended": True})
    deleted = api("DELETE", f"/users/{bob.id}")
    assert (renamed.json()["name"], suspended.json()["isSuspended"]) == ("Robert", True)
    assert deleted.status_code == 204
    updated, suspension, gone = payloads(emulator, receiver)  # a member's deletion: nothing else
    assert (updated["event"], updated["data"]["name"]) == ("User.Data.Updated", "Robert")
    assert updated["userAgent"] == "Mozilla/5.0 (Console)"
    assert updated["params"] == {"userId": bob.id}
    assert suspension["event"] == "User.SuspensionStatus.Updated"
    assert suspension["data"]["isSuspended"] is True
    assert suspension["matchedRoute"] == "/users/:userId/is-suspended"
    assert (gone["event"], gone["params"]) == ("User.Deleted", {"userId": bob.id})
    assert "data" not in gone
    assert bob.id not in acme.members


def test_user_changes_are_refused_for_unknown_users_and_bad_input(api, emulator):
    bob = emulator.state.user_by_email("bob@example.com")
    assert api("PATCH", "/users/nobody", json={"name": "x"}).status_code == 404
    assert api("DELETE", "/users/nobody").status_code == 404
    bad = api("PATCH", f"/users/{bob.id}/is-suspended", json={"isSuspended": "yes"})
    assert bad.status_code == 400
    taken = api("PATCH", f"/users/{bob.id}", json={"primaryEmail": "alice@example.com"})
    assert (taken.status_code, taken.json()["code"]) == (422, "user.email_already_in_use")


def test_invitations_fire_only_when_accepted(client, emulator, receiver, hook, acme):
    carol = emulator.state.user_by_email("carol@example.com")
    later = datetime.now(tz=UTC) + timedelta(days=7)
    revoked = client.create_organization_invitation(
        organization_id=acme.id, invitee="dave@example.com", expires_at=later
    )
    client.set_organization_invitation_status(revoked.id, "Revoked")
    client.delete_organization_invitation(revoked.id)
    invitation = client.create_organization_invitation(
        organization_id=acme.id, invitee="carol@example.com", expires_at=later
    )
    client.set_organization_invitation_status(invitation.id, "Accepted", accepted_user_id=carol.id)
    [accepted] = payloads(emulator, receiver)
    assert accepted["event"] == "Organization.Membership.Updated"
    assert (accepted["organizationId"], accepted["addedUserIds"]) == (acme.id, [carol.id])


def test_role_assignments_fire_nothing(client, emulator, receiver, hook, acme):
    bob = emulator.state.user_by_email("bob@example.com")
    admin = emulator.state.role_by_name("admin")
    client.add_organization_user_roles(acme.id, bob.id, [admin.id])
    client.replace_organization_user_roles(acme.id, bob.id, [admin.id])
    assert payloads(emulator, receiver) == []


def test_apps_joining_and_leaving(client, emulator, receiver, hook, acme):
    bot, other = (client.create_application(name=n) for n in ("Bot", "Other"))
    client.add_organization_applications(acme.id, [bot.id])
    client.replace_organization_applications(acme.id, [other.id])
    client.remove_organization_application(acme.id, other.id)
    added, replaced, removed = payloads(emulator, receiver)
    assert added["addedApplicationIds"] == [bot.id]
    assert (replaced["addedApplicationIds"], replaced["removedApplicationIds"]) == (
        [other.id],
        [bot.id],
    )
    assert removed["removedApplicationIds"] == [other.id]
    assert removed["matchedRoute"] == "/organizations/:id/applications/:applicationId"


def test_organization_template_events(client, emulator, receiver):
    client.create_hook(
        name="Template",
        events=[
            "OrganizationRole.Created",
            "OrganizationRole.Scopes.Updated",
            "OrganizationScope.Created",
        ],
        url=receiver.url,
    )
    scope = client.create_organization_scope(name="read:billing")
    role = client.create_organization_role(name="billing", scope_ids=[scope.id])
    client.replace_organization_role_scopes(role.id, [scope.id])
    events = payloads(emulator, receiver)
    assert [p["event"] for p in events] == [
        "OrganizationScope.Created",
        "OrganizationRole.Created",
        "OrganizationRole.Scopes.Updated",
        "OrganizationRole.Scopes.Updated",
    ]
    assert events[0]["data"]["name"] == "read:billing"
    assert events[2]["organizationRoleId"] == role.id
    assert (events[3]["matchedRoute"], events[3]["params"]) == (
        "/organization-roles/:id/scopes",
        {"id": role.id},
    )


def test_registration_fires_user_created_jit_membership_and_post_register(
    client, emulator, receiver, acme
):
    client.create_hook(
        name="Sign-ups",
        events=["User.Created", "Organization.Membership.Updated", "PostRegister", "PostSignIn"],
        url=receiver.url,
    )
    client.add_organization_jit_email_domain(acme.id, "acme.test")
    register(emulator, "dan@acme.test")
    dan = emulator.state.user_by_email("dan@acme.test")
    created, joined, post_register = payloads(emulator, receiver)
    assert created["event"] == "User.Created"
    assert created["data"]["primaryEmail"] == "dan@acme.test"
    for payload in (created, joined):
        assert payload["interactionEvent"] == "Register"
        assert payload["applicationId"] == "orgportal-web"
        assert payload["application"]["id"] == "orgportal-web"
        assert {"sessionId", "ip"} <= set(payload)
        assert not {"path", "method", "status", "params", "matchedRoute"} & set(payload)
    assert (joined["organizationId"], joined["addedUserIds"]) == (acme.id, [dan.id])
    assert post_register["event"] == "PostRegister"
    assert (post_register["userId"], post_register["user"]["id"]) == (dan.id, dan.id)
    assert post_register["application"]["type"] == "Traditional"
    assert post_register["sessionId"] == created["sessionId"]


def test_sign_in_fires_post_sign_in(client, emulator, receiver):
    client.create_hook(name="Sign-ins", events=["PostSignIn"], url=receiver.url)
    sign_in(emulator, "alice@example.com")
    [payload] = payloads(emulator, receiver)
    assert (payload["event"], payload["interactionEvent"]) == ("PostSignIn", "SignIn")
    assert payload["user"]["primaryEmail"] == "alice@example.com"


def test_each_subscribed_enabled_hook_gets_its_own_delivery(client, emulator, receiver, hook):
    second = client.create_hook(name="Second", events=["Organization.Created"], url=receiver.url)
    client.create_hook(name="Off", events=["Organization.Created"], url=receiver.url, enabled=False)
    client.create_hook(name="Elsewhere", events=["PostSignIn"], url=receiver.url)
    client.create_organization(name="Zeta")
    assert sorted(p["hookId"] for p in payloads(emulator, receiver)) == sorted([hook.id, second.id])


# -- delivery --------------------------------------------------------------------------------------
def test_the_api_answers_while_the_delivery_is_still_running(client, emulator, hook):
    release = threading.Event()
    with WebhookReceiver(hold=release) as slow:
        client.update_hook(hook.id, url=slow.url)
        client.create_organization(name="Zeta")  # answered although the endpoint is silent
        assert emulator.webhooks.deliveries == []
        release.set()
        [delivery] = emulator.webhooks.wait_idle()
        assert (delivery.event, delivery.status) == ("Organization.Created", 200)


def test_a_failing_endpoint_gets_one_attempt_and_the_log_says_so(client, emulator, hook):
    with WebhookReceiver(status=500) as failing:
        client.update_hook(hook.id, url=failing.url)
        client.create_organization(name="Zeta")
        delivered(emulator, failing)
        assert len(failing.received) == 1  # no retry
    [log] = client.list_hook_deliveries(hook.id)
    assert (log.event, log.succeeded, log.response_status) == ("Organization.Created", False, 500)


def test_an_unreachable_url_fails_only_at_delivery(client, emulator):
    hook = client.create_hook(
        name="Nowhere", events=["Organization.Created"], url="http://127.0.0.1:9/nothing-here"
    )
    client.create_organization(name="Zeta")
    emulator.webhooks.wait_idle()
    [log] = client.list_hook_deliveries(hook.id)
    assert (log.succeeded, log.response_status) == (False, None)
    assert log.error


def test_recent_logs_list_deliveries_newest_first(api, client, emulator, receiver, hook):
    client.create_organization(name="First")
    client.create_organization(name="Second")
    emulator.webhooks.wait_idle()
    response = api("GET", f"/hooks/{hook.id}/recent-logs")
    assert response.headers["Total-Number"] == "2"
    logs = response.json()
    assert [log["payload"]["hookRequest"]["body"]["data"]["name"] for log in logs] == [
        "Second",
        "First",
    ]
    assert logs[0]["key"] == "TriggerHook.Organization.Created"
    assert (logs[0]["payload"]["result"], logs[0]["payload"]["response"]["statusCode"]) == (
        "Success",
        200,
    )


def test_a_test_send_reaches_the_endpoint_signed(client, receiver, hook):
    client.send_hook_test(hook.id, events=["PostSignIn", "Organization.Created"], url=receiver.url)
    assert sorted(r.payload["event"] for r in receiver.received) == [
        "Organization.Created",
        "PostSignIn",
    ]
    for received in receiver.received:
        assert received.headers["logto-signature-sha-256"] == sign(hook.signing_key, received.body)
        assert received.payload["hookId"] == hook.id


def test_a_test_send_to_a_failing_endpoint_is_refused(client, hook):
    with WebhookReceiver(status=500) as failing, pytest.raises(errors.InvalidInput) as caught:
        client.send_hook_test(hook.id, events=["PostSignIn"], url=failing.url)
    assert (caught.value.status, caught.value.code) == (422, "hook.endpoint_responded_with_error")
    assert caught.value.data["responseStatus"] == 500
