"""Webhook deliveries: which calls fire which events, the payloads, signing and sending.

Logto sends a hook's events after the API call has answered (in milliseconds), one POST per
subscribed hook, signed with the hook's key, with a 10 s timeout and no retry (BEHAVIOUR.md,
"Webhooks"). Here every call queues its events in the thread that handles it; `release()`
hands them to one delivery thread once the handler has returned and the emulator's lock is
free, so a receiver that calls back into the emulator never waits on the call that fired.
One thread delivers in the order the events were raised, which keeps tests deterministic
(Logto promises no order).

Deliveries go through `urllib`, not `requests`: fast tests route `requests` into the emulator
with `responses`, and a hook's receiver is a real socket on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from logto_emulator.state import Hook, HookLog, new_id

if TYPE_CHECKING:
    from logto_emulator.app import Emulator

USER_AGENT = "Logto (https://logto.io/)"
TIMEOUT = 10.0

EVENTS = (
    "PostRegister",
    "PostSignIn",
    "PostSignInAdaptiveMfaTriggered",
    "PostResetPassword",
    "User.Created",
    "User.Deleted",
    "User.Data.Updated",
    "User.SuspensionStatus.Updated",
    "Role.Created",
    "Role.Deleted",
    "Role.Data.Updated",
    "Role.Scopes.Updated",
    "Scope.Created",
    "Scope.Deleted",
    "Scope.Data.Updated",
    "Organization.Created",
    "Organization.Deleted",
    "Organization.Data.Updated",
    "Organization.Membership.Updated",
    "OrganizationRole.Created",
    "OrganizationRole.Deleted",
    "OrganizationRole.Data.Updated",
    "OrganizationRole.Scopes.Updated",
    "OrganizationScope.Created",
    "OrganizationScope.Deleted",
    "OrganizationScope.Data.Updated",
    "Identifier.Lockout",
    "Message.RateLimited",
    "Grant.LimitExceeded",
)
INTERACTION_EVENTS = ("PostRegister", "PostSignIn", "PostResetPassword")


def sign(signing_key: str, body: bytes) -> str:
    """`logto-signature-sha-256`: lower-case hex HMAC-SHA256 of the raw body bytes."""
    return hmac.new(signing_key.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    """The body as Logto's JSON.stringify writes it: no spaces, non-ASCII kept as is."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def iso_now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def client_ip(request: Request) -> str:
    # In-process test calls carry no address; they come from this machine.
    return request.remote_addr or "127.0.0.1"


@dataclass
class Delivery:
    """One POST to a hook's URL and what came of it (tests read these)."""

    hook_id: str
    event: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    response_body: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


