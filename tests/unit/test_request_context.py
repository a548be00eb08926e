"""What the audit trail and the logs learn about a request: its id and the client's address."""

import pytest
from django.http import HttpResponse

from orgportal import request_context
from orgportal.request_context import RequestContextMiddleware


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
