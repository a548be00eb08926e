"""The invite endpoint's optional `language`: the emails' language, default the caller's."""

from __future__ import annotations

import json

import pytest

from orgportal.models import InvitationBatch
from orgportal.services.languages import user_language_set
from tests.api.conftest import bearer
from tests.conftest import local_user

pytestmark = pytest.mark.django_db


def invite(client, emulator, acme, org_token, **extra):
    body = {
        "emails": ["dave@example.com"],
        "roleIds": [emulator.state.role_by_name("member").id],
        **extra,
    }
    return client.post(
        f"/api/v1/organizations/{acme.id}/invitations",
        json.dumps(body),
        content_type="application/json",
        headers=bearer(org_token("alice@example.com", "invite:member")),
    )


def test_the_caller_chooses_the_language_of_the_emails(client, emulator, acme, org_token):
    response = invite(client, emulator, acme, org_token, language="de")
    assert response.status_code == 200 and response.json()[0]["status"] == "sent"
    assert InvitationBatch.objects.get().language == "de"


def test_by_default_the_callers_saved_language_else_english(client, emulator, acme, org_token):
    assert invite(client, emulator, acme, org_token).status_code == 200
    assert InvitationBatch.objects.get().language == "en"
    user_language_set(user=local_user(emulator, "alice@example.com"), language="de")
    body = {"emails": ["erin@example.com"]}
    assert invite(client, emulator, acme, org_token, **body).status_code == 200
    assert InvitationBatch.objects.latest("created_at").language == "de"


def test_a_language_the_portal_does_not_speak_is_refused(client, emulator, acme, org_token):
    response = invite(client, emulator, acme, org_token, language="fr")
    assert response.status_code == 422
    assert response.json()["message"] == "Choose one of the languages offered."
    assert not InvitationBatch.objects.exists()
