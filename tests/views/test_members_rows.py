"""The members page's rows: no form per row, the role editor fetched on demand, and the
two-step column filled by one request of its own."""

from __future__ import annotations

import re

import pytest

from orgportal import logto
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def twenty(emulator, acme):
    for n in range(25):
        user = emulator.state.add_user(f"user{n:02}@example.com", "pw", name=f"User {n:02}")
        emulator.state.add_member(acme, user, ["member"])


def user_id(emulator, email: str) -> str:
    return emulator.state.user_by_email(email).id


def test_a_page_of_rows_carries_one_form_and_one_csrf_token(client, emulator, acme, twenty):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/members/?page_size=20", headers=HTMX).content.decode()
    assert body.count("<tr id=") == 20
    assert body.count("<form") == 1  # the bulk bar; rows have links, not forms
    assert body.count("csrfmiddlewaretoken") == 1
    assert 'name="roles"' not in body  # no role checkboxes until someone asks for them
    assert body.count(">Change roles</a>") == 20


def test_the_role_editor_shows_the_members_roles_checked(client, emulator, acme):
    emulator.state.add_role("auditor", [])
    bob_id = user_id(emulator, "bob@example.com")
    login_as(client, emulator, "alice@example.com")
    editor = client.get(f"/orgs/{acme.id}/members/{bob_id}/roles/", headers=HTMX)
    body = editor.content.decode()
    assert editor.status_code == 200 and "<html" not in body
    boxes = dict(re.findall(r'<input type="checkbox" name="roles" value="(\w+)"([^>]*)>', body))
    roles = {r.name: r.id for r in emulator.state.organization_roles.values()}
    assert "checked" in boxes[roles["member"]]
    assert "checked" not in boxes[roles["admin"]] and "checked" not in boxes[roles["auditor"]]
    assert f'hx-post="/orgs/{acme.id}/members/{bob_id}/roles/"' in body
    assert body.count("csrfmiddlewaretoken") == 1


def test_the_role_editor_without_javascript_is_a_page_that_goes_back(client, emulator, acme):
    bob_id = user_id(emulator, "bob@example.com")
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/members/{bob_id}/roles/?q=bob&page_size=50")
    body = page.content.decode()
    assert "<html" in body and "Roles of bob@example.com" in body
    back = f"/orgs/{acme.id}/members/?q=bob&amp;page_size=50"
    assert f'name="next" value="{back}"' in body and "hx-post" not in body
    admin = emulator.state.role_by_name("admin").id
    saved = client.post(
        f"/orgs/{acme.id}/members/{bob_id}/roles/",
        {"roles": [admin], "next": back.replace("&amp;", "&")},
    )
    assert saved["Location"] == f"/orgs/{acme.id}/members/?q=bob&page_size=50"
    assert acme.members[bob_id] == [admin]


def test_the_role_editor_is_for_member_managers_and_members_only(client, emulator, acme):
    alice_id = user_id(emulator, "alice@example.com")
    carol_id = user_id(emulator, "carol@example.com")
    login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/members/{alice_id}/roles/").status_code == 403
    client.logout()
    login_as(client, emulator, "alice@example.com")
    for outsider in (carol_id, "ghost"):
        refused = client.get(f"/orgs/{acme.id}/members/{outsider}/roles/", headers=HTMX)
        assert refused.status_code == 404
        assert "carol" not in refused.content.decode() + refused.get("HX-Trigger", "")


