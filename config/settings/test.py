"""Test settings: the Logto emulator at a loopback address nothing listens on by default.

Fast tests route that address into the emulator in-process; live and browser tests serve
the emulator there over HTTP.
"""

import os
import socket
import tempfile
from pathlib import Path


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
ON_TEST_SERVERS = os.environ.get("ORGPORTAL_TEST_SERVERS", "") not in ("", "0", "false")
if ON_TEST_SERVERS:
    # PostgreSQL and Redis through the production settings; tests/conftest.py starts both and
    # sets their ports (port 1 answers nothing, should a test run before that).
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/orgportal"
    os.environ["REDIS_URL"] = "redis://127.0.0.1:1/0"
else:
    # The test database is a file, not SQLite's shared in-memory database: the live server's
    # threads, a task worker thread and a worker process then each get their own connection
    # with real locks (the in-memory database is one connection shared by all threads). One
    # file per test run, which pytest-django creates and removes; a worker process that a
    # test starts is given the same file (ORGPORTAL_TEST_WORKER_DB).
    TEST_DATABASE = os.environ.get("ORGPORTAL_TEST_WORKER_DB") or str(
        Path(tempfile.gettempdir()) / f"orgportal-test-{os.getpid()}.sqlite3"
    )
    os.environ["DATABASE_URL"] = f"sqlite:///{TEST_DATABASE}"
    os.environ["REDIS_URL"] = ""

from config.settings.base import *  # noqa: E402,F403

INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
if not ON_TEST_SERVERS:
    # WAL, and every transaction takes the write lock at BEGIN, waiting for it rather than
    # failing with "database is locked" when another connection writes.
    DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE}  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF",
    }
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
# Background tasks run inline (django-tasks' immediate backend) in tests about something else;
# tests of the worker itself switch to the database backend and run a real `db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# No waiting between retries of a Logto call in a batch (tests that check the backoff patch
# the sleep instead).
ORGPORTAL_BATCH_RETRY_DELAYS: tuple[float, ...] = (0.0, 0.0, 0.0)
