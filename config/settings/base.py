"""Settings read from the environment. Safe defaults in debug; strict otherwise."""

import re
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env
from config.logs import logging_config
from orgportal.logto.conf import LogtoSettings, load_logto_settings

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Values that only make sense in local development; outside debug they must come from the
# environment, and a missing one stops start-up with a message that names it.
_missing: list[str] = []


def _required(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    _missing.append(name)
    return ""


SECRET_KEY = _required("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

LOGTO: LogtoSettings = load_logto_settings(env, required=_required)
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

if _missing:
    raise ImproperlyConfigured(
        "orgportal cannot start: set "
        + ", ".join(_missing)
        + " in the environment (or DJANGO_DEBUG=true for local development). "
        "See .env.example."
    )

# Organization permission names (Logto's documented defaults) and the portal's two roles.
ORGPORTAL_PERMISSIONS = {
    "invite_member": env.str("ORGPORTAL_PERMISSION_INVITE_MEMBER", default="invite:member"),
    "manage_member": env.str("ORGPORTAL_PERMISSION_MANAGE_MEMBER", default="manage:member"),
    "delete_member": env.str("ORGPORTAL_PERMISSION_DELETE_MEMBER", default="delete:member"),
    "manage_organization": env.str(
        "ORGPORTAL_PERMISSION_MANAGE_ORGANIZATION", default="manage:organization"
    ),
    "delete_organization": env.str(
        "ORGPORTAL_PERMISSION_DELETE_ORGANIZATION", default="delete:organization"
    ),
}
# Organization API keys (machine-to-machine applications an organization's admins manage):
# the permission that opens the page, and how many keys one organization may hold.
ORGPORTAL_API_KEYS_PERMISSION = env.str(
    "ORGPORTAL_API_KEYS_PERMISSION", default="manage:organization"
)
ORGPORTAL_API_KEYS_PER_ORGANIZATION = env.int("ORGPORTAL_API_KEYS_PER_ORGANIZATION", default=10)
# Who may create organizations: "anyone" signed in, "staff", or "role:<Logto global role>".
ORGPORTAL_ORGANIZATION_CREATORS = env.str("ORGPORTAL_ORGANIZATION_CREATORS", default="anyone")
# How many organizations one person may create (0: no limit).
ORGPORTAL_MAX_ORGANIZATIONS_PER_USER = env.int("ORGPORTAL_MAX_ORGANIZATIONS_PER_USER", default=0)
# The role a creator gets in the organization they create.
ORGPORTAL_CREATOR_ROLE = env.str("ORGPORTAL_CREATOR_ROLE", default="admin")
# Seconds all Logto calls of one request may take together (the task worker has no limit).
ORGPORTAL_REQUEST_DEADLINE = env.float("ORGPORTAL_REQUEST_DEADLINE", default=8.0)
# Threads per process for Logto calls that run at the same time (orgportal/concurrency.py):
# the most one instance sends Logto at once, across all its requests.
ORGPORTAL_UPSTREAM_THREADS = env.int("ORGPORTAL_UPSTREAM_THREADS", default=16)
# Invitations: who delivers the email ("django": our templates through EMAIL_*; "logto": the
# tenant's email connector), default expiry, and hourly limits per person (across all their
# organizations) and per client IP address (several accounts behind one address).
ORGPORTAL_INVITATION_DELIVERY = env.str("ORGPORTAL_INVITATION_DELIVERY", default="django")
ORGPORTAL_INVITATION_EXPIRY_DAYS = env.int("ORGPORTAL_INVITATION_EXPIRY_DAYS", default=7)
ORGPORTAL_INVITATIONS_PER_HOUR = env.int("ORGPORTAL_INVITATIONS_PER_HOUR", default=50)
ORGPORTAL_INVITATIONS_PER_HOUR_PER_IP = env.int(
    "ORGPORTAL_INVITATIONS_PER_HOUR_PER_IP", default=200
)
# Addresses of an invitation batch the worker sends at the same time (each lane makes its
# address's Logto calls one after another; a 429 pauses them all).
ORGPORTAL_BATCH_PARALLELISM = env.int("ORGPORTAL_BATCH_PARALLELISM", default=8)
# Logto global roles that make someone staff (Django admin) or superuser, checked at sign-in.
ORGPORTAL_STAFF_ROLE = env.str("ORGPORTAL_STAFF_ROLE", default="portal-staff")
ORGPORTAL_SUPERUSER_ROLE = env.str("ORGPORTAL_SUPERUSER_ROLE", default="portal-superuser")
# The password form of the admin, for `createsuperuser` accounts; off outside debug.
ORGPORTAL_ADMIN_PASSWORD_LOGIN = env.bool("ORGPORTAL_ADMIN_PASSWORD_LOGIN", default=DEBUG)
ORGPORTAL_ADMIN_ROLE = env.str("ORGPORTAL_ADMIN_ROLE", default="admin")

# -- branding (issue 17): what people read and see instead of the portal's own name ---------
# The product name in titles, the header, error pages and invitation emails.
ORGPORTAL_PRODUCT_NAME = env.str("ORGPORTAL_PRODUCT_NAME", default="") or "Organization portal"
# An absolute https URL, or a path under the static files (e.g. "brand/logo.svg"); none: the name.
ORGPORTAL_LOGO_URL = env.str("ORGPORTAL_LOGO_URL", default="")
# Buttons, links and focus: a #rrggbb colour dark enough for white text (AA on white).
ORGPORTAL_ACCENT_COLOR = env.str("ORGPORTAL_ACCENT_COLOR", default="") or "#4b22d6"
if not re.fullmatch(r"#[0-9a-fA-F]{6}", ORGPORTAL_ACCENT_COLOR):
    raise ImproperlyConfigured("ORGPORTAL_ACCENT_COLOR must be a colour like #4b22d6.")
# Where people get help: shown in the footer, on error pages and in emails when set.
ORGPORTAL_SUPPORT_EMAIL = env.str("ORGPORTAL_SUPPORT_EMAIL", default="")
ORGPORTAL_SUPPORT_URL = env.str("ORGPORTAL_SUPPORT_URL", default="")
ORGPORTAL_MEMBER_ROLE = env.str("ORGPORTAL_MEMBER_ROLE", default="member")
# Verified domains (issue 20): the DNS servers asked for the TXT record that proves a domain,
# as "address" or "address:port" separated by commas; empty: the system's resolvers.
ORGPORTAL_DNS_RESOLVERS = env.list("ORGPORTAL_DNS_RESOLVERS", default=[])
ORGPORTAL_DNS_TIMEOUT = env.float("ORGPORTAL_DNS_TIMEOUT", default=5.0)

INSTALLED_APPS = [
    "orgportal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mozilla_django_oidc",
    "django_htmx",
    "template_partials",
    "heroicons",
    "django_tasks",
    "django_tasks_db",
    "orgportal",
]
# Development tools (`rundev`, `api_token`) come with the emulator, which production lacks.
DEVTOOLS = DEBUG and find_spec("logto_emulator") is not None
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    # /healthz and /readyz first: probes skip host checks, the https redirect and the logs.
    "orgportal.views.health.HealthProbeMiddleware",
    # The request id next, so that every later log line of the request carries it.
    "orgportal.request_context.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from STATIC_ROOT, before sessions and the rest (WhiteNoise's place).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages, fragments and JSON gzip-compressed when the browser accepts it (bodies under 200
    # bytes stay as they are). Django's own: it pads every compressed answer with random bytes
    # against BREACH, and the CSRF token in a page is masked anew for every answer (README).
    "django.middleware.gzip.GZipMiddleware",
    # Vary, Cache-Control and a body ETag (304 for a repeated view): outside every middleware
    # that changes the body or its headers, so the tag covers what is sent.
    "orgportal.repeat_views.RepeatViewMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the language cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's saved language, in every browser (else LocaleMiddleware's choice).
    "orgportal.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "orgportal.middleware.LogtoDeadlineMiddleware",
    "orgportal.middleware.HtmxSessionRefresh",
    "orgportal.session_guard.SessionGuardMiddleware",
    "orgportal.middleware.HtmxMessagesMiddleware",
    "orgportal.middleware.ViewerTimeZoneMiddleware",
    "orgportal.views.errors.ErrorPageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgportal.context_processors.portal",
            ],
        },
    },
]

