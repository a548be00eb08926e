"""API keys in a real browser, at a phone's width and a laptop's: alice creates a key, copies
its secret (shown once), sees it listed, gives it a new secret and revokes it."""

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def acme_of(emulator):
    return next(o for o in emulator.state.organizations.values() if o.name == "Acme")


def token_status(app_id: str, secret: str, organization_id: str) -> int:
    return requests.post(
        f"{settings.LOGTO.endpoint}/oidc/token",
        data={"grant_type": "client_credentials", "organization_id": organization_id},
        auth=(app_id, secret),
        timeout=5,
    ).status_code


@pytest.mark.parametrize("width", [375, 1280])
def test_create_copy_list_rotate_revoke(live_server, live_emulator, page, look, width):
    acme = acme_of(live_emulator)
    page.set_viewport_size({"width": width, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/")
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    look(page, f"empty-{width}")

    page.get_by_label("Name").fill("HR sync")
    page.get_by_label("API: member management").check()
    page.get_by_label("Expires").select_option(label="90 days")
    page.get_by_role("button", name="Create API key").click()
    expect(page.get_by_text("Copy the secret now: it will not be shown again.")).to_be_visible()
    secret = page.locator("#api-key-secret").input_value()
    app_id = page.locator("#api-key-id").input_value()
    assert token_status(app_id, secret, acme.id) == 200
    copy = page.locator("[data-copy=api-key-secret]")
    copy.click()
    expect(copy).to_contain_text("Copied")
    look(page, f"secret-{width}")

    # A reload shows the list, never the secret again.
    page.goto(f"{live_server.url}/orgs/{acme.id}/api-keys/")
    expect(page.locator("#new-secret")).to_have_count(0)
    assert secret not in page.content()
    row = page.locator("tr", has_text="HR sync")
    expect(row).to_contain_text("API: member management")
    expect(row).to_contain_text("Alice Admin")
    look(page, f"list-{width}")

    row.get_by_label("What happens to the current secret of HR sync").select_option("1")
    row.get_by_role("button", name="Make a new secret for HR sync").click()
    expect(page.get_by_role("heading", name="The new secret of HR sync")).to_be_visible()
    new_secret = page.locator("#api-key-secret").input_value()
    assert new_secret != secret
    assert token_status(app_id, secret, acme.id) == 200  # its grace period runs
    assert token_status(app_id, new_secret, acme.id) == 200
    look(page, f"rotated-{width}")

    page.goto(f"{live_server.url}/orgs/{acme.id}/api-keys/")
    page.get_by_role("button", name="Revoke the API key HR sync").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("The systems that use it lose access at once.")
    dialog.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("The API key HR sync was revoked.")).to_be_visible()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    assert token_status(app_id, new_secret, acme.id) == 401
    look(page, f"revoked-{width}")
