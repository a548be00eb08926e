"""Property-based run of the API against its own OpenAPI document (schemathesis).

Hypothesis generates bodies, query strings and path values from the published document; the
API must answer every one of them with a documented status and never with a 5xx.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from logto_emulator.inprocess import routed_to
from tests.conftest import make_emulator

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_SCOPES = "invite:member manage:member delete:member manage:organization delete:organization"


@pytest.fixture
def routed_emulator():
    emulator = make_emulator(["http://testserver"])
    with routed_to(emulator):
        yield emulator


def token_for(emulator, audience: str, scopes: str = "") -> str:
    alice = emulator.state.user_by_email("alice@example.com")
    now = int(time.time())
    return emulator.signing_key.sign(
        {
            "iss": emulator.issuer,
            "sub": alice.id,
            "aud": audience,
            "iat": now,
            "exp": now + 3600,
            "scope": scopes,
        },
        typ="at+jwt",
    )


def test_no_input_makes_the_api_fail(routed_emulator):
    emulator = routed_emulator
    acme = next(o for o in emulator.state.organizations.values() if o.name == "Acme")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    seen: Counter = Counter()

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case):
            if "org_id" in (case.path_parameters or {}):
                # Aim at a real organization with a fitting token, to reach the services.
                case.path_parameters["org_id"] = acme.id
                audience = f"urn:logto:organization:{acme.id}"
            else:
                audience = settings.LOGTO.api_resource
            token = token_for(emulator, audience, ADMIN_SCOPES)
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, (where, response.text[:500])
            documented = case.operation.definition.raw["responses"]
            seen[(case.method, response.status_code)] += 1
            assert str(response.status_code) in documented, (
                f"{where} answered {response.status_code}, which is not documented"
            )

        check()

    # The run reached the services, not only the token check: successes and rule refusals.
    assert sum(n for (_, status), n in seen.items() if status < 300) > 20, seen
    assert any(status == 400 for _, status in seen), seen