# Background tasks (invitation batches, and later other bulk work) with django-tasks, the API
# Django 6 ships as `django.tasks`, on its database backend: no extra server to run, and it
# works on the SQLite file of `make run` as on PostgreSQL in production. A worker process runs
# them: `manage.py run_worker` (it first resumes batches a dead worker left behind).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# SQLite is the embedded default for `make run`; production uses PostgreSQL
# (DATABASE_URL=postgres://user:password@host:5432/name, through psycopg 3).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Each gunicorn thread keeps its connection for a minute instead of connecting (and
    # authenticating) for every request; the health check replaces a connection that
    # PostgreSQL, a pooler or a failover closed meanwhile instead of failing a request on it.
    # Every thread may hold one: instances x workers x threads must stay below max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable database fails a request (and /readyz) in seconds, not after minutes of
    # TCP retries.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The page, the worker and the worker's lanes (ORGPORTAL_BATCH_PARALLELISM) write at once:
    # each transaction takes the write lock when it begins and waits for it, instead of
    # stalling in SQLite's busy retries or failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds what every process must see alike: permissions, the M2M token, rate limits,
# sessions. Redis in production (REDIS_URL); the per-process memory cache only in debug or with
# ORGPORTAL_SINGLE_PROCESS=true, or the portal refuses to serve (orgportal/deployment.py).
_redis_url = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            # A Redis that does not answer fails the request (and /readyz) in seconds instead
            # of holding a gunicorn thread until the OS gives up on the connection.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
