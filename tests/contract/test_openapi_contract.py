"""Contract: the client's requests and the emulator's answers fit Logto's OpenAPI document.

Every client method is called against the emulator; each exchange is checked against the
document published by a real Logto server (shared/logto/openapi.json).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta

import pytest

from logto_emulator.api_routes import ROUTES
from logto_emulator.inprocess import Exchange, routed_to
from orgportal import logto
from orgportal.logto import errors
from tests.conftest import make_emulator
from tests.contract.openapi import DOCUMENT, OpenApiDocument
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document() -> OpenApiDocument:
    if not DOCUMENT.exists():
        message = f"Logto's OpenAPI document is missing at {DOCUMENT}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return OpenApiDocument()


def tour(client, emulator, receiver_url: str) -> None:
    """Call every client method at least once, with successes and Logto's refusals."""
    state = emulator.state
    alice = state.user_by_email("alice@example.com")
    bob = state.user_by_email("bob@example.com")
    carol = state.user_by_email("carol@example.com")
    admin = state.role_by_name("admin")
    member = state.role_by_name("member")
    later = datetime.now(tz=UTC) + timedelta(days=7)

    org = client.create_organization(name="Zeta", description="Zeta team", custom_data={"t": 1})
    client.get_organization(org.id)
    client.update_organization(org.id, name="Zeta 2", is_mfa_required=True)
    client.list_organizations(q="Zeta")
    client.list_organizations(with_member_counts=True)
    list(client.iter_organizations())
    client.add_organization_users(org.id, [alice.id, bob.id])
    client.add_organization_user_roles(org.id, alice.id, [admin.id])
    client.replace_organization_user_roles(org.id, bob.id, [member.id])
    client.add_organization_users_roles(org.id, [alice.id, bob.id], [member.id])
    client.list_organization_users(org.id, q="a")
    list(client.iter_organization_users(org.id))
    client.list_organization_user_roles(org.id, alice.id)
    client.list_organization_user_scopes(org.id, alice.id)
    client.get_user(alice.id)
    client.list_users(search="%alice%")
    client.find_user_by_email("alice@example.com")
    client.list_user_organizations(alice.id)
    client.list_user_role_names(alice.id)
    list(client.iter_organization_roles())
    client.get_organization_role(admin.id)
    client.list_organization_role_scopes(admin.id)
    scope = client.create_organization_scope(name="read:billing", description="See invoices")
    role = client.create_organization_role(name="billing", scope_ids=[scope.id])
    client.add_organization_role_scopes(role.id, [scope.id])
    client.replace_organization_role_scopes(role.id, [scope.id])
    client.list_organization_scopes()
    invitation = client.create_organization_invitation(
        organization_id=org.id,
        invitee="carol@example.com",
        expires_at=later,
        inviter_id=alice.id,
        role_ids=[member.id],
        message_link="http://portal.test/invitations/x/",
    )
    client.list_organization_invitations(organization_id=org.id)
    client.get_organization_invitation(invitation.id)
    client.send_organization_invitation_message(invitation.id, link="http://portal.test/i/")
    client.set_organization_invitation_status(invitation.id, "Accepted", accepted_user_id=carol.id)
    second = client.create_organization_invitation(
        organization_id=org.id, invitee="dave@example.com", expires_at=later
    )
    client.set_organization_invitation_status(second.id, "Revoked")
    client.delete_organization_invitation(second.id)
    client.add_organization_jit_email_domain(org.id, "zeta.test")
    client.replace_organization_jit_email_domains(org.id, ["zeta.test"])
    client.list_organization_jit_email_domains(org.id)
    client.get_application("orgportal-web")
    client.list_connectors()
    client.get_mfa_settings()
    client.update_mfa_settings(
        factors=["Totp"], policy="UserControlled", organization_required_mfa_policy="Mandatory"
    )
    client.create_user_mfa_verification(bob.id, "Totp")
    client.create_user_mfa_verification(bob.id, "BackupCode")
    for verification in client.list_user_mfa_verifications(bob.id):
        client.delete_user_mfa_verification(bob.id, verification.id)
    client.remove_organization_user(org.id, bob.id)
    # Refusals: their bodies must be Logto error bodies too.
    for refused in (
        lambda: client.create_organization(name=""),
        lambda: client.get_organization("missing"),
        lambda: client.create_organization_invitation(
            organization_id=org.id, invitee="alice@example.com", expires_at=later
        ),
        lambda: client.replace_organization_user_roles(org.id, bob.id, [member.id]),
    ):
        with pytest.raises(errors.LogtoError):
            refused()
    feature_tour(client, emulator, org.id, scope.id, receiver_url)
    client.delete_organization(org.id)


