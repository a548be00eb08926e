"""The portal under gunicorn with PostgreSQL, Redis and collected static files, as deployed."""

from __future__ import annotations

import re

import requests

from tests.production.processes import HOST, Gunicorn

TEN_YEARS = 315_360_000


def test_health_endpoints_answer_a_load_balancer(portal: Gunicorn):
    # A probe comes with the instance's address as Host and over plain http.
    health = requests.get(portal.url + "/healthz", timeout=5)
    ready = requests.get(portal.url + "/readyz", timeout=5)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok", "logto": "ok"}


def test_static_files_have_hashed_names_gzip_and_a_ten_year_cache(portal: Gunicorn):
    page = portal.get("/")
    assert page.status_code == 200
    stylesheet = re.search(r'href="(/static/orgportal/app\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page links the hashed name written by collectstatic"

    response = portal.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Type"].startswith("text/css")
    cache_control = response.headers["Cache-Control"]
    assert f"max-age={TEN_YEARS}" in cache_control
    assert "immutable" in cache_control
    assert "body" in response.text  # requests decompressed real CSS


def test_behind_the_proxy_pages_are_https_only(portal: Gunicorn):
    secure = portal.get("/")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # A request that reached the portal over plain http is sent to https, same host and path.
    plain = portal.get("/invitations/", headers={"X-Forwarded-Proto": "http"})
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/invitations/"
    # Host names outside DJANGO_ALLOWED_HOSTS are refused.
    assert portal.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_a_browser_asking_for_german_gets_the_compiled_german_catalogue(portal: Gunicorn):
    page = portal.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert page.status_code == 200 and page.headers["Content-Language"] == "de"
    assert '<html lang="de">' in page.text and 'title="Sprache"' in page.text
