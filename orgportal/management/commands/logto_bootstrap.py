"""`manage.py logto_bootstrap [--apply]`: create what the organization template lacks."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from orgportal import logto
from orgportal.logto.errors import LogtoError
from orgportal.services.template import template_apply, template_missing


class Command(BaseCommand):
    help = (
        "Create the organization permissions and the admin/member roles the portal needs in "
        "Logto. Dry run unless --apply is given; never removes anything."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--apply", action="store_true", help="make the changes in Logto")

    def handle(self, *args, apply: bool, **options) -> None:
        client = logto.get_client()
        try:
            actions = template_missing(client)
            if not actions:
                self.stdout.write("Nothing to do: the organization template is complete.")
                return
            self.stdout.write("Changes:" if apply else "Changes this would make (dry run):")
            for action in actions:
                self.stdout.write(f"  - {action.describe()}")
            if not apply:
                self.stdout.write("Dry run: nothing was changed. Run again with --apply to do it.")
                return
            template_apply(client, actions)
        except LogtoError as exc:
            raise CommandError(f"Logto refused: {exc}") from exc
        self.stdout.write(self.style.SUCCESS("Done: the organization template is complete."))
