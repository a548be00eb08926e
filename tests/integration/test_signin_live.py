"""Sign-in over real HTTP: a live portal and the emulator served on loopback."""

import re

import pytest
import requests

from logto_emulator import defaults as dev_defaults

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_alice_signs_in_over_http_and_sees_acme(live_server, live_emulator):
    browser = requests.Session()
    sign_in_page = browser.get(f"{live_server.url}/oidc/authenticate/", timeout=10)
    assert sign_in_page.url.startswith(live_emulator.endpoint + "/sign-in")
    interaction = re.search(r'name="interaction" value="([^"]+)"', sign_in_page.text).group(1)

    dashboard = browser.post(
        f"{live_emulator.endpoint}/sign-in",
        data={
            "interaction": interaction,
            "identifier": "alice@example.com",
            "password": dev_defaults.DEMO_PASSWORD,
        },
        timeout=10,
    )

    assert dashboard.status_code == 200
    assert dashboard.url == f"{live_server.url}/"
    assert "Your organizations" in dashboard.text
    assert "Acme" in dashboard.text