def feature_tour(client, emulator, org_id: str, scope_id: str, receiver_url: str) -> None:
    """JIT, one-time tokens, organization applications and webhooks."""
    member = emulator.state.role_by_name("member")
    later = datetime.now(tz=UTC) + timedelta(days=7)
    hook = client.create_hook(
        name="Zeta hook",
        events=["Organization.Membership.Updated", "OrganizationRole.Created"],
        url=receiver_url,
        headers={"x-zeta": "1"},
    )
    client.list_hooks()
    client.get_hook(hook.id)
    client.update_hook(hook.id, name="Zeta hook 2", url=receiver_url, enabled=True)
    client.rotate_hook_signing_key(hook.id)
    client.send_hook_test(hook.id, events=["PostSignIn", "Organization.Created"], url=receiver_url)

    client.add_organization_jit_email_domain(org_id, "zeta.example")
    client.delete_organization_jit_email_domain(org_id, "zeta.test")
    client.add_organization_jit_roles(org_id, [member.id])
    client.replace_organization_jit_roles(org_id, [member.id])
    client.list_organization_jit_roles(org_id)
    client.remove_organization_jit_role(org_id, member.id)

    token = client.create_one_time_token("newbie@zeta.test", jit_organization_ids=[org_id])
    client.list_one_time_tokens(email="newbie@zeta.test")
    client.get_one_time_token(token.id)
    client.verify_one_time_token(token.token, "newbie@zeta.test")
    second = client.create_one_time_token("newbie@zeta.test", expires_in=60)
    client.set_one_time_token_status(second.id, "revoked")
    client.delete_one_time_token(second.id)

    bot = client.create_application(name="Zeta bot", description="Builds things")
    client.list_application_secrets(bot.id)
    client.find_applications(search="Zeta")
    client.create_application_secret(bot.id, name="ci", expires_at=later)
    client.rename_application_secret(bot.id, "ci", "ci-2")
    client.delete_application_secret(bot.id, "ci-2")
    bot_role = client.create_organization_role(
        name="bot", scope_ids=[scope_id], role_type="MachineToMachine"
    )
    client.add_organization_applications(org_id, [bot.id])
    client.replace_organization_applications(org_id, [bot.id])
    client.add_organization_application_roles(org_id, bot.id, [bot_role.id])
    client.replace_organization_application_roles(org_id, bot.id, [bot_role.id])
    client.add_organization_applications_roles(org_id, [bot.id], [bot_role.id])
    client.list_organization_application_roles(org_id, bot.id)
    client.list_organization_applications(org_id, q="Zeta")
    list(client.iter_organization_applications(org_id))
    client.list_application_organizations(bot.id)
    client.remove_organization_application_role(org_id, bot.id, bot_role.id)
    client.remove_organization_application(org_id, bot.id)
    for refused in (
        lambda: client.add_organization_jit_email_domain(org_id, "zeta.example"),
        lambda: client.verify_one_time_token(token.token, "newbie@zeta.test"),
        lambda: client.create_application_secret(bot.id, name="Default secret"),
        lambda: client.add_organization_applications(org_id, ["orgportal-web"]),
        lambda: client.add_organization_application_roles(org_id, bot.id, [bot_role.id]),
        lambda: client.create_hook(name="No events", events=[], url=receiver_url),
    ):
        with pytest.raises(errors.LogtoError):
            refused()
    client.delete_application(bot.id)
    console_tour(client, emulator, org_id)
    emulator.webhooks.wait_idle()
    client.list_hook_deliveries(hook.id)
    client.delete_hook(hook.id)


