"""The 403, 404 and 500 pages speak the browser's language (and the 500 page never fails)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import include, path
from django.utils import translation

from orgportal.views import errors
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


# This module is also the URLconf of the 500 tests: the portal's pages plus one that fails.
urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]
handler500 = "orgportal.views.errors.server_error"


def test_the_portal_answers_500_with_its_own_handler():
    from config import urls

    assert urls.handler500 == "orgportal.views.errors.server_error"


def test_not_found_in_german(client, emulator):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    body = response.content.decode()
    assert response.status_code == 404
    assert "<title>Nicht gefunden · Organisationsportal</title>" in body
    assert "Diese Seite gibt es nicht, oder Sie haben keinen Zugriff darauf." in body
    assert "Zu Ihren Organisationen" in body and "Not found" not in body


def test_not_allowed_in_german(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")  # a member, not a manager
    response = client.get(f"/orgs/{acme.id}/activity/", HTTP_ACCEPT_LANGUAGE="de")
    body = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Nicht erlaubt</h1>" in body
    assert "wenden Sie sich an einen Admin dieser Organisation." in body
    assert "If you think you should" not in body


@pytest.mark.urls(__name__)
def test_server_error_in_german(client, emulator):
    client.raise_request_exception = False
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="de")
    body = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="de">' in body
    assert "<h1>Etwas ist schiefgelaufen</h1>" in body
    assert "Versuchen Sie es gleich noch einmal." in body
    english = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Something went wrong</h1>" in english and '<html lang="en">' in english


def test_a_failure_before_the_language_was_chosen_still_gets_the_browsers_language():
    """No locale middleware ran (the request has no LANGUAGE_CODE): the thread may still speak
    an earlier request's language; the page follows this browser's Accept-Language."""
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="de")
    with translation.override("en"):
        body = errors.server_error(request).content.decode()
    assert "Etwas ist schiefgelaufen" in body
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en-GB")
    with translation.override("de"):
        body = errors.server_error(request).content.decode()
    assert "Something went wrong" in body


def test_the_500_handler_does_not_fail_when_its_page_cannot_render(monkeypatch):
    def broken(name):
        raise RuntimeError("templates unreadable")

    monkeypatch.setattr(errors.loader, "get_template", broken)
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and b"Server error (500)" in response.content
