"""Organization pages: full page and HTMX fragments, errors that keep what was typed."""

from __future__ import annotations

import json

import pytest

from orgportal import logto
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_create_page_and_success(client, emulator):
    login_as(client, emulator, "alice@example.com")
    assert client.get("/orgs/new/").status_code == 200
    response = client.post("/orgs/new/", {"name": "Zeta", "description": "Z"}, follow=True)
    org = next(o for o in emulator.state.organizations.values() if o.name == "Zeta")
    assert response.redirect_chain[-1][0] == f"/orgs/{org.id}/"
    body = response.content.decode()
    assert "Zeta is ready" in body
    # The switcher lists the new organization straight away, as the current one.
    assert 'class="switcher-current">Zeta<' in body


def test_create_with_htmx_redirects_the_page(client, emulator):
    login_as(client, emulator, "alice@example.com")
    response = client.post("/orgs/new/", {"name": "Zeta"}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/orgs/")


def test_an_empty_name_is_refused_and_the_description_kept(client, emulator):
    login_as(client, emulator, "alice@example.com")
    response = client.post("/orgs/new/", {"name": "   ", "description": "kept text"}, headers=HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body
    assert "Give the organization a name." in body
    assert "kept text" in body


def test_a_long_name_is_refused(client, emulator):
    login_as(client, emulator, "alice@example.com")
    response = client.post("/orgs/new/", {"name": "x" * 129})
    assert response.status_code == 422
    assert "128 characters or fewer" in response.content.decode()


def test_inline_validation_returns_only_the_field(client, emulator):
    login_as(client, emulator, "alice@example.com")
    response = client.post("/orgs/new/", {"name": "", "_validate": "1"}, headers=HTMX)
    body = response.content.decode()
    assert 'id="id_name-field"' in body
    assert "Give the organization a name." in body
    assert "<form" not in body
    assert not any(o.name == "" for o in emulator.state.organizations.values())


def test_logto_down_while_creating_keeps_the_form(client, emulator):
    login_as(client, emulator, "alice@example.com")
    emulator.set_fault("organizations.create", status=503)
    response = client.post("/orgs/new/", {"name": "Zeta", "description": "still here"})
    assert response.status_code == 503
    body = response.content.decode()
    assert "could not reach our sign-in service" in body
    assert 'value="Zeta"' in body and "still here" in body


def test_settings_save_and_show_a_toast_for_htmx(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/settings/")
    assert "Require two-step verification" in page.content.decode()
    response = client.post(
        f"/orgs/{acme.id}/settings/",
        {"name": "Acme Corp", "description": "d", "is_mfa_required": "on", "confirm_mfa": "1"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert (acme.name, acme.is_mfa_required) == ("Acme Corp", True)
    assert response["HX-Redirect"] == f"/orgs/{acme.id}/settings/"


def test_requiring_mfa_first_shows_who_would_lose_access(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    typed = {"name": "Acme Corp", "description": "d", "is_mfa_required": "on"}
    response = client.post(f"/orgs/{acme.id}/settings/", typed, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert (acme.name, acme.is_mfa_required) == ("Acme", False)  # nothing saved yet
    assert "2 of 2 members</strong> have not set up two-step verification" in body
    assert "Bob Member" in body and "Alice Admin" in body
    assert "lose access to this organization's API" in body
    assert "not offered at sign-in yet" in body  # the tenant has no MFA factor enabled
    assert 'value="Acme Corp"' in body  # what was typed is kept
    assert 'name="confirm_mfa" value="1"' in body


def test_mfa_impact_counts_members_with_a_factor_and_the_sign_in_policy(client, emulator, acme):
    state = emulator.state
    logto_user = state.user_by_email("bob@example.com")
    logto.get_client().create_user_mfa_verification(logto_user.id, "Totp")
    state.mfa.factors = ["Totp"]
    state.mfa.organization_required_mfa_policy = "Mandatory"
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/", {"name": "Acme", "is_mfa_required": "on"}, headers=HTMX
    )
    body = response.content.decode()
    assert "1 of 2 members</strong> has not set up two-step verification" in body
    assert "Alice Admin" in body and "Bob Member" not in body
    assert "asked to set it up the next time they sign in" in body


def test_mfa_impact_says_when_nobody_loses_access(client, emulator, acme):
    for email in ("alice@example.com", "bob@example.com"):
        user_id = emulator.state.user_by_email(email).id
        logto.get_client().create_user_mfa_verification(user_id, "Totp")
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/", {"name": "Acme", "is_mfa_required": "on"}, headers=HTMX
    )
    assert "All 2 members already use two-step verification" in response.content.decode()
    assert not acme.is_mfa_required


def test_mfa_impact_never_reassures_when_members_could_not_be_checked(client, emulator, acme):
    emulator.set_fault("users.mfa.list", status=503)
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/", {"name": "Acme", "is_mfa_required": "on"}, headers=HTMX
    )
    body = response.content.decode()
    assert "Nobody loses access" not in body
    assert "We could not check 2 members right now</strong>; they may lose access too." in body
    assert not acme.is_mfa_required


def test_logto_down_while_checking_the_mfa_impact_keeps_the_form(client, emulator, acme):
    emulator.set_fault("sign_in_exp.get", status=503)
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/",
        {"name": "Acme Corp", "is_mfa_required": "on"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 503
    assert "Nothing was changed" in body and 'value="Acme Corp"' in body
    assert (acme.name, acme.is_mfa_required) == ("Acme", False)


def test_mfa_impact_says_members_may_skip_when_setup_is_only_offered(client, emulator, acme):
    emulator.state.mfa.factors = ["Totp"]
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/", {"name": "Acme", "is_mfa_required": "on"}, headers=HTMX
    )
    assert "offered to set it up at their next sign-in, but can skip it" in (
        response.content.decode()
    )


def test_saving_when_mfa_is_already_required_needs_no_second_click(client, emulator, acme):
    acme.is_mfa_required = True  # e.g. switched on by another admin a moment ago
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/",
        {"name": "Acme Corp", "is_mfa_required": "on"},
        headers=HTMX,
    )
    assert response["HX-Redirect"] == f"/orgs/{acme.id}/settings/"
    assert acme.name == "Acme Corp" and acme.is_mfa_required
    assert emulator.calls_to("users.mfa.list") == 0


def test_members_page_shows_each_members_two_step_status(client, emulator, acme):
    bob = emulator.state.user_by_email("bob@example.com")
    logto.get_client().create_user_mfa_verification(bob.id, "Totp")
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert '<th scope="col">Two-step</th>' in body
    bob_row = body.split(f'id="member-{bob.id}"')[1].split("</tr>")[0]
    alice = emulator.state.user_by_email("alice@example.com")
    alice_row = body.split(f'id="member-{alice.id}"')[1].split("</tr>")[0]
    assert ">On<" in bob_row
    assert "Not set up" in alice_row


def test_plain_members_do_not_see_two_step_status(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    body = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert "Two-step" not in body


def test_invalid_settings_come_back_as_the_form_fragment(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(f"/orgs/{acme.id}/settings/", {"name": ""}, headers=HTMX)
    assert response.status_code == 422
    assert '<form method="post"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert acme.name == "Acme"


def test_delete_needs_the_typed_name(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    wrong = client.post(f"/orgs/{acme.id}/delete/", {"confirm_name": "Acm"}, headers=HTMX)
    assert wrong.status_code == 422
    assert "type the organization&#x27;s name exactly" in wrong.content.decode()
    assert acme.id in emulator.state.organizations
    done = client.post(f"/orgs/{acme.id}/delete/", {"confirm_name": "Acme"}, follow=True)
    assert acme.id not in emulator.state.organizations
    assert done.redirect_chain[-1][0] == "/"
    assert "Acme was deleted." in done.content.decode()


def test_the_last_admin_is_told_why_they_cannot_leave(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(f"/orgs/{acme.id}/leave/")
    assert response.status_code == 422
    assert "last person who can manage the members of Acme" in response.content.decode()


def test_a_member_leaves_and_lands_on_the_dashboard(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    response = client.post(f"/orgs/{acme.id}/leave/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "You left Acme." in response.content.decode()
    assert "No organizations yet" in response.content.decode()


def test_htmx_failure_toasts_when_logto_is_down(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    emulator.set_fault("users.organizations", status=503)
    response = client.get(f"/orgs/{acme.id}/", headers=HTMX)
    assert response.status_code == 503
    [toast] = json.loads(response["HX-Trigger"])["messages"]
    assert "could not reach our sign-in service" in toast["message"]


def test_the_dashboard_offers_the_last_used_organization_first(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    client.post("/orgs/new/", {"name": "Beta"})
    client.get(f"/orgs/{acme.id}/")
    body = client.get("/").content.decode()
    assert body.index("Acme") < body.index("Beta")
    assert "Last used" in body


UNSAFE_SENTENCE = "cannot contain line breaks, tabs or invisible control characters."


def test_a_direction_mark_in_a_new_name_is_refused_on_the_field(client, emulator):
    login_as(client, emulator, "alice@example.com")
    count = len(emulator.state.organizations)
    response = client.post("/orgs/new/", {"name": "Acme\u202eCorp", "description": "kept"})
    assert response.status_code == 422
    body = response.content.decode()
    assert f"The name {UNSAFE_SENTENCE}" in body and "kept" in body
    assert len(emulator.state.organizations) == count


def test_a_direction_mark_in_the_description_is_refused_in_settings(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(
        f"/orgs/{acme.id}/settings/", {"name": "Acme", "description": "one\u202etwo"}
    )
    assert response.status_code == 422
    assert f"The description {UNSAFE_SENTENCE}" in response.content.decode()
    assert acme.description == "The demo organization"
