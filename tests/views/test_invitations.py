"""Invitation pages: invite form (text and CSV), list actions, landing page in every state."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from logto_emulator.state import now_ms
from orgportal.services.errors import ServiceUnavailable
from orgportal.views import invitations as invitation_views
from tests.conftest import login_as
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


def invite(client, acme, emulator, emails, **extra):
    data = {"emails": emails, "roles": [rid(emulator, "member")], "expires_in_days": "7", **extra}
    return client.post(f"/orgs/{acme.id}/invitations/", data, follow=True)


def add_invitation(emulator, org, email, *, status="Pending", minutes_ago=0):
    state = emulator.state
    return state.add_invitation(
        org,
        email,
        inviter=state.user_by_email("alice@example.com"),
        status=status,
        created_at=now_ms() - minutes_ago * 60_000,
        invitation_id=f"inv{len(state.invitations) + 1:04}",
    )


def listed(body: str) -> list[str]:
    """The invitees of the list's rows, in order."""
    return re.findall(r'<span class="invitee-address">([^<]+)</span>', body)


def test_the_invite_page_defaults_to_the_member_role_and_seven_days(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    assert 'value="7"' in body
    assert f'value="{rid(emulator, "member")}"' in body and "checked" in body
    assert "No invitations yet." in body


def test_the_list_comes_first_and_the_form_opens_in_a_dialog_or_on_its_own_page(
    client, emulator, acme
):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    assert body.index('id="invitation-list"') < body.index('id="invite-form"')
    assert body.index('<dialog id="invite-dialog"') < body.index('id="invite-form"')
    assert f'href="/orgs/{acme.id}/invitations/new/" data-dialog-open="invite-dialog"' in body
    page = client.get(f"/orgs/{acme.id}/invitations/new/")
    assert page.status_code == 200
    alone = page.content.decode()
    assert 'id="invite-form"' in alone and 'id="invite-dialog"' not in alone
    assert "hx-post" not in alone.split('id="invite-form"')[1].split("</form>")[0]  # plain POST
    assert f'<a class="button button-quiet" href="/orgs/{acme.id}/invitations/">Cancel</a>' in alone


def test_members_who_may_not_invite_do_not_get_the_form_page(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/invitations/new/").status_code == 403


def test_pending_is_the_default_and_the_others_are_one_link_away(client, emulator, acme):
    add_invitation(emulator, acme, "old@example.com", status="Accepted", minutes_ago=30)
    add_invitation(emulator, acme, "gone@example.com", status="Revoked", minutes_ago=20)
    add_invitation(emulator, acme, "open@example.com", minutes_ago=10)
    add_invitation(emulator, acme, "newest@example.com")
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    assert listed(body) == ["newest@example.com", "open@example.com"]
    assert '<option value="Pending" selected>' in body
    assert "2 pending invitations" in page_text(body)
    assert f'href="/orgs/{acme.id}/invitations/?status=all">Show all 4</a>' in body
    everything = client.get(f"/orgs/{acme.id}/invitations/?status=all").content.decode()
    assert listed(everything) == [
        "newest@example.com",
        "open@example.com",
        "gone@example.com",
        "old@example.com",
    ]
    unknown = client.get(f"/orgs/{acme.id}/invitations/?status=Bogus").content.decode()
    assert listed(unknown) == ["newest@example.com", "open@example.com"]


def test_search_matches_part_of_the_address_in_any_case(client, emulator, acme):
    add_invitation(emulator, acme, "Dave.Smith@example.com")
    add_invitation(emulator, acme, "erin@example.com")
    add_invitation(emulator, acme, "dave@old.example.com", status="Revoked")
    login_as(client, emulator, "alice@example.com")
    fragment = client.get(
        f"/orgs/{acme.id}/invitations/?q=DAVE",
        headers={**HTMX, "HX-Target": "invitation-list"},
    ).content.decode()
    assert "<html" not in fragment
    assert listed(fragment) == ["Dave.Smith@example.com"]
    assert "1 pending invitation matches “DAVE”" in page_text(fragment)
    assert "Show all 2" in fragment  # the revoked one matches too
    none = client.get(f"/orgs/{acme.id}/invitations/?q=zed").content.decode()
    assert "No pending invitation matches “zed”." in page_text(none)


def test_fifty_to_a_page_newest_first_with_one_read_per_page(client, emulator, acme):
    for n in range(55):
        add_invitation(emulator, acme, f"p{n:02}@example.com", minutes_ago=55 - n)
    login_as(client, emulator, "alice@example.com")
    first = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    assert emulator.calls_to("invitations.list") == 1  # Logto's whole list, read once
    assert emulator.calls_to("users.list") == 1  # the page's inviters, named at once
    assert len(listed(first)) == 50 and listed(first)[0] == "p54@example.com"
    assert "page 1 of 2" in page_text(first)
    assert f'href="/orgs/{acme.id}/invitations/?page=2"' in first and 'rel="next"' in first
    second = client.get(f"/orgs/{acme.id}/invitations/?page=2").content.decode()
    assert listed(second) == [f"p{n:02}@example.com" for n in range(4, -1, -1)]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    past_the_end = client.get(f"/orgs/{acme.id}/invitations/?page=9").content.decode()
    assert listed(past_the_end) == listed(second)


def test_the_role_picker_lists_roles_by_name_ignoring_case(client, emulator, acme):
    emulator.state.add_role("Viewer", [])
    emulator.state.add_role("billing", [])
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    names = ("Viewer", "admin", "billing", "member")
    positions = {name: body.index(f'value="{rid(emulator, name)}"') for name in names}
    assert sorted(names, key=positions.__getitem__) == ["admin", "billing", "member", "Viewer"]


def test_inviting_a_member_a_new_person_and_a_typo_summarises_every_outcome(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {
            "emails": "dave@example.com, bob@example.com\nbroken@",
            "roles": [rid(emulator, "member")],
            "expires_in_days": "5",
            "message": "Hi!",
        },
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    # A fresh form for the dialog; the result replaces the page's result region.
    assert body.lstrip().startswith('<form id="invite-form"')
    assert '<div id="invite-result" hx-swap-oob="true">' in body
    assert "Done: 1 sent · 1 skipped · 1 failed." in body
    assert "dave@example.com: sent" in page_text(body)
    assert "bob@example.com: skipped (already a member)" in page_text(body)
    assert "broken@: failed (not a valid email address)" in page_text(body)
    assert 'id="batch-card" tabindex="-1"' in body
    trigger = json.loads(response["HX-Trigger"])
    assert "invitations-changed" in trigger
    assert trigger["messages"] == [
        {"message": "Invitations: 1 sent · 1 skipped · 1 failed.", "tags": "error"}
    ]
    assert "invitation-batch-shown" in json.loads(response["HX-Trigger-After-Settle"])
    assert len(mail.outbox) == 1
    # "Retry failed": the failed address with the batch's roles, expiry and message.
    retry = body.split('class="retry-form"')[1].split("</form>")[0]
    assert ">broken@</textarea>" in retry
    assert f'name="roles" value="{rid(emulator, "member")}"' in retry
    assert 'name="expires_in_days" value="5"' in retry and 'name="message" value="Hi!"' in retry


def test_retry_failed_sends_the_corrected_addresses(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    invite(client, acme, emulator, "broken@")
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {"emails": "fixed@example.com", "roles": [rid(emulator, "member")], "expires_in_days": "7"},
        headers=HTMX,
    )
    assert "Done: 1 sent." in response.content.decode()
    assert 'class="retry-form"' not in response.content.decode()
    assert json.loads(response["HX-Trigger"])["messages"] == [
        {"message": "Invitations: 1 sent.", "tags": "success"}
    ]
    assert [i.invitee for i in emulator.state.invitations.values()] == ["fixed@example.com"]


def test_without_javascript_inviting_leads_to_the_result_on_the_page(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/invitations/",
        {"emails": "dave@example.com", "roles": [rid(emulator, "member")], "expires_in_days": "7"},
    )
    assert response.status_code == 302
    assert re.fullmatch(
        rf"/orgs/{acme.id}/invitations/\?batch=[0-9a-f-]+#batch-card", response["Location"]
    )
    page = client.get(response["Location"]).content.decode()
    assert "Invitations: 1 sent." in page_text(page)  # the message, once
    assert "Done: 1 sent." in page and "dave@example.com" in listed(page)
    again = client.get(response["Location"]).content.decode()
    assert "Invitations: 1 sent." not in page_text(again) and "Done: 1 sent." in again


def test_a_refused_form_swaps_in_place_with_htmx_and_is_a_page_without(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    data = {"emails": "dave@example.com", "expires_in_days": "7"}  # no role
    swapped = client.post(f"/orgs/{acme.id}/invitations/", data, headers=HTMX)
    assert swapped.status_code == 422
    body = swapped.content.decode()
    assert body.lstrip().startswith('<form id="invite-form"') and "<html" not in body
    assert "Choose at least one role." in body and "dave@example.com</textarea>" in body
    assert "invite-form-refused" in json.loads(swapped["HX-Trigger-After-Settle"])
    plain = client.post(f"/orgs/{acme.id}/invitations/", data)
    assert plain.status_code == 422
    page = plain.content.decode()
    assert 'id="invite-dialog"' not in page and "Choose at least one role." in page
    assert emulator.state.invitations == {}


def test_a_refusal_with_any_status_reaches_the_dialog_as_a_sentence(
    client, emulator, acme, monkeypatch
):
    def unavailable(**kwargs):
        raise ServiceUnavailable("Invitations cannot be sent right now. Try again in a minute.")

    monkeypatch.setattr(invitation_views, "invitation_batch_start", unavailable)
    login_as(client, emulator, "alice@example.com")
    data = {
        "emails": "dave@example.com",
        "roles": [rid(emulator, "member")],
        "expires_in_days": "7",
    }
    swapped = client.post(f"/orgs/{acme.id}/invitations/", data, headers=HTMX)
    assert swapped.status_code == 422  # HTMX swaps it in the dialog; a 503 would show nothing
    assert "cannot be sent right now" in page_text(swapped.content.decode())
    plain = client.post(f"/orgs/{acme.id}/invitations/", data)
    assert plain.status_code == 503
    assert "cannot be sent right now" in page_text(plain.content.decode())
    assert "dave@example.com</textarea>" in plain.content.decode()


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
        follow=True,
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
    assert "No pending invitations." in revoked.content.decode()  # gone from the default list
    assert invitation.status == "Revoked"
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


def test_row_actions_keep_the_list_as_it_was(client, emulator, acme):
    for n in range(3):
        add_invitation(emulator, acme, f"dave{n}@example.com", minutes_ago=n)
    add_invitation(emulator, acme, "erin@example.com")
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/invitations/?q=dave").content.decode()
    target = emulator.state.invitations["inv0001"]
    action = f"/orgs/{acme.id}/invitations/{target.id}/revoke/?q=dave"
    # The row's button names its address; the one shared form sends it (with or without htmx).
    assert f'formaction="{action}"' in page
    fragment = client.post(action, headers=HTMX).content.decode()
    assert listed(fragment) == ["dave1@example.com", "dave2@example.com"]
    assert "erin@example.com" not in fragment
    plain = client.post(f"/orgs/{acme.id}/invitations/inv0002/revoke/?q=dave&status=all")
    assert plain["Location"] == f"/orgs/{acme.id}/invitations/?status=all&q=dave"


def test_every_row_has_its_actions_inside_a_wrapper_not_on_the_cell(client, emulator, acme):
    add_invitation(emulator, acme, "dave@example.com")
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    cell = body.split('<td class="invitation-actions-cell">')[1].split("</td>")[0]
    assert cell.lstrip().startswith('<div class="invitation-actions">')
    assert "Resend the invitation for dave@example.com" in cell
    assert "Revoke the invitation for dave@example.com" in cell


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
