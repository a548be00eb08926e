"""The emulator issues API and organization tokens the way Logto does (via `api_token`)."""

from io import StringIO

import jwt
import pytest
from django.core.management import call_command

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portal(settings):
    settings.PORTAL_BASE_URL = "http://testserver"


def token(*args) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().strip()


def test_a_user_token_for_the_api_resource(client, emulator, settings):
    value = token("alice@example.com")
    claims = jwt.decode(value, options={"verify_signature": False})
    assert claims["aud"] == settings.LOGTO.api_resource
    response = client.get("/api/v1/me/organizations", headers=bearer(value))
    assert response.json()[0]["organization"]["name"] == "Acme"


def test_an_organization_token_carries_the_members_permissions(client, emulator, acme):
    admin = jwt.decode(
        token("alice@example.com", "--organization", acme.id), options={"verify_signature": False}
    )
    assert admin["aud"] == f"urn:logto:organization:{acme.id}"
    assert set(admin["scope"].split()) == {
        "invite:member",
        "manage:member",
        "delete:member",
        "manage:organization",
        "delete:organization",
    }
    member = jwt.decode(
        token("bob@example.com", "--organization", acme.id), options={"verify_signature": False}
    )
    assert "scope" not in member  # Logto leaves the claim out when nothing is granted
    org_token = token("alice@example.com", "--organization", acme.id)
    response = client.patch(
        f"/api/v1/organizations/{acme.id}",
        '{"name": "Acme Ltd"}',
        content_type="application/json",
        headers=bearer(org_token),
    )
    assert response.status_code == 200 and acme.name == "Acme Ltd"


def test_no_organization_token_for_non_members(emulator, acme):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        token("carol@example.com", "--organization", acme.id)


def test_without_the_organizations_resource_the_scope_is_empty(emulator, acme):
    """Logto grants organization permissions only when the sign-in asked for them."""
    grant = emulator.oidc
    value = token("alice@example.com")
    refresh = next(iter(grant.refresh_tokens))
    grant.refresh_tokens[refresh].resources = []
    import requests

    answer = requests.post(
        f"{emulator.endpoint}/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "organization_id": acme.id},
        auth=("orgportal-web", "orgportal-web-dev-secret"),
        timeout=5,
    ).json()
    assert answer["scope"] == "" and value
