import json

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.http import HttpResponse
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from orgportal.middleware import HtmxMessagesMiddleware


def request_with_messages(rf, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    request = rf.get("/", headers=headers)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)
    return request


@pytest.mark.parametrize("htmx", [True, False])
def test_messages_become_a_toast_trigger_only_for_htmx(rf, htmx):
    request = request_with_messages(rf, htmx)

    def view(req):
        messages.success(req, "Saved.")
        response = HttpResponse("fragment")
        response["HX-Trigger"] = json.dumps({"members-changed": True})
        return response

    response = HtmxMessagesMiddleware(view)(request)
    if htmx:
        trigger = json.loads(response["HX-Trigger"])
        assert trigger == {
            "members-changed": True,
            "messages": [{"message": "Saved.", "tags": "success"}],
        }
    else:
        assert json.loads(response["HX-Trigger"]) == {"members-changed": True}


def test_messages_wait_for_the_next_page_when_htmx_navigates(rf):
    request = request_with_messages(rf, htmx=True)

    def view(req):
        messages.success(req, "Created.")
        return HttpResponseClientRedirect("/orgs/x/")

    response = HtmxMessagesMiddleware(view)(request)
    assert "HX-Trigger" not in response
    assert [str(m) for m in messages.get_messages(request)] == ["Created."]


def test_every_request_gets_one_budget_for_its_logto_calls(settings, rf):
    from django.http import HttpResponse

    from orgportal.logto import deadline
    from orgportal.middleware import LogtoDeadlineMiddleware

    settings.ORGPORTAL_REQUEST_DEADLINE = 5.0
    seen = []

    def view(request):
        seen.append(deadline.remaining())
        return HttpResponse()

    LogtoDeadlineMiddleware(view)(rf.get("/"))
    assert 4.5 < seen[0] <= 5.0
    assert deadline.remaining() is None  # gone after the request
