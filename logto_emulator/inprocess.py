"""Route `requests` calls for the emulator's endpoint into it in-process (no sockets).

Used by fast tests: the real client and mozilla-django-oidc talk to the emulator exactly as
they would over HTTP, through `responses`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests
import responses
from werkzeug.test import Client

from logto_emulator.app import Emulator

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


@dataclass(frozen=True)
class Exchange:
    """One request/response pair, recorded for contract tests."""

    method: str
    path: str
    request_body: bytes | None
    status: int
    response_body: bytes


@contextmanager
def routed_to(
    emulator: Emulator, record: list[Exchange] | None = None
) -> Iterator[responses.RequestsMock]:
    client = Client(emulator, use_cookies=False)  # each requests.Session keeps its own

    def handle(request: requests.PreparedRequest):
        path_and_query = request.url[len(emulator.endpoint) :] or "/"
        response = client.open(
            path_and_query,
            method=request.method,
            base_url=emulator.endpoint,  # as over HTTP: the Host is the endpoint's
            headers=dict(request.headers),
            data=request.body,
        )
        if emulator.answer_was_delayed():
            # Over HTTP the client would have given up before this answer came.
            raise requests.ReadTimeout(f"no answer in time from {request.url}")
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        if record is not None:
            body = request.body.encode() if isinstance(request.body, str) else request.body
            record.append(
                Exchange(
                    method=request.method,
                    path=path_and_query.split("?")[0],
                    request_body=body,
                    status=response.status_code,
                    response_body=response.get_data(),
                )
            )
        return response.status_code, headers, response.get_data()

    pattern = re.compile(re.escape(emulator.endpoint) + r"(/.*)?$")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in _METHODS:
            mock.add_callback(method, pattern, callback=handle)
        yield mock
