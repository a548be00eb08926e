"""`manage.py logto_check`: a doctor for the Logto connection, one line per check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.management.base import BaseCommand

from orgportal import logto
from orgportal.checks import endpoint_problem
from orgportal.logto.errors import AuthError, LogtoError, NotFound
from orgportal.logto.models import Hook, HookDelivery
from orgportal.services.template import template_missing
from orgportal.services.webhook_registration import (
    SIGNING_KEYS_VARIABLE,
    WEBHOOK_EVENTS,
    configured_signing_keys,
    portal_hooks,
    recent_deliveries,
    webhook_url,
)


class CheckFailed(Exception):
    """A check's failure: what is wrong and how to fix it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass
class Outcome:
    name: str
    status: str  # OK, FAIL or SKIP
    detail: str


class Command(BaseCommand):
    help = (
        "Check the portal's Logto configuration: endpoint, OIDC, M2M access, apps, template, "
        "invitation email, webhook."
    )

    def handle(self, *args, **options) -> None:
        self.discovery: dict = {}
        checks: list[tuple[str, Callable[[], str]]] = [
            ("endpoint", self.check_endpoint),
            ("oidc discovery", self.check_discovery),
            ("m2m token", self.check_m2m_token),
            ("management api", self.check_management_api),
            ("web app", self.check_web_app),
            ("organization template", self.check_template),
            ("invitation email", self.check_invitation_email),
            ("webhook", self.check_webhook),
        ]
        outcomes: list[Outcome] = []
        for name, check in checks:
            if any(o.status == "FAIL" for o in outcomes):
                outcomes.append(Outcome(name, "SKIP", "skipped after the failure above"))
            else:
                try:
                    outcomes.append(Outcome(name, "OK", check()))
                except CheckFailed as failed:
                    outcomes.append(Outcome(name, "FAIL", f"{failed.problem} Fix: {failed.fix}"))
            self._print(outcomes[-1])
        if any(o.status == "FAIL" for o in outcomes):
            raise SystemExit(1)

    def _print(self, outcome: Outcome) -> None:
        style = {"OK": self.style.SUCCESS, "FAIL": self.style.ERROR}.get(
            outcome.status, self.style.WARNING
        )
        self.stdout.write(f"{style(outcome.status.ljust(4))} {outcome.name}: {outcome.detail}")

    # -- the checks ------------------------------------------------------------------------------
    def check_endpoint(self) -> str:
        endpoint = settings.LOGTO.endpoint
        problem = endpoint_problem(endpoint)
        if problem:
            raise CheckFailed(
                f"LOGTO_ENDPOINT {endpoint!r} is malformed: {problem}.",
                "set it to your tenant's base URL, e.g. https://<tenant>.logto.app.",
            )
        url = endpoint + "/oidc/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=(3, 5))
        except requests.RequestException as exc:
            raise CheckFailed(
                f"cannot reach {endpoint} ({type(exc).__name__}).",
                "check that Logto is running and LOGTO_ENDPOINT is right "
                "(for `make run`, start it first).",
            ) from exc
        if response.status_code != 200:
            raise CheckFailed(
                f"{url} answered HTTP {response.status_code}.",
                "LOGTO_ENDPOINT must be the tenant's base URL, without /oidc or /api.",
            )
        try:
            self.discovery = response.json()
        except ValueError as exc:
            raise CheckFailed(
                f"{url} did not answer with JSON.", "point LOGTO_ENDPOINT at a Logto server."
            ) from exc
        return f"{endpoint} answers"

    def check_discovery(self) -> str:
        expected_issuer = settings.OIDC_OP_ISSUER
        if self.discovery.get("issuer") != expected_issuer:
            raise CheckFailed(
                f"issuer is {self.discovery.get('issuer')!r}, the portal expects "
                f"{expected_issuer!r}.",
                "use exactly the endpoint Logto is configured with (localhost vs 127.0.0.1 "
                "matters).",
            )
        ours = {
            "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
            "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
            "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
            "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
            "end_session_endpoint": settings.OIDC_OP_LOGOUT_ENDPOINT,
        }
        wrong = [key for key, url in ours.items() if self.discovery.get(key) != url]
        if wrong:
            raise CheckFailed(
                f"discovery lists other URLs for {', '.join(wrong)}.",
                "this is not a standard Logto tenant; check LOGTO_ENDPOINT.",
            )
        algs = set(self.discovery.get("id_token_signing_alg_values_supported", []))
        accepted = algs & set(settings.OIDC_RP_SIGN_ALGOS_ALLOWED)
        if not accepted:
            raise CheckFailed(
                f"ID tokens are signed with {sorted(algs)}, the portal accepts "
                f"{settings.OIDC_RP_SIGN_ALGOS_ALLOWED}.",
                "use an EC (ES384) or RSA (RS256) signing key in Logto.",
            )
        return f"issuer {expected_issuer}, ID tokens {', '.join(sorted(accepted))}"

    def check_m2m_token(self) -> str:
        client = logto.get_client()
        client.tokens.invalidate()
        try:
            client.tokens.get()
        except AuthError as exc:
            raise CheckFailed(
                f"Logto refused the machine-to-machine credentials ({exc.code}).",
                "check LOGTO_M2M_APP_ID, LOGTO_M2M_APP_SECRET and LOGTO_MANAGEMENT_API_RESOURCE "
                f"(now {settings.LOGTO.management_api_resource}).",
            ) from exc
        except LogtoError as exc:
            raise CheckFailed(f"no token: {exc}.", "try again; check Logto's health.") from exc
        return f"issued for {settings.LOGTO.m2m_app_id}"

    def check_management_api(self) -> str:
        try:
            logto.get_client().list_organizations(page_size=1)
        except AuthError as exc:
            raise CheckFailed(
                f"the token lacks the `all` scope ({exc.code}).",
                "assign the role with 'Logto Management API access' to the M2M app.",
            ) from exc
        except LogtoError as exc:
            raise CheckFailed(
                f"Management API call failed: {exc}.", "check Logto's health."
            ) from exc
        return "the M2M app may call the Management API (scope `all`)"

    def check_web_app(self) -> str:
        try:
            app = logto.get_client().get_application(settings.LOGTO.app_id)
        except NotFound as exc:
            raise CheckFailed(
                f"no application with id {settings.LOGTO.app_id!r}.",
                "set LOGTO_APP_ID to the App ID of your Traditional web app.",
            ) from exc
        if app.type != "Traditional":
            raise CheckFailed(
                f"application {app.id} is of type {app.type}.",
                "create a 'Traditional web' application for the portal.",
            )
        base = settings.PORTAL_BASE_URL
        callback, after_logout = f"{base}/oidc/callback/", f"{base}/"
        missing = []
        if callback not in app.redirect_uris:
            missing.append(f"redirect URI {callback}")
        if after_logout not in app.post_logout_redirect_uris:
            missing.append(f"post sign-out redirect URI {after_logout}")
        if missing:
            raise CheckFailed(
                f"the web app lacks {' and '.join(missing)}.",
                f"add them to application {app.name!r} in the Logto Console "
                "(or fix PORTAL_BASE_URL).",
            )
        return f"{app.name!r} redirects to {callback}"

    def check_template(self) -> str:
        actions = template_missing(logto.get_client())
        if actions:
            raise CheckFailed(
                "the organization template lacks: "
                + "; ".join(action.describe() for action in actions)
                + ".",
                "run `manage.py logto_bootstrap --apply`, or create them in the Logto Console.",
            )
        return "permissions and the admin/member roles are in place"

    def check_invitation_email(self) -> str:
        if settings.ORGPORTAL_INVITATION_DELIVERY != "logto":
            return f"sent by the portal through {settings.EMAIL_BACKEND}"
        try:
            connectors = logto.get_client().list_connectors()
        except LogtoError as exc:
            raise CheckFailed(
                f"could not list Logto's connectors: {exc}.", "check Logto's health."
            ) from exc
        email = [c for c in connectors if c.type == "Email"]
        if not email:
            raise CheckFailed(
                "ORGPORTAL_INVITATION_DELIVERY=logto, but Logto has no email connector, so "
                "every invitation would fail (501 connector.not_found).",
                "add an email connector in the Logto Console (Connectors > Email and SMS), "
                "or set ORGPORTAL_INVITATION_DELIVERY=django to send them with Django's email "
                "settings.",
            )
        return f"sent by Logto through its email connector {email[0].connector_id!r}"

    def check_webhook(self) -> str:
        url = webhook_url()
        client = logto.get_client()
        try:
            hooks = portal_hooks(client)
        except LogtoError as exc:
            raise CheckFailed(
                f"could not list Logto's webhooks: {exc}.", "check Logto's health."
            ) from exc
        if not hooks:
            elsewhere = sorted({hook.url for hook in client.list_hooks()})
            hint = f" (webhooks exist for {', '.join(elsewhere)})" if elsewhere else ""
            raise CheckFailed(
                f"no webhook delivers to {url}{hint}, so changes made in Logto reach the portal "
                "only when its caches expire (up to a minute).",
                "run `manage.py logto_bootstrap --apply` and set the signing key it prints "
                f"as {SIGNING_KEYS_VARIABLE} (or check PORTAL_BASE_URL).",
            )
        hook = hooks[0]
        if not hook.enabled:
            raise CheckFailed(
                f"webhook {hook.name!r} ({hook.id}) to {url} is disabled: Logto sends nothing.",
                "enable it in the Logto Console (Webhooks), or run "
                "`manage.py logto_bootstrap --apply`.",
            )
        missing = [event for event in WEBHOOK_EVENTS if event not in hook.events]
        if missing:
            raise CheckFailed(
                f"webhook {hook.name!r} ({hook.id}) does not subscribe to {', '.join(missing)}.",
                "run `manage.py logto_bootstrap --apply` (it adds them and keeps the others).",
            )
        keys = configured_signing_keys()
        if hook.signing_key and hook.signing_key not in keys:
            state = "is not set" if not keys else "does not hold the hook's current signing key"
            raise CheckFailed(
                f"{SIGNING_KEYS_VARIABLE} {state}, so the portal refuses every delivery of "
                f"webhook {hook.id}.",
                f"set {SIGNING_KEYS_VARIABLE} to the key `manage.py logto_bootstrap --apply` "
                "prints (during a rotation: the new key and the old one, comma-separated).",
            )
        try:
            deliveries = recent_deliveries(client, hook)
        except LogtoError as exc:
            raise CheckFailed(
                f"could not read the webhook's recent deliveries: {exc}.", "check Logto's health."
            ) from exc
        return _deliveries_verdict(hook, deliveries)


