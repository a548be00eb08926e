"""`manage.py logto_bootstrap [--apply]`: create what the organization template lacks, and
register the webhook Logto calls to tell the portal about changes made outside it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from orgportal import logto
from orgportal.logto.errors import LogtoError
from orgportal.services.template import template_apply, template_missing
from orgportal.services.webhook_registration import (
    SIGNING_KEYS_VARIABLE,
    webhook_apply,
    webhook_plan,
)


class Command(BaseCommand):
    help = (
        "Create the organization permissions and the admin/member roles the portal needs in "
        "Logto, and register its webhook (PORTAL_BASE_URL + /webhooks/logto). Dry run unless "
        "--apply is given; never removes anything."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--apply", action="store_true", help="make the changes in Logto")

    def handle(self, *args, apply: bool, **options) -> None:
        client = logto.get_client()
        try:
            actions = template_missing(client)
            hook_plan = webhook_plan(client)
            changes = [action.describe() for action in actions] + hook_plan.describe()
            if not changes:
                self.stdout.write(
                    "Nothing to do: the organization template is complete and the webhook "
                    f"to {hook_plan.url} is registered."
                )
            else:
                self.stdout.write("Changes:" if apply else "Changes this would make (dry run):")
                for change in changes:
                    self.stdout.write(f"  - {change}")
            for other in hook_plan.others:
                self.stdout.write(
                    f"Note: webhook {other.name!r} ({other.id}) also delivers to "
                    f"{hook_plan.url}; delete it in the Logto Console (each delivery would "
                    "arrive twice)."
                )
            if not apply:
                if changes:
                    self.stdout.write(
                        "Dry run: nothing was changed. Run again with --apply to do it."
                    )
                return
            if actions:
                template_apply(client, actions)
            hook = webhook_apply(client, hook_plan)
        except LogtoError as exc:
            raise CommandError(f"Logto refused: {exc}") from exc
        self.stdout.write(self.style.SUCCESS("Done: the organization template is complete."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Webhook {hook.id} delivers {len(hook.events)} events to {hook.url}."
            )
        )
        self.stdout.write(
            "Its signing key (secret: store it like a password). Set it in the portal's "
            "environment, then restart the portal:\n"
            f"  {SIGNING_KEYS_VARIABLE}={hook.signing_key}"
        )
