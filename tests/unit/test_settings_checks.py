"""Start-up refuses a production configuration with holes; `check` names what is wrong."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from orgportal.checks import (
    check_api_resource,
    check_logto_settings,
    check_shared_cache,
    check_shared_database,
)
from orgportal.deployment import ensure_safe_to_serve, unshared_cache_problem

ROOT = Path(__file__).resolve().parents[2]


def run_django(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOGTO_", "DJANGO_", "DATABASE_URL"))
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", **env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_outside_debug_missing_secrets_stop_start_up_with_their_names(tmp_path):
    result = run_django({"DJANGO_DEBUG": "false", "DATABASE_URL": f"sqlite:///{tmp_path}/db"})
    assert result.returncode != 0
    assert "orgportal cannot start: set DJANGO_SECRET_KEY, LOGTO_ENDPOINT" in result.stderr
    assert "LOGTO_M2M_APP_SECRET" in result.stderr


def test_debug_uses_the_emulator_defaults(tmp_path):
    result = run_django({"DJANGO_DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path}/db"})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_reports_a_malformed_endpoint_with_our_id(tmp_path):
    result = run_django(
        {
            "DJANGO_DEBUG": "true",
            "LOGTO_ENDPOINT": "tenant.logto.app/oidc",
            "DATABASE_URL": f"sqlite:///{tmp_path}/db",
        }
    )
    assert result.returncode != 0
    assert "orgportal.E001" in result.stderr


@pytest.mark.parametrize(
    ("endpoint", "ok"),
    [
        ("https://abc.logto.app", True),
        ("http://127.0.0.1:3001", True),
        ("https://auth.example.com/oidc", False),
        ("https://auth.example.com/api", False),
        ("auth.example.com", False),
        ("https://", False),
        ("https://auth.example.com?x=1", False),
    ],
)
def test_endpoint_shapes(settings, endpoint, ok):
    settings.LOGTO = dataclasses.replace(settings.LOGTO, endpoint=endpoint)
    ids = [finding.id for finding in check_logto_settings()]
    assert ("orgportal.E001" not in ids) is ok


def test_missing_credentials_are_reported_with_our_id(settings):
    settings.LOGTO = dataclasses.replace(settings.LOGTO, app_secret="", m2m_app_id="")
    findings = {finding.id: finding for finding in check_logto_settings()}
    assert "LOGTO_APP_SECRET" in findings["orgportal.E002"].msg
    assert "LOGTO_M2M_APP_ID" in findings["orgportal.E002"].msg


def test_plain_http_outside_debug_is_a_warning(settings):
    settings.DEBUG = False
    settings.LOGTO = dataclasses.replace(settings.LOGTO, endpoint="http://auth.example.com")
    assert "orgportal.W001" in [finding.id for finding in check_logto_settings()]


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ""}}


@pytest.mark.parametrize(
    ("caches", "debug", "single_process", "refused"),
    [
        (LOCMEM, False, False, True),
        (LOCMEM, True, False, False),  # make run
        (LOCMEM, False, True, False),  # the operator's explicit one-process promise
        (REDIS, False, False, False),
        (
            {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}},
            False,
            False,
            True,
        ),
    ],
)
def test_a_cache_other_processes_cannot_see_is_refused_outside_debug(
    settings, caches, debug, single_process, refused
):
    settings.CACHES = caches
    settings.DEBUG = debug
    settings.ORGPORTAL_SINGLE_PROCESS = single_process
    findings = [finding.id for finding in check_shared_cache()]
    assert findings == (["orgportal.E003"] if refused else [])
    if refused:
        with pytest.raises(ImproperlyConfigured, match="set REDIS_URL"):
            ensure_safe_to_serve()
    else:
        ensure_safe_to_serve()


def test_the_refusal_is_one_sentence_that_names_the_fix(settings):
    settings.CACHES = LOCMEM
    problem = unshared_cache_problem()
    assert problem == (
        "orgportal cannot start: the cache is a per-process memory cache, so permission changes "
        "made in one process would not reach the others; set REDIS_URL=redis://host:6379/0 "
        "(or ORGPORTAL_SINGLE_PROCESS=true if exactly one process serves the portal)."
    )


SQLITE = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "portal"}}


@pytest.mark.parametrize(
    ("databases", "debug", "single_process", "reported"),
    [
        (SQLITE, False, False, True),
        (SQLITE, True, False, False),  # make run
        (SQLITE, False, True, False),  # the operator's explicit one-process promise
        (POSTGRES, False, False, False),
        ({**POSTGRES, "archive": SQLITE["default"]}, False, False, True),
    ],
)
def test_sqlite_outside_debug_is_a_deploy_error(
    settings, monkeypatch, databases, debug, single_process, reported
):
    # The check only reads the setting: swapped without override_settings, whose signal warns
    # that open connections keep the old databases.
    monkeypatch.setattr("orgportal.checks.settings.DATABASES", databases, raising=False)
    settings.DEBUG = debug
    settings.ORGPORTAL_SINGLE_PROCESS = single_process
    findings = check_shared_database()
    assert [finding.id for finding in findings] == (["orgportal.E004"] if reported else [])
    if reported:
        assert "SQLite" in findings[0].msg and "DATABASE_URL=postgres://" in findings[0].hint


@pytest.mark.parametrize(
    ("resource", "debug", "reported"),
    [
        ("https://api.orgportal.local", False, True),  # the default: the emulator's resource
        ("", False, True),
        ("https://portal.example.com/api", False, False),
        ("https://api.orgportal.local", True, False),  # make run, against the emulator
    ],
)
def test_a_missing_api_resource_is_a_deploy_warning(settings, resource, debug, reported):
    settings.DEBUG = debug
    settings.LOGTO = dataclasses.replace(settings.LOGTO, api_resource=resource)
    findings = check_api_resource()
    assert [finding.id for finding in findings] == (["orgportal.W002"] if reported else [])
    if reported:
        assert findings[0].msg.startswith("LOGTO_API_RESOURCE is not set")
