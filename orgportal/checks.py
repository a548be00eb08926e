"""`manage.py check` findings about the Logto configuration and the deployment, with ids of
our own."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from orgportal.deployment import unshared_cache_problem
from orgportal.logto import dev_defaults


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


@register(Tags.database, Tags.security, deploy=True)
def check_shared_database(app_configs=None, **kwargs) -> list:
    """SQLite is one file on one machine: instances on other machines would each keep their own
    users, sessions and audit trail, and several processes on one machine queue behind its
    write lock. Right for `make run`, not for production (README: 'Run it in production')."""
    if settings.DEBUG or settings.ORGPORTAL_SINGLE_PROCESS:
        return []
    findings = []
    for alias, config in settings.DATABASES.items():
        if config.get("ENGINE") == "django.db.backends.sqlite3":
            which = "The database" if alias == "default" else f"The database {alias!r}"
            findings.append(
                Error(
                    f"{which} is SQLite, a file on this machine: other instances would not see "
                    "its users, sessions and audit trail.",
                    hint="Set DATABASE_URL=postgres://user:password@host:5432/name (or "
                    "ORGPORTAL_SINGLE_PROCESS=true if exactly one process serves the portal).",
                    id="orgportal.E004",
                )
            )
    return findings


@register(Tags.security, deploy=True)
def check_api_resource(app_configs=None, **kwargs) -> list:
    """Without LOGTO_API_RESOURCE the JSON API expects tokens for the development emulator's
    resource, which no real tenant issues: every user endpoint would answer 401, silently."""
    resource = settings.LOGTO.api_resource
    if settings.DEBUG or (resource and resource != dev_defaults.API_RESOURCE):
        return []
    return [
        Warning(
            "LOGTO_API_RESOURCE is not set, so the JSON API (/api/v1/) refuses every token "
            f"your Logto tenant issues: it expects tokens for {dev_defaults.API_RESOURCE}, the "
            "development emulator's resource.",
            hint="In Logto, create an API resource (API resources > Create) and set "
            "LOGTO_API_RESOURCE to its indicator, e.g. https://portal.example.com/api.",
            id="orgportal.W002",
        )
    ]
