"""`manage.py run_worker`: the background task worker, for `make run` and production.

`db_worker` (django-tasks' database backend) with one step first: invitation batches whose
worker died (deploy, crash, OOM) are queued again, and a sweep is scheduled for those that
were still running a moment ago. Every `db_worker` option works here too.
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from orgportal.services.api_keys import api_keys_sweep
from orgportal.services.invitation_batches import invitation_batches_watch


class Command(DbWorkerCommand):
    help = (
        "Resume invitation batches a stopped worker left unfinished, then run the task "
        "worker (db_worker; same options)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        resumed = invitation_batches_watch()
        if resumed:
            self.stdout.write(f"Resumed {len(resumed)} unfinished invitation batch(es).")
        # Expired API keys and ended grace periods whose deferred task was lost.
        tidied = api_keys_sweep()
        if tidied:
            self.stdout.write(f"Tidied {tidied} expired API key(s) or old secret(s).")
        super().handle(*args, **options)
