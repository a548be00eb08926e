"""Machine-to-machine organization applications, as BEHAVIOUR.md "Organization applications"
says: the apps, their secrets, membership and roles, and their organization tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests

from orgportal.logto import errors


@pytest.fixture
def bot(client):
    return client.create_application(name="Build bot", description="Runs the builds")


@pytest.fixture
def bot_role(client, emulator):
    scopes = {s.name: s.id for s in emulator.state.organization_scopes.values()}
    return client.create_organization_role(
        name="bot",
        scope_ids=[scopes["invite:member"], scopes["manage:member"]],
        role_type="MachineToMachine",
    )


def secret_of(client, app, name="Default secret") -> str:
    return next(s.value for s in client.list_application_secrets(app.id) if s.name == name)


def token_for(emulator, app_id, secret, **form):
    return requests.post(
        f"{emulator.endpoint}/oidc/token",
        data={"grant_type": "client_credentials", **form},
        auth=(app_id, secret),
        timeout=5,
    )


def claims_of(response) -> dict:
    assert response.status_code == 200, response.text
    return jwt.decode(response.json()["access_token"], options={"verify_signature": False})


# -- applications and secrets ------------------------------------------------------------------
def test_creating_an_app_answers_200_without_a_secret(api):
    response = api("POST", "/applications", json={"name": "Bot", "type": "MachineToMachine"})
    assert response.status_code == 200
    body = response.json()
    assert (body["type"], body["name"]) == ("MachineToMachine", "Bot")
    assert "secret" not in body


def test_a_created_app_reads_back_as_created(client, bot):
    read = client.get_application(bot.id)
    assert (read.name, read.type, read.description) == (
        "Build bot",
        "MachineToMachine",
        "Runs the builds",
    )


def test_a_new_app_has_a_default_secret_that_authenticates(client, emulator, bot):
    [secret] = client.list_application_secrets(bot.id)
    assert (secret.name, secret.expires_at) == ("Default secret", None)
    token = token_for(emulator, bot.id, secret.value, resource=emulator.management_api_resource)
    assert token.status_code == 200
    assert token_for(emulator, bot.id, "wrong", resource="x").json()["error"] == "invalid_client"


def test_every_listed_secret_authenticates_until_deleted_or_expired(client, emulator, bot):
    later = datetime.now(tz=UTC) + timedelta(days=1)
    ci = client.create_application_secret(bot.id, name="ci", expires_at=later)
    client.create_application_secret(bot.id, name="laptop")
    resource = emulator.management_api_resource
    for secret in client.list_application_secrets(bot.id):
        assert token_for(emulator, bot.id, secret.value, resource=resource).status_code == 200
    laptop = secret_of(client, bot, "laptop")
    client.delete_application_secret(bot.id, "laptop")
    assert token_for(emulator, bot.id, laptop, resource=resource).status_code == 401
    stored = next(s for s in emulator.state.applications[bot.id].secrets if s.name == "ci")
    stored.expires_at = 1  # long past
    assert token_for(emulator, bot.id, ci.value, resource=resource).status_code == 401


def test_secret_names_are_unique_and_expiry_must_be_in_the_future(client, bot):
    with pytest.raises(errors.InvalidInput) as caught:
        client.create_application_secret(bot.id, name="Default secret")
    assert (caught.value.status, caught.value.code) == (422, "application.secret_name_exists")
    with pytest.raises(errors.InvalidInput) as caught:
        client.create_application_secret(
            bot.id, name="old", expires_at=datetime.now(tz=UTC) - timedelta(minutes=1)
        )
    assert (caught.value.status, caught.value.code) == (400, "request.invalid_input")


def test_secrets_can_be_renamed_and_deleted(client, bot):
    renamed = client.rename_application_secret(bot.id, "Default secret", "main")
    assert renamed.name == "main"
    assert [s.name for s in client.list_application_secrets(bot.id)] == ["main"]
    client.delete_application_secret(bot.id, "main")
    assert client.list_application_secrets(bot.id) == []
    with pytest.raises(errors.NotFound) as caught:
        client.delete_application_secret(bot.id, "main")
    assert caught.value.code == "entity.not_found"


def test_the_portals_own_apps_keep_their_secrets(client):
    assert [s.name for s in client.list_application_secrets("orgportal-m2m")] == ["Default secret"]


def test_deleting_an_app_removes_it_from_its_organizations(client, acme, bot):
    client.add_organization_applications(acme.id, [bot.id])
    client.delete_application(bot.id)
    with pytest.raises(errors.NotFound) as caught:
        client.get_application(bot.id)
    assert caught.value.status == 404
    assert client.list_organization_applications(acme.id).total == 0
    with pytest.raises(errors.NotFound) as caught:
        client.delete_application(bot.id)
    assert caught.value.code == "entity.not_exists_with_id"


def test_machine_to_machine_organization_roles(client, bot_role):
    assert client.get_organization_role(bot_role.id).type == "MachineToMachine"


# -- membership ----------------------------------------------------------------------------------
def test_adding_an_app_answers_created_and_is_idempotent(api, client, acme, bot, bot_role):
    path = f"/organizations/{acme.id}/applications"
    response = api("POST", path, json={"applicationIds": [bot.id]})
    assert (response.status_code, response.text) == (201, "Created")
    assert response.headers["Content-Type"].startswith("text/plain")
    client.add_organization_application_roles(acme.id, bot.id, [bot_role.id])
    client.add_organization_applications(acme.id, [bot.id])  # again: keeps its roles
    [listed] = client.list_organization_applications(acme.id)
    assert (listed.application.id, [r.name for r in listed.roles]) == (bot.id, ["bot"])


def test_only_known_machine_to_machine_apps_join(client, acme, bot):
    with pytest.raises(errors.InvalidInput) as caught:
        client.add_organization_applications(acme.id, ["orgportal-web"])  # a Traditional app
    assert (caught.value.status, caught.value.code) == (422, "entity.db_constraint_violated")
    for call in (
        lambda: client.add_organization_applications(acme.id, ["ghost"]),
        lambda: client.add_organization_applications("nope", [bot.id]),
        lambda: client.replace_organization_applications("nope", [bot.id]),
    ):
        with pytest.raises(errors.InvalidInput) as caught:
            call()
        assert caught.value.code == "entity.relation_foreign_key_not_found"


def test_the_list_is_always_paginated_and_searchable(api, client, acme):
    for n in range(3):
        app = client.create_application(name=f"Bot {n}")
        client.add_organization_applications(acme.id, [app.id])
    response = api("GET", f"/organizations/{acme.id}/applications")
    assert response.headers["Total-Number"] == "3"
    assert [
        a.application.name for a in client.list_organization_applications(acme.id, q="bot 1")
    ] == ["Bot 1"]
    unknown = api("GET", "/organizations/nope/applications")
    assert (unknown.status_code, unknown.json(), unknown.headers["Total-Number"]) == (200, [], "0")


def test_apps_are_not_members(client, acme, bot):
    client.add_organization_applications(acme.id, [bot.id])
    assert bot.id not in {m.user.id for m in client.list_organization_users(acme.id)}


def test_replacing_the_apps_drops_the_others(client, acme, bot):
    other = client.create_application(name="Other bot")
    client.add_organization_applications(acme.id, [bot.id])
    client.replace_organization_applications(acme.id, [other.id])
    assert [a.application.id for a in client.list_organization_applications(acme.id)] == [other.id]
    client.replace_organization_applications(acme.id, [])
    assert client.list_organization_applications(acme.id).total == 0


def test_removing_an_app_drops_its_roles_there(client, acme, bot, bot_role):
    client.add_organization_applications(acme.id, [bot.id])
    client.add_organization_application_roles(acme.id, bot.id, [bot_role.id])
    client.remove_organization_application(acme.id, bot.id)
    with pytest.raises(errors.NotFound) as caught:
        client.remove_organization_application(acme.id, bot.id)
    assert caught.value.code == "entity.not_found"
    client.add_organization_applications(acme.id, [bot.id])
    assert client.list_organization_application_roles(acme.id, bot.id) == []


# -- roles -----------------------------------------------------------------------------------------
def test_app_roles_can_be_added_replaced_listed_and_removed(api, client, acme, bot, bot_role):
    client.add_organization_applications(acme.id, [bot.id])
    path = f"/organizations/{acme.id}/applications/{bot.id}/roles"
    added = api("POST", path, json={"organizationRoleIds": [bot_role.id]})
    assert (added.status_code, added.text) == (201, "Created")
    client.add_organization_application_roles(acme.id, bot.id, [bot_role.id])  # idempotent
    assert [r.name for r in client.list_organization_application_roles(acme.id, bot.id)] == ["bot"]
    reader = client.create_organization_role(name="reader", role_type="MachineToMachine")
    client.replace_organization_application_roles(acme.id, bot.id, [reader.id])
    assert [r.name for r in client.list_organization_application_roles(acme.id, bot.id)] == [
        "reader"
    ]
    client.remove_organization_application_role(acme.id, bot.id, reader.id)
    assert client.list_organization_application_roles(acme.id, bot.id) == []


def test_role_types_match_who_holds_them(client, emulator, acme, bot, bot_role):
    client.add_organization_applications(acme.id, [bot.id])
    member = emulator.state.role_by_name("member")
    bob = emulator.state.user_by_email("bob@example.com")
    for call in (
        lambda: client.add_organization_application_roles(acme.id, bot.id, [member.id]),
        lambda: client.add_organization_user_roles(acme.id, bob.id, [bot_role.id]),
        lambda: client.add_organization_users_roles(acme.id, [bob.id], [bot_role.id]),
        lambda: client.add_organization_applications_roles(acme.id, [bot.id], [member.id]),
    ):
        with pytest.raises(errors.InvalidInput) as caught:
            call()
        assert (caught.value.status, caught.value.code) == (422, "entity.db_constraint_violated")


def test_role_changes_need_the_app_in_the_organization(client, acme, bot, bot_role):
    for call in (
        lambda: client.add_organization_application_roles(acme.id, bot.id, [bot_role.id]),
        lambda: client.list_organization_application_roles(acme.id, bot.id),
        lambda: client.list_organization_application_roles("nope", bot.id),
    ):
        with pytest.raises(errors.InvalidInput) as caught:
            call()
        assert caught.value.code == "organization.require_membership"


def test_bulk_roles_and_the_apps_organizations(client, acme, bot, bot_role):
    other = client.create_organization(name="Other")
    client.add_organization_applications(acme.id, [bot.id])
    client.add_organization_applications(other.id, [bot.id])
    client.add_organization_applications_roles(acme.id, [bot.id], [bot_role.id])
    assert {
        o.organization.name: [r.name for r in o.roles]
        for o in client.list_application_organizations(bot.id)
    } == {"Acme": ["bot"], "Other": []}


# -- organization tokens ---------------------------------------------------------------------------
def test_an_organization_token_carries_only_requested_and_granted_permissions(
    client, emulator, acme, bot, bot_role
):
    client.add_organization_applications(acme.id, [bot.id])
    client.add_organization_application_roles(acme.id, bot.id, [bot_role.id])
    response = token_for(
        emulator,
        bot.id,
        secret_of(client, bot),
        organization_id=acme.id,
        scope="invite:member delete:organization",
    )
    claims = claims_of(response)
    assert (claims["sub"], claims["client_id"]) == (bot.id, bot.id)
    assert claims["aud"] == f"urn:logto:organization:{acme.id}"
    assert claims["scope"] == "invite:member"  # delete:organization is not granted: dropped
    assert "organization_id" not in claims
    assert claims["exp"] - claims["iat"] == 3600
    assert response.json()["expires_in"] == 3600


def test_without_scope_the_token_has_no_scope_claim(client, emulator, acme, bot, bot_role):
    client.add_organization_applications(acme.id, [bot.id])
    client.add_organization_application_roles(acme.id, bot.id, [bot_role.id])
    claims = claims_of(token_for(emulator, bot.id, secret_of(client, bot), organization_id=acme.id))
    assert "scope" not in claims


def test_an_api_resource_with_the_organization_gives_an_api_token(client, emulator, acme, bot):
    client.add_organization_applications(acme.id, [bot.id])
    api_resource = next(iter(emulator.api_resources))
    claims = claims_of(
        token_for(
            emulator, bot.id, secret_of(client, bot), organization_id=acme.id, resource=api_resource
        )
    )
    assert (claims["aud"], claims["organization_id"]) == (api_resource, acme.id)


def test_an_api_token_for_an_app_holds_the_resource_scopes_its_roles_grant(
    client, emulator, acme, bot
):
    api_resource = next(iter(emulator.api_resources))
    read = emulator.state.add_resource_scope(api_resource, "read:reports")
    emulator.state.add_resource_scope(api_resource, "write:reports")
    role = client.create_organization_role(name="reporter", role_type="MachineToMachine")
    emulator.state.organization_roles[role.id].resource_scope_ids = [read.id]
    client.add_organization_applications(acme.id, [bot.id])
    client.add_organization_application_roles(acme.id, bot.id, [role.id])
    claims = claims_of(
        token_for(
            emulator,
            bot.id,
            secret_of(client, bot),
            organization_id=acme.id,
            resource=api_resource,
            scope="read:reports write:reports invite:member",
        )
    )
    assert claims["scope"] == "read:reports"  # requested and granted; the rest dropped


def test_organizations_the_app_is_not_in_are_refused(client, emulator, acme, bot):
    secret = secret_of(client, bot)
    for organization_id in (acme.id, "nope"):
        response = token_for(emulator, bot.id, secret, organization_id=organization_id)
        assert (response.status_code, response.json()["error"]) == (403, "access_denied")
        assert "not associated with the organization" in response.json()["error_description"]
    neither = token_for(emulator, bot.id, secret)
    assert (neither.status_code, neither.json()["error"]) == (400, "invalid_target")


def test_mfa_required_organizations_still_issue_app_tokens(client, emulator, acme, bot):
    client.update_organization(acme.id, is_mfa_required=True)
    client.add_organization_applications(acme.id, [bot.id])
    response = token_for(emulator, bot.id, secret_of(client, bot), organization_id=acme.id)
    assert response.status_code == 200
