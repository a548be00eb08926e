"""`manage.py api_token EMAIL [--organization ID]`: a Logto access token from the emulator.

A development helper for trying the JSON API against `make run`: it signs in through the
emulator's sign-in form (real Logto's sign-in page is an app, not a form, so this only works
with the emulator) and prints a token for the portal's API resource, or an organization
token carrying the user's organization permissions.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from logto_emulator import defaults as dev_defaults

ORGANIZATIONS_RESOURCE = "urn:logto:resource:organizations"


class Command(BaseCommand):
    help = "Print a Logto access token for the JSON API, signing in at the local emulator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--password", default=dev_defaults.DEMO_PASSWORD)
        parser.add_argument(
            "--organization", help="an organization id: print an organization token"
        )

    def handle(self, *args, email: str, password: str, organization: str | None, **options) -> None:
        try:
            tokens = self._sign_in(email, password)
            if organization:
                tokens = self._token(
                    {
                        "grant_type": "refresh_token",
                        "refresh_token": tokens["refresh_token"],
                        "organization_id": organization,
                    }
                )
        except requests.RequestException as exc:
            raise CommandError(
                f"Could not reach Logto at {settings.LOGTO.endpoint}: {exc}"
            ) from exc
        self.stdout.write(tokens["access_token"])

    def _sign_in(self, email: str, password: str) -> dict:
        endpoint = settings.LOGTO.endpoint
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        redirect_uri = f"{settings.PORTAL_BASE_URL}/oidc/callback/"
        permissions = " ".join(settings.ORGPORTAL_PERMISSIONS.values())
        query = urlencode(
            [
                ("client_id", settings.LOGTO.app_id),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("scope", f"openid offline_access urn:logto:scope:organizations {permissions}"),
                ("resource", settings.LOGTO.api_resource),
                ("resource", ORGANIZATIONS_RESOURCE),
                ("prompt", "consent"),
                ("state", secrets.token_urlsafe(16)),
                ("code_challenge", challenge.rstrip(b"=").decode()),
                ("code_challenge_method", "S256"),
            ]
        )
        browser = requests.Session()
        page = browser.get(f"{endpoint}/oidc/auth?{query}", timeout=10)
        found = re.search(r'name="interaction" value="([^"]+)"', page.text)
        if not found:
            raise CommandError("No sign-in form: this helper only works with the Logto emulator.")
        answer = browser.post(
            f"{endpoint}/sign-in",
            data={"interaction": found.group(1), "identifier": email, "password": password},
            allow_redirects=False,
            timeout=10,
        )
        code = parse_qs(urlsplit(answer.headers.get("Location", "")).query).get("code")
        if answer.status_code != 302 or not code:
            raise CommandError(f"Signing in as {email} failed (wrong email or password?).")
        self._endpoint = endpoint
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code[0],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
                "resource": settings.LOGTO.api_resource,
            }
        )

    def _token(self, data: dict) -> dict:
        response = requests.post(
            f"{settings.LOGTO.endpoint}/oidc/token",
            data=data,
            auth=(settings.LOGTO.app_id, settings.LOGTO.app_secret),
            timeout=10,
        )
        if response.status_code != 200:
            if "requires MFA" in response.text:
                raise CommandError(
                    "This organization requires two-step verification and this account has "
                    "none set up, so Logto issues no organization token. Set it up, then try "
                    "again."
                )
            raise CommandError(f"Logto refused the token request: {response.text[:300]}")
        return response.json()