def send(url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str, str | None]:
    """POST once; (status, response text, error). Non-2xx answers are errors too."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.status, answer.read().decode(errors="replace"), None
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        return exc.code, text, f"HTTPError: Request failed with status code {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"


def request_headers(hook_headers: dict[str, str] | None, signing_key: str, body: bytes) -> dict:
    # Logto's order: its user agent, then the hook's own headers, then the signature.
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    headers.update(hook_headers or {})
    headers["logto-signature-sha-256"] = sign(signing_key, body)
    return headers


class Webhooks:
    """Queues events per calling thread and delivers them once the call has answered."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.deliveries: list[Delivery] = []
        self._pending = threading.local()
        self._outbox: queue.Queue[Delivery] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        # How a delivery is made: a POST over HTTP. In-process tests may hand deliveries for
        # the portal's own URL to Django's test client instead (same signature).
        self.transport: Callable[[str, dict[str, str], bytes], tuple[int | None, str, str | None]]
        self.transport = send

    # -- raising events ------------------------------------------------------------------------
    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Queue `event` for every enabled hook that subscribes to it (call under the lock)."""
        for hook in list(self.emu.state.hooks.values()):
            if hook.subscribes_to(event):
                body = encode({"event": event, **payload, "hookId": hook.id})
                headers = request_headers(hook.headers, hook.signing_key, body)
                self._queue().append(Delivery(hook.id, event, hook.url, headers, body))

    def emit_api_event(
        self,
        event: str,
        request: Request,
        response: Response,
        matched_route: str,
        params: dict[str, str],
        **rest: Any,
    ) -> None:
        """A Management API data event: the call's context, then `data` or the delta fields."""
        context: dict[str, Any] = {"createdAt": iso_now()}
        if request.headers.get("User-Agent"):
            context["userAgent"] = request.headers["User-Agent"]
        context.update(
            ip=client_ip(request),
            path=request.path.removeprefix("/api"),
            method=request.method,
            status=response.status_code,
            params=params,
            matchedRoute=matched_route,
        )
        self.emit(event, {**context, **rest})

    def observe(self, request: Request, route: str, params: dict[str, str]) -> Callable:
        """Before a call: snapshot what its events need; after it: queue them (on success)."""
        registration = API_EVENTS.get(route)
        if registration is None or not request.path.startswith("/api/"):
            return _ignore
        return registration(self, request, params)

    # -- delivering ----------------------------------------------------------------------------
    def _queue(self) -> list[Delivery]:
        if not hasattr(self._pending, "items"):
            self._pending.items = []
        return self._pending.items

    def release(self) -> None:
        """Hand the deliveries this thread queued to the sender (called outside the lock)."""
        queued, self._pending.items = self._queue(), []
        if not queued:
            return
        with self._worker_lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._send_forever, daemon=True)
                self._worker.start()
        for delivery in queued:
            self._outbox.put(delivery)

    def _send_forever(self) -> None:
        while True:
            delivery = self._outbox.get()
            try:
                delivery.status, delivery.response_body, delivery.error = self.transport(
                    delivery.url, delivery.headers, delivery.body
                )
                self._record(delivery)
            finally:
                self._outbox.task_done()

    def _record(self, delivery: Delivery) -> None:
        response: Any = delivery.response_body
        with contextlib.suppress(ValueError):  # Logto logs JSON answers parsed, others as text
            response = json.loads(response or "")
        key = f"TriggerHook.{delivery.event}"
        payload: dict[str, Any] = {
            "key": key,
            "result": "Success" if delivery.ok else "Error",
            "hookId": delivery.hook_id,
            "hookRequest": {"body": delivery.payload},
        }
        if delivery.status is not None:
            payload["response"] = {"statusCode": delivery.status, "body": response}
        if delivery.error:
            payload["error"] = delivery.error
        with self.emu.lock:
            self.deliveries.append(delivery)
            self.emu.state.hook_logs.append(
                HookLog(id=new_id(21), hook_id=delivery.hook_id, key=key, payload=payload)
            )

    def wait_idle(self, timeout: float = 15.0) -> list[Delivery]:
        """Test hook: wait until every released delivery has been made; returns them all."""
        done = threading.Event()

        def join() -> None:
            self._outbox.join()
            done.set()

        threading.Thread(target=join, daemon=True).start()
        if not done.wait(timeout):
            raise TimeoutError(f"webhook deliveries still running after {timeout} s")
        with self.emu.lock:
            return list(self.deliveries)


def _ignore(response: Response) -> None:
    return None


# -- which Management API calls fire which events ----------------------------------------------
# Route name (as the emulator names its routes) -> a function that runs before the call and
# returns the function that queues the events after it. Logto's own table is
# `managementApiHooksRegistration`, plus the membership deltas of newer releases.
Observer = Callable[[Webhooks, Request, dict[str, str]], Callable[[Response], None]]


def _succeeded(response: Response) -> bool:
    return response.status_code < 400


def _data_event(event: str, matched: str, names: dict[str, str], with_data: bool) -> Observer:
    def observe(hooks: Webhooks, request: Request, params: dict[str, str]) -> Callable:
        def after(response: Response) -> None:
            if not _succeeded(response):
                return
            rest = {"data": response.get_json()} if with_data else {}
            hooks.emit_api_event(
                event, request, response, matched, _logto_params(params, names), **rest
            )

        return after

    return observe


