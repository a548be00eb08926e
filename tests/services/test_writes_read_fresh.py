"""No stale permission authorises a change: every write reads the actor's access from Logto.

The scene of every test: the portal has cached bob as an admin of Acme (he just opened a
page), then his admin role is taken away, or he is removed, in Logto itself: through the
emulator's Management API, not the portal. No webhook is registered, so no delivery tells the
portal (and Logto raises no event for role assignments anyway). His pages may show the cached
view until it expires; his next change is refused.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from orgportal import logto
from orgportal.logto import shared_reads
from orgportal.services.access import Perm, organization_access
from orgportal.services.errors import ApplicationError, NotAllowed, OrganizationNotFound
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.invitations import invitation_resend, invitation_revoke
from orgportal.services.members import (
    NOT_ALLOWED_REMOVE,
    NOT_ALLOWED_ROLES,
    member_add_by_email,
    member_remove,
    member_roles_set,
    members_bulk,
)
from orgportal.services.organizations import (
    organization_delete,
    organization_hand_over_and_leave,
    organization_leave,
    organization_update,
)

pytestmark = pytest.mark.django_db


def logto_api(emulator, method: str, path: str, **kwargs) -> requests.Response:
    """A change made in Logto by someone else (the Console, another product): a plain
    Management API call, which touches none of the portal's caches."""
    token = logto.get_client().tokens.get()
    response = requests.request(
        method,
        f"{emulator.endpoint}/api{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
        **kwargs,
    )
    assert response.status_code < 300, response.text
    return response


