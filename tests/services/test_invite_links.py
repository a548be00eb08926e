"""Invite links: who may make them, who may join with them, and the use limit under races."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connections

from orgportal.models import AuditEvent, InviteLink, InviteLinkUse, JoinRequest
from orgportal.services.domains import join_request_decide
from orgportal.services.errors import ApplicationError, NotAllowed
from orgportal.services.invite_links import (
    domains_parsed,
    invite_link_create,
    invite_link_join,
    invite_link_requests,
    invite_link_revoke,
    token_hash,
)
from tests.conftest import local_user
from tests.races import race

pytestmark = pytest.mark.django_db


def role_id(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def new_person(emulator, email: str, *, verified: bool = True):
    user = emulator.state.add_user(email, "pw", name=email.split("@")[0])
    user.email_verified = verified
    person = local_user(emulator, email)
    person.email_verified = verified
    person.save()
    return person


def make_link(emulator, acme, actor, **options):
    options.setdefault("role_ids", [role_id(emulator, "member")])
    options.setdefault("expires_in_days", 7)
    return invite_link_create(actor=actor, organization_id=acme.id, **options)


def test_a_link_is_unguessable_and_only_its_hash_is_kept(emulator, acme, alice):
    created = make_link(emulator, acme, alice)
    token = token_of(created.url)
    assert len(token) >= 32 and created.url.endswith(f"/join/{token}/")
    stored = InviteLink.objects.get()
    assert stored.token_hash == token_hash(token) and token not in str(stored.__dict__)
    event = AuditEvent.objects.get(action="invite_link.created")
    assert (event.outcome, event.after["roles"]) == ("success", ["member"])


def test_a_verified_person_joins_with_the_links_role_and_the_use_is_recorded(emulator, acme, alice):
    token = token_of(make_link(emulator, acme, alice).url)
    dave = new_person(emulator, "dave@example.com")
    joined = invite_link_join(actor=dave, token=token)
    assert (joined.organization_name, joined.already_member) == ("Acme", False)
    assert acme.members[dave.logto_id] == [role_id(emulator, "member")]
    [use] = InviteLinkUse.objects.all()
    assert (use.label, use.logto_user_id) == ("dave@example.com", dave.logto_id)
    assert InviteLink.objects.get().use_count == 1
    assert AuditEvent.objects.filter(action="invite_link.joined", outcome="success").count() == 1
    # Opening it again changes nothing: already a member, no second use.
    assert invite_link_join(actor=dave, token=token).already_member
    assert InviteLink.objects.get().use_count == 1


def test_members_who_may_not_invite_make_no_link(emulator, acme):
    bob = local_user(emulator, "bob@example.com")
    with pytest.raises(NotAllowed):
        make_link(emulator, acme, bob)
    assert InviteLink.objects.count() == 0


def test_an_inviter_cannot_hand_out_admin(emulator, acme, alice):
    # Give bob a role that may invite but not manage members.
    from orgportal.logto import get_client

    client = get_client()
    scope = next(s for s in client.list_organization_scopes() if s.name == "invite:member")
    inviter = client.create_organization_role(name="inviter", scope_ids=[scope.id])
    bob = local_user(emulator, "bob@example.com")
    acme.members[bob.logto_id] = [inviter.id]
    with pytest.raises(NotAllowed) as refused:
        make_link(emulator, acme, bob, role_ids=[role_id(emulator, "admin")])
    assert "You cannot grant the role admin" in refused.value.message
    assert InviteLink.objects.count() == 0


@pytest.mark.parametrize(
    ("email", "verified", "sentence"),
    [
        ("dave@example.com", False, "Verify your email address"),
        ("dave@other.test", True, "only for email addresses at example.com, acme.test"),
    ],
)
def test_unverified_addresses_and_other_domains_are_refused(
    emulator, acme, alice, email, verified, sentence
):
    token = token_of(
        make_link(emulator, acme, alice, allowed_domains=["example.com", "acme.test"]).url
    )
    person = new_person(emulator, email, verified=verified)
    with pytest.raises(NotAllowed) as refused:
        invite_link_join(actor=person, token=token)
    assert sentence in refused.value.message
    assert person.logto_id not in acme.members
    assert InviteLink.objects.get().use_count == 0


@pytest.mark.parametrize("change", ["revoked", "expired", "unknown"])
def test_revoked_expired_and_unknown_links_are_refused(emulator, acme, alice, change):
    created = make_link(emulator, acme, alice)
    token = token_of(created.url)
    if change == "revoked":
        invite_link_revoke(actor=alice, organization_id=acme.id, link_id=str(created.link.pk))
        assert AuditEvent.objects.filter(action="invite_link.revoked").count() == 1
    elif change == "expired":
        InviteLink.objects.update(expires_at="2020-01-01T00:00:00Z")
    else:
        token = token[:-2] + "xx"
    dave = new_person(emulator, "dave@example.com")
    with pytest.raises(ApplicationError) as refused:
        invite_link_join(actor=dave, token=token)
    expected = {"revoked": "was revoked", "expired": "has expired", "unknown": "does not exist"}
    assert expected[change] in refused.value.message
    assert dave.logto_id not in acme.members


@pytest.mark.parametrize("change", ["removed", "demoted", "weaker_than_the_link"])
def test_a_link_stops_working_when_its_creator_could_no_longer_make_it(
    emulator, acme, alice, change
):
    from orgportal.logto import get_client

    client = get_client()
    token = token_of(make_link(emulator, acme, alice, role_ids=[role_id(emulator, "admin")]).url)
    if change == "removed":
        client.remove_organization_user(acme.id, alice.logto_id)
    elif change == "demoted":
        client.replace_organization_user_roles(
            acme.id, alice.logto_id, [role_id(emulator, "member")]
        )
    else:  # may still invite, but no longer hand out admin
        scope = next(s for s in client.list_organization_scopes() if s.name == "invite:member")
        inviter = client.create_organization_role(name="inviter", scope_ids=[scope.id])
        client.replace_organization_user_roles(acme.id, alice.logto_id, [inviter.id])
    dave = new_person(emulator, "dave@example.com")
    with pytest.raises(ApplicationError) as refused:
        invite_link_join(actor=dave, token=token)
    assert refused.value.message == "This invite link no longer works. Ask an admin for a new one."
    assert dave.logto_id not in acme.members
    assert (InviteLink.objects.get().use_count, InviteLinkUse.objects.count()) == (0, 0)


def test_a_failed_add_gives_the_use_back(emulator, acme, alice):
    token = token_of(make_link(emulator, acme, alice, max_uses=1).url)
    dave = new_person(emulator, "dave@example.com")
    emulator.set_fault("organizations.users.add", status=503, times=10)
    with pytest.raises(ApplicationError):
        invite_link_join(actor=dave, token=token)
    assert (InviteLink.objects.get().use_count, InviteLinkUse.objects.count()) == (0, 0)
    emulator.clear_faults()
    assert not invite_link_join(actor=dave, token=token).already_member


def test_a_link_that_asks_an_admin_makes_a_request_and_the_approver_grants_its_role(
    emulator, acme, alice
):
    token = token_of(make_link(emulator, acme, alice, asks_admin=True, max_uses=5).url)
    dave = new_person(emulator, "dave@example.com")
    mail.outbox.clear()
    outcome = invite_link_join(actor=dave, token=token)
    assert (outcome.requested, outcome.already_member) == (True, False)
    assert dave.logto_id not in acme.members
    [request] = invite_link_requests(actor=alice, organization_id=acme.id)
    assert (request.email, request.state, request.invite_link.use_count) == (
        "dave@example.com",
        "pending",
        1,
    )
    # Those who may invite hear of it, with a link to the links page.
    [email] = mail.outbox
    assert email.to == ["alice@example.com"] and "/invitations/links/" in email.body
    assert "through an invite link, with the role member" in email.body
    # Opening the link again while the request waits asks nothing more.
    with pytest.raises(ApplicationError) as refused:
        invite_link_join(actor=dave, token=token)
    assert refused.value.message == "You already asked to join; an admin will decide."
    assert InviteLink.objects.get().use_count == 1

    join_request_decide(actor=alice, organization_id=acme.id, request_id=request.pk, approve=True)
    assert acme.members[dave.logto_id] == [role_id(emulator, "member")]
    assert mail.outbox[-1].to == ["dave@example.com"]
    assert invite_link_requests(actor=alice, organization_id=acme.id) == []
    assert invite_link_join(actor=dave, token=token).already_member
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"join_request.created", "join_request.approved"} <= actions


def test_a_declined_person_cannot_ask_again_through_the_same_link(emulator, acme, alice):
    token = token_of(make_link(emulator, acme, alice, asks_admin=True).url)
    dave = new_person(emulator, "dave@example.com")
    invite_link_join(actor=dave, token=token)
    request = JoinRequest.objects.get()
    join_request_decide(actor=alice, organization_id=acme.id, request_id=request.pk, approve=False)
    assert dave.logto_id not in acme.members
    with pytest.raises(NotAllowed) as refused:
        invite_link_join(actor=dave, token=token)
    assert "An admin declined your request" in refused.value.message
    assert JoinRequest.objects.count() == 1


def test_a_request_through_a_link_is_decided_by_inviters_who_can_grant_its_role(
    emulator, acme, alice
):
    from orgportal.logto import get_client

    client = get_client()
    token = token_of(
        make_link(emulator, acme, alice, asks_admin=True, role_ids=[role_id(emulator, "admin")]).url
    )
    dave = new_person(emulator, "dave@example.com")
    invite_link_join(actor=dave, token=token)
    request = JoinRequest.objects.get()
    bob = local_user(emulator, "bob@example.com")  # a plain member
    with pytest.raises(NotAllowed) as refused:
        join_request_decide(actor=bob, organization_id=acme.id, request_id=request.pk, approve=True)
    assert "Only people who may invite members" in refused.value.message
    scope = next(s for s in client.list_organization_scopes() if s.name == "invite:member")
    inviter = client.create_organization_role(name="inviter", scope_ids=[scope.id])
    client.replace_organization_user_roles(acme.id, bob.logto_id, [inviter.id])
    with pytest.raises(NotAllowed) as refused:
        join_request_decide(actor=bob, organization_id=acme.id, request_id=request.pk, approve=True)
    assert "You cannot let this person in with the role admin" in refused.value.message
    assert dave.logto_id not in acme.members
    assert JoinRequest.objects.get().state == "pending"


def test_revoking_a_link_declines_the_requests_it_brought(emulator, acme, alice):
    created = make_link(emulator, acme, alice, asks_admin=True)
    dave = new_person(emulator, "dave@example.com")
    invite_link_join(actor=dave, token=token_of(created.url))
    mail.outbox.clear()
    invite_link_revoke(actor=alice, organization_id=acme.id, link_id=str(created.link.pk))
    request = JoinRequest.objects.get()
    assert (request.state, request.decided_by) == ("declined", alice)
    assert [message.to for message in mail.outbox] == [["dave@example.com"]]
    with pytest.raises(ApplicationError):
        join_request_decide(
            actor=alice, organization_id=acme.id, request_id=request.pk, approve=True
        )
    assert dave.logto_id not in acme.members
    # The activity says who was declined, one event per person.
    declined = AuditEvent.objects.get(action="join_request.declined")
    assert (declined.target_label, declined.actor_label) == (
        "dave@example.com",
        "alice@example.com",
    )


def test_nobody_gets_in_through_a_link_revoked_while_their_request_waited(emulator, acme, alice):
    """A revoke that lands between a use and the request leaves a request on a revoked link:
    it can be declined, never approved."""
    created = make_link(emulator, acme, alice, asks_admin=True)
    dave = new_person(emulator, "dave@example.com")
    invite_link_join(actor=dave, token=token_of(created.url))
    InviteLink.objects.update(revoked_at="2026-01-01T00:00:00Z")  # revoked, request still open
    request = JoinRequest.objects.get()
    with pytest.raises(ApplicationError) as refused:
        join_request_decide(
            actor=alice, organization_id=acme.id, request_id=request.pk, approve=True
        )
    assert "invite link that was revoked, so it can only be declined" in refused.value.message
    assert dave.logto_id not in acme.members
    assert JoinRequest.objects.get().state == "pending"
    join_request_decide(actor=alice, organization_id=acme.id, request_id=request.pk, approve=False)
    assert JoinRequest.objects.get().state == "declined"


def test_a_revoke_between_the_use_and_the_request_takes_the_request_back(
    emulator, acme, alice, monkeypatch
):
    from orgportal.services import invite_links

    created = make_link(emulator, acme, alice, asks_admin=True)
    take_a_use = invite_links._take_a_use

    def use_then_revoke(link, actor):
        use = take_a_use(link, actor)
        invite_link_revoke(actor=alice, organization_id=acme.id, link_id=str(link.pk))
        return use

    monkeypatch.setattr(invite_links, "_take_a_use", use_then_revoke)
    mail.outbox.clear()
    with pytest.raises(ApplicationError) as refused:
        invite_link_join(
            actor=new_person(emulator, "dave@example.com"), token=token_of(created.url)
        )
    assert "was revoked" in refused.value.message
    assert (JoinRequest.objects.count(), InviteLink.objects.get().use_count) == (0, 0)
    assert mail.outbox == []  # nobody is asked to decide a request that is not there
    failed = AuditEvent.objects.get(action="join_request.created")
    assert failed.outcome == "failure"


def test_a_request_made_while_the_link_was_valid_may_be_approved_after_it_expired(
    emulator, acme, alice
):
    created = make_link(emulator, acme, alice, asks_admin=True)
    dave = new_person(emulator, "dave@example.com")
    invite_link_join(actor=dave, token=token_of(created.url))
    InviteLink.objects.update(expires_at="2020-01-01T00:00:00Z")
    request = JoinRequest.objects.get()
    join_request_decide(actor=alice, organization_id=acme.id, request_id=request.pk, approve=True)
    assert dave.logto_id in acme.members


def test_only_inviters_who_can_grant_the_links_role_hear_of_a_request(emulator, acme, alice):
    from orgportal.logto import get_client

    client = get_client()
    scope = next(s for s in client.list_organization_scopes() if s.name == "invite:member")
    inviter = client.create_organization_role(name="inviter", scope_ids=[scope.id])
    bob = local_user(emulator, "bob@example.com")
    client.replace_organization_user_roles(acme.id, bob.logto_id, [inviter.id])
    admin_link = make_link(
        emulator, acme, alice, asks_admin=True, role_ids=[role_id(emulator, "admin")]
    )
    mail.outbox.clear()
    invite_link_join(actor=new_person(emulator, "dave@example.com"), token=token_of(admin_link.url))
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    # An inviter role does cover a link for no role at all: bob hears of that one.
    bare_link = make_link(emulator, acme, alice, asks_admin=True, role_ids=[])
    mail.outbox.clear()
    invite_link_join(actor=new_person(emulator, "erin@example.com"), token=token_of(bare_link.url))
    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice@example.com",
        "bob@example.com",
    ]


def test_a_use_limit_of_one_yields_one_request(emulator, acme, alice):
    token = token_of(make_link(emulator, acme, alice, asks_admin=True, max_uses=1).url)
    invite_link_join(actor=new_person(emulator, "dave@example.com"), token=token)
    with pytest.raises(ApplicationError) as refused:
        invite_link_join(actor=new_person(emulator, "erin@example.com"), token=token)
    assert "used as often as it allows" in refused.value.message
    assert JoinRequest.objects.count() == 1


def test_domains_are_read_as_typed_and_checked():
    assert domains_parsed(" @Example.com, acme.test\nexample.com ") == ["example.com", "acme.test"]
    with pytest.raises(ValueError):
        domains_parsed("example.com, not a domain")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_use_limit_of_one_admits_one_of_many_at_the_same_moment(emulator, acme, round_):
    alice = local_user(emulator, "alice@example.com")
    token = token_of(make_link(emulator, acme, alice, max_uses=1).url)
    people = [new_person(emulator, f"p{n}@example.com") for n in range(5)]
    # Logto's round trips widen the window between reading the link and counting the use.
    emulator.set_fault("organizations.users.roles.list", latency=0.02)

    def join(person):
        def run():
            try:
                invite_link_join(actor=person, token=token)
            finally:
                connections.close_all()

        return run

    results = race(*(join(person) for person in people))
    refused = [r for r in results if r is not None]
    assert len(refused) == 4
    assert all("used as often as it allows" in r.message for r in refused)
    joined = [p for p in people if p.logto_id in acme.members]
    assert len(joined) == 1
    link = InviteLink.objects.get()
    assert (link.use_count, link.uses.count()) == (1, 1)
