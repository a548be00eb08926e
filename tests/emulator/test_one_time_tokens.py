"""One-time tokens (magic links), as BEHAVIOUR.md "Organization JIT provisioning" says."""

from __future__ import annotations

import pytest
from werkzeug.test import Client as WsgiClient

from orgportal.logto import errors
from orgportal.logto.models import OneTimeTokenStatus
from tests.emulator.flows import REDIRECT_URI, authorize_path, id_token_claims


def open_link(emulator, token, email=None):
    """What a browser does with the magic link: one request to the authorization endpoint."""
    return WsgiClient(emulator).get(
        authorize_path(one_time_token=token.token, login_hint=email or token.email)
    )


def error_page_text(emulator, response) -> str:
    assert response.location.startswith("/one-time-token/error")
    return WsgiClient(emulator).get(response.location).get_data(as_text=True)


def test_creating_a_token_answers_201_with_the_documented_shape(api):
    response = api("POST", "/one-time-tokens", json={"email": "new@example.com"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "tenantId",
        "id",
        "email",
        "token",
        "context",
        "status",
        "createdAt",
        "expiresAt",
    }
    assert (body["email"], body["status"], body["context"]) == ("new@example.com", "active", {})
    assert body["expiresAt"] - body["createdAt"] == 600_000  # ten minutes by default


def test_expires_in_sets_the_lifetime_and_context_is_kept(client, acme):
    token = client.create_one_time_token(
        "x@example.com", jit_organization_ids=[acme.id], expires_in=60
    )
    assert (token.expires_at - token.created_at).total_seconds() == 60
    assert token.jit_organization_ids == (acme.id,)


def test_the_link_registers_an_unknown_person_without_showing_a_page(client, emulator):
    token = client.create_one_time_token("newbie@example.com")
    response = open_link(emulator, token)
    assert response.status_code == 302
    assert response.location.startswith(REDIRECT_URI + "?code=")
    claims = id_token_claims(emulator, response.location)
    assert (claims["email"], claims["email_verified"]) == ("newbie@example.com", True)
    assert client.get_one_time_token(token.id).status == OneTimeTokenStatus.CONSUMED


def test_the_link_signs_an_existing_person_in(client, emulator):
    alice = emulator.state.user_by_email("alice@example.com")
    users_before = len(emulator.state.users)
    response = open_link(emulator, client.create_one_time_token("alice@example.com"))
    assert id_token_claims(emulator, response.location)["sub"] == alice.id
    assert len(emulator.state.users) == users_before


def test_a_used_link_shows_that_the_token_was_consumed(client, emulator):
    token = client.create_one_time_token("newbie@example.com")
    open_link(emulator, token)
    again = open_link(emulator, token)
    assert again.status_code == 302
    assert "The token has been consumed." in error_page_text(emulator, again)


def test_a_revoked_token_is_refused(client, emulator):
    token = client.create_one_time_token("newbie@example.com")
    client.set_one_time_token_status(token.id, "revoked")
    assert "The token has been revoked." in error_page_text(emulator, open_link(emulator, token))
    assert emulator.state.user_by_email("newbie@example.com") is None


def test_a_token_works_only_for_its_email(client, emulator):
    token = client.create_one_time_token("newbie@example.com")
    response = open_link(emulator, token, "other@example.com")
    assert "does not match" in error_page_text(emulator, response)
    assert emulator.state.user_by_email("other@example.com") is None
    assert client.get_one_time_token(token.id).status == OneTimeTokenStatus.ACTIVE


def test_an_expired_token_is_refused_and_marked_expired(client, emulator):
    token = client.create_one_time_token("newbie@example.com", expires_in=1)
    emulator.state.one_time_tokens[token.id].expires_at -= 2000
    assert "The token has expired." in error_page_text(emulator, open_link(emulator, token))
    assert client.get_one_time_token(token.id).status == OneTimeTokenStatus.EXPIRED


def test_jit_organization_ids_add_new_and_existing_people_with_jit_roles(client, emulator, acme):
    member = emulator.state.role_by_name("member")
    other = client.create_organization(name="Other")  # no JIT roles: joined without a role
    client.add_organization_jit_roles(acme.id, [member.id])
    for email in ("newbie@example.com", "carol@example.com"):
        token = client.create_one_time_token(email, jit_organization_ids=[acme.id, other.id])
        open_link(emulator, token)
        person = emulator.state.user_by_email(email)
        joined = {
            o.organization.name: o.role_names for o in client.list_user_organizations(person.id)
        }
        assert joined == {"Acme": ["member"], "Other": []}


def test_registering_by_token_also_provisions_by_email_domain(client, emulator, acme):
    client.add_organization_jit_email_domain(acme.id, "acme.test")
    open_link(emulator, client.create_one_time_token("ivy@acme.test"))
    ivy = emulator.state.user_by_email("ivy@acme.test")
    assert [o.organization.id for o in client.list_user_organizations(ivy.id)] == [acme.id]


# -- the rest of the Management API ----------------------------------------------------------------
def test_tokens_can_be_listed_fetched_and_deleted(client):
    first = client.create_one_time_token("a@example.com")
    client.create_one_time_token("b@example.com")
    assert [t.id for t in client.list_one_time_tokens(email="a@example.com")] == [first.id]
    client.set_one_time_token_status(first.id, "revoked")
    assert [t.email for t in client.list_one_time_tokens(status="revoked")] == ["a@example.com"]
    client.delete_one_time_token(first.id)
    with pytest.raises(errors.NotFound):
        client.get_one_time_token(first.id)
    with pytest.raises(errors.NotFound) as caught:
        client.delete_one_time_token(first.id)
    assert caught.value.code == "entity.not_found"


def test_a_token_never_becomes_active_again(client):
    token = client.create_one_time_token("a@example.com")
    client.set_one_time_token_status(token.id, "consumed")
    with pytest.raises(errors.InvalidInput) as caught:
        client.set_one_time_token_status(token.id, "active")
    assert (caught.value.status, caught.value.code) == (
        400,
        "one_time_token.cannot_reactivate_token",
    )


def test_verify_consumes_the_token_once(client):
    token = client.create_one_time_token("a@example.com")
    with pytest.raises(errors.InvalidInput) as caught:
        client.verify_one_time_token(token.token, "b@example.com")
    assert caught.value.code == "one_time_token.email_mismatch"
    assert client.verify_one_time_token(token.token, "a@example.com").status == "consumed"
    with pytest.raises(errors.InvalidInput) as caught:
        client.verify_one_time_token(token.token, "a@example.com")
    assert (caught.value.status, caught.value.code) == (400, "one_time_token.token_consumed")
    with pytest.raises(errors.NotFound):
        client.verify_one_time_token("no-such-token", "a@example.com")
