"""An invitee without an account gets one through the emailed link (a one-time token), even on
a sign-in-only tenant; an address that has an account never gets a token."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from werkzeug.test import Client as WsgiClient

from orgportal.services.address_proof import invitation_address_key
from tests.helpers import emulator_path, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def sign_in_only(emulator):
    emulator.state.sign_in_mode = "SignIn"
    return emulator


def landing(invitation, key: str | None = None) -> str:
    key = invitation_address_key(invitation.id, invitation.invitee) if key is None else key
    return f"/invitations/{invitation.id}/?key={key}"


def create_account(client, emulator, invitation, key: str | None = None):
    """Press "Create my account"; returns the portal's answer."""
    key = invitation_address_key(invitation.id, invitation.invitee) if key is None else key
    return client.post(f"/invitations/{invitation.id}/create-account/", {"key": key})


def follow_to_callback(client, emulator, start) -> str:
    """The sign-in redirect through the emulator (no page: the token signs in), then the
    portal's callback; returns where the portal sends the browser."""
    authorize = client.get(start["Location"])
    assert authorize.status_code == 302
    answer = WsgiClient(emulator).get(emulator_path(authorize["Location"]))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    callback = client.get(emulator_path(answer.location))
    assert callback.status_code == 302, callback.content
    return callback["Location"]


def test_the_emailed_link_carries_the_key_and_the_landing_offers_an_account(
    client, emulator, acme, sign_in_only
):
    from tests.conftest import login_as
    from tests.views.test_invitations import invite, rid

    login_as(client, emulator, "alice@example.com")
    invite(client, acme, emulator, "dave@example.com", roles=[rid(emulator, "member")])
    client.logout()
    invitation = next(iter(emulator.state.invitations.values()))
    [email] = mail.outbox
    assert landing(invitation) in email.body
    body = page_text(client.get(landing(invitation)).content.decode())
    assert "Create my account" in body and "Sign in to accept" in body
    # Without the email's key (an admin knows the invitation's id): no account is offered.
    for url in (f"/invitations/{invitation.id}/", landing(invitation, "0" * 32)):
        assert "Create my account" not in page_text(client.get(url).content.decode())


def test_an_invitee_on_a_sign_in_only_tenant_gets_an_account_and_accepts(
    client, emulator, acme, sign_in_only
):
    invitation = emulator.state.add_invitation(acme, "dave@example.com", roles=["member"])
    start = create_account(client, emulator, invitation)
    assert start["Location"].startswith("/oidc/authenticate/")
    assert "orgportal_invitee_token" in client.session
    back = follow_to_callback(client, emulator, start)
    assert back == f"/invitations/{invitation.id}/"
    dave = emulator.state.user_by_email("dave@example.com")
    assert dave is not None and dave.email_verified
    [token] = emulator.state.one_time_tokens.values()
    assert (token.email, token.status) == ("dave@example.com", "consumed")
    page = page_text(client.get(back).content.decode())
    assert "Accept and join" in page
    joined = client.post(f"/invitations/{invitation.id}/accept/", follow=True)
    assert joined.redirect_chain[-1][0] == f"/orgs/{acme.id}/"
    assert acme.members[dave.id] == [emulator.state.role_by_name("member").id]


def test_it_works_the_same_where_anyone_may_sign_up(client, emulator, acme):
    invitation = emulator.state.add_invitation(acme, "dave@example.com")
    back = follow_to_callback(client, emulator, create_account(client, emulator, invitation))
    assert "Accept and join" in page_text(client.get(back).content.decode())


def test_an_address_with_an_account_never_gets_a_token(client, emulator, acme, sign_in_only):
    invitation = emulator.state.add_invitation(acme, "Carol@Example.com")
    refused = create_account(client, emulator, invitation)
    assert refused["Location"] == landing(invitation)
    assert emulator.state.one_time_tokens == {}
    assert "_auth_user_id" not in client.session
    body = page_text(client.get(refused["Location"]).content.decode())
    assert "An account with this email address already exists. Sign in to accept" in body


@pytest.mark.parametrize("change", ["wrong key", "revoked", "expired", "accepted"])
def test_no_token_without_the_emails_key_or_for_an_ended_invitation(client, emulator, acme, change):
    invitation = emulator.state.add_invitation(acme, "dave@example.com")
    key = None
    if change == "wrong key":
        key = invitation_address_key(invitation.id, "eve@example.com")
    elif change == "expired":
        invitation.expires_at = 1
    else:
        invitation.status = change.capitalize()
    refused = create_account(client, emulator, invitation, key)
    assert refused.status_code == 302 and "/oidc/" not in refused["Location"]
    assert emulator.state.one_time_tokens == {}
    body = page_text(client.get(refused["Location"]).content.decode())
    expected = (
        "This link cannot create an account"
        if change == "wrong key"
        else "This invitation can no longer be used, so no account was created"
    )
    assert expected in body


def test_a_signed_in_person_is_sent_back_to_the_invitation(client, emulator, acme):
    from tests.conftest import login_as

    invitation = emulator.state.add_invitation(acme, "dave@example.com")
    login_as(client, emulator, "bob@example.com")
    answer = create_account(client, emulator, invitation)
    assert answer["Location"] == f"/invitations/{invitation.id}/"
    assert emulator.state.one_time_tokens == {}


@pytest.mark.parametrize("registered", ["before the token", "after the token"])
def test_an_account_registered_meanwhile_is_signed_out_again(client, emulator, acme, registered):
    """Someone registers the address between the check and the token's use: the token then
    signs that account in. The portal signs it out again, here and at the sign-in service."""
    invitation = emulator.state.add_invitation(acme, "dave@example.com")
    start = create_account(client, emulator, invitation)
    [token] = emulator.state.one_time_tokens.values()
    dave = emulator.state.add_user("dave@example.com", "pw")
    if registered == "before the token":
        dave.created_at = token.created_at - 1000
    else:  # a minute after the token was made, and signed in then
        session = client.session
        issued = session["orgportal_invitee_token_issued"]
        issued["issued_at"] = (
            datetime.fromisoformat(issued["issued_at"]) - timedelta(seconds=90)
        ).isoformat()
        session["orgportal_invitee_token_issued"] = issued
        session.save()
        dave.created_at = token.created_at - 30_000
    authorize = client.get(start["Location"])
    answer = WsgiClient(emulator).get(emulator_path(authorize["Location"]))
    assert emulator.state.user_by_email("dave@example.com") is dave  # the token signed him in
    callback = client.get(emulator_path(answer.location))
    assert callback["Location"].startswith(emulator.endpoint + "/oidc/session/end?")
    assert "_auth_user_id" not in client.session
    body = page_text(client.get("/").content.decode())
    assert "An account with this email address already exists, so you were signed out" in body
    assert dave.id not in acme.members
