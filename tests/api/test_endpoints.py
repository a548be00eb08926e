"""Every API endpoint's happy path and denials, and bad input: 4xx with a code, never 500."""

from __future__ import annotations

import json

import pytest

from orgportal.models import AuditEvent
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

ADMIN_SCOPES = "invite:member manage:member delete:member manage:organization delete:organization"


def rid(emulator, name):
    return emulator.state.role_by_name(name).id


def send(client, method, url, token, body=None, raw=None):
    kwargs = {"headers": bearer(token)}
    if body is not None or raw is not None:
        kwargs["data"] = raw if raw is not None else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(url, **kwargs)


def test_my_organizations_and_create(client, emulator, mint):
    token = mint("carol@example.com")
    assert send(client, "GET", "/api/v1/me/organizations", token).json() == []
    created = send(
        client, "POST", "/api/v1/organizations", token, {"name": " Zeta ", "description": "Z"}
    )
    assert created.status_code == 201
    assert created.json()["name"] == "Zeta"
    mine = send(client, "GET", "/api/v1/me/organizations", token).json()
    assert [(m["organization"]["name"], [r["name"] for r in m["roles"]]) for m in mine] == [
        ("Zeta", ["admin"])
    ]
    assert AuditEvent.objects.filter(
        action="organization.created", actor__email="carol@example.com"
    ).exists()


def test_template_roles(client, emulator, mint):
    roles = send(client, "GET", "/api/v1/organization-roles", mint("bob@example.com")).json()
    assert {r["name"] for r in roles} == {"admin", "member"}
    assert "delete:organization" in next(r for r in roles if r["name"] == "admin")["permissions"]


def test_get_update_delete_an_organization(client, emulator, acme, org_token):
    url = f"/api/v1/organizations/{acme.id}"
    assert send(client, "GET", url, org_token("bob@example.com")).json()["name"] == "Acme"
    updated = send(
        client,
        "PATCH",
        url,
        org_token("alice@example.com", ADMIN_SCOPES),
        {"name": "Acme 2", "isMfaRequired": True},
    )
    assert updated.json() | {"createdAt": None} == {
        "id": acme.id,
        "name": "Acme 2",
        "description": "The demo organization",
        "isMfaRequired": True,
        "createdAt": None,
    }
    assert (
        send(client, "DELETE", url, org_token("alice@example.com", ADMIN_SCOPES)).status_code == 204
    )
    assert acme.id not in emulator.state.organizations


