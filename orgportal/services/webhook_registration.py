"""The webhook Logto calls to tell the portal about changes made outside it.

`logto_bootstrap --apply` registers it (additively: an existing hook for the portal's URL is
completed, never duplicated) and `logto_check` verifies it. The endpoint itself reads the
signing keys from the `LOGTO_WEBHOOK_SIGNING_KEYS` environment variable (comma-separated: two
keys during a rotation).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from django.conf import settings

from orgportal.logto.client import LogtoClient
from orgportal.logto.models import Hook, HookDelivery

WEBHOOK_PATH = "/webhooks/logto"
WEBHOOK_NAME = "Organization portal"
SIGNING_KEYS_VARIABLE = "LOGTO_WEBHOOK_SIGNING_KEYS"

# The events the portal acts on (BEHAVIOUR.md "Webhooks"). Role assignments and invitations
# raise none: writes re-read permissions from Logto for that reason (services.access).
WEBHOOK_EVENTS: tuple[str, ...] = (
    "Organization.Membership.Updated",
    "Organization.Deleted",
    "Organization.Data.Updated",
    "OrganizationRole.Created",
    "OrganizationRole.Deleted",
    "OrganizationRole.Data.Updated",
    "OrganizationRole.Scopes.Updated",
    "OrganizationScope.Created",
    "OrganizationScope.Deleted",
    "OrganizationScope.Data.Updated",
    "User.Deleted",
    "User.Data.Updated",
    "User.SuspensionStatus.Updated",
)


def webhook_url() -> str:
    """Where Logto must deliver: this portal's public address (PORTAL_BASE_URL)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + WEBHOOK_PATH


def configured_signing_keys() -> list[str]:
    """The keys the portal's endpoint accepts, as this process's environment names them."""
    raw = os.environ.get(SIGNING_KEYS_VARIABLE, "")
    return [key.strip() for key in raw.split(",") if key.strip()]


def portal_hooks(client: LogtoClient) -> list[Hook]:
    """The hooks that deliver to this portal (enabled ones first)."""
    url = webhook_url()
    found = [hook for hook in client.list_hooks() if hook.url.rstrip("/") == url]
    return sorted(found, key=lambda hook: not hook.enabled)


@dataclass(frozen=True)
class WebhookPlan:
    """What registering the webhook takes: nothing, a new hook, or completing one."""

    url: str
    hook: Hook | None
    missing_events: tuple[str, ...] = ()
    enable: bool = False
    others: tuple[Hook, ...] = field(default=())  # more hooks for the same URL (left alone)

    @property
    def needed(self) -> bool:
        return self.hook is None or bool(self.missing_events) or self.enable

    def describe(self) -> list[str]:
        if self.hook is None:
            return [f"register a webhook to {self.url} for {len(WEBHOOK_EVENTS)} events"]
        lines = []
        if self.missing_events:
            lines.append(
                f"subscribe webhook {self.hook.name!r} ({self.hook.id}) to "
                + ", ".join(self.missing_events)
            )
        if self.enable:
            lines.append(f"enable webhook {self.hook.name!r} ({self.hook.id})")
        return lines


def webhook_plan(client: LogtoClient) -> WebhookPlan:
    url = webhook_url()
    hooks = portal_hooks(client)
    if not hooks:
        return WebhookPlan(url=url, hook=None)
    hook, *others = hooks
    missing = tuple(event for event in WEBHOOK_EVENTS if event not in hook.events)
    return WebhookPlan(
        url=url, hook=hook, missing_events=missing, enable=not hook.enabled, others=tuple(others)
    )


def webhook_apply(client: LogtoClient, plan: WebhookPlan) -> Hook:
    """Carry the plan out; the hook as Logto now has it (with its signing key). Events the
    hook had are kept: only what the portal needs is added."""
    if plan.hook is None:
        return client.create_hook(name=WEBHOOK_NAME, events=WEBHOOK_EVENTS, url=plan.url)
    if not plan.needed:
        return plan.hook
    events = list(plan.hook.events) + list(plan.missing_events)
    return client.update_hook(
        plan.hook.id,
        events=events if plan.missing_events else None,
        enabled=True if plan.enable else None,
    )


def recent_deliveries(client: LogtoClient, hook: Hook, count: int = 20) -> list[HookDelivery]:
    """The hook's latest deliveries (last 24 hours), newest first."""
    return list(client.list_hook_deliveries(hook.id, page_size=count).items)