def _logto_params(params: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    """The emulator's route parameters under Logto's names (`org_id` -> `id`, ...)."""
    return {names[key]: value for key, value in params.items() if key in names}


def _json_list(request: Request, key: str) -> list[str]:
    body = request.get_json(silent=True, force=True)
    value = body.get(key) if isinstance(body, dict) else None
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@dataclass
class _Delta:
    """How a membership call's event is built once it answered: for which organization
    (None: no event) and with which delta fields."""

    organization_id: Callable[[Response], str | None]
    fields: Callable[[], dict[str, list[str]]]


def _membership_event(matched: str, names: dict[str, str], delta: Callable) -> Observer:
    """`Organization.Membership.Updated`; `delta(state, request, params)` runs before the call
    and returns a function giving the delta fields after it (empty ones are left out)."""

    def observe(hooks: Webhooks, request: Request, params: dict[str, str]) -> Callable:
        compute = delta(hooks.emu.state, request, params)

        def after(response: Response) -> None:
            if not _succeeded(response):
                return
            organization_id = compute.organization_id(response)
            if organization_id is None:
                return
            fields = {key: ids for key, ids in compute.fields().items() if ids}
            hooks.emit_api_event(
                "Organization.Membership.Updated",
                request,
                response,
                matched,
                _logto_params(params, names),
                organizationId=organization_id,
                **fields,
            )

        return after

    return observe


def _added(before: set[str], wanted: list[str]) -> list[str]:
    return [i for i in dict.fromkeys(wanted) if i not in before]


def _users_added(state, request: Request, params: dict[str, str]) -> _Delta:
    org = state.organizations.get(params["org_id"])
    before = set(org.members) if org else set()
    wanted = _json_list(request, "userIds")
    return _Delta(lambda r: params["org_id"], lambda: {"addedUserIds": _added(before, wanted)})


def _users_replaced(state, request: Request, params: dict[str, str]) -> _Delta:
    org = state.organizations.get(params["org_id"])
    before = list(org.members) if org else []
    wanted = _json_list(request, "userIds")
    return _Delta(
        lambda r: params["org_id"],
        lambda: {
            "addedUserIds": _added(set(before), wanted),
            "removedUserIds": [i for i in before if i not in wanted],
        },
    )


def _user_removed(state, request: Request, params: dict[str, str]) -> _Delta:
    return _Delta(lambda r: params["org_id"], lambda: {"removedUserIds": [params["user_id"]]})


def _invitation_accepted(state, request: Request, params: dict[str, str]) -> _Delta:
    invitation = state.invitations.get(params["invitation_id"])
    org = state.organizations.get(invitation.organization_id) if invitation else None
    before = set(org.members) if org else set()
    body = request.get_json(silent=True, force=True)
    user_id = body.get("acceptedUserId") if isinstance(body, dict) else None

    def organization_id(response: Response) -> str | None:
        body = response.get_json(silent=True) or {}
        return body.get("organizationId") if body.get("status") == "Accepted" else None

    return _Delta(organization_id, lambda: {"addedUserIds": _added(before, [user_id])})


def _apps_added(state, request: Request, params: dict[str, str]) -> _Delta:
    org = state.organizations.get(params["org_id"])
    before = set(org.applications) if org else set()
    wanted = _json_list(request, "applicationIds")
    return _Delta(
        lambda r: params["org_id"], lambda: {"addedApplicationIds": _added(before, wanted)}
    )


def _apps_replaced(state, request: Request, params: dict[str, str]) -> _Delta:
    org = state.organizations.get(params["org_id"])
    before = list(org.applications) if org else []
    wanted = _json_list(request, "applicationIds")
    return _Delta(
        lambda r: params["org_id"],
        lambda: {
            "addedApplicationIds": _added(set(before), wanted),
            "removedApplicationIds": [i for i in before if i not in wanted],
        },
    )


def _app_removed(state, request: Request, params: dict[str, str]) -> _Delta:
    return _Delta(lambda r: params["org_id"], lambda: {"removedApplicationIds": [params["app_id"]]})


def _role_created(hooks: Webhooks, request: Request, params: dict[str, str]) -> Callable:
    scope_ids = _json_list(request, "organizationScopeIds")

    def after(response: Response) -> None:
        if not _succeeded(response):
            return
        role = response.get_json()
        hooks.emit_api_event(
            "OrganizationRole.Created", request, response, "/organization-roles", {}, data=role
        )
        if scope_ids:  # Logto also reports the scopes it linked to the new role
            hooks.emit_api_event(
                "OrganizationRole.Scopes.Updated",
                request,
                response,
                "/organization-roles",
                {},
                organizationRoleId=role["id"],
            )

    return after


_ORG = {"org_id": "id"}
_USER = {"user_id": "userId"}
API_EVENTS: dict[str, Observer] = {
    "organizations.create": _data_event("Organization.Created", "/organizations", {}, True),
    "organizations.update": _data_event(
        "Organization.Data.Updated", "/organizations/:id", _ORG, True
    ),
    "organizations.delete": _data_event("Organization.Deleted", "/organizations/:id", _ORG, False),
    "organizations.users.add": _membership_event("/organizations/:id/users", _ORG, _users_added),
    "organizations.users.remove": _membership_event(
        "/organizations/:id/users/:userId", {"org_id": "id", "user_id": "userId"}, _user_removed
    ),
    "organizations.users.replace": _membership_event(
        "/organizations/:id/users", _ORG, _users_replaced
    ),
    "invitations.status": _membership_event(
        "/organization-invitations/:id/status", {"invitation_id": "id"}, _invitation_accepted
    ),
    "organizations.applications.add": _membership_event(
        "/organizations/:id/applications", _ORG, _apps_added
    ),
    "organizations.applications.replace": _membership_event(
        "/organizations/:id/applications", _ORG, _apps_replaced
    ),
    "organizations.applications.remove": _membership_event(
        "/organizations/:id/applications/:applicationId",
        {"org_id": "id", "app_id": "applicationId"},
        _app_removed,
    ),
    "organization_roles.create": _role_created,
    "organization_roles.scopes.add": _data_event(
        "OrganizationRole.Scopes.Updated",
        "/organization-roles/:id/scopes",
        {"role_id": "id"},
        False,
    ),
    "organization_roles.scopes.replace": _data_event(
        "OrganizationRole.Scopes.Updated",
        "/organization-roles/:id/scopes",
        {"role_id": "id"},
        False,
    ),
    "organization_scopes.create": _data_event(
        "OrganizationScope.Created", "/organization-scopes", {}, True
    ),
    # A user's profile, suspension and deletion (user_writes.py): the answer is the user,
    # except for a deletion (204, no `data`).
    "users.update": _data_event("User.Data.Updated", "/users/:userId", _USER, True),
    "users.suspension": _data_event(
        "User.SuspensionStatus.Updated", "/users/:userId/is-suspended", _USER, True
    ),
    "users.delete": _data_event("User.Deleted", "/users/:userId", _USER, False),
}


def sample_payload(hook: Hook, event: str) -> dict[str, Any]:
    """The fake payload `POST /hooks/{id}/test` sends (Logto's generateHookTestPayload)."""
    now = iso_now()
    base = {"event": event, "hookId": hook.id, "createdAt": now, "userAgent": "fake-user-agent"}
    if event in INTERACTION_EVENTS:
        return {
            **base,
            "sessionId": "fake-session-id",
            "userIp": "fake-user-ip",
            "userId": "fake-id",
            "user": {
                "id": "fake-id",
                "username": "fake-user",
                "primaryEmail": "fake-user@fake-service.com",
                "name": "Fake User",
            },
            "application": {
                "id": "fake-spa-application-id",
                "type": "SPA",
                "name": "Fake Application",
                "description": "Fake application data for testing",
            },
        }
    return {
        **base,
        "path": "/fake-path/:id",
        "method": "POST",
        "status": 200,
        "params": {"id": "fake-id"},
        "data": {"result": "success"},
    }