def test_two_step_statuses_fill_in_after_the_page(client, emulator, acme):
    bob_id = user_id(emulator, "bob@example.com")
    alice_id = user_id(emulator, "alice@example.com")
    logto.get_client().create_user_mfa_verification(bob_id, "Totp")
    login_as(client, emulator, "alice@example.com")

    body = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert '<th scope="col">Two-step</th>' in body
    assert emulator.calls_to("users.mfa.list") == 0  # the page did not wait for them
    assert body.count("Checking…") == 2
    fill = f'hx-get="/orgs/{acme.id}/members/two-step/" hx-trigger="load"'
    assert fill in body

    answer = client.get(f"/orgs/{acme.id}/members/two-step/", headers=HTMX).content.decode()
    assert emulator.calls_to("users.mfa.list") == 2
    statuses = dict(re.findall(r'<span id="mfa-(\w+)" hx-swap-oob="true">(.*?)</span>\n', answer))
    assert ">On<" in statuses[bob_id]
    assert "Not set up" in statuses[alice_id]

    again = client.get(f"/orgs/{acme.id}/members/").content.decode()  # within the minute
    assert "Checking…" not in again and "two-step/" not in again
    bob_row = again.split(f'id="member-{bob_id}"')[1].split("</tr>")[0]
    assert '<td class="mfa"><span class="badge">On</span></td>' in bob_row
    assert emulator.calls_to("users.mfa.list") == 2


def test_two_step_statuses_that_could_not_be_read_say_so(client, emulator, acme):
    emulator.set_fault("users.mfa.list", status=503)
    login_as(client, emulator, "alice@example.com")
    answer = client.get(f"/orgs/{acme.id}/members/two-step/", headers=HTMX).content.decode()
    assert answer.count('title="Could not be checked right now">—<') == 2


def test_two_step_statuses_only_ever_describe_the_pages_members(client, emulator, acme, twenty):
    carol_id = user_id(emulator, "carol@example.com")  # in no organization
    bob_id = user_id(emulator, "bob@example.com")
    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/members/two-step/?q=bob%40&ids={carol_id}&user_id={carol_id}"
    answer = client.get(url, headers=HTMX).content.decode()
    assert re.findall(r'id="mfa-(\w+)"', answer) == [bob_id]
    assert emulator.calls_to("users.mfa.list") == 1
    assert emulator.calls_to("organizations.users.list") == 1  # the page, listed again

    second_page = client.get(
        f"/orgs/{acme.id}/members/two-step/?page=2&page_size=10", headers=HTMX
    ).content.decode()
    listed = client.get(f"/orgs/{acme.id}/members/?page=2&page_size=10", headers=HTMX)
    rows = re.findall(r'<tr id="member-(\w+)"', listed.content.decode())
    assert sorted(re.findall(r'id="mfa-(\w+)"', second_page)) == sorted(rows)
    assert len(rows) == 10
    assert carol_id not in second_page


def test_two_step_statuses_are_for_those_who_see_the_column(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")  # a plain member
    assert client.get(f"/orgs/{acme.id}/members/two-step/", headers=HTMX).status_code == 403
    client.logout()
    login_as(client, emulator, "carol@example.com")  # not a member
    assert client.get(f"/orgs/{acme.id}/members/two-step/", headers=HTMX).status_code == 404
    assert emulator.calls_to("users.mfa.list") == 0


def test_organization_managers_see_the_column_too(client, emulator, acme):
    emulator.state.add_role("settings", ["manage:organization"])
    bob = emulator.state.user_by_email("bob@example.com")
    emulator.state.add_member(acme, bob, ["settings"])
    login_as(client, emulator, "bob@example.com")
    page = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert "Two-step" in page and "Change roles" not in page
    answer = client.get(f"/orgs/{acme.id}/members/two-step/", headers=HTMX)
    assert answer.status_code == 200 and answer.content.decode().count("hx-swap-oob") == 2


def test_two_step_statuses_without_javascript_are_read_then_shown(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/members/?q=o").content.decode()
    link = f'<noscript>· <a href="/orgs/{acme.id}/members/two-step/?q=o">'
    assert link in page
    checked = client.get(f"/orgs/{acme.id}/members/two-step/?q=o")
    assert checked["Location"] == f"/orgs/{acme.id}/members/?q=o"
    shown = client.get(checked["Location"]).content.decode()
    assert "Checking…" not in shown and shown.count("Not set up") == 2
