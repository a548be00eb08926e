"""Configurations that would silently serve stale permissions do not start; sound ones pass
`check --deploy`."""

from __future__ import annotations

import pytest

from tests.production.processes import Gunicorn, manage, production_env

REFUSAL = (
    "orgportal cannot start: the cache is a per-process memory cache, so permission changes made "
    "in one process would not reach the others; set REDIS_URL=redis://host:6379/0 "
    "(or ORGPORTAL_SINGLE_PROCESS=true if exactly one process serves the portal)."
)


@pytest.fixture
def sqlite_env(tmp_path) -> dict[str, str]:
    """Production settings without REDIS_URL (and a database nobody else needs)."""
    return production_env(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")


def test_gunicorn_refuses_to_start_with_a_per_process_cache(sqlite_env):
    with Gunicorn(sqlite_env) as server:
        code = server.wait_for_exit(timeout=60)
    assert code != 0
    assert REFUSAL in server.output()


def test_check_names_the_same_fix(sqlite_env):
    result = manage(sqlite_env, "check")
    assert result.returncode != 0
    assert f"(orgportal.E003) {REFUSAL}" in result.stderr


def test_single_process_is_an_explicit_promise_gunicorn_holds_to(sqlite_env):
    env = {**sqlite_env, "ORGPORTAL_SINGLE_PROCESS": "true"}
    with Gunicorn(env, workers=2) as refused:
        assert refused.wait_for_exit(timeout=60) == 1
    assert (
        "orgportal cannot start: ORGPORTAL_SINGLE_PROCESS=true allows exactly one process, "
        "but gunicorn would start 2 workers; set WEB_CONCURRENCY=1"
    ) in refused.output()

    with Gunicorn(env, workers=1) as served:
        served.wait_until_serving()
        assert served.get("/healthz").json() == {"status": "ok"}


def test_check_deploy_is_clean_with_production_settings():
    env = production_env(
        DATABASE_URL="postgres://portal:secret@db.internal:5432/portal",
        REDIS_URL="redis://cache.internal:6379/0",
        DJANGO_BEHIND_PROXY="true",
    )
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_check_deploy_names_sqlite_and_a_missing_api_resource(sqlite_env):
    env = {**sqlite_env, "REDIS_URL": "redis://cache.internal:6379/0"}
    del env["LOGTO_API_RESOURCE"]
    result = manage(env, "check", "--deploy")
    assert result.returncode != 0
    assert "(orgportal.E004) The database is SQLite" in result.stderr
    assert "(orgportal.W002) LOGTO_API_RESOURCE is not set" in result.stderr


def test_forms_from_the_public_address_are_trusted_and_more_origins_can_be_added():
    env = production_env(
        REDIS_URL="redis://cache.internal:6379/0",
        PORTAL_BASE_URL="https://portal.example.test/",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://admin.example.test",
    )
    script = "from django.conf import settings; print(settings.CSRF_TRUSTED_ORIGINS)"
    result = manage(env, "shell", "-c", script)
    assert (
        result.stdout.strip().splitlines()[-1]
        == "['https://portal.example.test', 'https://admin.example.test']"
    )
