"""The machine-to-machine access token for the Management API.

Cached in the shared cache, so every worker of every instance uses the same token; refreshed
a minute before expiry, by one of them at a time (`cached_or_filled`). Tokens and secrets are
never logged.
"""

from __future__ import annotations

import hashlib
import logging
import time

import requests
from django.core.cache import cache

from orgportal.logto.errors import AuthError, LogtoError, Unavailable
from orgportal.shared_locks import cached_or_filled

logger = logging.getLogger(__name__)

REFRESH_MARGIN = 60  # seconds before expiry when a cached token stops being used


class M2MTokenProvider:
    def __init__(
        self,
        *,
        endpoint: str,
        app_id: str,
        app_secret: str,
        resource: str,
        session: requests.Session,
        timeout: tuple[float, float],
    ) -> None:
        self.token_url = endpoint + "/oidc/token"
        self.app_id = app_id
        self._secret = app_secret
        self.resource = resource
        self._session = session
        self._timeout = timeout
        digest = hashlib.sha256(f"{endpoint}|{app_id}|{resource}".encode()).hexdigest()[:16]
        self.cache_key = f"orgportal:logto:m2m-token:{digest}"

    def __repr__(self) -> str:  # never show the secret
        return f"M2MTokenProvider(app_id={self.app_id!r}, resource={self.resource!r})"

    def get(self) -> str:
        token = self._cached()
        if token:
            return token
        token, _ = cached_or_filled(self.cache_key, self._fetch, ttl=_until_refresh)
        return token

    def invalidate(self, stale_token: str | None = None) -> None:
        """Drop the cached token (only if it is still `stale_token`, when given)."""
        if stale_token is None or self._cached(ignore_margin=True) == stale_token:
            cache.delete(self.cache_key)

    def _cached(self, *, ignore_margin: bool = False) -> str | None:
        entry = cache.get(self.cache_key)
        if not entry:
            return None
        token, expires_at = entry
        margin = 0 if ignore_margin else REFRESH_MARGIN
        return token if expires_at - margin > time.time() else None

    def _fetch(self) -> tuple[str, float]:
        """A new token and when it expires (epoch seconds)."""
        started = time.monotonic()
        try:
            response = self._session.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "resource": self.resource,
                    "scope": "all",
                },
                auth=(self.app_id, self._secret),
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise Unavailable(
                f"Could not reach Logto for a Management API token ({type(exc).__name__}).",
                method="POST",
                path="/oidc/token",
            ) from exc
        logger.debug(
            "logto POST /oidc/token -> %s in %.0f ms",
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if response.status_code != 200:
            raise self._error(response)
        body = response.json()
        return body["access_token"], time.time() + int(body.get("expires_in", 3600))

    def _error(self, response: requests.Response) -> LogtoError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error") or body.get("code")
        details = body.get("error_description") or body.get("message") or ""
        kwargs = {
            "status": response.status_code,
            "code": code,
            "method": "POST",
            "path": "/oidc/token",
        }
        if response.status_code >= 500 or response.status_code == 429:
            return Unavailable("Logto's token endpoint is failing.", **kwargs)
        return AuthError(
            f"Logto refused the machine-to-machine credentials ({code}: {details}). "
            "Check LOGTO_M2M_APP_ID, LOGTO_M2M_APP_SECRET and LOGTO_MANAGEMENT_API_RESOURCE.",
            **kwargs,
        )


def _until_refresh(entry: tuple[str, float]) -> int:
    """Keep a token in the cache until a minute before it expires."""
    return max(int(entry[1] - time.time()) - REFRESH_MARGIN, 1)