def console_tour(client, emulator, org_id: str) -> None:
    """Changes the portal never makes but hears of through its webhook (a user's profile,
    suspension and deletion, replacing an organization's members): raw calls, as Logto's
    console makes them."""
    state = emulator.state
    alice, bob = state.user_by_email("alice@example.com"), state.user_by_email("bob@example.com")
    carol = state.user_by_email("carol@example.com")
    client._request("PATCH", "/api/users/{}", carol.id, json={"name": "Carol Zeta"})
    client._request("PATCH", "/api/users/{}/is-suspended", carol.id, json={"isSuspended": True})
    client._request("PUT", "/api/organizations/{}/users", org_id, json={"userIds": [alice.id]})
    client._request("PUT", "/api/organizations/{}/users", org_id, json={"userIds": [bob.id]})
    client._request("DELETE", "/api/users/{}", carol.id)
    with pytest.raises(errors.NotFound):
        client._request("DELETE", "/api/users/{}", carol.id)


@pytest.fixture
def exchanges() -> list[Exchange]:
    recorded: list[Exchange] = []
    emulator = make_emulator(["http://testserver"])
    with WebhookReceiver() as receiver, routed_to(emulator, record=recorded):
        tour(logto.get_client(), emulator, receiver.url)
    return [e for e in recorded if e.path.startswith("/api/")]


def test_every_exchange_fits_the_document(document, exchanges):
    problems = []
    for exchange in exchanges:
        operation = document.operation(exchange.method, exchange.path)
        if operation is None:
            problems.append(f"{exchange.method} {exchange.path}: not in Logto's document")
            continue
        where = f"{exchange.method} {operation.template} -> {exchange.status}"
        deliberately_invalid = exchange.status == 400
        if exchange.request_body and not deliberately_invalid:
            validator = operation.request_validator()
            assert validator is not None, f"{where}: Logto takes no JSON body here"
            for error in validator.iter_errors(json.loads(exchange.request_body)):
                problems.append(f"{where} request: {error.message} at {list(error.instance_path)}")
        if not operation.documents_status(exchange.status):
            problems.append(f"{where}: status not documented by Logto")
        if exchange.status >= 400:
            body = json.loads(exchange.response_body)
            if not {"code", "message"} <= set(body):
                problems.append(f"{where}: error body without code/message: {body}")
            continue
        validator = operation.response_validator(exchange.status)
        if validator is not None:
            body = json.loads(exchange.response_body) if exchange.response_body else None
            for error in validator.iter_errors(body):
                problems.append(f"{where} response: {error.message} at {list(error.instance_path)}")
        elif exchange.response_body and not koa_status_text(exchange):
            problems.append(f"{where}: Logto documents no body, the emulator sent one")
    assert not problems, "\n".join(problems)


def koa_status_text(exchange: Exchange) -> bool:
    """Logto sets 201 without a body on relation POSTs; Koa then sends "Created" as text."""
    return exchange.status == 201 and exchange.response_body == b"Created"


def served_operations(document):
    """The document's operation for each route the emulator serves (None when missing)."""
    for methods, path, *_ in ROUTES:
        sample = "/api" + re.sub(r"<[^>]+>", "x", path)
        yield f"{methods} /api{path}", document.operation(methods, sample)


def test_the_tour_covers_every_endpoint_the_emulator_serves(document, exchanges):
    used = set()
    for exchange in exchanges:
        operation = document.operation(exchange.method, exchange.path)
        if operation:
            used.add((operation.method, operation.template))
    unused = [
        route
        for route, operation in served_operations(document)
        if (operation.method, operation.template) not in used
    ]
    assert unused == []


def test_every_served_endpoint_exists_in_logtos_document(document):
    assert [route for route, operation in served_operations(document) if operation is None] == []
