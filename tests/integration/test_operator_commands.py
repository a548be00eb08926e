"""`logto_check` and `logto_bootstrap` against the emulator."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command

from logto_emulator.inprocess import routed_to
from logto_emulator.state import Hook
from orgportal.services.webhook_registration import WEBHOOK_EVENTS
from tests.conftest import make_emulator
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

HOOK_URL = "http://testserver/webhooks/logto"
SIGNING_KEY = "nQyptc9RahN1ZEhxPFCdQGAwbRHgkwNK"


@pytest.fixture(autouse=True)
def _portal_url(settings, monkeypatch):
    settings.PORTAL_BASE_URL = "http://testserver"
    monkeypatch.setenv("LOGTO_WEBHOOK_SIGNING_KEYS", f"an-old-key,{SIGNING_KEY}")


@pytest.fixture(autouse=True)
def _hook_registered(request):
    """A complete tenant has the portal's webhook, with the key the portal is configured with."""
    if "emulator" in request.fixturenames:
        hook = portal_hook(request.getfixturevalue("emulator"))
        hook.signing_key = SIGNING_KEY


def portal_hook(emulator, **fields) -> Hook:
    fields.setdefault("events", list(WEBHOOK_EVENTS))
    fields.setdefault("url", HOOK_URL)
    hook = Hook(id=f"hook{len(emulator.state.hooks)}", name="Organization portal", **fields)
    emulator.state.hooks[hook.id] = hook
    return hook


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
    assert len(lines) == 8
    assert all(line.startswith("OK") for line in lines)
    assert lines[-1] == (
        f"OK   webhook: {HOOK_URL} receives 13 events (no deliveries in the last 24 hours)"
    )


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
        # Once: the two roles for people, and the two for API keys (machine to machine).
        roles = emulator.state.organization_roles.values()
        assert sorted((role.type, role.name) for role in roles) == [
            ("MachineToMachine", "API: member management"),
            ("MachineToMachine", "API: read-only"),
            ("User", "admin"),
            ("User", "member"),
        ]
        [hook] = emulator.state.hooks.values()
        assert f"LOGTO_WEBHOOK_SIGNING_KEYS={hook.signing_key}" in out
        code, out = run("logto_check")
        assert code == 1 and "FAIL webhook: LOGTO_WEBHOOK_SIGNING_KEYS does not hold" in out
        os.environ["LOGTO_WEBHOOK_SIGNING_KEYS"] = hook.signing_key
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
    failure = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert failure.startswith("FAIL invitation email: ORGPORTAL_INVITATION_DELIVERY=logto, but")
    assert "no email connector" in failure
    assert "ORGPORTAL_INVITATION_DELIVERY=django" in failure


def test_check_does_not_need_a_connector_when_the_portal_sends_invitations(emulator, settings):
    settings.ORGPORTAL_INVITATION_DELIVERY = "django"
    emulator.state.email_connector = False
    code, out = run("logto_check")
    assert code == 0, out
    assert "OK   invitation email: sent by the portal through" in out


# -- the webhook ------------------------------------------------------------------------------
def test_bootstrap_registers_the_webhook_once_and_prints_its_key(emulator):
    emulator.state.hooks.clear()
    code, out = run("logto_bootstrap")
    assert code == 0
    assert f"register a webhook to {HOOK_URL} for 13 events" in out
    assert "Dry run: nothing was changed" in out
    assert emulator.state.hooks == {}

    _, out = run("logto_bootstrap", "--apply")
    [hook] = emulator.state.hooks.values()
    assert (hook.url, hook.enabled, set(hook.events)) == (HOOK_URL, True, set(WEBHOOK_EVENTS))
    assert f"  LOGTO_WEBHOOK_SIGNING_KEYS={hook.signing_key}" in out

    _, again = run("logto_bootstrap", "--apply")
    assert "Nothing to do" in again
    assert list(emulator.state.hooks.values()) == [hook]  # not duplicated
    assert f"LOGTO_WEBHOOK_SIGNING_KEYS={hook.signing_key}" in again  # the same key again


def test_bootstrap_completes_an_existing_hook_and_keeps_what_it_had(emulator):
    emulator.state.hooks.clear()
    hook = portal_hook(
        emulator, events=["Organization.Deleted", "PostSignIn"], enabled=False, headers={"x": "1"}
    )
    key = hook.signing_key
    _, dry = run("logto_bootstrap")
    assert f"subscribe webhook 'Organization portal' ({hook.id}) to Organization.Membership" in dry
    assert f"enable webhook 'Organization portal' ({hook.id})" in dry
    assert hook.enabled is False

    run("logto_bootstrap", "--apply")
    assert list(emulator.state.hooks) == [hook.id]
    assert hook.enabled is True
    assert set(hook.events) == set(WEBHOOK_EVENTS) | {"PostSignIn"}  # additive
    assert (hook.headers, hook.signing_key) == ({"x": "1"}, key)


