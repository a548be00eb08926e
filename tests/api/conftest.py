from __future__ import annotations

import time

import pytest
from django.conf import settings


@pytest.fixture
def mint(emulator):
    """`mint(email, audience=..., scopes=...)`: an access token signed by the emulator's key."""

    def make(email: str, *, audience: str | None = None, scopes: str = "", **overrides) -> str:
        user = emulator.state.user_by_email(email)
        now = int(time.time())
        claims = {
            "iss": emulator.issuer,
            "sub": user.id,
            "aud": audience or settings.LOGTO.api_resource,
            "iat": now,
            "exp": now + 3600,
            "scope": scopes,
            "client_id": "spa",
            **overrides,
        }
        return emulator.signing_key.sign(claims, typ="at+jwt")

    return make


@pytest.fixture
def org_token(mint, acme):
    def make(email: str, scopes: str = "", organization_id: str | None = None) -> str:
        return mint(
            email,
            audience=f"urn:logto:organization:{organization_id or acme.id}",
            scopes=scopes,
        )

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
