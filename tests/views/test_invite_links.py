"""The invite links page and /join/<token>/ (the rules: tests/services/test_invite_links.py)."""

from __future__ import annotations

import pytest

from orgportal.models import InviteLink
from tests.conftest import login_as
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


def role_id(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def create(client, acme, emulator, **fields):
    data = {"role": role_id(emulator, "member"), "expires_in_days": "7", **fields}
    return client.post(f"/orgs/{acme.id}/invitations/links/", data)


def test_an_admin_creates_a_link_sees_it_once_and_revokes_it(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    invitations = page_text(client.get(f"/orgs/{acme.id}/invitations/").content.decode())
    assert "Invite links" in invitations
    answer = create(client, acme, emulator, max_uses="3", domains="example.com")
    assert answer.status_code == 302
    shown = client.get(answer["Location"]).content.decode()
    link = InviteLink.objects.get()
    assert "/join/" in shown and "shown only once" in page_text(shown)
    again = page_text(client.get(f"/orgs/{acme.id}/invitations/links/").content.decode())
    assert "/join/" not in again and "0 of 3" in again and "example.com" in again
    revoked = client.post(f"/orgs/{acme.id}/invitations/links/{link.pk}/revoke/", follow=True)
    assert "Invite link revoked" in page_text(revoked.content.decode())
    link.refresh_from_db()
    assert link.revoked_at is not None


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"domains": "example.com, not a domain"}, "not is not a domain"),
        ({"max_uses": "0"}, "between 1 and 10,000"),
        ({"expires_in_days": "365"}, "between 1 and 90 days"),
        ({"role": "nope"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(client, emulator, acme, fields, sentence):
    login_as(client, emulator, "alice@example.com")
    answer = create(client, acme, emulator, **fields)
    assert answer.status_code == 422
    assert sentence in page_text(answer.content.decode())
    assert not InviteLink.objects.exists()


def test_members_who_may_not_invite_cannot_open_the_page(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/invitations/links/").status_code == 403
    assert create(client, acme, emulator).status_code == 403


def test_someone_opens_the_link_signs_in_and_joins(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    create(client, acme, emulator)
    join = "/join/" + client.session["orgportal_invite_link_created"].rsplit("/join/", 1)[1]
    client.logout()
    anonymous = page_text(client.get(join).content.decode())
    assert "Join Acme" in anonymous and "Sign in to join" in anonymous
    carol = login_as(client, emulator, "carol@example.com")
    carol.email_verified = True
    carol.save()
    assert "You join as carol@example.com" in page_text(client.get(join).content.decode())
    joined = client.post(join, follow=True)
    assert joined.redirect_chain[-1][0] == f"/orgs/{acme.id}/"
    assert "Welcome to Acme!" in page_text(joined.content.decode())
    assert carol.logto_id in acme.members
    again = client.post(join, follow=True)
    assert "You are already a member of Acme." in page_text(again.content.decode())


def test_refusals_are_one_sentence_and_never_a_500(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    create(client, acme, emulator, domains="acme.test")
    join = "/join/" + client.session["orgportal_invite_link_created"].rsplit("/join/", 1)[1]
    login_as(client, emulator, "carol@example.com")
    refused = client.post(join)
    assert refused.status_code == 403
    assert "only for email addresses at acme.test" in page_text(refused.content.decode())
    for bad in ("/join/x/", "/join/" + "a" * 300 + "/", "/join/%00/"):
        answer = client.get(bad)
        assert answer.status_code in (404, 410), bad
        assert "cannot be used" in page_text(answer.content.decode())


def test_a_link_that_asks_an_admin_sends_a_request_decided_on_the_links_page(
    client, emulator, acme
):
    login_as(client, emulator, "alice@example.com")
    create(client, acme, emulator, asks_admin="on")
    join = "/join/" + client.session["orgportal_invite_link_created"].rsplit("/join/", 1)[1]
    links_page = f"/orgs/{acme.id}/invitations/links/"
    shown = page_text(client.get(links_page).content.decode())
    assert "An admin approves each person" in shown and "No one is waiting." in shown
    carol = login_as(client, emulator, "carol@example.com")
    carol.email_verified = True
    carol.save()
    opened = page_text(client.get(join).content.decode())
    assert "Ask to join Acme" in opened and "you will get an email" in opened
    assert "You ask as carol@example.com" in opened
    asked = client.post(join, follow=True)
    assert asked.redirect_chain[-1][0] == "/"
    dashboard = page_text(asked.content.decode())
    assert "Your request was sent." in dashboard
    assert "Acme through an invite link Request sent" in dashboard
    assert carol.logto_id not in acme.members
    # Opening the link again shows the request, also once the link is used up by it.
    InviteLink.objects.update(max_uses=1)
    again = client.get(join)
    assert again.status_code == 200
    assert "Your request to join is waiting for an admin." in page_text(again.content.decode())

    login_as(client, emulator, "alice@example.com")
    waiting = page_text(client.get(links_page).content.decode())
    assert "carol@example.com" in waiting and "for the role member" in waiting
    request = carol.join_requests.get()
    # Only "approve" or "decline" decides: a decline cannot be taken back, so nothing is guessed.
    decide = f"/orgs/{acme.id}/domains/requests/{request.pk}/"
    for odd in ({}, {"decision": "Approve"}, {"decision": ["approve", "decline"]}):
        answer = client.post(decide, {**odd, "from": "invite_links"}, follow=True)
        assert "Nothing was changed." in page_text(answer.content.decode())
    request.refresh_from_db()
    assert request.state == "pending"
    # Link requests wait on the links page, not among the domain requests.
    domains = page_text(client.get(f"/orgs/{acme.id}/domains/").content.decode())
    assert "carol@example.com" not in domains
    decided = client.post(
        f"/orgs/{acme.id}/domains/requests/{request.pk}/",
        {"decision": "approve", "from": "invite_links"},
        follow=True,
    )
    assert decided.redirect_chain[-1][0] == links_page
    assert "carol@example.com joined." in page_text(decided.content.decode())
    assert acme.members[carol.logto_id] == [role_id(emulator, "member")]
