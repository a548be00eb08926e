"""The typed Logto Management API client. Views never call Logto; services call this."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

import requests

from orgportal.logto.errors import (
    AuthError,
    LogtoError,
    RateLimited,
    Unavailable,
    error_for_status,
)
from orgportal.logto.models import UserOrganization
from orgportal.logto.tokens import M2MTokenProvider

logger = logging.getLogger(__name__)


class LogtoClient:
    def __init__(
        self,
        *,
        endpoint: str,
        tokens: M2MTokenProvider,
        session: requests.Session,
        timeout: tuple[float, float],
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.tokens = tokens
        self._session = session
        self._timeout = timeout

    # -- users -------------------------------------------------------------------------------
    def list_user_organizations(self, user_id: str) -> list[UserOrganization]:
        """The user's organizations with the user's roles in each (never paginated by Logto)."""
        data = self._request("GET", "/api/users/{}/organizations", user_id).json()
        return [UserOrganization.from_api(item) for item in data]

    # -- transport ---------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        template: str,
        *path_args: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one call; map failures to `LogtoError`s. `template` is logged, not the ids."""
        path = template.format(*(quote(str(arg), safe="") for arg in path_args))
        token = self.tokens.get()
        response = self._send(method, template, path, token, params, json)
        if response.status_code == 401:
            # The cached token may have been revoked or signed by a rotated key: one replay.
            self.tokens.invalidate(token)
            response = self._send(method, template, path, self.tokens.get(), params, json)
        if response.status_code >= 400:
            raise self._error(response, method, template)
        return response

    def _send(
        self,
        method: str,
        template: str,
        path: str,
        token: str,
        params: dict[str, Any] | None,
        json: Any,
    ) -> requests.Response:
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.endpoint + path,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._timeout,
            )
        except requests.Timeout as exc:
            raise Unavailable(
                "Logto did not answer in time.", method=method, path=template
            ) from exc
        except requests.RequestException as exc:
            raise Unavailable(
                f"Could not connect to Logto ({type(exc).__name__}).", method=method, path=template
            ) from exc
        logger.debug(
            "logto %s %s -> %s in %.0f ms",
            method,
            template,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    @staticmethod
    def _error(response: requests.Response, method: str, template: str) -> LogtoError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        cls = error_for_status(response.status_code)
        kwargs: dict[str, Any] = {
            "status": response.status_code,
            "code": body.get("code"),
            "method": method,
            "path": template,
            "data": body.get("data"),
        }
        message = body.get("message") or f"Logto answered {response.status_code}."
        if cls is RateLimited:
            retry_after = response.headers.get("Retry-After")
            kwargs["retry_after"] = (
                float(retry_after) if retry_after and retry_after.isdigit() else None
            )
        if cls is AuthError:
            message = (
                f"Logto refused the portal's Management API token ({body.get('code')}). "
                "Check that the machine-to-machine app has the Management API role."
            )
        return cls(message, **kwargs)
