"""Everything the portal asks of Logto goes through here (DESIGN.md §2)."""

from __future__ import annotations

import functools

from django.conf import settings

from orgportal.logto.client import LogtoClient
from orgportal.logto.conf import LogtoSettings
from orgportal.logto.errors import (
    AuthError,
    Conflict,
    InvalidInput,
    LogtoError,
    NotFound,
    RateLimited,
    Unavailable,
)
from orgportal.logto.tokens import M2MTokenProvider
from orgportal.logto.transport import shared_session


def get_client() -> LogtoClient:
    """The client for the current settings (one per configuration, sharing one session)."""
    return _client_for(settings.LOGTO)


@functools.lru_cache(maxsize=8)
def _client_for(config: LogtoSettings) -> LogtoClient:
    session = shared_session(config.max_retries)
    timeout = (config.connect_timeout, config.read_timeout)
    tokens = M2MTokenProvider(
        endpoint=config.endpoint,
        app_id=config.m2m_app_id,
        app_secret=config.m2m_app_secret,
        resource=config.management_api_resource,
        session=session,
        timeout=timeout,
    )
    return LogtoClient(endpoint=config.endpoint, tokens=tokens, session=session, timeout=timeout)


__all__ = [
    "AuthError",
    "Conflict",
    "InvalidInput",
    "LogtoClient",
    "LogtoError",
    "NotFound",
    "RateLimited",
    "Unavailable",
    "get_client",
]
