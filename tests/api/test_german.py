"""The API's `message` in the caller's language (Accept-Language, else the language saved on the
token's user); `code` and the `WWW-Authenticate` header stay English whatever the language."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from django.utils import translation
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticError

from orgportal.api.error_handler import validation_reason
from orgportal.models import User
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

GERMAN = {"Accept-Language": "de"}


def post_organization(client, token: str, raw: str, headers: dict | None = None):
    return client.post(
        "/api/v1/organizations",
        data=raw,
        content_type="application/json",
        headers={**bearer(token), **(headers or {})},
    )


def test_a_validation_error_in_german_keeps_its_code(client, emulator, mint):
    response = post_organization(client, mint("alice@example.com"), '{"name": ""}', GERMAN)
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "invalid_input")
    assert body["message"] == (
        "Der Inhalt der Anfrage ist bei `name` ungültig: "
        "Die Zeichenkette muss mindestens 1 Zeichen lang sein"
    )
    assert body["details"] == [
        {"path": ["name"], "message": "Die Zeichenkette muss mindestens 1 Zeichen lang sein"}
    ]


def test_without_accept_language_the_message_is_english(client, emulator, mint):
    response = post_organization(client, mint("alice@example.com"), '{"name": ""}')
    assert response.json()["message"] == (
        "The request body is invalid at `name`: String should have at least 1 character"
    )


def test_unknown_fields_and_bad_json_in_german(client, emulator, mint):
    token = mint("alice@example.com")
    extra = post_organization(client, token, '{"name": "ok", "owner": "me"}', GERMAN).json()
    assert (extra["code"], extra["details"][0]["message"]) == (
        "invalid_input",
        "Zusätzliche Felder sind nicht erlaubt",
    )
    broken = post_organization(client, token, "not json", GERMAN).json()
    assert (broken["code"], broken["message"]) == (
        "invalid_json",
        "Der Inhalt der Anfrage ist kein gültiger JSON-Text in UTF-8.",
    )


def test_a_missing_token_is_refused_in_german_with_an_english_header(client, emulator):
    response = client.get("/api/v1/me/organizations", headers=GERMAN)
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token")
    assert response.json()["message"] == (
        "Senden Sie ein Logto-Zugriffstoken als `Authorization: Bearer <token>`."
    )
    assert "Send a Logto access token" in response["WWW-Authenticate"]


def test_a_missing_permission_in_german(client, emulator, acme, org_token):
    token = org_token("alice@example.com", "invite:member")
    response = client.patch(
        f"/api/v1/organizations/{acme.id}",
        data=json.dumps({"name": "Acme Corp"}),
        content_type="application/json",
        headers={**bearer(token), **GERMAN},
    )
    body = response.json()
    assert (response.status_code, body["code"]) == (403, "insufficient_scope")
    assert body["message"] == "Das Token enthält die Berechtigung `manage:organization` nicht."
    assert acme.name == "Acme"


def test_unknown_endpoints_and_methods_in_german(client, emulator, mint):
    token = mint("alice@example.com")
    missing = client.get("/api/v1/nope", headers={**bearer(token), **GERMAN}).json()
    assert (missing["code"], missing["message"]) == (
        "not_found",
        "Diesen API-Endpunkt gibt es nicht.",
    )
    wrong = client.delete("/api/v1/me/organizations", headers={**bearer(token), **GERMAN})
    assert wrong.json()["message"] == "DELETE ist hier nicht erlaubt."


def test_the_token_users_saved_language_when_the_request_names_none(
    client, emulator, acme, org_token
):
    token = org_token("alice@example.com", "manage:organization")

    def patch_nothing(headers: dict) -> dict:
        response = client.patch(
            f"/api/v1/organizations/{acme.id}",
            data="{}",
            content_type="application/json",
            headers={**bearer(token), **headers},
        )
        return response.json()

    assert patch_nothing({})["message"] == "Send at least one field to change."  # not saved yet
    # Alice chose German with the header's switch (saved on her portal user).
    assert User.objects.filter(email="alice@example.com").update(language="de") == 1
    assert patch_nothing({}) == {
        "code": "invalid_input",
        "message": "Senden Sie mindestens ein Feld, das sich ändern soll.",
        "details": None,
    }
    assert patch_nothing({"Accept-Language": "en"})["message"] == (
        "Send at least one field to change."
    )


class _Shapes(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=3)
    ids: list[Annotated[str, StringConstraints(pattern=r"^[a-z]+$")]] = Field(
        min_length=1, max_length=2
    )
    days: int = Field(ge=1, le=30)
    flag: bool = False
    required: str


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "ids": [], "days": 0, "flag": "yes"},
        {"name": "long", "ids": ["a", "b", "c"], "days": 31, "extra": 1},
        {"name": 5, "ids": ["A1"], "days": "x", "flag": None},
        {"name": "a", "ids": "a", "days": 1.5},
    ],
)
def test_the_english_reasons_are_pydantics_own(data):
    """The API's translated reasons say in English exactly what pydantic says."""
    with pytest.raises(PydanticError) as raised:
        _Shapes.model_validate(data)
    items = raised.value.errors(include_url=False)
    with translation.override("en"):
        assert [validation_reason(dict(item)) for item in items] == [item["msg"] for item in items]
    with translation.override("de"):
        german = [validation_reason(dict(item)) for item in items]
    assert all(reason not in {item["msg"] for item in items} for reason in german), german
