"""Whether an address counts as verified for answering an invitation is one rule, whichever
way the person comes: the page (signed in) or the JSON API (a bearer token)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from orgportal.services.invitation_batches import invitation_send
from orgportal.services.users import user_for_subject
from tests.api.conftest import bearer
from tests.conftest import local_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

UNVERIFIED = "Verify your email address in your account first, then try again."


@pytest.fixture
def invitation(emulator, acme, alice) -> str:
    [outcome] = invitation_send(
        actor=alice,
        organization_id=acme.id,
        emails=["carol@example.com"],
        role_ids=[emulator.state.role_by_name("member").id],
    )
    return outcome.invitation_id


def api_accept(invitation: str, token: str):
    return Client().post(f"/api/v1/invitations/{invitation}/accept", headers=bearer(token))


def test_an_address_the_sign_in_called_unverified_is_refused_by_page_and_api(
    client, emulator, acme, invitation, mint
):
    emulator.state.user_by_email("carol@example.com").email_verified = False
    sign_in(client, emulator, "carol@example.com")  # the ID token says email_verified: false
    page = client.post(f"/invitations/{invitation}/accept/", follow=True)
    assert UNVERIFIED in page.content.decode()
    answer = api_accept(invitation, mint("carol@example.com"))
    assert (answer.status_code, answer.json()["message"]) == (403, UNVERIFIED)
    assert (
        Client()
        .post(
            f"/api/v1/invitations/{invitation}/decline", headers=bearer(mint("carol@example.com"))
        )
        .json()["message"]
        == UNVERIFIED
    )
    assert emulator.state.invitations[invitation].status == "Pending"
    assert emulator.state.user_by_email("carol@example.com").id not in acme.members


def test_the_apis_profile_refresh_does_not_turn_the_verdict_around(
    client, emulator, acme, invitation, mint
):
    emulator.state.user_by_email("carol@example.com").email_verified = False
    carol = local_user(emulator, "carol@example.com")  # as a sign-in left it: unverified
    carol.email_verified = False
    carol.save()
    assert api_accept(invitation, mint("carol@example.com")).status_code == 403
    carol.refresh_from_db()
    assert not carol.email_verified  # the API's profile refresh did not launder it


def test_a_verified_address_is_accepted_by_the_api(emulator, acme, invitation, mint):
    answer = api_accept(invitation, mint("carol@example.com"))
    assert answer.status_code == 200
    assert emulator.state.user_by_email("carol@example.com").id in acme.members


def test_a_new_primary_address_counts_as_verified(emulator, db):
    """Logto makes an address primary only once it is verified (or an admin set it)."""
    logto_carol = emulator.state.user_by_email("carol@example.com")
    carol = local_user(emulator, "carol@example.com")
    carol.email_verified = False
    carol.save()
    logto_carol.primary_email = "carol@new.example"
    refreshed = user_for_subject(logto_carol.id)
    assert (refreshed.email, refreshed.email_verified) == ("carol@new.example", True)
    logto_carol.primary_email = None
    cache.clear()  # the profile is refreshed every few minutes
    refreshed = user_for_subject(logto_carol.id)
    assert (refreshed.email, refreshed.email_verified) == ("", False)
