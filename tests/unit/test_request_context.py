"""What the audit trail and the logs learn about a request: its id and the client's address."""

import logging
import re

import pytest
from django.http import HttpResponse

from orgportal import request_context
from orgportal.request_context import RequestContextMiddleware, RequestIdLogFilter


def seen_by_services(rf, settings, *, behind_proxy: bool, **meta) -> str | None:
    settings.ORGPORTAL_BEHIND_PROXY = behind_proxy
    seen: dict[str, str | None] = {}

    def view(request):
        seen["ip"] = request_context.client_ip.get()
        return HttpResponse()

    RequestContextMiddleware(view)(rf.get("/", **meta))
    return seen["ip"]


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded_for", "expected"),
    [
        (False, "198.51.100.4", "10.0.0.2"),  # not behind a proxy: the header is the client's
        (True, "198.51.100.4", "198.51.100.4"),
        (True, "6.6.6.6, 198.51.100.4", "198.51.100.4"),  # the client wrote the first entry
        (True, "", "10.0.0.2"),
        (True, "2001:db8::7", "2001:db8::7"),
        (True, "not-an-address", None),  # never stored as an address
    ],
)
def test_the_audit_trail_gets_the_address_the_proxy_saw(
    rf, settings, behind_proxy, forwarded_for, expected
):
    ip = seen_by_services(
        rf,
        settings,
        behind_proxy=behind_proxy,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    assert ip == expected


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("lb-7f3a-42", True),
        ("0f8e2c1a-3b4d-4e5f-8a9b-0c1d2e3f4a5b", True),
        ("Root=1-67891233-abcdef012345678912345678", True),  # AWS ALB's X-Amzn-Trace-Id style
        ("x" * 64, True),
        ("x" * 65, False),
        ("two words", False),
        ('"quoted"', False),
        ("line\nbreak", False),
        ("", False),
    ],
)
def test_a_request_id_from_the_proxy_is_kept_only_when_it_looks_like_one(rf, sent, kept):
    seen: dict[str, str | None] = {}

    def view(request):
        seen["id"] = request_context.request_id.get()
        return HttpResponse()

    headers = {"HTTP_X_REQUEST_ID": sent} if sent else {}
    response = RequestContextMiddleware(view)(rf.get("/", **headers))

    assert response["X-Request-ID"] == seen["id"]
    if kept:
        assert seen["id"] == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", seen["id"] or "")


def test_log_lines_written_after_the_middleware_returned_keep_the_id(rf):
    """Django logs "Not Found: /x" once the middleware chain has returned; the id comes from
    the request those lines carry."""
    request = rf.get("/x", HTTP_X_REQUEST_ID="lb-1")
    RequestContextMiddleware(lambda r: HttpResponse(status=404))(request)
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Not Found", (), None)
    record.request = request

    RequestIdLogFilter().filter(record)

    assert record.request_id == "lb-1"
    outside = logging.LogRecord("orgportal", logging.INFO, "", 0, "started", (), None)
    RequestIdLogFilter().filter(outside)
    assert outside.request_id is None


@pytest.mark.django_db
def test_invite_link_tokens_never_reach_the_logs(client, caplog):
    """A link's token lets anyone join: the access line and Django's 4xx warning of
    `/join/<token>/` carry `/join/…/` instead, down to what the JSON formatter writes out."""
    from pythonjsonlogger.json import JsonFormatter

    token = "secret-token-0123456789abcdefghijkl"
    django_request = logging.getLogger("django.request")
    django_request.addHandler(caplog.handler)  # "django" does not propagate to caplog's root
    try:
        with caplog.at_level(logging.INFO, logger="orgportal.access"):
            answer = client.get(f"/join/{token}/")
    finally:
        django_request.removeHandler(caplog.handler)
    assert answer.status_code >= 400
    names = {record.name for record in caplog.records}
    assert {"orgportal.access", "django.request"} <= names
    formatter = JsonFormatter("%(levelname)s %(name)s %(message)s")
    for record in caplog.records:
        RequestIdLogFilter().filter(record)  # what the console handler adds before formatting
        written = formatter.format(record)
        assert token not in written
        assert token not in caplog.text
    access = next(r for r in caplog.records if r.name == "orgportal.access")
    assert access.getMessage() == f"GET /join/\u2026/ {answer.status_code}"