def test_services_recheck_what_the_token_claims(client, emulator, acme, org_token):
    """bob's token claims manage:organization, but Logto says bob does not hold it."""
    response = send(
        client,
        "PATCH",
        f"/api/v1/organizations/{acme.id}",
        org_token("bob@example.com", ADMIN_SCOPES),
        {"name": "Bob's"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert acme.name == "Acme"


def test_strangers_get_404(client, emulator, acme, org_token):
    response = send(
        client, "GET", f"/api/v1/organizations/{acme.id}", org_token("carol@example.com")
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_members_list_change_roles_and_remove(client, emulator, acme, org_token):
    admin_token = org_token("alice@example.com", ADMIN_SCOPES)
    page = send(
        client,
        "GET",
        f"/api/v1/organizations/{acme.id}/members?q=bob&page_size=5",
        org_token("bob@example.com"),
    ).json()
    assert (page["total"], page["pageSize"], page["items"][0]["email"]) == (1, 5, "bob@example.com")
    bob_id = page["items"][0]["id"]
    changed = send(
        client,
        "PUT",
        f"/api/v1/organizations/{acme.id}/members/{bob_id}/roles",
        admin_token,
        {"roleIds": [rid(emulator, "admin")]},
    )
    assert [r["name"] for r in changed.json()["roles"]] == ["admin"]
    assert (
        send(
            client, "DELETE", f"/api/v1/organizations/{acme.id}/members/{bob_id}", admin_token
        ).status_code
        == 204
    )
    again = send(client, "DELETE", f"/api/v1/organizations/{acme.id}/members/{bob_id}", admin_token)
    assert again.status_code == 404


def test_the_last_admin_rule_holds_over_the_api(client, emulator, acme, org_token):
    alice_id = emulator.state.user_by_email("alice@example.com").id
    response = send(
        client,
        "PUT",
        f"/api/v1/organizations/{acme.id}/members/{alice_id}/roles",
        org_token("alice@example.com", ADMIN_SCOPES),
        {"roleIds": [rid(emulator, "member")]},
    )
    assert response.status_code == 422
    assert "last person who can manage members" in response.json()["message"]


def test_invitations_over_the_api(client, emulator, acme, org_token, mint):
    token = org_token("alice@example.com", ADMIN_SCOPES)
    url = f"/api/v1/organizations/{acme.id}/invitations"
    outcomes = send(
        client,
        "POST",
        url,
        token,
        {
            "emails": ["carol@example.com", "bob@example.com", "nope", "a@exämple.com"],
            "roleIds": [rid(emulator, "member")],
            "expiresInDays": 3,
        },
    ).json()
    assert [(o["email"], o["status"]) for o in outcomes] == [
        ("carol@example.com", "sent"),
        ("bob@example.com", "skipped"),
        ("nope", "failed"),
        ("a@exämple.com", "failed"),
    ]
    assert outcomes[3]["reason"] == "letters with accents or from other alphabets are not accepted"
    invitation_id = outcomes[0]["invitationId"]
    listed = send(client, "GET", f"{url}?status=Pending", token).json()
    assert [i["invitee"] for i in listed] == ["carol@example.com"]
    assert send(client, "POST", f"{url}/{invitation_id}/resend", token).status_code == 200

    carol = mint("carol@example.com")
    bob = mint("bob@example.com")
    seen_by_bob = send(client, "GET", f"/api/v1/invitations/{invitation_id}", bob).json()
    assert seen_by_bob["invitee"] == "c***l@example.com"
    assert (
        send(client, "GET", f"/api/v1/invitations/{invitation_id}", carol).json()["invitee"]
        == "carol@example.com"
    )
    assert (
        send(client, "POST", f"/api/v1/invitations/{invitation_id}/accept", bob).status_code == 403
    )
    accepted = send(client, "POST", f"/api/v1/invitations/{invitation_id}/accept", carol)
    assert accepted.json()["status"] == "Accepted"
    twice = send(client, "POST", f"/api/v1/invitations/{invitation_id}/accept", carol)
    assert twice.status_code == 422
    carol_id = emulator.state.user_by_email("carol@example.com").id
    assert acme.members[carol_id] == [rid(emulator, "member")]


def test_revoke_and_decline(client, emulator, acme, org_token, mint):
    token = org_token("alice@example.com", ADMIN_SCOPES)
    url = f"/api/v1/organizations/{acme.id}/invitations"
    first, second = send(
        client,
        "POST",
        url,
        token,
        {"emails": ["carol@example.com", "dave@example.com"], "roleIds": [rid(emulator, "member")]},
    ).json()
    assert (
        send(client, "POST", f"{url}/{second['invitationId']}/revoke", token).json()["status"]
        == "Revoked"
    )
    declined = send(
        client,
        "POST",
        f"/api/v1/invitations/{first['invitationId']}/decline",
        mint("carol@example.com"),
    )
    assert declined.json()["status"] == "Revoked"


def test_an_invitation_of_another_organization_in_a_revoke(client, emulator, acme, org_token):
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    other_token = org_token("alice@example.com", ADMIN_SCOPES, organization_id=other.id)
    [outcome] = send(
        client,
        "POST",
        f"/api/v1/organizations/{other.id}/invitations",
        other_token,
        {"emails": ["x@example.com"], "roleIds": [rid(emulator, "member")]},
    ).json()
    token = org_token("alice@example.com", ADMIN_SCOPES)
    response = send(
        client,
        "POST",
        f"/api/v1/organizations/{acme.id}/invitations/{outcome['invitationId']}/revoke",
        token,
    )
    assert response.status_code == 404
    assert emulator.state.invitations[outcome["invitationId"]].status == "Pending"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_input"),
        ('{"name": 5}', "invalid_input"),
        ('{"name": ""}', "invalid_input"),
        ('{"name": "ok", "owner": "me"}', "invalid_input"),
        ("", "invalid_input"),
        ('{"name": "\\ud800"}', "invalid_json"),
    ],
)
def test_bad_bodies_are_400_with_a_code(client, emulator, mint, raw, code):
    response = send(client, "POST", "/api/v1/organizations", mint("alice@example.com"), raw=raw)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not any(o.name == "ok" for o in emulator.state.organizations.values())


def test_huge_payloads_are_413(client, emulator, mint):
    raw = json.dumps({"name": "x", "description": "y" * 100_000})
    response = send(client, "POST", "/api/v1/organizations", mint("alice@example.com"), raw=raw)
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page_size=500", "status=Nope"])
def test_bad_query_parameters(client, emulator, acme, org_token, query):
    path = "invitations" if query.startswith("status") else "members"
    response = send(
        client,
        "GET",
        f"/api/v1/organizations/{acme.id}/{path}?{query}",
        org_token("alice@example.com", ADMIN_SCOPES),
    )
    assert response.status_code == 400


def test_unknown_paths_and_methods(client, emulator, mint):
    token = mint("alice@example.com")
    assert send(client, "GET", "/api/v1/nope", token).json()["code"] == "not_found"
    wrong = send(client, "DELETE", "/api/v1/me/organizations", token)
    assert (wrong.status_code, wrong["Allow"]) == (405, "GET")


def test_logto_down_is_503_and_changes_nothing(client, emulator, mint):
    emulator.set_fault("organizations.create", status=503)
    response = send(
        client, "POST", "/api/v1/organizations", mint("alice@example.com"), {"name": "Zeta"}
    )
    assert (response.status_code, response.json()["code"]) == (503, "logto_unavailable")
    assert not any(o.name == "Zeta" for o in emulator.state.organizations.values())


def test_repeated_requests(client, emulator, acme, org_token):
    token = org_token("alice@example.com", ADMIN_SCOPES)
    body = {"emails": ["dave@example.com"], "roleIds": [rid(emulator, "member")]}
    url = f"/api/v1/organizations/{acme.id}/invitations"
    assert send(client, "POST", url, token, body).json()[0]["status"] == "sent"
    assert send(client, "POST", url, token, body).json()[0]["status"] == "skipped"
    assert len(emulator.state.invitations) == 1


def concrete_path(path: str) -> str:
    for name, value in (
        ("{org_id}", "o1"),
        ("{user_id}", "u1"),
        ("{invitation_id}", "i1"),
        ("{batch_id}", "b1"),
    ):
        path = path.replace(name, value)
    return path


def routed_operations(client) -> set[tuple[str, str]]:
    """(method, path) of every API route, asked of the running app: a TRACE to each route
    answers 405 with the methods it serves in `Allow`."""
    from django.urls import URLPattern

    from orgportal.api.urls import urlpatterns

    routed = set()
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if route in ("", "openapi.json", "<path:rest>") or route.endswith("/"):
            continue  # ninja's root, the document itself, the 404 and the slash aliases
        path = "/" + route.replace("<", "{").replace(">", "}")
        concrete = concrete_path(path)
        answer = client.generic("TRACE", "/api/v1" + concrete)
        assert answer.status_code == 405, path
        routed |= {(method.strip(), path) for method in answer["Allow"].split(",")}
    return routed


def test_the_openapi_document_matches_the_routes(client, emulator):
    from django.urls import get_resolver

    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert documented == routed_operations(client)
    assert len(documented) == 17
    # Every documented path resolves to the API's views, with or without the slash, never to
    # the catch-all 404.
    resolver = get_resolver()
    for _, path in documented:
        concrete = "/api/v1" + concrete_path(path)
        assert resolver.resolve(concrete).url_name != "not_found", path
        assert resolver.resolve(concrete + "/").url_name != "not_found", path


def test_the_openapi_document_describes_bodies_queries_and_answers(client, emulator):
    document = client.get("/api/v1/openapi.json").json()
    members = document["paths"]["/organizations/{org_id}/members"]["get"]
    assert {p["name"] for p in members["parameters"] if p["in"] == "query"} == {
        "q",
        "page",
        "page_size",
    }
    answer = members["responses"]["200"]["content"]["application/json"]["schema"]
    page = document["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"items", "total", "page", "pageSize"}
    create = document["paths"]["/organizations"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert set(document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]) == {
        "name",
        "description",
    }
    assert {"400", "401", "413", "422", "503"} <= set(create["responses"])
    assert client.get("/api/v1/docs").status_code == 404  # no Swagger page from a CDN


def test_a_blank_name_in_a_patch_is_refused_not_an_outage(client, emulator, acme, org_token):
    """Refused by the API in the form's words (once 503, then 422 with Logto's wording)."""
    response = send(
        client,
        "PATCH",
        f"/api/v1/organizations/{acme.id}",
        org_token("alice@example.com", ADMIN_SCOPES),
        {"name": "   "},
    )
    assert (response.status_code, response.json()["code"]) == (422, "rejected")
    assert response.json()["message"] == "Give the organization a name."
    assert acme.name == "Acme"


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"name": "   "}, "Give the organization a name."),
        (
            {"name": "Acme\nBcc: eve@example.com"},
            "The name cannot contain line breaks, tabs or invisible control characters.",
        ),
        (
            {"name": "Zeta", "description": "\u2066x\u2069"},
            "The description cannot contain line breaks, tabs or invisible control characters.",
        ),
    ],
)
def test_a_create_with_a_blank_or_unsafe_name_is_refused_in_the_pages_words(
    client, emulator, mint, body, sentence
):
    count = len(emulator.state.organizations)
    response = send(client, "POST", "/api/v1/organizations", mint("carol@example.com"), body)
    assert (response.status_code, response.json()["code"]) == (422, "rejected")
    assert response.json()["message"] == sentence
    assert len(emulator.state.organizations) == count


def test_a_patch_with_a_direction_mark_is_refused(client, emulator, acme, org_token):
    response = send(
        client,
        "PATCH",
        f"/api/v1/organizations/{acme.id}",
        org_token("alice@example.com", ADMIN_SCOPES),
        {"description": "evil\u202etxt.exe"},
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("The description cannot contain")
    assert acme.description == "The demo organization"
