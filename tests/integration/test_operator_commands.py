"""`logto_check` and `logto_bootstrap` against the emulator."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command

from logto_emulator.inprocess import routed_to
from tests.conftest import make_emulator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portal_url(settings):
    settings.PORTAL_BASE_URL = "http://testserver"


def run(command: str, *args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(command, *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


def test_check_passes_against_a_complete_tenant(emulator):
    code, out = run("logto_check")
    assert code == 0, out
    lines = out.splitlines()
    assert len(lines) == 7
    assert all(line.startswith("OK") for line in lines)


def test_check_names_the_endpoint_when_logto_is_down():
    code, out = run("logto_check")
    assert code == 1
    first, *rest = out.splitlines()
    assert first.startswith("FAIL endpoint: cannot reach http://127.0.0.1:")
    assert "Fix:" in first
    assert all(line.startswith("SKIP") for line in rest)


def test_bootstrap_creates_the_template_once():
    emulator = make_emulator(["http://testserver"], seed="empty")
    with routed_to(emulator):
        code, out = run("logto_check")
        assert code == 1
        assert "FAIL organization template" in out
        assert "logto_bootstrap --apply" in out

        code, out = run("logto_bootstrap")
        assert code == 0
        assert "dry run" in out.lower()
        assert "create organization permission 'invite:member'" in out
        assert "create organization role 'admin' with invite:member" in out
        assert emulator.state.organization_roles == {}

        run("logto_bootstrap", "--apply")
        admin = emulator.state.role_by_name("admin")
        assert {emulator.state.organization_scopes[s].name for s in admin.scope_ids} == {
            "invite:member",
            "manage:member",
            "delete:member",
            "manage:organization",
            "delete:organization",
        }
        assert emulator.state.role_by_name("member").scope_ids == []

        _, out = run("logto_bootstrap", "--apply")
        assert "Nothing to do" in out
        assert len(emulator.state.organization_roles) == 2
        assert run("logto_check")[0] == 0


def test_bootstrap_grants_missing_permissions_to_an_existing_role(emulator):
    admin = emulator.state.role_by_name("admin")
    admin.scope_ids = admin.scope_ids[:2]
    _, out = run("logto_bootstrap", "--apply")
    assert (
        "add delete:member, manage:organization, delete:organization to organization role 'admin'"
        in out
    )
    assert len(admin.scope_ids) == 5


def test_check_spots_a_missing_redirect_uri(emulator, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    code, out = run("logto_check")
    assert code == 1
    assert (
        "FAIL web app: the web app lacks redirect URI https://portal.example.com/oidc/callback/"
        in out
    )


def test_check_spots_wrong_m2m_credentials(emulator, settings):
    settings.LOGTO = dataclasses.replace(settings.LOGTO, m2m_app_secret="wrong")
    code, out = run("logto_check")
    assert code == 1
    assert (
        "FAIL m2m token: Logto refused the machine-to-machine credentials (invalid_client)" in out
    )


def test_check_spots_an_m2m_app_without_management_access(emulator):
    emulator.state.applications["orgportal-m2m"].management_api_access = False
    code, out = run("logto_check")
    assert code == 1
    assert "FAIL management api" in out
    assert "Logto Management API access" in out


def test_check_spots_logto_delivery_without_an_email_connector(emulator, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "logto"
    assert run("logto_check")[0] == 0

    emulator.state.email_connector = False
    code, out = run("logto_check")
    assert code == 1
    failure = out.splitlines()[-1]
    assert failure.startswith("FAIL invitation email: ORGPORTAL_INVITATION_DELIVERY=logto, but")
    assert "no email connector" in failure
    assert "ORGPORTAL_INVITATION_DELIVERY=django" in failure


def test_check_does_not_need_a_connector_when_the_portal_sends_invitations(emulator, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "django"
    emulator.state.email_connector = False
    code, out = run("logto_check")
    assert code == 0, out
    assert "OK   invitation email: sent by the portal through" in out