def _deliveries_verdict(hook: Hook, deliveries: list[HookDelivery]) -> str:
    """OK when the latest delivery succeeded (or none was made); else what went wrong."""
    if not deliveries:
        return f"{hook.url} receives {len(hook.events)} events (no deliveries in the last 24 hours)"
    failed = [d for d in deliveries if not d.succeeded]
    latest = deliveries[0]
    if latest.succeeded:
        earlier = f"; {len(failed)} of the last {len(deliveries)} failed earlier" if failed else ""
        return (
            f"{hook.url} receives {len(hook.events)} events; the latest delivery "
            f"({latest.event}) succeeded{earlier}"
        )
    when = f" at {latest.created_at:%Y-%m-%d %H:%M:%S %Z}" if latest.created_at else ""
    problem = (
        f"the latest delivery ({latest.event}{when}) failed"
        f" ({len(failed)} of the last {len(deliveries)} failed): "
    )
    status = latest.response_status
    if status is None:
        raise CheckFailed(
            problem + f"Logto could not reach {hook.url} ({latest.error or 'no answer'}).",
            "PORTAL_BASE_URL must be the portal's address as Logto's servers reach it "
            "(not localhost for Logto Cloud), over HTTPS with a valid certificate.",
        )
    if status in (401, 403):
        raise CheckFailed(
            problem + f"the portal answered HTTP {status}: it refused the signature.",
            f"set {SIGNING_KEYS_VARIABLE} to the hook's signing key (`manage.py logto_bootstrap "
            "--apply` prints it) on every instance, and restart them.",
        )
    if status in (404, 405):
        raise CheckFailed(
            problem + f"the portal answered HTTP {status} at {hook.url}.",
            "check PORTAL_BASE_URL and that this portal version serves /webhooks/logto "
            "(a proxy in front of it must pass POST requests through).",
        )
    raise CheckFailed(
        problem + f"the portal answered HTTP {status}.",
        "see the portal's logs for that time (the delivery was not retried: the caches "
        "it concerned expire within a minute).",
    )
