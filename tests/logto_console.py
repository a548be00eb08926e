"""Changes "in Logto": Management API calls to the emulator over HTTP that do not come from
the portal (Logto's console's user agent), for tests and benchmarks of the portal's webhook."""

from __future__ import annotations

from typing import Any

import requests

from logto_emulator import defaults
from orgportal.services.webhook_registration import WEBHOOK_EVENTS

CONSOLE_USER_AGENT = "Mozilla/5.0 (Logto Console)"
# The events the portal registers its hook for (logto_bootstrap).
PORTAL_EVENTS = list(WEBHOOK_EVENTS)


class HttpConsole:
    """`console("DELETE", "/organizations/…/users/…")` against the emulator at `endpoint`."""

    def __init__(self, endpoint: str, resource: str = defaults.MANAGEMENT_API_RESOURCE) -> None:
        self.endpoint = endpoint
        self.session = requests.Session()
        self.session.headers["User-Agent"] = CONSOLE_USER_AGENT
        token = self.session.post(
            f"{endpoint}/oidc/token",
            data={"grant_type": "client_credentials", "resource": resource, "scope": "all"},
            auth=(defaults.M2M_APP_ID, defaults.M2M_APP_SECRET),
            timeout=10,
        )
        token.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, f"{self.endpoint}/api{path}", timeout=10, **kwargs)
        assert response.status_code < 400, response.text
        return response

    def subscribe(self, url: str) -> str:
        """Register the portal's hook at `url`; its signing key."""
        hook = self(
            "POST",
            "/hooks",
            json={"name": "orgportal", "events": PORTAL_EVENTS, "config": {"url": url}},
        )
        return hook.json()["signingKey"]
