"""Health endpoints: what a load balancer and an operator read."""

from collections.abc import Iterator

import pytest

from orgportal.views import health
from tests.servers import RedisServer

pytestmark = pytest.mark.django_db


def test_ready_when_the_database_the_cache_and_logto_answer(client, emulator):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "logto": "ok"},
    }


def test_not_ready_when_logto_fails(client, emulator):
    emulator.set_fault("oidc.discovery", status=502)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["logto"] == "HTTP 502"


@pytest.fixture
def own_redis(settings) -> Iterator[RedisServer]:
    """The portal's cache on a Redis of this test's own, which the test may stop."""
    with RedisServer() as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url(),
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
            }
        }
        yield server


def test_not_ready_when_redis_stops_and_the_answer_names_only_the_cache(
    client, emulator, own_redis
):
    assert client.get("/readyz").json()["checks"]["cache"] == "ok"

    own_redis.stop()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "failed: ConnectionError", "logto": "ok"},
    }
    assert b"Traceback" not in response.content


def test_liveness_depends_on_nothing(client, emulator):
    emulator.set_fault("oidc.discovery", status=502)
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_a_load_balancer_probe_is_answered_from_any_host_over_plain_http(
    client, emulator, settings
):
    settings.SECURE_SSL_REDIRECT = True  # as in production
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.3.17:8000")
        assert response.status_code == 200, path
    # Everything else still refuses an unknown host and redirects plain http.
    assert client.get("/", HTTP_HOST="10.0.3.17:8000").status_code == 400
    assert client.get("/").status_code == 301


def test_health_endpoints_only_answer_reads(client, emulator):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_readiness_is_logged_when_it_changes_not_at_every_probe(
    client, emulator, caplog, monkeypatch
):
    monkeypatch.setattr(health, "_was_ready", True)
    emulator.set_fault("oidc.discovery", status=502)
    for _ in range(3):
        client.get("/readyz")
    emulator.clear_faults()
    for _ in range(3):
        client.get("/readyz")

    lines = [
        (record.name, record.levelname, record.getMessage())
        for record in caplog.records
        if record.name.startswith(("orgportal.views", "django.request"))
    ]
    assert lines == [
        ("orgportal.views.health", "WARNING", "Not ready: logto HTTP 502"),
        ("orgportal.views.health", "WARNING", "Ready again"),
    ]
