"""Settings of a `run_worker` process that a test starts: the test settings (and so the
test's database file, named in ORGPORTAL_TEST_WORKER_DB), with the database task queue."""

from config.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
