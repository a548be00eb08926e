"""The browser script's sentences: a JavaScript catalogue per language, cached by the browser."""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings

from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def catalogue_url(client, **headers) -> str:
    body = client.get("/", **headers).content.decode()
    [url] = re.findall(r'<script src="(/jsi18n/[^"]+)" defer></script>', body)
    return url


def sentences(script: str) -> dict:
    """The catalogue's translations, as the script holds them."""
    [catalogue] = re.findall(r"const newcatalog = (\{.*?\n  \});", script, re.S)
    return json.loads(catalogue)


def test_a_german_page_loads_the_german_catalogue_before_app_js(client):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    catalogue = body.index('<script src="/jsi18n/de/')
    assert catalogue < body.index("orgportal/app.js")


def test_the_catalogue_is_german_and_cached_for_a_year(client):
    url = catalogue_url(client, HTTP_ACCEPT_LANGUAGE="de")
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Language"] == "de"
    cache = response["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    german = sentences(response.content.decode())
    assert german["Undo"] == "Rückgängig machen"
    assert german["Confirm"] == "Bestätigen"
    assert german["Remove %(count)s member from %(organization)s?"] == [
        "%(count)s Mitglied aus %(organization)s entfernen?",
        "%(count)s Mitglieder aus %(organization)s entfernen?",
    ]


def test_each_language_has_its_own_url_and_english_says_nothing_new(client):
    german = catalogue_url(client, HTTP_ACCEPT_LANGUAGE="de")
    english = catalogue_url(client)
    assert german != english and english.startswith("/jsi18n/en/")
    assert "newcatalog" not in client.get(english).content.decode()  # English is the source


def test_a_page_from_before_a_deploy_gets_todays_catalogue_uncached(client):
    response = client.get("/jsi18n/de/0123456789ab.js")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "immutable" not in response["Cache-Control"]


def test_a_language_the_portal_does_not_speak_is_not_found(client):
    assert client.get("/jsi18n/fr/0123456789ab.js").status_code == 404


@override_settings(DEBUG=False)
def test_signed_in_people_get_it_without_a_sign_in_detour(client, emulator):
    login_as(client, emulator, "alice@example.com")
    url = catalogue_url(client, HTTP_ACCEPT_LANGUAGE="de")
    assert client.get(url).status_code == 200
