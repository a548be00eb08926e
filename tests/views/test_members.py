"""The members page: full page and fragments, row updates, removal, bulk, bad input."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import login_as

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


@pytest.fixture
def many(emulator, acme):
    for n in range(45):
        user = emulator.state.add_user(f"user{n:02}@example.com", "pw", name=f"User {n:02}")
        emulator.state.add_member(acme, user, ["member"])


def test_every_member_can_read_the_list(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    body = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert "alice@example.com" in body and "Bob Member" in body
    assert "2 members" in body
    assert "Change roles" not in body and "Remove" not in body  # bob manages nothing


def test_search_and_pagination_as_fragments(client, emulator, acme, many):
    login_as(client, emulator, "alice@example.com")
    full = client.get(f"/orgs/{acme.id}/members/?page=2&page_size=20")
    assert "<html" in full.content.decode()
    assert "47 members" in full.content.decode() and "page 2 of 3" in full.content.decode()
    fragment = client.get(f"/orgs/{acme.id}/members/?q=user1&page_size=10", headers=HTMX)
    body = fragment.content.decode()
    assert "<html" not in body and 'id="member-table"' in body
    assert "10 members match" in body


def test_one_management_api_call_per_page_view_in_steady_state(client, emulator, acme, many):
    login_as(client, emulator, "bob@example.com")
    client.get(f"/orgs/{acme.id}/members/")  # warms the token, memberships and scopes caches
    before = len(emulator.calls)
    client.get(f"/orgs/{acme.id}/members/?page=2")
    api_calls = [c for c in emulator.calls[before:] if not c[1].startswith("oidc.")]
    assert [c[1] for c in api_calls] == ["organizations.users.list"]


@pytest.mark.parametrize(
    "query",
    [
        "page=999",
        "page=-3",
        "page=abc",
        "page_size=7",
        "page_size=1000",
        "q=" + "x" * 500,
        "q=%27%3B+DROP+TABLE+users%3B--",
        "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "q=%F0%9F%98%80%C3%A9",
    ],
)
def test_odd_list_input_never_breaks_the_page(client, emulator, acme, many, query):
    login_as(client, emulator, "alice@example.com")
    response = client.get(f"/orgs/{acme.id}/members/?{query}")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_an_out_of_range_page_shows_the_last_page(client, emulator, acme, many):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/members/?page=999").content.decode()
    assert "page 3 of 3" in body


def test_changing_roles_updates_the_row_in_place(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    response = client.post(
        f"/orgs/{acme.id}/members/{bob_id}/roles/",
        {"roles": [rid(emulator, "admin"), rid(emulator, "member")]},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<tr id="member-{bob_id}"')
    assert ">admin<" in body
    assert json.loads(response["HX-Trigger"])["messages"][0]["message"].startswith("Roles of bob")
    assert set(acme.members[bob_id]) == {rid(emulator, "admin"), rid(emulator, "member")}


def test_changing_roles_without_javascript_redirects_back(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    response = client.post(
        f"/orgs/{acme.id}/members/{bob_id}/roles/",
        {"roles": [rid(emulator, "admin")], "next": f"/orgs/{acme.id}/members/?q=bob"},
    )
    assert response["Location"] == f"/orgs/{acme.id}/members/?q=bob"
    evil = client.post(
        f"/orgs/{acme.id}/members/{bob_id}/roles/",
        {"roles": [rid(emulator, "admin")], "next": "https://evil.example/"},
    )
    assert evil["Location"] == f"/orgs/{acme.id}/members/"


def test_a_forged_admin_grant_by_a_member_is_refused(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    response = client.post(
        f"/orgs/{acme.id}/members/{bob_id}/roles/", {"roles": [rid(emulator, "admin")]}
    )
    assert response.status_code == 403
    assert acme.members[bob_id] == [rid(emulator, "member")]


def test_refusals_come_back_as_toasts(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    alice_id = emulator.state.user_by_email("alice@example.com").id
    response = client.post(
        f"/orgs/{acme.id}/members/{alice_id}/roles/",
        {"roles": [rid(emulator, "member")]},
        headers=HTMX,
    )
    assert response.status_code == 422
    [toast] = json.loads(response["HX-Trigger"])["messages"]
    assert "last person who can manage members" in toast["message"]
    assert response["HX-Reswap"] == "none"  # the row stays as it was
    unknown = client.post(f"/orgs/{acme.id}/members/ghost/roles/", {"roles": []}, headers=HTMX)
    assert unknown.status_code == 404
    bad_role = client.post(
        f"/orgs/{acme.id}/members/{alice_id}/roles/", {"roles": ["not-a-role"]}, headers=HTMX
    )
    assert "does not exist" in json.loads(bad_role["HX-Trigger"])["messages"][0]["message"]


def test_remove_with_htmx_empties_the_row(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    response = client.post(f"/orgs/{acme.id}/members/{bob_id}/remove/", headers=HTMX)
    assert (response.status_code, response.content) == (200, b"")
    assert "was removed from Acme" in json.loads(response["HX-Trigger"])["messages"][0]["message"]
    again = client.post(f"/orgs/{acme.id}/members/{bob_id}/remove/", headers=HTMX)
    assert again.status_code == 404


def test_remove_without_javascript_has_a_confirmation_page(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    page = client.get(f"/orgs/{acme.id}/members/{bob_id}/remove/?label=bob%40example.com")
    assert "Remove bob@example.com from Acme?" in page.content.decode()
    assert bob_id in acme.members
    done = client.post(f"/orgs/{acme.id}/members/{bob_id}/remove/", follow=True)
    assert "bob@example.com was removed from Acme." in done.content.decode()


def test_bulk_results_list_every_member(client, emulator, acme, many):
    login_as(client, emulator, "alice@example.com")
    ids = [emulator.state.user_by_email(f"user0{n}@example.com").id for n in range(3)]
    response = client.post(
        f"/orgs/{acme.id}/members/bulk/?page=1&page_size=10",
        {"members": ids, "action": "set_role", "role": rid(emulator, "admin")},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="ok"') == 3
    assert "user00@example.com" in body
    assert all(acme.members[i] == [rid(emulator, "admin")] for i in ids)


def test_bulk_with_nothing_selected(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(f"/orgs/{acme.id}/members/bulk/", {"action": "remove"})
    assert response.status_code == 422
    assert "Select at least one member." in response.content.decode()


def test_the_members_page_of_an_organization_deleted_meanwhile(client, emulator, acme):
    """Logto lists a deleted organization's members as an empty page; people read why."""
    login_as(client, emulator, "bob@example.com")
    client.get(f"/orgs/{acme.id}/members/")  # bob's organizations are now cached
    del emulator.state.organizations[acme.id]
    response = client.get(f"/orgs/{acme.id}/members/")
    assert response.status_code == 404
    assert "This organization no longer exists." in response.content.decode()
    fragment = client.get(f"/orgs/{acme.id}/members/?q=al", headers=HTMX)
    assert fragment.status_code == 404
    assert "This organization no longer exists." in fragment["HX-Trigger"]


