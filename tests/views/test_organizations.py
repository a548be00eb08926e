"""Organization pages: full page and HTMX fragments, errors that keep what was typed."""

from __future__ import annotations

import json

import pytest

from orgportal import logto
from tests.conftest import login_as
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_create_page_and_success(client, emulator):
    login_as(client, emulator, "alice@example.com")
    assert client.get("/orgs/new/").status_code == 200
    response = client.post("/orgs/new/", {"name": "Zeta", "description": "Z"}, follow=True)
    org = next(o for o in emulator.state.organizations.values() if o.name == "Zeta")
    # The creator lands on the invite-your-team step, which can be skipped to the overview.
    assert response.redirect_chain[-1][0] == f"/orgs/{org.id}/invite-your-team/"
    body = response.content.decode()
    assert "Zeta is ready" in body
    assert "Invite your team to Zeta" in body
    assert f'action="/orgs/{org.id}/invitations/"' in body  # the invitations page's own form
    assert f'href="/orgs/{org.id}/" data-after-invite="Continue to the overview">Skip for now' in (
        body
    )
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
    page = client.get(f"/orgs/{acme.id}/settings/").content.decode()
    assert "Require two-step verification" in page
    # Who has it and the reminders live on the Security tab, which the setting points to.
    assert f'href="/orgs/{acme.id}/security/"' in page.split('id="settings-form"', 1)[1]
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
    body = response.content.decode()
    assert "last person who can manage the members of Acme" in body
    assert "Who takes over?" in body  # and offered the way out at once


# -- the overview, the invite step, hand over and leave --------------------------------------
def test_a_new_organization_shows_counts_and_what_is_left_to_set_up(client, emulator):
    login_as(client, emulator, "alice@example.com")
    client.post("/orgs/new/", {"name": "Zeta"})
    org = next(o for o in emulator.state.organizations.values() if o.name == "Zeta")
    text = page_text(client.get(f"/orgs/{org.id}/").content.decode())
    assert "1 member" in text and "0 pending invitations" in text
    assert "Set up Zeta 0 of 3 done" in text
    assert "Invite your team" in text and "Add a description" in text
    assert "Require two-step verification Optional" in text
    # The only admin and only member is offered deleting, not a Leave that cannot work.
    assert "You are its only member. To leave, delete the organization instead." in text
    assert f"/orgs/{org.id}/leave/" not in client.get(f"/orgs/{org.id}/").content.decode()


def test_the_checklist_ticks_what_is_done_and_goes_once_set_up(client, emulator):
    login_as(client, emulator, "alice@example.com")
    client.post("/orgs/new/", {"name": "Zeta"})
    org = next(o for o in emulator.state.organizations.values() if o.name == "Zeta")
    client.post(f"/orgs/{org.id}/settings/", {"name": "Zeta", "description": "The Z team"})
    body = client.get(f"/orgs/{org.id}/").content.decode()
    done = [item.split("</li>")[0] for item in body.split('class="checklist-item is-done"')[1:]]
    assert len(done) == 1 and "Add a description" in done[0] and "(done)" in done[0]
    client.post(
        f"/orgs/{org.id}/invitations/",
        {
            "emails": "new.person@example.com",
            "roles": [emulator.state.role_by_name("member").id],
            "expires_in_days": 7,
        },
    )
    text = page_text(client.get(f"/orgs/{org.id}/").content.decode())
    assert "1 pending invitation" in text
    assert "Set up Zeta" not in text  # only the optional step is left


def test_a_plain_member_sees_the_member_count_and_no_admin_things(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    body = client.get(f"/orgs/{acme.id}/").content.decode()
    text = page_text(body)
    assert "2 members" in text
    assert "pending invitation" not in text and "Set up Acme" not in text
    assert "Invite people" not in text
    assert f'href="/orgs/{acme.id}/leave/">Leave Acme…' in body


def test_the_only_admin_is_offered_hand_over_on_the_overview(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/").content.decode()
    assert 'data-dialog-open="hand-over-dialog">Hand over and leave…' in body
    dialog = body.split('<dialog id="hand-over-dialog"')[1].split("</dialog>")[0]
    bob = emulator.state.user_by_email("bob@example.com")
    assert f'name="successor" value="{bob.id}"' in dialog
    assert "they get your <strong>admin</strong> role" in dialog


def test_hand_over_and_leave_from_the_leave_page(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    page = page_text(client.get(f"/orgs/{acme.id}/leave/").content.decode())
    assert "Hand over and leave Acme" in page and "Bob Member bob@example.com member" in page
    bob = emulator.state.user_by_email("bob@example.com")
    response = client.post(
        f"/orgs/{acme.id}/leave/", {"hand_over": "1", "successor": bob.id}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Bob Member now manages the members of Acme, and you left it." in (
        response.content.decode()
    )
    assert emulator.state.role_by_name("admin").id in acme.members[bob.id]


def test_hand_over_without_a_choice_asks_for_one(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(f"/orgs/{acme.id}/leave/", {"hand_over": "1"}, headers=HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body and 'id="leave-panel"' in body
    assert "Choose who takes over before you leave." in body


def test_a_failed_hand_over_is_swapped_into_the_dialog_whatever_the_status(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    emulator.set_fault("organizations.users.remove", status=503)
    bob = emulator.state.user_by_email("bob@example.com")
    data = {"hand_over": "1", "successor": bob.id}
    response = client.post(f"/orgs/{acme.id}/leave/", data, headers=HTMX)
    assert response.status_code == 422  # swapped by HTMX, unlike a 503
    assert "Leaving did not work, so nothing was changed" in response.content.decode()
    assert acme.members[bob.id] == [emulator.state.role_by_name("member").id]
    plain = client.post(f"/orgs/{acme.id}/leave/", data)
    assert plain.status_code == 503 and "Leaving did not work" in plain.content.decode()


def test_the_only_member_is_offered_deleting_instead_of_leaving(client, emulator):
    login_as(client, emulator, "alice@example.com")
    client.post("/orgs/new/", {"name": "Zeta"})
    org = next(o for o in emulator.state.organizations.values() if o.name == "Zeta")
    body = client.get(f"/orgs/{org.id}/leave/").content.decode()
    assert "You are its only member, and the only person who can manage it" in body
    assert f'href="/orgs/{org.id}/delete/">Delete organization…' in body
    assert "Leave organization</button>" not in body


def test_a_search_narrows_who_can_take_over(client, emulator, acme):
    for n in range(105):
        user = emulator.state.add_user(f"person{n:03}@example.com", "pw", name=f"Person {n:03}")
        emulator.state.add_member(acme, user, ["member"])
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/leave/").content.decode()
    assert "Search to find someone else." in page and 'name="q"' in page
    found = page_text(client.get(f"/orgs/{acme.id}/leave/?q=person104").content.decode())
    assert "Person 104" in found and "Person 103" not in found


def test_the_invite_step_sends_people_elsewhere_when_they_cannot_invite(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    response = client.get(f"/orgs/{acme.id}/invite-your-team/")
    assert response.status_code == 302 and response["Location"] == f"/orgs/{acme.id}/"


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
