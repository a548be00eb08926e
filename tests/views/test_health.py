"""Health endpoints: what a load balancer and an operator read."""

import pytest

pytestmark = pytest.mark.django_db


def test_ready_when_the_database_and_logto_answer(client, emulator):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "logto": "ok"}}


def test_not_ready_when_logto_fails(client, emulator):
    emulator.set_fault("oidc.discovery", status=502)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["logto"] == "HTTP 502"


def test_health_endpoints_only_answer_reads(client, emulator):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
