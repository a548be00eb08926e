"""The webhooks Management API (`/api/hooks`): CRUD, key rotation, recent logs, test sends.

Facts: BEHAVIOUR.md "Webhooks"; deliveries themselves are in webhooks.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from logto_emulator.errors import ApiError, json_response, not_exists_with_id, not_found
from logto_emulator.jit import no_content, page
from logto_emulator.state import Hook, new_id, new_secret, now_ms
from logto_emulator.validation import issue, json_body, string_field
from logto_emulator.webhooks import EVENTS, encode, request_headers, sample_payload, send

if TYPE_CHECKING:
    from logto_emulator.app import Emulator

RECENT_LOGS_WINDOW_MS = 24 * 3600 * 1000


def _events(body: dict, *, required: bool) -> list[str] | None:
    if "events" not in body:
        if required:
            raise issue("events", "Required")
        return None
    events = body["events"]
    if not isinstance(events, list) or not all(e in EVENTS for e in events):
        raise issue("events", f"Invalid enum value. Expected {' | '.join(EVENTS)}")
    if not events:
        raise issue("events", "Array must contain at least 1 element(s)")
    return list(dict.fromkeys(events))


def _config(body: dict, *, required: bool) -> dict[str, Any] | None:
    if "config" not in body:
        if required:
            raise issue("config", "Required")
        return None
    config = body["config"]
    if not isinstance(config, dict) or not isinstance(config.get("url"), str):
        raise issue("config.url", "Required")
    headers = config.get("headers")
    if headers is not None and (
        not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())
    ):
        raise issue("config.headers", "Expected a record of strings")
    return config


class HooksApi:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.state = emu.state

    def _hook(self, hook_id: str) -> Hook:
        hook = self.state.hooks.get(hook_id)
        if hook is None:
            raise not_exists_with_id("hook", hook_id)
        return hook

    def hooks_list(self, request: Request) -> Response:
        return page(request, [h.to_api() for h in self.state.hooks.values()], optional=True)

    def hook_create(self, request: Request) -> Response:
        body = json_body(request)
        name = string_field(body, "name", min_length=1, max_length=256) or ""
        events = _events(body, required=False)
        event = body.get("event")
        if event is not None and event not in EVENTS:
            raise issue("event", "Invalid enum value")
        config = _config(body, required=True)
        enabled = body.get("enabled", True)
        if not isinstance(enabled, bool):
            raise issue("enabled", "Expected boolean")
        if not events and not event:
            raise ApiError(400, "hook.missing_events", "Hook events are missing.")
        hook = Hook(
            id=new_id(21),
            name=name,
            events=events or [],
            url=config["url"],  # not validated: a bad URL fails at delivery (recent-logs)
            headers=config.get("headers"),
            enabled=enabled,
            event=event,
        )
        self.state.hooks[hook.id] = hook
        return json_response(hook.to_api(), status=201)

    def hook_get(self, request: Request, hook_id: str) -> Response:
        return json_response(self._hook(hook_id).to_api())

    def hook_update(self, request: Request, hook_id: str) -> Response:
        body = json_body(request)
        name = string_field(body, "name", min_length=1, max_length=256)
        events = _events(body, required=False)
        config = _config(body, required=False)
        if "enabled" in body and not isinstance(body["enabled"], bool):
            raise issue("enabled", "Expected boolean")
        hook = self.state.hooks.get(hook_id)
        if hook is None:
            raise ApiError(404, "entity.not_exists", "The hook does not exist.")
        if name is not None:
            hook.name = name
        if events is not None:
            hook.events = events
        if config is not None:  # replaced as a whole, headers included
            hook.url, hook.headers = config["url"], config.get("headers")
        if "enabled" in body:
            hook.enabled = body["enabled"]
        return json_response(hook.to_api())

    def hook_delete(self, request: Request, hook_id: str) -> Response:
        if self.state.hooks.pop(hook_id, None) is None:
            raise not_found("hook")
        return no_content()

    def hook_rotate_key(self, request: Request, hook_id: str) -> Response:
        hook = self.state.hooks.get(hook_id)
        if hook is None:
            raise ApiError(404, "entity.not_exists", "The hook does not exist.")
        hook.signing_key = new_secret()
        return json_response(hook.to_api())

    def hook_recent_logs(self, request: Request, hook_id: str) -> Response:
        """The last 24 hours of deliveries, newest first (unknown hooks simply have none)."""
        since = now_ms() - RECENT_LOGS_WINDOW_MS
        key = request.args.get("logKey")
        logs = [
            log.to_api()
            for log in reversed(self.state.hook_logs)
            if log.hook_id == hook_id and log.created_at > since and (not key or log.key == key)
        ]
        return page(request, logs, optional=False)

    def hook_test(self, request: Request, hook_id: str) -> Response:
        """Send signed fake payloads to `config.url` now; answers once they were answered.

        Runs without the emulator's lock (see `api_routes.UNLOCKED`): it waits on the network,
        and the receiver may call the emulator back.
        """
        body = json_body(request)
        events = _events(body, required=True)
        config = _config(body, required=True)
        with self.emu.lock:
            hook = self._hook(hook_id)
            sends = [encode(sample_payload(hook, event)) for event in events or []]
            key = hook.signing_key
        for payload in sends:
            headers = request_headers(config.get("headers"), key, payload)
            status, text, error = send(config["url"], headers, payload)
            if status is not None and not 200 <= status < 300:
                raise ApiError(
                    422,
                    "hook.endpoint_responded_with_error",
                    "The endpoint responded with an error.",
                    data={"responseStatus": status, "responseBody": text},
                )
            if status is None:
                raise ApiError(422, "hook.send_test_payload_failed", error or "Unknown error")
        return no_content()


ROUTES: list[tuple[str, str, str, str]] = [
    # (methods, path, route name, handler)
    ("GET", "/hooks", "hooks.list", "hooks_list"),
    ("POST", "/hooks", "hooks.create", "hook_create"),
    ("GET", "/hooks/<hook_id>", "hooks.get", "hook_get"),
    ("PATCH", "/hooks/<hook_id>", "hooks.update", "hook_update"),
    ("DELETE", "/hooks/<hook_id>", "hooks.delete", "hook_delete"),
    ("PATCH", "/hooks/<hook_id>/signing-key", "hooks.signing_key", "hook_rotate_key"),
    ("GET", "/hooks/<hook_id>/recent-logs", "hooks.recent_logs", "hook_recent_logs"),
    ("POST", "/hooks/<hook_id>/test", "hooks.test", "hook_test"),
]
