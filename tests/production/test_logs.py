"""What an operator's log collector receives from gunicorn: JSON lines, each line of a request
with that request's id."""

from __future__ import annotations

import json
import re
import time

from tests.production.processes import Gunicorn


def json_lines(portal: Gunicorn) -> list[dict]:
    return [json.loads(line) for line in portal.lines if line.strip()]


def lines_of(portal: Gunicorn, request_id: str, expected: int) -> list[dict]:
    """The lines carrying `request_id`, once `expected` of them arrived (they follow the
    response by a moment)."""
    deadline = time.monotonic() + 5
    while True:
        found = [line for line in json_lines(portal) if line.get("request_id") == request_id]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_every_line_is_json_including_gunicorns_own(portal: Gunicorn):
    portal.get("/")
    lines = json_lines(portal)  # raises on any line that is not JSON
    assert {"time", "level", "logger", "message"} <= lines[0].keys()
    assert any(
        line["logger"] == "gunicorn.error" and line["message"].startswith("Booting worker")
        for line in lines
    )


def test_the_proxys_request_id_is_kept_echoed_and_on_every_line(portal: Gunicorn):
    response = portal.get("/no-such-page/", headers={"X-Request-ID": "lb-7f3a-42"})

    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "lb-7f3a-42"
    lines = lines_of(portal, "lb-7f3a-42", expected=2)
    by_logger = {line["logger"]: line for line in lines}
    # Django's own warning, written after the middleware returned, and the access line.
    assert by_logger["django.request"]["message"] == "Not Found: /no-such-page/"
    access = by_logger["orgportal.access"]
    assert access["message"] == "GET /no-such-page/ 404"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/no-such-page/", 404)
    assert isinstance(access["duration_ms"], int)


def test_without_a_usable_request_id_the_portal_makes_one(portal: Gunicorn):
    for sent in (None, 'has spaces and "quotes"', "x" * 65):
        headers = {"X-Request-ID": sent} if sent else {}
        response = portal.get("/", headers=headers)
        made = response.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), sent
        assert lines_of(portal, made, expected=1)[0]["logger"] == "orgportal.access"


def test_probes_write_no_lines(portal: Gunicorn):
    before = len(portal.lines)
    for _ in range(5):
        portal.get("/healthz")
        portal.get("/readyz")
    time.sleep(0.3)
    assert portal.lines[before:] == []
