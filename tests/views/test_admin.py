"""The staff admin: sign-in through Logto, role mapping, live organization pages and actions."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from logto_emulator.state import MfaVerification
from orgportal.logto.oidc import apply_staff_roles
from orgportal.models import AuditEvent, User
from tests.conftest import local_user, login_as
from tests.helpers import page_text, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, emulator):
    emulator.state.add_user(
        "sam@example.com", "pw", name="Sam Support", global_roles=["portal-staff"]
    )
    user = login_as(client, emulator, "sam@example.com")
    user.is_staff = True
    user.save()
    return client


@pytest.fixture
def super_client(client, emulator):
    emulator.state.add_user(
        "sam@example.com",
        "pw",
        name="Sam Support",
        global_roles=["portal-staff", "portal-superuser"],
    )
    user = login_as(client, emulator, "sam@example.com")
    user.is_staff = user.is_superuser = True
    user.save()
    return client


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- role mapping ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("roles", "staff", "superuser"),
    [
        ([], False, False),
        (["portal-staff"], True, False),
        (["portal-superuser"], True, True),
        (["other", "portal-staff", "portal-superuser"], True, True),
        ("not-a-list", False, False),
    ],
)
def test_staff_flags_follow_logto_roles(roles, staff, superuser):
    user = User(username="u", is_staff=True, is_superuser=True)
    apply_staff_roles(user, {"sub": "u", "roles": roles})
    assert (user.is_staff, user.is_superuser) == (staff, superuser)


def test_removing_the_role_in_logto_removes_admin_access_at_next_sign_in(client, emulator):
    logto_user = emulator.state.user_by_email("carol@example.com")
    logto_user.global_roles = ["portal-staff"]
    sign_in(client, emulator, "carol@example.com")
    assert client.get("/admin/").status_code == 200
    client.logout()
    logto_user.global_roles = []
    sign_in(client, emulator, "carol@example.com")
    assert not User.objects.get(logto_id=logto_user.id).is_staff
    assert client.get("/admin/").status_code == 302


# -- sign-in --------------------------------------------------------------------------------
def test_admin_sends_anonymous_people_through_logto(client, emulator, settings):
    settings.ORGPORTAL_ADMIN_PASSWORD_LOGIN = False
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(emulator.endpoint + "/oidc/auth?")
    assert client.session["oidc_login_next"] == "/admin/"
    assert client.get("/admin/login/?password=1").status_code == 302  # no password form


def test_local_superusers_may_use_the_password_form_in_debug(client, emulator, settings):
    settings.ORGPORTAL_ADMIN_PASSWORD_LOGIN = True
    User.objects.create_superuser("root", "root@example.com", "a-long-password-1")
    page = client.get("/admin/login/?password=1")
    assert page.status_code == 200 and "password" in page.content.decode()
    response = client.post(
        "/admin/login/?password=1",
        {"username": "root", "password": "a-long-password-1", "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"


def test_non_staff_get_a_clear_refusal_not_a_loop(client, emulator):
    login_as(client, emulator, "bob@example.com")
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "portal-staff" in response.content.decode()
    for url in (
        "/admin/logto/organizations/",
        "/admin/orgportal/auditevent/",
        "/admin/orgportal/user/",
    ):
        assert client.get(url, follow=True).status_code == 403


# -- pages ----------------------------------------------------------------------------------
def test_the_organization_changelist(staff_client, emulator):
    for n in range(30):
        emulator.state.add_organization(f"Team {n:02}")
    index = staff_client.get("/admin/").content.decode()
    assert "Organizations" in index and "/admin/logto/organizations/" in index
    page = staff_client.get("/admin/logto/organizations/").content.decode()
    assert "31 organizations" in page and "page 1 of 2" in page
    found = staff_client.get("/admin/logto/organizations/?q=acme").content.decode()
    assert "1 organization " in found and ">2<" in found  # Acme has two members


def test_staff_search_takes_the_typed_text_literally_and_trimmed(staff_client, emulator):
    emulator.state.add_organization("50% Club")
    emulator.state.add_organization("500 Club")
    emulator.state.add_organization("snake_case")
    emulator.state.add_organization("snakeXcase")

    def found(q: str) -> str:
        return staff_client.get("/admin/logto/organizations/", {"q": q}).content.decode()

    assert "1 organization " in found("50%") and "50% Club" in found("50%")
    assert "1 organization " in found("snake_")
    assert "1 organization " in found("  acme  ")  # as typed, with spaces around
    assert "0 organizations" in found("%%")


def test_the_organization_detail(staff_client, emulator, acme, client):
    emulator.state.invitations.clear()
    body = staff_client.get(f"/admin/logto/organizations/{acme.id}/").content.decode()
    for text in (
        "Acme",
        "alice@example.com",
        "bob@example.com",
        "Pending invitations (0)",
        "Audit trail",
    ):
        assert text in body


def test_staff_see_each_members_two_step_status(staff_client, emulator, acme):
    emulator.state.user_by_email("alice@example.com").mfa_verifications.append(
        MfaVerification(id="totp1", type="Totp")
    )
    body = staff_client.get(f"/admin/logto/organizations/{acme.id}/").content.decode()
    alice_row = body.split("alice@example.com")[1].split("</tr>")[0]
    bob_row = body.split("bob@example.com")[1].split("</tr>")[0]
    assert "<td>on</td>" in alice_row
    assert "<td>not set up</td>" in bob_row
    assert "lose organization tokens" in body


def test_staff_confirm_requiring_mfa_after_seeing_who_loses_access(staff_client, emulator, acme):
    url = f"/admin/logto/organizations/{acme.id}/"
    typed = {"action": "rename", "name": "Acme 2", "description": "", "is_mfa_required": "on"}
    first = staff_client.post(url, typed)
    body = first.content.decode()
    assert first.status_code == 200
    assert "2 of 2 members have no two-step factor" in body
    assert 'name="confirm_mfa" value="1"' in body and 'value="Acme 2"' in body
    assert (acme.name, acme.is_mfa_required) == ("Acme", False)
    staff_client.post(url, {**typed, "confirm_mfa": "1"})
    assert (acme.name, acme.is_mfa_required) == ("Acme 2", True)


def test_staff_actions_go_through_the_services(staff_client, emulator, acme):
    url = f"/admin/logto/organizations/{acme.id}/"
    bob_id = emulator.state.user_by_email("bob@example.com").id
    admin_role = emulator.state.role_by_name("admin").id
    member_role = emulator.state.role_by_name("member").id

    staff_client.post(url, {"action": "rename", "name": "Acme Support", "description": "x"})
    assert acme.name == "Acme Support"
    response = staff_client.post(
        url, {"action": "add_member", "email": "CAROL@example.com", "roles": [member_role]}
    )
    carol_id = emulator.state.user_by_email("carol@example.com").id
    assert acme.members[carol_id] == [member_role] and "Member added." in flashes(response)
    staff_client.post(url, {"action": "set_roles", "user_id": bob_id, "roles": [admin_role]})
    assert acme.members[bob_id] == [admin_role]
    staff_client.post(
        url, {"action": "remove_member", "user_id": carol_id, "target_label": "carol@example.com"}
    )
    assert carol_id not in acme.members
    events = AuditEvent.objects.filter(organization_id=acme.id, outcome="success")
    assert {e.action for e in events} == {
        "organization.updated",
        "member.added",
        "member.roles_changed",
        "member.removed",
    }
    assert all(e.actor_label == "staff: sam@example.com" for e in events)


def test_adding_someone_without_a_logto_account(staff_client, emulator, acme):
    response = staff_client.post(
        f"/admin/logto/organizations/{acme.id}/",
        {"action": "add_member", "email": "ghost@example.com"},
    )
    assert "invite them instead" in flashes(response)[0]


def test_the_last_admin_rule_holds_for_staff(staff_client, emulator, acme):
    alice_id = emulator.state.user_by_email("alice@example.com").id
    response = staff_client.post(
        f"/admin/logto/organizations/{acme.id}/", {"action": "remove_member", "user_id": alice_id}
    )
    assert "last person who can manage members" in flashes(response)[0]
    assert alice_id in acme.members


def test_only_superusers_override_and_only_with_confirmation(staff_client, emulator, acme):
    alice_id = emulator.state.user_by_email("alice@example.com").id
    data = {
        "action": "remove_member",
        "user_id": alice_id,
        "target_label": "alice@example.com",
        "override_last_admin": "on",
        "override_confirm": "alice@example.com",
    }
    assert staff_client.post(f"/admin/logto/organizations/{acme.id}/", data).status_code == 403
    assert alice_id in acme.members


def test_a_superuser_override(super_client, emulator, acme):
    alice_id = emulator.state.user_by_email("alice@example.com").id
    url = f"/admin/logto/organizations/{acme.id}/"
    base = {
        "action": "remove_member",
        "user_id": alice_id,
        "target_label": "alice@example.com",
        "override_last_admin": "on",
    }
    unconfirmed = super_client.post(url, base)
    assert "type alice@example.com in the confirmation box" in flashes(unconfirmed)[0]
    assert alice_id in acme.members
    super_client.post(url, {**base, "override_confirm": "Alice@Example.com"})
    assert alice_id not in acme.members
    event = AuditEvent.objects.get(action="member.removed", outcome="success")
    assert event.after == {"superuser_override": "last-admin rule"}


def test_invitations_from_the_admin(staff_client, emulator, acme):
    alice = local_user(emulator, "alice@example.com")
    from orgportal.services.invitation_batches import invitation_send

    [outcome] = invitation_send(
        actor=alice,
        organization_id=acme.id,
        emails=["dave@example.com"],
        role_ids=[emulator.state.role_by_name("member").id],
    )
    url = f"/admin/logto/organizations/{acme.id}/"
    assert "dave@example.com" in staff_client.get(url).content.decode()
    staff_client.post(url, {"action": "resend_invitation", "invitation_id": outcome.invitation_id})
    staff_client.post(url, {"action": "revoke_invitation", "invitation_id": outcome.invitation_id})
    assert emulator.state.invitations[outcome.invitation_id].status == "Revoked"


def test_staff_see_an_organizations_invite_links_and_revoke_one(staff_client, emulator, acme):
    from orgportal.models import InviteLink, JoinRequest
    from orgportal.services.invite_links import invite_link_create, invite_link_join

    alice = local_user(emulator, "alice@example.com")
    created = invite_link_create(
        actor=alice,
        organization_id=acme.id,
        role_ids=[emulator.state.role_by_name("member").id],
        expires_in_days=7,
        max_uses=3,
        asks_admin=True,
    )
    emulator.state.add_user("dave@example.com", "pw", name="Dave").email_verified = True
    dave = local_user(emulator, "dave@example.com")
    invite_link_join(actor=dave, token=created.url.rstrip("/").rsplit("/", 1)[1])
    url = f"/admin/logto/organizations/{acme.id}/"
    shown = page_text(staff_client.get(url).content.decode())
    assert "Invite links (1)" in shown
    assert "1 of 3" in shown and "dave@example.com (Pending)" in shown
    assert "An admin approves each person" in shown
    answer = staff_client.post(
        url, {"action": "revoke_invite_link", "invite_link_id": str(created.link.pk)}
    )
    assert "Invite link revoked." in " ".join(flashes(answer))
    assert InviteLink.objects.get().revoked_at is not None
    assert JoinRequest.objects.get().state == "declined"  # nobody gets in through it now
    event = AuditEvent.objects.get(action="invite_link.revoked")
    assert event.actor_label == "staff: sam@example.com"
    # A link id that is not a link is one sentence, not a 500.
    answer = staff_client.post(url, {"action": "revoke_invite_link", "invite_link_id": "nope"})
    assert answer.status_code == 302 and flashes(answer)


def test_delete_needs_the_name_and_then_lands_on_the_list(staff_client, emulator, acme):
    url = f"/admin/logto/organizations/{acme.id}/"
    wrong = staff_client.post(url, {"action": "delete", "confirm_name": "acme"})
    assert acme.id in emulator.state.organizations and "type the organization" in flashes(wrong)[0]
    done = staff_client.post(url, {"action": "delete", "confirm_name": "Acme"})
    assert done["Location"] == "/admin/logto/organizations/"
    assert acme.id not in emulator.state.organizations


def test_acting_on_an_organization_deleted_a_moment_ago(staff_client, emulator, acme):
    url = f"/admin/logto/organizations/{acme.id}/"
    del emulator.state.organizations[acme.id]
    response = staff_client.post(url, {"action": "rename", "name": "Too late"})
    assert response["Location"] == "/admin/logto/organizations/"
    assert "no longer exists" in flashes(response)[0]
    assert staff_client.get(url)["Location"] == "/admin/logto/organizations/"


def test_adding_a_member_while_the_organization_is_deleted(staff_client, emulator, acme):
    """Logto answers a foreign-key error, not a 404, when adding to a deleted organization."""
    add = emulator._handlers["organizations.users.add"]

    def deleted_first(request, **params):
        emulator.state.organizations.pop(acme.id, None)
        return add(request, **params)

    emulator._handlers["organizations.users.add"] = deleted_first
    response = staff_client.post(
        f"/admin/logto/organizations/{acme.id}/",
        {"action": "add_member", "email": "carol@example.com"},
    )
    assert response["Location"] == "/admin/logto/organizations/"
    assert "no longer exists" in flashes(response)[0]


def test_audit_admin_is_read_only_filtered_and_escaped(staff_client, emulator, acme):
    event = AuditEvent.objects.create(
        actor_label="<script>alert(1)</script>",
        action="organization.updated",
        organization_id=acme.id,
        organization_name="Acme",
        target_label="<b>x</b>",
        after={"name": "<img src=x onerror=alert(1)>"},
        outcome="success",
    )
    listing = staff_client.get(
        "/admin/orgportal/auditevent/?outcome__exact=success&q=organization"
    ).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing and "<script>alert(1)" not in listing
    detail = staff_client.get(f"/admin/orgportal/auditevent/{event.pk}/change/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert staff_client.post(f"/admin/orgportal/auditevent/{event.pk}/delete/").status_code == 403
    assert staff_client.get("/admin/orgportal/auditevent/add/").status_code == 403


def test_users_in_the_admin_link_to_their_organizations(staff_client, emulator):
    alice = local_user(emulator, "alice@example.com")
    listing = staff_client.get("/admin/orgportal/user/").content.decode()
    assert (
        "alice@example.com" in listing
        and f"/admin/logto/users/{alice.pk}/organizations/" in listing
    )
    page = staff_client.get(f"/admin/logto/users/{alice.pk}/organizations/").content.decode()
    assert "Acme" in page and "admin" in page
    # Staff who are not superusers cannot change users.
    assert (
        staff_client.post(
            f"/admin/orgportal/user/{alice.pk}/change/", {"is_staff": "on"}
        ).status_code
        == 403
    )


def test_a_rename_with_a_line_break_is_refused(staff_client, emulator, acme):
    url = f"/admin/logto/organizations/{acme.id}/"
    response = staff_client.post(
        url, {"action": "rename", "name": "Acme\nBcc: eve@example.com", "description": ""}
    )
    assert flashes(response) == [
        "The name cannot contain line breaks, tabs or invisible control characters."
    ]
    assert acme.name == "Acme"


# -- German ---------------------------------------------------------------------------------
def test_the_staff_pages_speak_german(staff_client, emulator, acme):
    de = {"HTTP_ACCEPT_LANGUAGE": "de"}
    listing = staff_client.get("/admin/logto/organizations/", **de).content.decode()
    assert "1 Organisation · Seite 1 von 1" in listing and 'placeholder="Name oder ID"' in listing
    emulator.state.add_organization("Globex")
    listing = staff_client.get("/admin/logto/organizations/?q=", **de).content.decode()
    assert "2 Organisationen · Seite 1 von 1" in listing

    url = f"/admin/logto/organizations/{acme.id}/"
    detail = staff_client.get(url, **de).content.decode()
    for text in (
        "Mitglieder (2)",
        "Ausstehende Einladungen",
        "Audit-Protokoll (die letzten 50)",
        "Diese Organisation löschen",
        'value="Rollen speichern"',
        "<td>nicht eingerichtet</td>",
    ):
        assert text in detail, text
    response = staff_client.post(url, {"action": "rename", "name": "Acme", "description": ""}, **de)
    assert flashes(response) == ["Organisation aktualisiert."]

    index = staff_client.get("/admin/", **de).content.decode()
    assert "orgportal-Support" in index and "Audit-Einträge" in index
    audit = staff_client.get("/admin/orgportal/auditevent/", **de).content.decode()
    assert "Handelnde Person (Anzeige)" in audit and "Erfolgreich" in audit
