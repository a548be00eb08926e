"""Choosing the language: the browser's by default, the header's switch (without JavaScript)
saved on the person and in a cookie, and Logto's sign-in pages in the same language."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client
from werkzeug.test import Client as WsgiClient

from orgportal.models import User
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response) -> str:
    body = response.content.decode()
    start = body.index("<html lang=") + len('<html lang="')
    return body[start : body.index('"', start)]


def switch(client, language: str, next_url: str = "/", **headers):
    return client.post("/language/", {"language": language, "next": next_url}, **headers)


def test_a_browser_asking_for_german_gets_german_pages(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"
    body = response.content.decode()
    assert 'title="Sprache"' in body and "Sprache:" in body
    assert '<span class="language-current" lang="de">Deutsch</span>' in body


def test_without_accept_language_the_portal_speaks_english(client):
    response = client.get("/")
    assert html_lang(response) == "en"
    assert response["Content-Language"] == "en"
    assert 'title="Language"' in response.content.decode()


def test_pages_vary_on_the_browser_language_and_the_cookies(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.get(f"/orgs/{acme.id}/", HTTP_ACCEPT_LANGUAGE="de")
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary


def test_the_switch_lists_each_language_in_its_own_name_and_marks_the_current_one(client):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'action="/language/"' in body and 'name="csrfmiddlewaretoken"' in body
    assert 'value="en" lang="en">' in body  # English, not "Englisch"
    assert 'value="de" lang="de" aria-current="true"' in body
    assert '<span class="language-name">English</span>' in body
    assert '<span class="language-name">Deutsch</span>' in body


def test_switching_without_javascript_saves_it_on_the_person_and_in_the_cookie(
    client, emulator, acme
):
    alice = login_as(client, emulator, "alice@example.com")
    page = f"/orgs/{acme.id}/members/"
    response = switch(
        client, "de", page, HTTP_ACCEPT_LANGUAGE="en", HTTP_REFERER=f"http://testserver{page}?q=bob"
    )
    assert response.status_code == 302 and response["Location"] == f"{page}?q=bob"
    assert response.cookies[COOKIE].value == "de"
    assert response.cookies[COOKIE]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    alice.refresh_from_db()
    assert alice.language == "de"
    # The choice wins over the browser's Accept-Language.
    after = client.get(f"/orgs/{acme.id}/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert html_lang(after) == "de" and after["Content-Language"] == "de"


def test_the_saved_language_follows_the_person_to_another_browser(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    switch(client, "de")
    other_browser = Client()  # no language cookie, a browser asking for English
    login_as(other_browser, emulator, "alice@example.com")
    response = other_browser.get(f"/orgs/{acme.id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(response) == "de"
    # ...and a cookie left from another choice in that browser does not override it.
    other_browser.cookies[COOKIE] = "en"
    assert html_lang(other_browser.get(f"/orgs/{acme.id}/")) == "de"


def test_switching_back_to_english_is_saved_too(client, emulator, acme):
    alice = login_as(client, emulator, "alice@example.com")
    switch(client, "de")
    switch(client, "en")
    alice.refresh_from_db()
    assert alice.language == "en"
    assert html_lang(client.get(f"/orgs/{acme.id}/", HTTP_ACCEPT_LANGUAGE="de")) == "en"


def test_visitors_switch_with_the_cookie_alone(client):
    response = switch(client, "de", "/")
    assert response.cookies[COOKIE].value == "de"
    assert not User.objects.filter(language="de").exists()
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "de"


def test_error_pages_carry_the_switch_and_speak_the_chosen_language(client):
    switch(client, "de")
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert html_lang(response) == "de"
    assert 'action="/language/"' in response.content.decode()


@pytest.mark.parametrize(
    "unsafe",
    [
        "https://evil.example/",
        "//evil.example/path",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "",
    ],
)
def test_an_unsafe_next_is_refused(client, unsafe):
    response = switch(client, "de", unsafe)
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[COOKIE].value == "de"


def test_the_query_comes_back_only_from_a_referer_of_the_same_page(client):
    elsewhere = switch(client, "de", "/invitations/", HTTP_REFERER="https://evil.example/x?a=1")
    assert elsewhere["Location"] == "/invitations/"
    other_page = switch(client, "de", "/invitations/", HTTP_REFERER="http://testserver/?a=1")
    assert other_page["Location"] == "/invitations/"


def test_the_page_does_not_echo_its_query_string_in_the_switch(client):
    body = client.get("/?label=spam-bot@x.example").content.decode()
    assert "spam-bot" not in body and '<input type="hidden" name="next" value="/">' in body


def test_a_language_the_portal_does_not_speak_changes_nothing(client, emulator):
    alice = login_as(client, emulator, "alice@example.com")
    response = switch(client, "xx", "/")
    assert response.status_code == 302 and COOKIE not in response.cookies
    alice.refresh_from_db()
    assert alice.language == ""


def test_a_regional_variant_is_kept_as_the_language(client, emulator):
    alice = login_as(client, emulator, "alice@example.com")
    assert switch(client, "de-AT").cookies[COOKIE].value == "de"
    alice.refresh_from_db()
    assert alice.language == "de"


def test_the_switch_only_takes_posts(client):
    assert client.get("/language/?language=de").status_code == 405


def test_the_switch_checks_the_csrf_token():
    guarded = Client(enforce_csrf_checks=True)
    assert switch(guarded, "de").status_code == 403


def test_with_htmx_the_whole_page_reloads_in_the_new_language(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    page = f"/orgs/{acme.id}/"
    response = switch(client, "de", page, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == page
    assert response.cookies[COOKIE].value == "de"


# -- Logto's sign-in pages -------------------------------------------------------------------
def authorization_request(client, **headers) -> str:
    response = client.get("/oidc/authenticate/", **headers)
    assert response.status_code == 302
    return response["Location"]


def test_the_sign_in_redirect_asks_logto_for_the_browser_language(client, emulator):
    location = authorization_request(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert parse_qs(urlsplit(location).query)["ui_locales"] == ["de"]
    location = authorization_request(Client())
    assert parse_qs(urlsplit(location).query)["ui_locales"] == ["en"]


def test_the_sign_in_redirect_follows_the_chosen_language(client, emulator):
    switch(client, "de")
    location = authorization_request(client, HTTP_ACCEPT_LANGUAGE="en")
    assert parse_qs(urlsplit(location).query)["ui_locales"] == ["de"]


def test_the_emulator_records_ui_locales_and_opens_its_sign_in_page_in_it(client, emulator):
    location = authorization_request(client, HTTP_ACCEPT_LANGUAGE="de")
    to_sign_in = requests.get(location, allow_redirects=False, timeout=5)
    assert to_sign_in.status_code in (302, 303)
    assert emulator.state.ui_locales_requested == ["de"]
    parts = urlsplit(to_sign_in.headers["Location"])
    page = WsgiClient(emulator).get(f"{parts.path}?{parts.query}")
    assert "<html lang='de'>" in page.get_data(as_text=True)


# -- the invite form's "Language of the email" ---------------------------------------------
def test_the_invite_form_offers_the_email_language_defaulting_to_the_inviters(
    client, emulator, acme
):
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/invitations/new/", HTTP_ACCEPT_LANGUAGE="de").content
    page = body.decode()
    assert "Sprache der E-Mail" in page
    assert '<option value="de" selected>Deutsch</option>' in page
    english = client.get(f"/orgs/{acme.id}/invitations/new/").content.decode()
    assert "Language of the email" in english
    assert '<option value="en" selected>English</option>' in english


def test_the_invite_form_sends_the_emails_in_the_language_chosen(client, emulator, acme):
    from django.core import mail

    from orgportal.models import InvitationBatch

    login_as(client, emulator, "alice@example.com")
    data = {
        "emails": "dave@example.com",
        "roles": [emulator.state.role_by_name("member").id],
        "expires_in_days": "7",
        "language": "de",
    }
    response = client.post(f"/orgs/{acme.id}/invitations/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert InvitationBatch.objects.get().language == "de"
    assert len(mail.outbox) == 1
