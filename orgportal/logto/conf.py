"""Logto connection settings, read once from the environment."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import environ

from orgportal.logto import dev_defaults


@dataclass(frozen=True)
class LogtoSettings:
    endpoint: str
    app_id: str
    app_secret: str
    m2m_app_id: str
    m2m_app_secret: str
    management_api_resource: str
    api_resource: str
    connect_timeout: float
    read_timeout: float
    max_retries: int


def load_logto_settings(env: environ.Env, *, required: Callable[[str, str], str]) -> LogtoSettings:
    """Read the LOGTO_* variables. `required` applies the debug-default / fail-fast rule."""
    endpoint = required("LOGTO_ENDPOINT", dev_defaults.ENDPOINT).rstrip("/")
    return LogtoSettings(
        endpoint=endpoint,
        app_id=required("LOGTO_APP_ID", dev_defaults.WEB_APP_ID),
        app_secret=required("LOGTO_APP_SECRET", dev_defaults.WEB_APP_SECRET),
        m2m_app_id=required("LOGTO_M2M_APP_ID", dev_defaults.M2M_APP_ID),
        m2m_app_secret=required("LOGTO_M2M_APP_SECRET", dev_defaults.M2M_APP_SECRET),
        management_api_resource=env.str(
            "LOGTO_MANAGEMENT_API_RESOURCE", default=default_management_resource(endpoint)
        ),
        api_resource=env.str("LOGTO_API_RESOURCE", default=dev_defaults.API_RESOURCE),
        connect_timeout=env.float("LOGTO_CONNECT_TIMEOUT", default=3.05),
        read_timeout=env.float("LOGTO_HTTP_TIMEOUT", default=10.0),
        max_retries=env.int("LOGTO_MAX_RETRIES", default=2),
    )


def default_management_resource(endpoint: str) -> str:
    """Logto Cloud tenants use `https://<tenant>.logto.app/api`; self-hosted use `default`."""
    host = urlsplit(endpoint).hostname or ""
    if host.endswith(".logto.app"):
        return f"https://{host}/api"
    return dev_defaults.MANAGEMENT_API_RESOURCE
