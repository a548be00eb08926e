"""Test settings: the Logto emulator at a loopback address nothing listens on by default.

Fast tests route that address into the emulator in-process; live and browser tests serve
the emulator there over HTTP.
"""

import os
import socket


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("LOGTO_ENDPOINT", f"http://127.0.0.1:{_free_port()}")
os.environ.setdefault("LOGTO_APP_ID", "orgportal-web")
os.environ.setdefault("LOGTO_APP_SECRET", "orgportal-web-dev-secret")
os.environ.setdefault("LOGTO_M2M_APP_ID", "orgportal-m2m")
os.environ.setdefault("LOGTO_M2M_APP_SECRET", "orgportal-m2m-dev-secret")
os.environ.setdefault("LOGTO_MAX_RETRIES", "2")
if os.environ.get("ORGPORTAL_TEST_SERVERS", "") not in ("", "0", "false"):
    # PostgreSQL and Redis through the production settings; tests/conftest.py starts both and
    # sets their ports (port 1 answers nothing, should a test run before that).
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/orgportal"
    os.environ["REDIS_URL"] = "redis://127.0.0.1:1/0"
else:
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ["REDIS_URL"] = ""

from config.settings.base import *  # noqa: E402,F403

INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The test client and the live server speak plain http.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic before the tests: WhiteNoise looks up STATIC_ROOT per request, as in debug,
# instead of warning at start that it does not exist (tests/production collects for real).
WHITENOISE_AUTOREFRESH = True
