"""Changes made in Logto reach both instances at once through the webhook (delivered over
HTTP to instance A; B shares its Redis and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.instances.harness import sign_in
from tests.logto_console import HttpConsole

pytestmark = pytest.mark.instances


def acme_of(deployment):
    return next(o for o in deployment.emulator.state.organizations.values() if o.name == "Acme")


def bob_id(deployment) -> str:
    return deployment.emulator.state.user_by_email("bob@example.com").id


def test_removed_in_logto_bob_is_refused_on_both_instances_at_once(hooked_deployment):
    deployment = hooked_deployment
    acme = acme_of(deployment)
    on_a = sign_in(deployment.a, "bob@example.com")
    on_b = sign_in(deployment.b, "bob@example.com")
    for browser, url in ((on_a, deployment.a), (on_b, deployment.b)):
        assert browser.get(f"{url}/orgs/{acme.id}/", timeout=10).status_code == 200
    HttpConsole(deployment.emulator.endpoint)(
        "DELETE", f"/organizations/{acme.id}/users/{bob_id(deployment)}"
    )
    assert all(d.ok for d in deployment.emulator.webhooks.wait_idle())
    for browser, url in ((on_a, deployment.a), (on_b, deployment.b)):
        assert browser.get(f"{url}/orgs/{acme.id}/", timeout=10).status_code == 404


def test_suspended_in_logto_bob_is_signed_out_on_both_instances(hooked_deployment):
    deployment = hooked_deployment
    acme = acme_of(deployment)
    on_a = sign_in(deployment.a, "bob@example.com")
    on_b = sign_in(deployment.b, "bob@example.com")
    HttpConsole(deployment.emulator.endpoint)(
        "PATCH", f"/users/{bob_id(deployment)}/is-suspended", json={"isSuspended": True}
    )
    assert all(d.ok for d in deployment.emulator.webhooks.wait_idle())
    for browser, url in ((on_a, deployment.a), (on_b, deployment.b)):
        page = browser.get(f"{url}/orgs/{acme.id}/", timeout=10, allow_redirects=False)
        assert page.status_code == 302 and page.headers["Location"] == "/"
        home = browser.get(f"{url}/", timeout=10)
        assert "Acme" not in home.text  # signed out: the sign-in page


def test_a_forged_delivery_to_an_instance_changes_nothing(hooked_deployment):
    import requests

    deployment = hooked_deployment
    acme = acme_of(deployment)
    on_b = sign_in(deployment.b, "bob@example.com")
    body = (
        '{"event":"User.SuspensionStatus.Updated","createdAt":"2030-01-01T00:00:00.000Z",'
        f'"data":{{"id":"{bob_id(deployment)}","isSuspended":true}}}}'
    ).encode()
    forged = requests.post(
        f"{deployment.a}/webhooks/logto",
        data=body,
        headers={"content-type": "application/json", "logto-signature-sha-256": "0" * 64},
        timeout=10,
    )
    assert forged.status_code == 401
    assert on_b.get(f"{deployment.b}/orgs/{acme.id}/", timeout=10).status_code == 200
