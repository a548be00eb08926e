"""`manage.py check` findings about the Logto configuration and the deployment, with ids of
our own."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from orgportal.deployment import unshared_cache_problem


def endpoint_problem(endpoint: str) -> str | None:
    """Why `endpoint` is not a usable Logto endpoint, or None when it is."""
    if not endpoint:
        return "it is empty"
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https"):
        return "it must start with https:// (or http:// for a local server)"
    if not parts.hostname:
        return "it has no host name"
    if parts.query or parts.fragment:
        return "it must not have a query string or fragment"
    if parts.path.rstrip("/").endswith("/oidc") or parts.path.rstrip("/").endswith("/api"):
        return "it must be the tenant's base URL, without /oidc or /api"
    return None


@register(Tags.security, deploy=False)
def check_logto_settings(app_configs=None, **kwargs) -> list:
    logto = settings.LOGTO
    findings: list = []
    problem = endpoint_problem(logto.endpoint)
    if problem:
        findings.append(
            Error(
                f"LOGTO_ENDPOINT {logto.endpoint!r} is malformed: {problem}.",
                hint="Use your tenant's endpoint, e.g. https://<tenant>.logto.app",
                id="orgportal.E001",
            )
        )
    missing = [
        name
        for name, value in (
            ("LOGTO_APP_ID", logto.app_id),
            ("LOGTO_APP_SECRET", logto.app_secret),
            ("LOGTO_M2M_APP_ID", logto.m2m_app_id),
            ("LOGTO_M2M_APP_SECRET", logto.m2m_app_secret),
            ("LOGTO_MANAGEMENT_API_RESOURCE", logto.management_api_resource),
        )
        if not value
    ]
    if missing:
        findings.append(
            Error(
                "Logto credentials are missing: " + ", ".join(missing) + ".",
                hint="Create a Traditional web app and a machine-to-machine app in Logto "
                "and copy their ids and secrets (README: 'Use a real Logto tenant').",
                id="orgportal.E002",
            )
        )
    if not problem and not settings.DEBUG and urlsplit(logto.endpoint).scheme != "https":
        findings.append(
            Warning(
                "LOGTO_ENDPOINT uses plain http outside debug; tokens would travel unencrypted.",
                id="orgportal.W001",
            )
        )
    return findings


@register(Tags.caches)
def check_shared_cache(app_configs=None, **kwargs) -> list:
    """The refusal of config/wsgi.py, also reported by `check` (and so by `migrate`)."""
    problem = unshared_cache_problem()
    return [Error(problem, id="orgportal.E003")] if problem else []
