"""Settings read from the environment. Safe defaults in debug; strict otherwise."""

import re
from importlib.util import find_spec

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env
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
# Who may create organizations: "anyone" signed in, "staff", or "role:<Logto global role>".
ORGPORTAL_ORGANIZATION_CREATORS = env.str("ORGPORTAL_ORGANIZATION_CREATORS", default="anyone")
# How many organizations one person may create (0: no limit).
ORGPORTAL_MAX_ORGANIZATIONS_PER_USER = env.int("ORGPORTAL_MAX_ORGANIZATIONS_PER_USER", default=0)
# The role a creator gets in the organization they create.
ORGPORTAL_CREATOR_ROLE = env.str("ORGPORTAL_CREATOR_ROLE", default="admin")
# Invitations: who delivers the email ("django": our templates through EMAIL_*; "logto": the
# tenant's email connector), default expiry, and a per-inviter, per-organization hourly limit.
ORGPORTAL_INVITATION_DELIVERY = env.str("ORGPORTAL_INVITATION_DELIVERY", default="django")
ORGPORTAL_INVITATION_EXPIRY_DAYS = env.int("ORGPORTAL_INVITATION_EXPIRY_DAYS", default=7)
ORGPORTAL_INVITATIONS_PER_HOUR = env.int("ORGPORTAL_INVITATIONS_PER_HOUR", default=50)
# Logto global roles that make someone staff (Django admin) or superuser, checked at sign-in.
ORGPORTAL_STAFF_ROLE = env.str("ORGPORTAL_STAFF_ROLE", default="portal-staff")
ORGPORTAL_SUPERUSER_ROLE = env.str("ORGPORTAL_SUPERUSER_ROLE", default="portal-superuser")
# The password form of the admin, for `createsuperuser` accounts; off outside debug.
ORGPORTAL_ADMIN_PASSWORD_LOGIN = env.bool("ORGPORTAL_ADMIN_PASSWORD_LOGIN", default=DEBUG)
ORGPORTAL_ADMIN_ROLE = env.str("ORGPORTAL_ADMIN_ROLE", default="admin")
ORGPORTAL_MEMBER_ROLE = env.str("ORGPORTAL_MEMBER_ROLE", default="member")

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
    "django_tasks",
    "django_tasks_db",
    "orgportal",
]
# Development tools (`rundev`, `api_token`) come with the emulator, which production lacks.
DEVTOOLS = DEBUG and find_spec("logto_emulator") is not None
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "orgportal.request_context.RequestContextMiddleware",
    "orgportal.middleware.HtmxSessionRefresh",
    "orgportal.middleware.HtmxMessagesMiddleware",
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_redis_url = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

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
OIDC_EXEMPT_URLS = ["/healthz", "/readyz", "/signin/failed/", re.compile(r"^/api/v1/")]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="orgportal <noreply@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "orgportal": {"level": env.str("ORGPORTAL_LOG_LEVEL", default="INFO")},
    },
}