def test_bootstrap_leaves_other_hooks_alone(emulator):
    other = Hook(id="crm", name="CRM", events=["User.Created"], url="https://crm.example/hook")
    emulator.state.hooks[other.id] = other
    _, out = run("logto_bootstrap", "--apply")
    assert "Nothing to do" in out
    assert (other.events, other.url) == (["User.Created"], "https://crm.example/hook")


def deliver(emulator, event: str) -> None:
    """Logto delivers one event to the registered hook (and logs how it went)."""
    emulator.webhooks.emit(event, {"data": {"id": "u1"}})
    emulator.webhooks.release()
    emulator.webhooks.wait_idle()


def check_webhook_line(out: str) -> str:
    return next(line for line in out.splitlines() if " webhook: " in line)


def test_check_spots_a_missing_webhook(emulator):
    emulator.state.hooks.clear()
    emulator.state.hooks["crm"] = Hook(
        id="crm", name="CRM", events=["User.Created"], url="https://crm.example/hook"
    )
    code, out = run("logto_check")
    assert code == 1
    line = check_webhook_line(out)
    assert line.startswith(f"FAIL webhook: no webhook delivers to {HOOK_URL}")
    assert "(webhooks exist for https://crm.example/hook)" in line
    assert "logto_bootstrap --apply" in line and "PORTAL_BASE_URL" in line


def test_check_spots_a_disabled_webhook(emulator):
    [hook] = emulator.state.hooks.values()
    hook.enabled = False
    code, out = run("logto_check")
    assert code == 1
    assert check_webhook_line(out).startswith(
        f"FAIL webhook: webhook 'Organization portal' ({hook.id}) to {HOOK_URL} is disabled"
    )


def test_check_names_the_events_the_webhook_misses(emulator):
    [hook] = emulator.state.hooks.values()
    hook.events = [e for e in hook.events if not e.startswith("User.")]
    code, out = run("logto_check")
    assert code == 1
    line = check_webhook_line(out)
    assert (
        "does not subscribe to User.Deleted, User.Data.Updated, User.SuspensionStatus.Updated"
        in line
    )


def test_check_spots_a_signing_key_the_portal_does_not_have(emulator, monkeypatch):
    monkeypatch.delenv("LOGTO_WEBHOOK_SIGNING_KEYS")
    code, out = run("logto_check")
    assert code == 1
    line = check_webhook_line(out)
    assert line.startswith("FAIL webhook: LOGTO_WEBHOOK_SIGNING_KEYS is not set")
    monkeypatch.setenv("LOGTO_WEBHOOK_SIGNING_KEYS", "an-old-key")
    assert "does not hold the hook's current signing key" in check_webhook_line(
        run("logto_check")[1]
    )


@contextmanager
def portal_behind(receiver: WebhookReceiver, settings) -> Iterator:
    """A tenant whose portal (and webhook) is at the receiver's address."""
    base = receiver.url.removesuffix("/hook")
    settings.PORTAL_BASE_URL = base
    emulator = make_emulator([base])
    with routed_to(emulator):
        portal_hook(emulator, url=base + "/webhooks/logto", signing_key=SIGNING_KEY)
        yield emulator


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (401, "the portal answered HTTP 401: it refused the signature."),
        (404, "the portal answered HTTP 404 at"),
        (500, "the portal answered HTTP 500."),
    ],
)
def test_check_reports_failed_deliveries(settings, status, says):
    with WebhookReceiver(status=status) as receiver, portal_behind(receiver, settings) as emulator:
        deliver(emulator, "User.Deleted")
        code, out = run("logto_check")
    assert code == 1
    line = check_webhook_line(out)
    assert line.startswith("FAIL webhook: the latest delivery (User.Deleted at ")
    assert "(1 of the last 1 failed)" in line and says in line


def test_check_reports_an_unreachable_portal(emulator):
    deliver(emulator, "User.Deleted")
    code, out = run("logto_check")
    assert code == 1
    line = check_webhook_line(out)
    assert f"Logto could not reach {HOOK_URL}" in line
    assert "not localhost for Logto Cloud" in line


def test_check_passes_once_the_latest_delivery_succeeded(settings):
    with WebhookReceiver(status=500) as receiver, portal_behind(receiver, settings) as emulator:
        deliver(emulator, "User.Deleted")
        receiver.status = 200
        deliver(emulator, "User.Data.Updated")
        code, out = run("logto_check")
    line = check_webhook_line(out)
    assert code == 0 and line.startswith("OK   webhook:"), out
    assert "the latest delivery (User.Data.Updated) succeeded; 1 of the last 2 failed" in line
