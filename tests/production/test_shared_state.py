"""What several processes share through PostgreSQL and Redis, and how an instance reports and
ends its work."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.production.conftest import Logto
from tests.production.processes import PROXY_HEADERS, Gunicorn, manage
from tests.servers import RedisServer, free_port

# Run by `manage.py shell` (a process of its own): signs alice in with Django's test client,
# which stores the session through the configured engine, and prints the session cookie.
SIGN_IN = """
from django.test import Client
from orgportal.models import User
user, _ = User.objects.get_or_create(
    logto_id="{logto_id}", defaults={{"username": "{logto_id}", "email": "alice@example.com"}}
)
client = Client()
client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
print("SESSION", client.cookies["sessionid"].value)
"""


def sign_in_elsewhere(deployment_env: dict[str, str], logto: Logto) -> str:
    alice = logto.emulator.state.user_by_email("alice@example.com")
    result = manage(deployment_env, "shell", "-c", SIGN_IN.format(logto_id=alice.id))
    assert result.returncode == 0, result.stderr
    return next(
        line.split()[1] for line in result.stdout.splitlines() if line.startswith("SESSION")
    )


def test_a_session_made_in_one_process_is_signed_in_on_the_others(
    portal: Gunicorn, deployment_env, logto, redis_server: RedisServer
):
    session_key = sign_in_elsewhere(deployment_env, logto)
    redis = redis_server.client(db=int(deployment_env["REDIS_URL"].rsplit("/", 1)[1]))
    assert redis.keys(f"*sessions.cached_db{session_key}"), "the session is in Redis"

    # Several requests, spread over the two gunicorn workers as the kernel hands them out: each
    # sees alice signed in.
    for _ in range(4):
        page = portal.get("/", cookies={"sessionid": session_key})
        assert page.status_code == 200
        assert "Acme" in page.text  # her dashboard, not the landing page

    # Redis restarted or flushed: the session is still in PostgreSQL (cached_db), so nobody is
    # signed out, and it is back in the cache after the next read.
    redis.flushdb()
    page = portal.get("/", cookies={"sessionid": session_key})
    assert "Acme" in page.text
    assert redis.keys(f"*sessions.cached_db{session_key}")


@pytest.fixture
def portal_without_database(deployment_env) -> Gunicorn:
    env = {**deployment_env, "DATABASE_URL": f"postgres://portal@127.0.0.1:{free_port()}/portal"}
    with Gunicorn(env, workers=1) as server:
        yield server.wait_until_serving()


def test_readiness_names_an_unreachable_database(portal_without_database: Gunicorn):
    response = requests.get(portal_without_database.url + "/readyz", timeout=10)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "failed: OperationalError", "cache": "ok", "logto": "ok"},
    }


def test_a_stopped_instance_finishes_the_request_in_flight(deployment_env, logto: Logto):
    """SIGTERM (a deploy, a scale-in): gunicorn stops accepting, answers what it is serving,
    then exits cleanly."""
    with Gunicorn(deployment_env, workers=1) as server:
        server.wait_until_serving()
        logto.emulator.set_fault("oidc.discovery", latency=1.5)  # /readyz waits on Logto
        answers: list[requests.Response] = []
        request = threading.Thread(
            target=lambda: answers.append(
                requests.get(server.url + "/readyz", headers=PROXY_HEADERS, timeout=10)
            )
        )
        try:
            request.start()
            time.sleep(0.5)
            assert server.stop() == 0
            request.join(timeout=10)
        finally:
            logto.emulator.clear_faults()

    assert [answer.status_code for answer in answers] == [200]
