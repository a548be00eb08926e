"""The emulator's WSGI application: routing, bearer checks, fault injection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from logto_emulator.errors import ApiError, OAuthError, json_response, text_response
from logto_emulator.keys import SigningKey
from logto_emulator.state import TenantState

Handler = Callable[..., Response]


@dataclass
class Fault:
    """Misbehaviour injected into one route (or every route, with the name `*`)."""

    latency: float = 0.0
    status: int | None = None
    every: int = 1  # act on every Nth matching call
    times: int | None = None  # stop after acting this many times
    retry_after: int | None = None
    # Do the work first, then answer late and/or with `status`: the change happened although
    # the client timed out or read a gateway error (an outcome it cannot know).
    after_work: bool = False
    seen: int = 0
    acted: int = 0

    def should_act(self) -> bool:
        self.seen += 1
        if self.times is not None and self.acted >= self.times:
            return False
        if self.seen % self.every:
            return False
        self.acted += 1
        return True


class Emulator:
    """A Logto tenant in memory, served as a WSGI app.

    `endpoint` is the base URL clients use (the issuer is `<endpoint>/oidc`), as Logto's
    issuer is fixed by its configured endpoint rather than by the request's Host header.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        state: TenantState | None = None,
        signing_alg: str = "ES384",
        management_api_resource: str = "https://default.logto.app/api",
    ) -> None:
        from logto_emulator import api_routes, management, oidc, webhooks

        self.endpoint = endpoint.rstrip("/")
        self.issuer = self.endpoint + "/oidc"
        self.state = state or TenantState()
        self.management_api_resource = management_api_resource
        self.api_resources: set[str] = set()
        self.keys = [SigningKey(signing_alg)]
        self.faults: dict[str, Fault] = {}
        self.lock = threading.RLock()
        self._local = threading.local()
        self.calls: list[tuple[str, str, int]] = []  # (method, route name, status)
        self._rules: list[Rule] = []
        self._handlers: dict[str, Handler] = {}
        self.oidc = oidc.OidcProvider(self)
        self.oidc.register(self.route)
        self.management = management.register(self, self.route)
        # Added: webhook deliveries (webhooks.py), then the routes of api_routes.py's modules.
        self.webhooks = webhooks.Webhooks(self)
        self.extensions = api_routes.register(self, self.route)
        self.route("GET", "/emulator/outbox", "emulator.outbox", self._outbox_page)
        self.route("GET", "/emulator/outbox.json", "emulator.outbox_json", self._outbox_json)
        self._map = Map(self._rules, strict_slashes=False, merge_slashes=False)

    # -- routing -----------------------------------------------------------------------------
    def route(self, methods: str, path: str, name: str, handler: Handler) -> None:
        self._rules.append(Rule(path, endpoint=name, methods=methods.split()))
        self._handlers[name] = handler

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[0]

    def set_fault(self, route: str = "*", **options: Any) -> Fault:
        """Inject latency or a forced status into `route` (a route name, or `*` for all)."""
        fault = Fault(**options)
        self.faults[route] = fault
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            name, params = adapter.match()
        except (NotFound, MethodNotAllowed) as exc:
            if request.path.startswith("/api/"):
                # Logto's router has no route here, so Koa answers with its status text.
                return text_response(exc.code or 404, exc.name)
            return exc
        except HTTPException as exc:  # e.g. a redirect for a trailing slash
            return exc
        fault = self._acting_fault(name)
        forced = self._apply_fault(fault) if fault and not fault.after_work else None
        if forced is not None:
            response = forced
        else:
            handler = self._handlers[name]
            try:
                if getattr(handler, "unlocked", False):
                    response = handler(request, **params)  # takes the lock itself
                else:
                    with self.lock:
                        # Added: the webhooks this call fires, queued once it succeeded.
                        queue_events = self.webhooks.observe(request, name, params)
                        response = handler(request, **params)
                        queue_events(response)
            except (ApiError, OAuthError) as exc:
                response = exc.response()
            if fault and fault.after_work:
                response = self._apply_fault(fault) or response
        # In-process callers see a late answer as the timeout it is over HTTP (inprocess.py).
        self._local.answer_delayed = bool(fault and fault.after_work and fault.latency)
        # Added: deliveries start after the answer is made and outside the lock (webhooks.py).
        self.webhooks.release()
        self.calls.append((request.method, name, response.status_code))
        return response

    def answer_was_delayed(self) -> bool:
        """Whether this thread's last call did its work and then answered late (a fault with
        `after_work` and `latency`): a client would have timed out without knowing."""
        return getattr(self._local, "answer_delayed", False)

    def _acting_fault(self, name: str) -> Fault | None:
        fault = self.faults.get(name) or self.faults.get("*")
        return fault if fault is not None and fault.should_act() else None

    def _apply_fault(self, fault: Fault) -> Response | None:
        if fault.latency:
            time.sleep(fault.latency)
        if fault.status is None:
            return None
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        code = "request.too_many_requests" if fault.status == 429 else "emulator.injected_fault"
        return json_response(
            {"code": code, "message": f"Injected fault ({fault.status})."},
            status=fault.status,
            headers=headers,
        )

    def _outbox_page(self, request: Request) -> Response:
        from logto_emulator.pages import outbox_page

        return outbox_page(self.state.outbox)

    def _outbox_json(self, request: Request) -> Response:
        return json_response(
            [
                {"to": m.to, "template": m.template, "payload": m.payload, "sentAt": m.sent_at}
                for m in self.state.outbox
            ]
        )

    def calls_to(self, name: str) -> int:
        return sum(1 for _, route, _ in self.calls if route == name)
