"""Email connectors and MFA behave as on a real Logto (BEHAVIOUR.md, DIVERGENCES.md #1, #2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from werkzeug.test import Client as WsgiClient

from logto_emulator.defaults import DEMO_PASSWORD
from orgportal import logto
from orgportal.logto import errors
from tests.helpers import emulator_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(emulator):
    return logto.get_client()


def later() -> datetime:
    return datetime.now(tz=UTC) + timedelta(days=7)


# -- email connector ---------------------------------------------------------------------------
def test_without_an_email_connector_an_invitation_with_email_is_not_created(client, emulator):
    emulator.state.email_connector = False
    acme = next(iter(emulator.state.organizations.values()))
    with pytest.raises(errors.NotConfigured) as caught:
        client.create_organization_invitation(
            organization_id=acme.id,
            invitee="dave@example.com",
            expires_at=later(),
            message_link="http://portal.test/i/",
        )
    assert (caught.value.status, caught.value.code) == (501, "connector.not_found")
    assert client.list_organization_invitations(organization_id=acme.id) == []
    assert emulator.state.outbox == []


def test_without_an_email_connector_sending_a_message_answers_501(client, emulator):
    emulator.state.email_connector = False
    acme = next(iter(emulator.state.organizations.values()))
    invitation = client.create_organization_invitation(
        organization_id=acme.id, invitee="dave@example.com", expires_at=later()
    )
    with pytest.raises(errors.NotConfigured) as caught:
        client.send_organization_invitation_message(invitation.id, link="http://portal.test/i/")
    assert caught.value.status == 501
    assert "Cannot find any available connector for type: Email." in caught.value.message
    with pytest.raises(errors.NotFound):  # an unknown invitation is still a 404 first
        client.send_organization_invitation_message("nope", link="http://portal.test/i/")


def test_the_connector_list_shows_the_email_connector_when_there_is_one(client, emulator):
    assert [c.type for c in client.list_connectors()] == ["Email"]
    emulator.state.email_connector = False
    assert client.list_connectors() == []


# -- MFA ---------------------------------------------------------------------------------------
def test_tenant_mfa_settings_default_to_no_factors(client):
    settings = client.get_mfa_settings()
    assert (settings.factors, settings.policy) == ((), "UserControlled")
    assert settings.organization_required_mfa_policy is None
    changed = client.update_mfa_settings(
        factors=["Totp"], policy="UserControlled", organization_required_mfa_policy="Mandatory"
    )
    assert changed.factors == ("Totp",) and changed.organization_required_mfa_policy == "Mandatory"


def test_mfa_verifications_are_listed_added_and_deleted(client, emulator):
    bob = emulator.state.user_by_email("bob@example.com")
    assert client.list_user_mfa_verifications(bob.id) == []
    client.create_user_mfa_verification(bob.id, "Totp")
    with pytest.raises(errors.InvalidInput):
        client.create_user_mfa_verification(bob.id, "Totp")  # one TOTP per user
    [totp] = client.list_user_mfa_verifications(bob.id)
    assert totp.type == "Totp"
    client.delete_user_mfa_verification(bob.id, totp.id)
    assert client.list_user_mfa_verifications(bob.id) == []
    with pytest.raises(errors.NotFound):
        client.delete_user_mfa_verification(bob.id, totp.id)


@pytest.fixture
def _portal(settings):
    settings.PORTAL_BASE_URL = "http://testserver"


def organization_token(email: str, organization_id: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("api_token", email, "--organization", organization_id, stdout=out)
    return out.getvalue().strip()


@pytest.mark.usefixtures("_portal")
def test_requiring_mfa_refuses_organization_tokens_to_members_without_a_factor(client, emulator):
    acme = next(iter(emulator.state.organizations.values()))
    bob = emulator.state.user_by_email("bob@example.com")
    assert organization_token("bob@example.com", acme.id)
    client.update_organization(acme.id, is_mfa_required=True)
    with pytest.raises(CommandError, match="requires two-step verification"):
        organization_token("bob@example.com", acme.id)
    client.create_user_mfa_verification(bob.id, "Totp")  # a factor is enough, at once
    assert organization_token("bob@example.com", acme.id)


def test_mandatory_policy_sends_members_to_set_up_mfa_at_sign_in(emulator):
    state = emulator.state
    acme = next(iter(state.organizations.values()))
    acme.is_mfa_required = True
    state.mfa.factors = ["Totp"]
    state.mfa.organization_required_mfa_policy = "Mandatory"
    browser = WsgiClient(emulator)
    authorize = (
        "/oidc/auth?client_id=orgportal-web&redirect_uri=http%3A%2F%2Ftestserver%2Foidc"
        "%2Fcallback%2F&response_type=code&scope=openid"
    )
    started = browser.get(authorize)
    interaction = started.location.split("interaction=")[1].split("&")[0]
    page = browser.post(
        "/sign-in",
        data={
            "interaction": interaction,
            "identifier": "bob@example.com",
            "password": DEMO_PASSWORD,
        },
    )
    assert page.status_code == 200
    assert "Set up two-step verification" in page.get_data(as_text=True)
    assert "Skip" not in page.get_data(as_text=True)
    done = browser.post("/mfa-binding", data={"interaction": interaction})
    assert done.status_code == 302 and "code=" in emulator_path(done.location)
    assert [v.type for v in state.user_by_email("bob@example.com").mfa_verifications] == ["Totp"]


# -- sign-in mode ------------------------------------------------------------------------------
def test_a_sign_in_only_tenant_offers_no_sign_up_but_magic_links_still_register(emulator):
    from tests.emulator.flows import authorize_path, interaction_of

    emulator.state.sign_in_mode = "SignIn"
    browser = WsgiClient(emulator)
    started = browser.get(authorize_path(first_screen="register"))
    assert started.location.startswith("/sign-in?")  # no sign-up screen to land on
    page = browser.get(started.location).get_data(as_text=True)
    assert "Create account" not in page
    uid = interaction_of(started.location)
    assert browser.get(f"/register?interaction={uid}").status_code == 403
    refused = browser.post("/register", data={"interaction": uid, "email": "x@example.com"})
    assert refused.status_code == 403
    assert emulator.state.user_by_email("x@example.com") is None

    token = logto.get_client().create_one_time_token("newbie@example.com")
    link = WsgiClient(emulator).get(
        authorize_path(one_time_token=token.token, login_hint="newbie@example.com")
    )
    assert link.status_code == 302 and "code=" in link.location
    assert emulator.state.user_by_email("newbie@example.com") is not None


def test_the_sign_in_mode_is_read_and_changed_through_the_sign_in_experience(emulator):
    # Raw calls: the portal never changes the sign-in mode, so its client has no method.
    url = f"{emulator.endpoint}/api/sign-in-exp"
    headers = {"Authorization": f"Bearer {logto.get_client().tokens.get()}"}
    assert requests.get(url, headers=headers, timeout=5).json()["signInMode"] == "SignInAndRegister"
    changed = requests.patch(url, json={"signInMode": "SignIn"}, headers=headers, timeout=5)
    assert changed.json()["signInMode"] == "SignIn"
    assert emulator.state.sign_in_mode == "SignIn"


def test_without_the_mandatory_policy_the_setup_page_can_be_skipped(emulator):
    from tests.emulator.flows import authorize_path, interaction_of

    state = emulator.state
    next(iter(state.organizations.values())).is_mfa_required = True
    state.mfa.factors = ["Totp"]
    state.mfa.organization_required_mfa_policy = "NoPrompt"
    browser = WsgiClient(emulator)
    started = browser.get(authorize_path())
    uid = interaction_of(started.location)
    page = browser.post(
        "/sign-in",
        data={"interaction": uid, "identifier": "bob@example.com", "password": DEMO_PASSWORD},
    )
    assert "Skip for now" in page.get_data(as_text=True)
    skipped = browser.post("/mfa-binding", data={"interaction": uid, "skip": "1"})
    assert skipped.status_code == 302 and "code=" in skipped.location
    assert state.user_by_email("bob@example.com").mfa_verifications == []


# -- fault injection ---------------------------------------------------------------------------
def test_after_work_applies_the_change_and_answers_after_the_clients_timeout():
    from logto_emulator import defaults as dev_defaults
    from logto_emulator.server import EmulatorServer
    from tests.conftest import make_emulator

    emulator = make_emulator([])
    emulator.set_fault("organizations.create", after_work=True, latency=1.0)
    before = len(emulator.state.organizations)
    with EmulatorServer(emulator) as server:
        base = f"http://127.0.0.1:{server.port}"
        token = requests.post(
            f"{base}/oidc/token",
            data={
                "grant_type": "client_credentials",
                "resource": emulator.management_api_resource,
                "scope": "all",
            },
            auth=(dev_defaults.M2M_APP_ID, dev_defaults.M2M_APP_SECRET),
            timeout=5,
        ).json()["access_token"]
        with pytest.raises(requests.Timeout):
            requests.post(
                f"{base}/api/organizations",
                json={"name": "Late"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=(2, 0.3),
            )
    assert len(emulator.state.organizations) == before + 1  # Logto did it anyway