ORGPORTAL_SINGLE_PROCESS = env.bool("ORGPORTAL_SINGLE_PROCESS", default=False)

# Sessions are read from the cache and written through to the database: no query per request,
# every process sees the same sessions, and a Redis restart, flush or eviction does not sign
# everybody out (the "cache" engine would). Sessions change rarely (sign-in, the 15-minute
# re-check with Logto), so the extra database write costs little.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "orgportal.User"
AUTHENTICATION_BACKENDS = [
    "orgportal.logto.oidc.LogtoOIDCBackend",
    # Only for local superusers made with `createsuperuser`.
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "oidc_authentication_init"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
LOGIN_REDIRECT_URL_FAILURE = "/signin/failed/"

# mozilla-django-oidc, pointed at Logto (DESIGN.md §3).
_oidc = LOGTO.endpoint + "/oidc"
OIDC_RP_CLIENT_ID = LOGTO.app_id
OIDC_RP_CLIENT_SECRET = LOGTO.app_secret
OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc + "/auth"
OIDC_OP_TOKEN_ENDPOINT = _oidc + "/token"
OIDC_OP_USER_ENDPOINT = _oidc + "/me"
OIDC_OP_JWKS_ENDPOINT = _oidc + "/jwks"
OIDC_OP_LOGOUT_ENDPOINT = _oidc + "/session/end"
OIDC_OP_ISSUER = _oidc
# Logto signs ID tokens with ES384 by default; tenants with RSA keys use RS256.
OIDC_RP_SIGN_ALGO = "ES384"
OIDC_RP_SIGN_ALGOS_ALLOWED = ["ES384", "RS256"]
OIDC_RP_SCOPES = (
    "openid profile email roles urn:logto:scope:organizations urn:logto:scope:organization_roles"
)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TIMEOUT = (LOGTO.connect_timeout, LOGTO.read_timeout)
OIDC_TOKEN_USE_BASIC_AUTH = True
OIDC_STORE_ID_TOKEN = True  # needed for id_token_hint at sign-out
OIDC_STORE_ACCESS_TOKEN = False
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env.int("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", default=15 * 60)
OIDC_OP_LOGOUT_URL_METHOD = "orgportal.logto.oidc.provider_logout_url"
OIDC_CALLBACK_CLASS = "orgportal.views.auth.CallbackView"
OIDC_AUTHENTICATE_CLASS = "orgportal.views.auth.SignInView"
OIDC_EXEMPT_URLS = [
    "/healthz",
    "/readyz",
    "/signin/failed/",
    re.compile(r"^/api/v1/"),
    re.compile(r"^/jsi18n/"),  # the browser script's sentences: never a sign-in redirect
    "/webhooks/logto",  # Logto's signed deliveries: no session, never a sign-in redirect
]

# Logto's webhook (`/webhooks/logto`): the signing key(s) of the portal's hook, comma
# separated; during a key rotation both the old and the new key are accepted. None: the
# endpoint refuses every delivery (changes made in Logto then reach the portal only when its
# caches expire). Deliveries larger than the limit, or older than the window, are refused.
LOGTO_WEBHOOK_SIGNING_KEYS = [
    key.strip() for key in env.list("LOGTO_WEBHOOK_SIGNING_KEYS", default=[]) if key.strip()
]
ORGPORTAL_WEBHOOK_MAX_BYTES = env.int("ORGPORTAL_WEBHOOK_MAX_BYTES", default=256 * 1024)
ORGPORTAL_WEBHOOK_MAX_AGE = env.int("ORGPORTAL_WEBHOOK_MAX_AGE_SECONDS", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages the portal speaks. Adding one: docs/translating.md.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates per language as the portal writes them ("7 Dec 2026" / "7. Dez. 2026"): orgportal/formats.
FORMAT_MODULE_PATH = ["orgportal.formats"]
# Numbers are not grouped everywhere: a page number in a link or a <progress max> must stay
# "1234". Counts that can be large are grouped where they are shown (`|number`: "1,234" /
# "1.234").
USE_THOUSAND_SEPARATOR = False
# The language switch's choice, for a year (Django's default ends with the browser session).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `manage.py collectstatic` writes here; WhiteNoise serves it (no web server needed for it).
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic names each file after its content (app.3f2a1c9e.css) and adds a gzip copy;
    # WhiteNoise serves those names with a ten-year Cache-Control, since a changed file gets a
    # new name. In debug, pages link the plain names, served from static/ without collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS only outside debug (what `manage.py check --deploy` asks): cookies travel over https
# only, plain http is redirected, and browsers remember to use https (HSTS) for a year.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# A working day, not Django's two weeks: a security product signs people out by evening.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_HOURS", default=12) * 3600
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
# The portal's own host name and the names under it (portal.example.com, *.portal.example.com).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Browser preload lists take whole registered domains (hstspreload.org): the domain's
    # owner decides that, not one application on it, so check --deploy need not ask for it.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Behind a TLS-terminating proxy or load balancer (which must be the only way in, since these
# headers are then believed): the scheme and host the browser used come from X-Forwarded-Proto
# and X-Forwarded-Host, and the client's address from the last X-Forwarded-For entry (the one
# the proxy added) for the audit trail.
ORGPORTAL_BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if ORGPORTAL_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# Forms posted from the portal's public address pass CSRF's origin check even if a proxy
# rewrote Host on the way; more origins (comma-separated) for unusual set-ups.
CSRF_TRUSTED_ORIGINS = [
    "{0.scheme}://{0.netloc}".format(urlsplit(PORTAL_BASE_URL)),
    *env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]),
]

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="orgportal <noreply@localhost>")

# JSON lines with the request id outside debug, readable text in debug (config/logs.py).
LOGGING = logging_config()
