"""Invitation pages: invite form (text and CSV), list actions, landing page in every state."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import login_as
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


def invite(client, acme, emulator, emails, **extra):
    data = {"emails": emails, "roles": [rid(emulator, "member")], "expires_in_days": "7", **extra}
    return client.post(f"/orgs/{acme.id}/invitations/", data, follow=True)


def test_the_invite_page_defaults_to_the_member_role_and_seven_days(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    assert 'value="7"' in body
    assert f'value="{rid(emulator, "member")}"' in body and "checked" in body
    assert "No invitations yet." in body


def test_the_role_picker_lists_roles_by_name_ignoring_case(client, emulator, acme):
    emulator.state.add_role("Viewer", [])
    emulator.state.add_role("billing", [])
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    names = ("Viewer", "admin", "billing", "member")
    positions = {name: body.index(f'value="{rid(emulator, name)}"') for name in names}
    assert sorted(names, key=positions.__getitem__) == ["admin", "billing", "member", "Viewer"]


def test_inviting_shows_a_result_per_address_and_keeps_failures(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {
            "emails": "dave@example.com, bob@example.com\nbroken@",
            "roles": [rid(emulator, "member")],
            "expires_in_days": "7",
        },
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "dave@example.com: sent" in page_text(body)
    assert "bob@example.com: skipped (already a member)" in page_text(body)
    assert "broken@: failed (not a valid email address)" in page_text(body)
    assert "broken@</textarea>" in body  # the failed address stays, ready to fix
    assert "invitations-changed" in response["HX-Trigger"]
    assert len(mail.outbox) == 1


def test_addresses_logto_would_refuse_are_explained_in_the_form(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    body = page_text(
        invite(client, acme, emulator, "user@exämple.com\nuser@[127.0.0.1]").content.decode()
    )
    assert "failed (letters with accents or from other alphabets are not accepted)" in body
    assert "failed (addresses at an IP address are not accepted)" in body
    assert emulator.state.invitations == {}


def test_a_csv_upload(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    upload = SimpleUploadedFile(
        "people.csv", b"name,email\nDave,dave@example.com\nErin,erin@example.com\n"
    )
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {"csv_file": upload, "roles": [rid(emulator, "member")], "expires_in_days": "7"},
    )
    assert page_text(response.content.decode()).count(": sent") == 2


def test_a_file_that_is_not_csv(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    upload = SimpleUploadedFile("photo.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01")
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {
            "csv_file": upload,
            "roles": [rid(emulator, "member")],
            "expires_in_days": "7",
            "message": "kept",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "could not be read as CSV" in body and "kept" in body


def test_a_thousand_addresses_are_refused_before_anything_is_sent(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    emails = "\n".join(f"p{n}@example.com" for n in range(1000))
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {"emails": emails, "roles": [rid(emulator, "member")], "expires_in_days": "7"},
    )
    assert response.status_code == 422
    assert "That is 1000 addresses; invite at most 100 at once." in response.content.decode()
    assert emulator.state.invitations == {}


@pytest.mark.parametrize(
    ("days", "message"),
    [("0", "between 1 and 30"), ("31", "between 1 and 30"), ("x", "between 1 and 30")],
)
def test_expiry_is_checked(client, emulator, acme, days, message):
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {"emails": "dave@example.com", "roles": [rid(emulator, "member")], "expires_in_days": days},
    )
    assert response.status_code == 422 and message in response.content.decode()


def test_a_forged_admin_role_is_not_offered_nor_accepted(client, emulator, acme):
    emulator.state.add_role("inviter", ["invite:member"])
    emulator.state.add_member(acme, emulator.state.add_user("ivy@example.com", "pw"), ["inviter"])
    login_as(client, emulator, "ivy@example.com")
    page = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    assert f'value="{rid(emulator, "admin")}"' not in page
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {"emails": "dave@example.com", "roles": [rid(emulator, "admin")], "expires_in_days": "7"},
    )
    assert response.status_code == 422
    assert emulator.state.invitations == {}


def test_revoke_and_resend_from_the_list(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    invite(client, acme, emulator, "dave@example.com")
    [invitation] = emulator.state.invitations.values()
    resent = client.post(f"/orgs/{acme.id}/invitations/{invitation.id}/resend/", headers=HTMX)
    assert resent.status_code == 200 and 'id="invitation-list"' in resent.content.decode()
    assert len(mail.outbox) == 2
    revoked = client.post(f"/orgs/{acme.id}/invitations/{invitation.id}/revoke/", headers=HTMX)
    assert "Revoked" in revoked.content.decode()
    twice = client.post(f"/orgs/{acme.id}/invitations/{invitation.id}/revoke/", headers=HTMX)
    assert twice.status_code == 422
    assert "already revoked" in json.loads(twice["HX-Trigger"])["messages"][0]["message"]


def test_an_invitation_id_of_another_organization_is_404(client, emulator, acme):
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    login_as(client, emulator, "alice@example.com")
    client.post(
        f"/orgs/{other.id}/invitations/",
        {"emails": "x@example.com", "roles": [rid(emulator, "member")], "expires_in_days": "7"},
    )
    [invitation] = emulator.state.invitations.values()
    response = client.post(f"/orgs/{acme.id}/invitations/{invitation.id}/revoke/")
    assert response.status_code == 404
    assert invitation.status == "Pending"


def test_the_status_filter(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    invite(client, acme, emulator, "dave@example.com")
    fragment = client.get(
        f"/orgs/{acme.id}/invitations/?status=Accepted",
        headers={**HTMX, "HX-Target": "invitation-list"},
    ).content.decode()
    assert "<html" not in fragment and "No accepted invitations." in fragment


# -- landing page --------------------------------------------------------------------------
@pytest.fixture
def carols_invitation(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    invite(client, acme, emulator, "carol@example.com", roles=[rid(emulator, "admin")])
    client.logout()
    return next(iter(emulator.state.invitations.values()))


def test_anonymous_visitors_see_a_masked_invitation(client, emulator, carols_invitation):
    body = client.get(f"/invitations/{carols_invitation.id}/").content.decode()
    assert "Join Acme" in body and "Alice Admin" in body and "admin" in body
    assert "c***l@example.com" in body and "carol@example.com" not in body
    assert f"/oidc/authenticate/?invitation={carols_invitation.id}" in body
    assert "first_screen=register" in body


def test_sign_in_from_the_landing_page_hints_the_invited_address(
    client, emulator, carols_invitation
):
    response = client.get(
        f"/oidc/authenticate/?invitation={carols_invitation.id}&first_screen=register"
        f"&next=/invitations/{carols_invitation.id}/"
    )
    location = response["Location"]
    assert "login_hint=carol%40example.com" in location and "first_screen=register" in location
    assert client.session["oidc_login_next"] == f"/invitations/{carols_invitation.id}/"


def test_the_invitee_accepts_and_lands_in_the_organization(
    client, emulator, acme, carols_invitation
):
    login_as(client, emulator, "carol@example.com")
    page = client.get(f"/invitations/{carols_invitation.id}/").content.decode()
    assert "Accept and join" in page
    response = client.post(f"/invitations/{carols_invitation.id}/accept/", follow=True)
    assert response.redirect_chain[-1][0] == f"/orgs/{acme.id}/"
    body = response.content.decode()
    assert "Welcome to Acme!" in body
    assert 'class="switcher-current">Acme<' in body
    again = client.post(f"/invitations/{carols_invitation.id}/accept/", follow=True)
    assert "already accepted" in again.content.decode()


def test_the_wrong_account_is_told_and_offered_to_switch(client, emulator, carols_invitation):
    login_as(client, emulator, "bob@example.com")
    body = client.get(f"/invitations/{carols_invitation.id}/").content.decode()
    assert "This invitation is for another address" in body and "bob@example.com" in body
    forced = client.post(f"/invitations/{carols_invitation.id}/accept/", follow=True)
    assert "This invitation is for c***l@example.com" in forced.content.decode()
    switch = client.post(f"/invitations/{carols_invitation.id}/switch/")
    assert switch["Location"].startswith(emulator.endpoint + "/oidc/session/end?")
    # Back from Logto's sign-out, the portal continues to the invitation's sign-in.
    resumed = client.get("/")
    assert resumed["Location"] == (
        f"/oidc/authenticate/?invitation={carols_invitation.id}&next=/invitations/{carols_invitation.id}/"
    )
    assert client.get("/").status_code == 200  # only once


@pytest.mark.parametrize("status", ["Accepted", "Revoked", "Expired"])
def test_ended_invitations_have_their_own_page(client, emulator, carols_invitation, status):
    if status == "Expired":
        carols_invitation.expires_at = 1
    else:
        carols_invitation.status = status
    response = client.get(f"/invitations/{carols_invitation.id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert {"Accepted": "Already accepted", "Revoked": "No longer valid", "Expired": "has expired"}[
        status
    ] in body
    assert "Sign in to accept" not in body


def test_an_unknown_invitation(client, emulator):
    response = client.get("/invitations/nope/")
    assert response.status_code == 404
    assert "Invitation not found" in response.content.decode()


def test_my_invitations_and_the_dashboard_badge(client, emulator, carols_invitation):
    login_as(client, emulator, "carol@example.com")
    assert "You have 1 pending invitation" in client.get("/").content.decode()
    mine = client.get("/invitations/").content.decode()
    assert "Acme" in mine and "Decline" in mine
    client.post(f"/invitations/{carols_invitation.id}/decline/")
    assert carols_invitation.status == "Revoked"
    assert "no pending invitations" in client.get("/invitations/").content.decode()


def test_without_an_email_connector_the_inviter_reads_a_configuration_sentence(
    client, emulator, acme, settings
):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    emulator.state.email_connector = False
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {
            "emails": "dave@example.com\nerin@example.com",
            "roles": [rid(emulator, "member")],
            "expires_in_days": "7",
        },
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Invitation emails are not set up yet, so nothing was sent." in body
    assert "dave@example.com: failed (not sent: invitation emails are not set up)" in page_text(
        body
    )
    assert "erin@example.com: failed (not sent: invitation emails are not set up)" in page_text(
        body
    )
    assert "sent." not in response.get("HX-Trigger", "")
    assert "Logto" not in body and "not reachable" not in body
    # One attempt, undone; the second address was not tried against a broken setup.
    assert emulator.calls_to("invitations.create") == 1
    assert emulator.state.invitations == {}


def test_resending_without_an_email_connector_says_it_is_not_set_up(
    client, emulator, acme, settings
):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    login_as(client, emulator, "alice@example.com")
    invite(client, acme, emulator, "dave@example.com")
    [invitation] = emulator.state.invitations.values()
    emulator.state.email_connector = False
    resent = client.post(f"/orgs/{acme.id}/invitations/{invitation.id}/resend/", headers=HTMX)
    toast = json.loads(resent["HX-Trigger"])["messages"][0]["message"]
    assert toast == (
        "Invitation emails are not set up yet, so nothing was sent. "
        "Please tell the people who run this portal."
    )


def test_reissuing_an_expired_invitation_without_an_email_connector_says_so(
    client, emulator, acme, settings
):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    login_as(client, emulator, "alice@example.com")
    invite(client, acme, emulator, "dave@example.com")
    [invitation] = emulator.state.invitations.values()
    invitation.expires_at = 1  # long expired: a resend re-issues it
    emulator.state.email_connector = False
    resent = client.post(f"/orgs/{acme.id}/invitations/{invitation.id}/resend/", headers=HTMX)
    toast = json.loads(resent["HX-Trigger"])["messages"][0]["message"]
    assert toast == (
        "Invitation emails are not set up yet, so nothing was sent. "
        "Please tell the people who run this portal."
    )


@pytest.mark.parametrize("odd", ["%2E", "%2E%2E", ".%2E"])
def test_dot_invitation_ids_are_not_found_not_a_crash(client, emulator, odd):
    assert client.get(f"/invitations/{odd}/").status_code == 404
    login_as(client, emulator, "carol@example.com")
    assert client.get(f"/invitations/{odd}/").status_code == 404
    accepted = client.post(f"/invitations/{odd}/accept/")
    assert accepted.status_code in (302, 404)  # refused back to the landing page, no crash
    assert emulator.calls_to("invitations.list") == 0  # never "all invitations" instead


@pytest.mark.parametrize("odd", ["a.b", "%2E%2E", "x" * 65, "a%20b"])
def test_malformed_ids_in_any_url_are_404_before_anything_runs(client, emulator, acme, odd):
    login_as(client, emulator, "alice@example.com")
    before = len(emulator.calls)
    for url in (f"/orgs/{odd}/", f"/orgs/{acme.id}/members/{odd}/roles/", f"/invitations/{odd}/"):
        assert client.get(url).status_code == 404
    # The 404 page's header still lists the user's organizations; nothing asks about `odd`.
    assert {name for _, name, _ in emulator.calls[before:]} <= {"oidc.token", "users.organizations"}
