"""JIT provisioning by email domain, as BEHAVIOUR.md "Organization JIT provisioning" says."""

from __future__ import annotations

import pytest

from orgportal.logto import errors
from tests.emulator.flows import id_token_claims, register, sign_in


def role_id(emulator, name):
    return emulator.state.role_by_name(name).id


# -- email domains -----------------------------------------------------------------------------
def test_domains_are_stored_as_typed_and_listed_by_domain(client, acme):
    for domain in ("example.com", "EXAMPLE.COM", "@example.org", "not a domain", "localhost"):
        client.add_organization_jit_email_domain(acme.id, domain)
    assert client.list_organization_jit_email_domains(acme.id) == [
        "@example.org",
        "EXAMPLE.COM",
        "example.com",
        "localhost",
        "not a domain",
    ]


def test_the_list_is_paginated_only_when_asked(api, client, acme):
    client.replace_organization_jit_email_domains(acme.id, [f"d{n:02}.test" for n in range(25)])
    everything = api("GET", f"/organizations/{acme.id}/jit/email-domains")
    assert len(everything.json()) == 25
    assert "Total-Number" not in everything.headers
    paged = api("GET", f"/organizations/{acme.id}/jit/email-domains", params={"page_size": 10})
    assert len(paged.json()) == 10
    assert paged.headers["Total-Number"] == "25"


def test_adding_answers_201_with_the_row_and_refuses_duplicates(api, acme):
    path = f"/organizations/{acme.id}/jit/email-domains"
    first = api("POST", path, json={"emailDomain": "acme.test"})
    assert first.status_code == 201
    assert first.json() == {
        "tenantId": "default",
        "organizationId": acme.id,
        "emailDomain": "acme.test",
    }
    again = api("POST", path, json={"emailDomain": "acme.test"})
    assert (again.status_code, again.json()["code"]) == (422, "entity.unique_integrity_violation")
    empty = api("POST", path, json={"emailDomain": ""})
    assert (empty.status_code, empty.json()["code"]) == (400, "guard.invalid_input")


def test_replacing_is_one_transaction(client, acme):
    client.replace_organization_jit_email_domains(acme.id, ["a.test", "b.test"])
    with pytest.raises(errors.InvalidInput) as caught:
        client.replace_organization_jit_email_domains(acme.id, ["c.test", "c.test"])
    assert (caught.value.status, caught.value.code) == (422, "entity.unique_integrity_violation")
    assert client.list_organization_jit_email_domains(acme.id) == ["a.test", "b.test"]
    client.replace_organization_jit_email_domains(acme.id, [])
    assert client.list_organization_jit_email_domains(acme.id) == []


def test_deleting_a_domain_matches_it_exactly(client, acme):
    client.add_organization_jit_email_domain(acme.id, "acme.test")
    with pytest.raises(errors.NotFound) as caught:
        client.delete_organization_jit_email_domain(acme.id, "ACME.TEST")
    assert caught.value.code == "entity.not_found"
    client.delete_organization_jit_email_domain(acme.id, "acme.test")
    assert client.list_organization_jit_email_domains(acme.id) == []
    with pytest.raises(errors.NotFound):
        client.delete_organization_jit_email_domain(acme.id, "acme.test")


def test_an_unknown_organization_lists_nothing_and_refuses_writes(client):
    assert client.list_organization_jit_email_domains("nope") == []
    assert client.list_organization_jit_roles("nope") == []
    for write in (
        lambda: client.add_organization_jit_email_domain("nope", "x.test"),
        lambda: client.replace_organization_jit_email_domains("nope", ["x.test"]),
    ):
        with pytest.raises(errors.InvalidInput) as caught:
            write()
        assert (caught.value.status, caught.value.code) == (
            422,
            "entity.relation_foreign_key_not_found",
        )


def test_one_domain_may_belong_to_several_organizations(client, acme):
    other = client.create_organization(name="Other")
    client.add_organization_jit_email_domain(acme.id, "shared.test")
    client.add_organization_jit_email_domain(other.id, "shared.test")
    assert client.list_organization_jit_email_domains(other.id) == ["shared.test"]


# -- default roles -----------------------------------------------------------------------------
def test_jit_roles_can_be_added_replaced_and_removed(api, client, emulator, acme):
    admin, member = role_id(emulator, "admin"), role_id(emulator, "member")
    added = api(
        "POST", f"/organizations/{acme.id}/jit/roles", json={"organizationRoleIds": [member]}
    )
    assert (added.status_code, added.text) == (201, "Created")
    assert added.headers["Content-Type"].startswith("text/plain")
    client.add_organization_jit_roles(acme.id, [member])  # again: nothing changes
    assert [r.name for r in client.list_organization_jit_roles(acme.id)] == ["member"]
    client.replace_organization_jit_roles(acme.id, [admin])
    assert [r.name for r in client.list_organization_jit_roles(acme.id)] == ["admin"]
    client.remove_organization_jit_role(acme.id, admin)
    assert client.list_organization_jit_roles(acme.id) == []
    with pytest.raises(errors.NotFound):
        client.remove_organization_jit_role(acme.id, admin)


def test_jit_roles_must_exist_and_the_list_must_not_be_empty(client, acme):
    with pytest.raises(errors.InvalidInput) as caught:
        client.add_organization_jit_roles(acme.id, ["ghost"])
    assert caught.value.code == "entity.relation_foreign_key_not_found"
    with pytest.raises(errors.InvalidInput) as caught:
        client.add_organization_jit_roles(acme.id, [])
    assert (caught.value.status, caught.value.code) == (400, "guard.invalid_input")


# -- provisioning --------------------------------------------------------------------------------
def test_registration_joins_every_organization_of_the_domain_with_its_jit_roles(
    client, emulator, acme
):
    other = client.create_organization(name="Other")
    client.add_organization_jit_email_domain(acme.id, "acme.test")
    client.add_organization_jit_roles(acme.id, [role_id(emulator, "member")])
    client.add_organization_jit_email_domain(other.id, "acme.test")
    callback = register(emulator, "dan@acme.test")
    dan = emulator.state.user_by_email("dan@acme.test")
    assert {o.organization.name: o.role_names for o in client.list_user_organizations(dan.id)} == {
        "Acme": ["member"],
        "Other": [],
    }
    assert sorted(id_token_claims(emulator, callback)["organizations"]) == sorted(
        [acme.id, other.id]
    )


def test_the_domain_is_compared_exactly(client, emulator, acme):
    client.add_organization_jit_email_domain(acme.id, "jit.example")
    register(emulator, "fay@JIT.EXAMPLE")
    register(emulator, "gus@sub.jit.example")
    for email in ("fay@JIT.EXAMPLE", "gus@sub.jit.example"):
        assert client.list_user_organizations(emulator.state.user_by_email(email).id) == []


def test_users_made_elsewhere_are_never_provisioned(client, emulator, acme):
    # As with POST /api/users: an account that exists already, then signs in.
    emulator.state.add_user("hal@acme.test", "a-long-password")
    client.add_organization_jit_email_domain(acme.id, "acme.test")
    sign_in(emulator, "hal@acme.test", "a-long-password")
    hal = emulator.state.user_by_email("hal@acme.test")
    assert client.list_user_organizations(hal.id) == []
