"""How many Management API calls each page makes, cold and warm (deterministic: asserted).

Cold is an empty cache with a valid machine-to-machine token, as right after sign-in. Each
count is the ceiling the speed issue set; `make bench` measures the time they take.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.cache import cache

from logto_emulator.state import Invitation
from orgportal import logto
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def api_calls(emulator, run) -> list[str]:
    """The Management API routes `run()` called (sign-in and token calls left out)."""
    before = len(emulator.calls)
    run()
    return [route for _, route, _ in emulator.calls[before:] if not route.startswith("oidc.")]


def cold() -> None:
    cache.clear()
    logto.get_client().tokens.get()  # the M2M token outlives a page's caches


def invite(emulator, organization, invitee: str, inviter) -> Invitation:
    return emulator.state.add_invitation(organization, invitee, inviter=inviter)


def invitations_from_strangers(emulator, count: int, invitee: str) -> list[Invitation]:
    """`count` invitations for `invitee`, each from its own organization and inviter."""
    made = []
    for n in range(count):
        organization = emulator.state.add_organization(f"Org {n:02}")
        inviter = emulator.state.add_user(f"inviter{n:02}@example.com", "pw", name=f"Inviter {n}")
        emulator.state.add_member(organization, inviter, ["admin"])
        made.append(invite(emulator, organization, invitee, inviter))
    return made


def test_members_page_cold_reads_each_thing_once_and_warm_only_the_list(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    cold()
    calls = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/members/"))
    assert Counter(calls) == {
        "users.organizations": 1,
        "organizations.users.scopes": 1,
        "organizations.users.list": 1,
        "organization_roles.list": 1,
        "organization_scopes.list": 1,
    }
    assert api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/members/")) == [
        "organizations.users.list"
    ]


def test_overview_reads_its_counts_once_each(client, emulator, acme):
    alice = emulator.state.user_by_email("alice@example.com")
    invite(emulator, acme, "new.person@example.com", alice)
    login_as(client, emulator, "alice@example.com")
    cold()
    calls = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/"))
    assert Counter(calls) == {
        "users.organizations": 1,
        "organizations.users.scopes": 1,
        # One page of members gives the count, and to an admin who else manages members.
        "organizations.users.list": 1,
        "invitations.list": 1,
        "organization_roles.list": 1,
    }
    warm = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/"))
    assert sorted(warm) == ["invitations.list", "organizations.users.list"]


def test_overview_for_a_plain_member_reads_only_the_member_count(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    client.get(f"/orgs/{acme.id}/")
    assert api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/")) == [
        "organizations.users.list"
    ]


def test_settings_and_activity_cost_two_calls_cold_and_none_warm(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    for url in (f"/orgs/{acme.id}/settings/", f"/orgs/{acme.id}/activity/"):
        cold()
        assert sorted(api_calls(emulator, lambda u=url: client.get(u))) == [
            "organizations.users.scopes",
            "users.organizations",
        ]
        assert api_calls(emulator, lambda u=url: client.get(u)) == []


def test_invitations_page_names_fifty_inviters_with_one_call(client, emulator, acme):
    alice = login_as(client, emulator, "alice@example.com")
    for n in range(50):
        inviter = emulator.state.add_user(f"admin{n:02}@example.com", "pw", name=f"Admin {n}")
        emulator.state.add_member(acme, inviter, ["admin"])
        invite(emulator, acme, f"new{n:02}@example.com", inviter)
    cold()
    calls = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/invitations/"))
    assert len(calls) <= 5 and calls.count("users.list") == 1, calls
    page = client.get(f"/orgs/{acme.id}/invitations/").content.decode()
    assert "Admin 0" in page and "Admin 49" in page
    assert alice.logto_id  # the page was the admin's


def test_dashboard_with_twenty_invitations_from_twenty_inviters(client, emulator):
    carol = login_as(client, emulator, "carol@example.com")
    invitations_from_strangers(emulator, 20, carol.email)
    cold()
    calls = api_calls(emulator, lambda: client.get("/"))
    # The invitee's organizations, their invitations, one listing for the organizations'
    # names, one read for the inviters' names.
    assert len(calls) <= 4, calls
    assert "You have 20 pending invitations" in client.get("/").content.decode()
    assert api_calls(emulator, lambda: client.get("/")) == []
    cold()
    calls = api_calls(emulator, lambda: client.get("/invitations/"))
    assert len(calls) <= 4, calls
    body = client.get("/invitations/").content.decode()
    assert "Org 00" in body and "Org 19" in body and "Inviter 19" in body


def test_names_of_organizations_beyond_one_listing_are_read_one_each(client, emulator):
    """A tenant with more than 100 organizations: the listing cannot answer for all."""
    carol = login_as(client, emulator, "carol@example.com")
    for n in range(101):
        emulator.state.add_organization(f"Filler {n:03}")
    invitations_from_strangers(emulator, 3, carol.email)
    cold()
    calls = api_calls(emulator, lambda: client.get("/invitations/"))
    assert calls.count("organizations.list") == 1 and calls.count("organizations.get") == 3
    cold()  # the large tenant is remembered
    cache.set("orgportal:organizations-beyond-one-page", True)
    calls = api_calls(emulator, lambda: client.get("/invitations/"))
    assert "organizations.list" not in calls and calls.count("organizations.get") == 3


def test_landing_and_accept_read_each_thing_once(client, emulator, acme):
    carol = login_as(client, emulator, "carol@example.com")
    alice = emulator.state.user_by_email("alice@example.com")
    invitation = invite(emulator, acme, carol.email, alice)
    cold()
    landing = api_calls(emulator, lambda: client.get(f"/invitations/{invitation.id}/"))
    # The invitation, then its organization's and inviter's names; beside them the header's
    # organizations and the account's standing (for the acceptance that usually follows).
    assert Counter(landing) == {
        "invitations.get": 1,
        "organizations.get": 1,
        "users.list": 1,
        "users.organizations": 1,
        "users.get": 1,
    }
    # From the landing page (it read the organization's name and the session check's answer
    # ahead): the invitation once, then the acceptance.
    accept = api_calls(
        emulator, lambda: client.post(f"/invitations/{invitation.id}/accept/", follow=False)
    )
    assert Counter(accept) == {"invitations.get": 1, "invitations.status": 1}
    assert carol.logto_id in emulator.state.organizations[acme.id].members


def test_accept_straight_from_an_email_link_reads_each_thing_once(client, emulator, acme):
    carol = login_as(client, emulator, "carol@example.com")
    alice = emulator.state.user_by_email("alice@example.com")
    invitation = invite(emulator, acme, carol.email, alice)
    cold()
    accept = api_calls(
        emulator, lambda: client.post(f"/invitations/{invitation.id}/accept/", follow=False)
    )
    assert Counter(accept) == {
        "users.get": 1,  # the session check before any write
        "invitations.get": 1,
        "organizations.get": 1,
        "invitations.status": 1,
    }


@pytest.mark.parametrize("action", ["set_role", "remove"])
def test_bulk_action_on_twenty_members_makes_at_most_two_calls_each(client, emulator, acme, action):
    login_as(client, emulator, "alice@example.com")
    ids = []
    for n in range(20):
        user = emulator.state.add_user(f"user{n:02}@example.com", "pw")
        emulator.state.add_member(acme, user, ["member"])
        ids.append(user.id)
    client.get(f"/orgs/{acme.id}/members/")  # the page the admin acts from
    admin = emulator.state.role_by_name("admin").id
    calls = api_calls(
        emulator,
        lambda: client.post(
            f"/orgs/{acme.id}/members/bulk/",
            {"members": ids, "action": action, "role": admin},
        ),
    )
    # The refreshed table after the action (its list and two-step column) is not part of it.
    action_calls = [c for c in calls if c not in ("organizations.users.list", "users.mfa.list")]
    # Two per member, the names (one call), the session check, and the admin's permissions
    # read fresh from Logto once for the whole action (membership and scopes: two calls at
    # the same time), though the page had just cached them: a change never trusts the cache.
    assert len(action_calls) <= 2 * 20 + 4, Counter(action_calls)
    assert action_calls.count("organizations.users.scopes") == 1
    assert action_calls.count("users.organizations") == 1
    members = emulator.state.organizations[acme.id].members
    if action == "remove":
        assert not any(uid in members for uid in ids)
    else:
        assert all(members[uid] == [admin] for uid in ids)


def test_a_change_reads_the_actors_permissions_fresh_once_though_they_are_cached(
    client, emulator, acme
):
    """The page cached alice's permissions; her removal of bob reads them from Logto again
    (one round trip: membership and scopes at the same time), once, and nothing else twice."""
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    client.get(f"/orgs/{acme.id}/members/")
    calls = api_calls(
        emulator,
        lambda: client.post(
            f"/orgs/{acme.id}/members/{bob_id}/remove/", headers={"HX-Request": "true"}
        ),
    )
    counted = Counter(calls)
    assert counted["users.organizations"] == 1 and counted["organizations.users.scopes"] == 1
    assert counted["organizations.users.remove"] == 1
    assert bob_id not in acme.members


def _thirty_members(emulator, organization) -> None:
    for n in range(28):
        user = emulator.state.add_user(f"m{n:02}@example.com", "pw", name=f"Member {n:02}")
        emulator.state.add_member(organization, user, ["member"])


def test_security_panel_reads_each_members_factors_once_a_minute(client, emulator, acme):
    """The panel reads every member's factors (Logto has no bulk read for them): one call
    per member cold, in parallel; none warm (cached for a minute). The member list and the
    tenant's MFA settings are read each time: they say what requiring MFA does now."""
    _thirty_members(emulator, acme)
    login_as(client, emulator, "alice@example.com")
    cold()
    calls = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/security/"))
    assert Counter(calls) == {
        "users.organizations": 1,
        "organizations.users.scopes": 1,
        "organizations.users.list": 1,
        "sign_in_exp.get": 1,
        "users.mfa.list": 30,
    }
    warm = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/security/"))
    assert sorted(warm) == ["organizations.users.list", "sign_in_exp.get"]


def test_members_filter_reads_factors_only_when_asked_for(client, emulator, acme):
    """By default the members page reads no factor (cells it has none for fill in by one
    more request, for that page only); the filter "Without two-step verification" reads
    every matching member's factors once a minute, since Logto cannot filter by them."""
    _thirty_members(emulator, acme)
    login_as(client, emulator, "alice@example.com")
    cold()
    page = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/members/"))
    assert "users.mfa.list" not in page
    cold()
    calls = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/members/?mfa=off"))
    assert Counter(calls) == {
        "users.organizations": 1,
        "organizations.users.scopes": 1,
        "organizations.users.list": 1,  # up to 100 members a call
        "organization_roles.list": 1,
        "organization_scopes.list": 1,
        "users.mfa.list": 30,
    }
    warm = api_calls(emulator, lambda: client.get(f"/orgs/{acme.id}/members/?mfa=off"))
    assert warm == ["organizations.users.list"]
