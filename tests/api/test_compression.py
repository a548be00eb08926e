"""The JSON API's answers come gzip-compressed when the client accepts it (issue 22)."""

from __future__ import annotations

import gzip

import pytest

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_json_is_compressed_and_tiny_answers_are_left_alone(client, emulator, acme, mint):
    token = mint("alice@example.com")
    roles = client.get("/api/v1/organization-roles", headers={**bearer(token), **GZIP})
    assert roles.status_code == 200
    assert roles["Content-Encoding"] == "gzip"
    assert b"delete:organization" in gzip.decompress(roles.content)
    empty = client.get(
        "/api/v1/me/organizations", headers={**bearer(mint("carol@example.com")), **GZIP}
    )
    assert empty.json() == [] and "Content-Encoding" not in empty