def rid(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


@pytest.fixture
def bob_cached_as_admin(emulator, acme, bob):
    """bob is an admin of Acme, and the portal's cache says so."""
    acme.members[bob.logto_id] = [rid(emulator, "admin")]
    assert organization_access(user=bob, organization_id=acme.id).can(Perm.MANAGE_MEMBER)
    return bob


def demote_in_logto(emulator, acme, user) -> None:
    logto_api(
        emulator,
        "PUT",
        f"/organizations/{acme.id}/users/{user.logto_id}/roles",
        json={"organizationRoleIds": [rid(emulator, "member")]},
    )


def remove_in_logto(emulator, acme, user) -> None:
    logto_api(emulator, "DELETE", f"/organizations/{acme.id}/users/{user.logto_id}")


def carol_in_acme(emulator, acme) -> str:
    carol = emulator.state.user_by_email("carol@example.com")
    emulator.state.add_member(acme, carol, ["member"])
    return carol.id


def pending_invitation(emulator, acme) -> str:
    alice = emulator.state.user_by_email("alice@example.com")
    return emulator.state.add_invitation(acme, "new.person@example.com", inviter=alice).id


# Each write the portal offers in an organization, as bob would make it.
Write = Callable[..., object]


def _remove(emulator, acme, bob) -> object:
    return member_remove(actor=bob, organization_id=acme.id, user_id=carol_in_acme(emulator, acme))


def _bulk_remove(emulator, acme, bob) -> object:
    user_id = carol_in_acme(emulator, acme)
    return members_bulk(actor=bob, organization_id=acme.id, user_ids=[user_id], action="remove")


def _change_roles(emulator, acme, bob) -> object:
    return member_roles_set(
        actor=bob,
        organization_id=acme.id,
        user_id=carol_in_acme(emulator, acme),
        role_ids=[rid(emulator, "admin")],
    )


def _add_member(emulator, acme, bob) -> object:
    carol_id = emulator.state.user_by_email("carol@example.com").id
    emulator.state.organizations[acme.id].members.pop(carol_id, None)
    return member_add_by_email(
        actor=bob,
        organization_id=acme.id,
        email="carol@example.com",
        role_ids=[rid(emulator, "member")],
    )


def _invite(emulator, acme, bob) -> object:
    return invitation_send(
        actor=bob,
        organization_id=acme.id,
        emails=["new.person@example.com"],
        role_ids=[rid(emulator, "member")],
    )


def _revoke(emulator, acme, bob) -> object:
    invitation_id = pending_invitation(emulator, acme)
    return invitation_revoke(actor=bob, organization_id=acme.id, invitation_id=invitation_id)


def _resend(emulator, acme, bob) -> object:
    invitation_id = pending_invitation(emulator, acme)
    return invitation_resend(actor=bob, organization_id=acme.id, invitation_id=invitation_id)


def _rename(emulator, acme, bob) -> object:
    return organization_update(actor=bob, organization_id=acme.id, name="Bob's")


def _require_mfa(emulator, acme, bob) -> object:
    return organization_update(
        actor=bob, organization_id=acme.id, name="Acme", is_mfa_required=True
    )


def _delete(emulator, acme, bob) -> object:
    return organization_delete(actor=bob, organization_id=acme.id, confirm_name="Acme")


def _hand_over(emulator, acme, bob) -> object:
    return organization_hand_over_and_leave(
        actor=bob, organization_id=acme.id, successor_id=carol_in_acme(emulator, acme)
    )


def _leave(emulator, acme, bob) -> object:
    return organization_leave(actor=bob, organization_id=acme.id)


NEEDS_A_PERMISSION: dict[str, tuple[Write, str]] = {
    "remove": (_remove, str(NOT_ALLOWED_REMOVE)),
    "bulk remove": (_bulk_remove, str(NOT_ALLOWED_REMOVE)),
    "change roles": (_change_roles, str(NOT_ALLOWED_ROLES)),
    "add a member": (_add_member, "You are not allowed to add members here."),
    "invite": (_invite, "You are not allowed to invite people here."),
    "revoke": (_revoke, "You are not allowed to revoke invitations here."),
    "resend": (_resend, "You are not allowed to resend invitations here."),
    "rename": (_rename, "You are not allowed to change this organization."),
    "require MFA": (_require_mfa, "You are not allowed to change this organization."),
    "delete": (_delete, "You are not allowed to delete this organization."),
    "hand over": (_hand_over, "Only people who manage members can hand that over."),
}
EVERY_WRITE: dict[str, Write] = {
    **{name: write for name, (write, _) in NEEDS_A_PERMISSION.items()},
    "leave": _leave,
}


def state_of(emulator, acme) -> tuple:
    organization = emulator.state.organizations.get(acme.id)
    if organization is None:
        return ("deleted",)
    invitations = sorted(
        (i.id, i.status)
        for i in emulator.state.invitations.values()
        if i.organization_id == acme.id
    )
    members = sorted((uid, tuple(sorted(roles))) for uid, roles in organization.members.items())
    return organization.name, organization.is_mfa_required, tuple(members), tuple(invitations)


@pytest.mark.parametrize("name", NEEDS_A_PERMISSION)
def test_a_permission_taken_away_in_logto_refuses_the_next_change(
    emulator, acme, bob_cached_as_admin, name
):
    bob = bob_cached_as_admin
    write, sentence = NEEDS_A_PERMISSION[name]
    demote_in_logto(emulator, acme, bob)
    # Pages may still show the cached view (until the cache expires) ...
    assert organization_access(user=bob, organization_id=acme.id).can(Perm.MANAGE_MEMBER)
    with pytest.raises(NotAllowed) as refused, shared_reads.shared():  # as in a request
        write(emulator, acme, bob)
    assert sentence in refused.value.message
    # ... and the change's fresh read refreshed them: the next page shows him as he is.
    assert not organization_access(user=bob, organization_id=acme.id).can(Perm.MANAGE_MEMBER)


@pytest.mark.parametrize("name", EVERY_WRITE)
def test_a_member_removed_in_logto_can_change_nothing(emulator, acme, bob_cached_as_admin, name):
    bob = bob_cached_as_admin
    write = EVERY_WRITE[name]
    remove_in_logto(emulator, acme, bob)
    assert organization_access(user=bob, organization_id=acme.id)  # the cache says member
    with pytest.raises(OrganizationNotFound) as refused, shared_reads.shared():
        write(emulator, acme, bob)
    assert refused.value.message == "No such organization."
    assert bob.logto_id not in acme.members and acme.id in emulator.state.organizations
    with pytest.raises(OrganizationNotFound):  # the cache learnt it too
        organization_access(user=bob, organization_id=acme.id)


def test_a_refused_change_changes_nothing_in_logto(emulator, acme, bob_cached_as_admin):
    bob = bob_cached_as_admin
    carol_id = carol_in_acme(emulator, acme)
    invitation_id = pending_invitation(emulator, acme)
    demote_in_logto(emulator, acme, bob)
    before = state_of(emulator, acme)
    for write in (
        lambda: member_remove(actor=bob, organization_id=acme.id, user_id=carol_id),
        lambda: invitation_revoke(actor=bob, organization_id=acme.id, invitation_id=invitation_id),
        lambda: organization_update(actor=bob, organization_id=acme.id, name="Bob's"),
    ):
        with pytest.raises(ApplicationError), shared_reads.shared():
            write()
    assert state_of(emulator, acme) == before


def test_a_permission_given_in_logto_counts_at_the_next_change(emulator, acme, bob):
    """The other direction: the cache says plain member, Logto already says admin."""
    assert not organization_access(user=bob, organization_id=acme.id).can(Perm.MANAGE_MEMBER)
    acme.members[bob.logto_id] = [rid(emulator, "admin")]
    carol_id = carol_in_acme(emulator, acme)
    with shared_reads.shared():
        member_remove(actor=bob, organization_id=acme.id, user_id=carol_id)
    assert carol_id not in acme.members


def test_one_request_reads_the_actors_access_once_for_all_its_changes(
    emulator, acme, bob_cached_as_admin
):
    """A bulk removal of three members: one fresh read, not one per member (nor per write)."""
    bob = bob_cached_as_admin
    ids = []
    for n in range(3):
        user = emulator.state.add_user(f"user{n}@example.com", "pw")
        emulator.state.add_member(acme, user, ["member"])
        ids.append(user.id)
    before = len(emulator.calls)
    with shared_reads.shared():
        outcomes = members_bulk(actor=bob, organization_id=acme.id, user_ids=ids, action="remove")
    assert all(outcome.ok for outcome in outcomes)
    routes = [route for _, route, _ in emulator.calls[before:]]
    assert routes.count("organizations.users.scopes") == 1
    assert routes.count("users.organizations") == 1


def test_outside_a_request_each_change_reads_again(emulator, acme, bob_cached_as_admin):
    """The background worker has no request: nothing is kept between its changes."""
    bob = bob_cached_as_admin
    carol_id = carol_in_acme(emulator, acme)
    invitation_id = pending_invitation(emulator, acme)
    invitation_revoke(actor=bob, organization_id=acme.id, invitation_id=invitation_id)
    demote_in_logto(emulator, acme, bob)
    with pytest.raises(NotAllowed):
        member_remove(actor=bob, organization_id=acme.id, user_id=carol_id)


def test_changes_on_two_instances_at_once_are_both_refused(emulator, acme, bob_cached_as_admin):
    """Two requests of bob's on two workers (threads here; on the servers tier they share
    PostgreSQL and Redis), both after his role was taken away in Logto: neither goes through."""
    bob = bob_cached_as_admin
    targets = [carol_in_acme(emulator, acme)]
    other = emulator.state.add_user("dan@example.com", "pw")
    emulator.state.add_member(acme, other, ["member"])
    targets.append(other.id)
    demote_in_logto(emulator, acme, bob)
    start = threading.Barrier(2)
    outcomes: dict[str, BaseException | None] = {}

    def request(user_id: str) -> None:
        start.wait()
        try:
            with shared_reads.shared():
                member_remove(actor=bob, organization_id=acme.id, user_id=user_id)
        except BaseException as error:
            outcomes[user_id] = error
        else:
            outcomes[user_id] = None

    threads = [threading.Thread(target=request, args=(user_id,)) for user_id in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(outcomes[user_id], NotAllowed) for user_id in targets), outcomes
    assert all(user_id in acme.members for user_id in targets)


# -- a write cannot forget ----------------------------------------------------------------------
# The service functions that may read the cached access: they only read (pages, the
# confirmation of a removal, a listing). Any other function of services/ that reads an
# organization's access is a change or serves one, and must use access_for_change.
CACHED_ACCESS_READS = {
    "access.py": {"organization_access", "access_for_change"},
    "api_keys.py": {"api_keys_overview"},
    "invitation_batches.py": {"invitation_batch_progress"},
    "invitations.py": {"invitation_list", "invitation_listing"},
    "invite_links.py": {"invite_link_list", "invite_link_requests"},
    "members.py": {"member_list", "member_get", "member_removal_label"},
    "mfa.py": {
        "mfa_status_of_member_page",
        "mfa_requirement_impact",
        "organization_security",
        "members_without_mfa",
    },
    "organizations.py": {"organization_overview", "organization_leave_situation"},
}


def test_only_page_reads_use_the_cached_access():
    services = Path(__file__).resolve().parents[2] / "orgportal" / "services"
    offenders = []
    for path in sorted(services.glob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and getattr(call.func, "id", None) == "organization_access"
                    and not any(k.arg == "fresh" for k in call.keywords)
                    and function.name not in CACHED_ACCESS_READS.get(path.name, set())
                ):
                    offenders.append(f"{path.name}:{call.lineno} in {function.name}")
    assert not offenders, (
        f"These read the cached access; a change must use access_for_change: {offenders}"
    )