def test_a_rate_limited_page_answers_at_once_and_says_when_to_try_again(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    emulator.set_fault("organizations.users.list", status=429, retry_after=7)
    response = client.get(f"/orgs/{acme.id}/members/")
    assert response.status_code == 429
    assert "Try again in 7 seconds." in response.content.decode()
    assert emulator.calls_to("organizations.users.list") == 1  # no waiting it out in here


def test_only_https_pictures_are_shown_as_images(client, emulator, acme):
    """Pictures are whatever people set in Logto: no `javascript:` or plain-http trackers."""
    emulator.state.user_by_email("bob@example.com").avatar = "javascript:alert(1)"
    emulator.state.user_by_email("alice@example.com").avatar = "https://pictures.example.com/a.png"
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/members/").content.decode()
    assert "javascript:" not in body
    assert re.search(
        r'<span class="avatar [^"]*avatar-initial[^>]*aria-hidden="true">B\w?</span>', body
    )
    assert 'src="https://pictures.example.com/a.png"' in body
    assert 'referrerpolicy="no-referrer"' in body


def test_my_own_picture_in_the_top_bar_is_checked_too(client, emulator, acme):
    user = login_as(client, emulator, "alice@example.com")
    user.picture = "http://tracker.example.com/pixel.gif"
    user.save()
    body = client.get("/").content.decode()
    assert "tracker.example.com" not in body
    assert re.search(
        r'<span class="avatar [^"]*avatar-initial[^>]*aria-hidden="true">A\w?</span>', body
    )


def test_back_button_after_htmx_lost_its_cache_gets_the_whole_page(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    restore = {**HTMX, "HX-History-Restore-Request": "true"}
    body = client.get(f"/orgs/{acme.id}/members/?page=1", headers=restore).content.decode()
    assert "<html" in body and 'id="member-table"' in body


# -- issue 17: names once, "just now", the bulk bar, a role change's Undo --------------------
def row_of(body: str, user_id: str) -> str:
    return body.split(f'<tr id="member-{user_id}">')[1].split("</tr>")[0]


def test_a_member_without_a_name_is_named_by_their_address_once(client, emulator, acme):
    from logto_emulator.state import now_ms

    nameless = emulator.state.add_user("no.name@example.com", "pw")
    nameless.last_sign_in_at = now_ms() - 5_000
    emulator.state.add_member(acme, nameless, ["member"])
    login_as(client, emulator, "alice@example.com")
    row = row_of(client.get(f"/orgs/{acme.id}/members/").content.decode(), nameless.id)
    assert re.sub(r'"[^"]*"', "", row).count("no.name@example.com") == 1  # text, not attributes
    assert ">just now</time>" in row and "0 minutes" not in row


def test_the_bulk_bar_chooses_nothing_in_advance_and_refuses_apply_without_a_role(
    client, emulator, acme
):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/members/").content.decode()
    bar = body.split('id="bulk-form"')[1].split("</form>")[0]
    assert re.findall(r'<option value="([^"]*)" selected>', bar) == ["", ""]  # action, role
    assert "Apply this to the selected members?" not in body  # the question names what happens
    bob_id = emulator.state.user_by_email("bob@example.com").id
    refused = client.post(
        f"/orgs/{acme.id}/members/bulk/",
        {"members": [bob_id], "action": "set_role", "role": ""},
        headers=HTMX,
    )
    assert refused.status_code == 422
    assert json.loads(refused["HX-Trigger"])["messages"][0]["message"] == (
        "Choose the role to give."
    )
    assert acme.members[bob_id] == [rid(emulator, "member")]


def test_a_role_change_offers_an_undo_that_puts_the_roles_back(client, emulator, acme):
    bob_id = emulator.state.user_by_email("bob@example.com").id
    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/members/{bob_id}/roles/"
    saved = client.post(url, {"roles": [rid(emulator, "admin")]}, headers=HTMX)
    assert acme.members[bob_id] == [rid(emulator, "admin")]
    (toast,) = json.loads(saved["HX-Trigger"])["messages"]
    assert toast["message"] == "Roles of bob@example.com saved."
    assert toast["undo"]["url"] == url
    assert toast["undo"]["values"]["roles"] == [rid(emulator, "member")]
    body = saved.content.decode()
    assert f'<tr id="roles-{bob_id}" hx-swap-oob="delete">' in body  # the editor closes

    undone = client.post(url, toast["undo"]["values"], headers=HTMX)
    assert acme.members[bob_id] == [rid(emulator, "member")]
    (again,) = json.loads(undone["HX-Trigger"])["messages"]
    assert again == {"message": "Roles of bob@example.com put back.", "tags": "success"}
    assert 'class="role">member<' in undone.content.decode()


def test_an_undo_is_refused_by_the_same_rules(client, emulator, acme):
    bob_id = emulator.state.user_by_email("bob@example.com").id
    alice_id = emulator.state.user_by_email("alice@example.com").id
    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/members/{bob_id}/roles/"
    saved = client.post(url, {"roles": [rid(emulator, "admin")]}, headers=HTMX)
    undo = json.loads(saved["HX-Trigger"])["messages"][0]["undo"]
    client.logout()
    login_as(client, emulator, "bob@example.com")  # now an admin, bob demotes alice
    client.post(f"/orgs/{acme.id}/members/{alice_id}/roles/", {"roles": [rid(emulator, "member")]})
    client.logout()
    login_as(client, emulator, "alice@example.com")
    refused = client.post(undo["url"], undo["values"], headers=HTMX)
    assert refused.status_code == 403  # app.js: "You are not allowed to do this here."
    assert acme.members[bob_id] == [rid(emulator, "admin")]


def test_without_javascript_the_page_after_a_role_change_offers_its_undo_once(
    client, emulator, acme
):
    bob_id = emulator.state.user_by_email("bob@example.com").id
    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/members/{bob_id}/roles/"
    back = f"/orgs/{acme.id}/members/?q=bob"
    saved = client.post(url, {"roles": [rid(emulator, "admin")], "next": back})
    assert saved["Location"] == back
    page = client.get(back).content.decode()
    undo = page.split('class="message message-success member-undo"')[1].split("</div>")[0]
    assert "Roles of bob@example.com saved." in undo
    assert f'action="{url}"' in undo and 'name="undo" value="1"' in undo
    assert f'name="roles" value="{rid(emulator, "member")}"' in undo
    assert page.count("Roles of bob@example.com saved.") == 1  # not also as a message
    assert "member-undo" not in client.get(back).content.decode()  # offered once

    put_back = client.post(url, {"roles": [rid(emulator, "member")], "undo": "1", "next": back})
    assert put_back["Location"] == back
    assert acme.members[bob_id] == [rid(emulator, "member")]
    page = client.get(back).content.decode()
    assert "Roles of bob@example.com put back." in page and "member-undo" not in page


def test_without_javascript_removing_several_asks_on_a_page_first(client, emulator, acme, many):
    ids = [emulator.state.user_by_email(f"user{n:02}@example.com").id for n in range(12)]
    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/members/bulk/?q=user&page_size=50"
    asked = client.post(url, {"action": "remove", "members": ids, "ask": "1"})  # the bulk bar
    body = asked.content.decode()
    assert asked.status_code == 200 and "Remove 12 members from Acme?" in body
    assert all(user_id in acme.members for user_id in ids)  # nothing yet
    assert f'href="/orgs/{acme.id}/members/?q=user&amp;page_size=50"' in body  # Cancel
    assert body.count('name="members"') == 12 and 'name="ask"' not in body

    done = client.post(url, {"action": "remove", "members": ids})  # the page's form
    assert "Done for 12 of 12 selected." in done.content.decode()
    assert not any(user_id in acme.members for user_id in ids)

    client.logout()
    login_as(client, emulator, "bob@example.com")  # may not remove anyone: refused, not asked
    refused = client.post(url, {"action": "remove", "members": [ids[0]], "ask": "1"})
    assert refused.status_code == 403


def test_the_removal_page_names_who_the_link_removes_not_what_it_says(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    bob = emulator.state.user_by_email("bob@example.com")
    url = f"/orgs/{acme.id}/members/{bob.id}/remove/?label=spam-bot@x.example"
    body = client.get(url).content.decode()
    assert "bob@example.com" in body and "spam-bot" not in body
