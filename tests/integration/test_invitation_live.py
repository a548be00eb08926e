"""End to end over HTTP: alice invites carol; carol follows the email link, signs in, accepts."""

import html
import re

import pytest
import requests
from django.core import mail

from logto_emulator import defaults as dev_defaults
from tests.helpers import page_text

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def sign_in_at_logto(browser: requests.Session, sign_in_page: requests.Response, email: str):
    interaction = re.search(r'name="interaction" value="([^"]+)"', sign_in_page.text).group(1)
    prefilled = re.search(r'name="identifier"[^>]*value="([^"]*)"', sign_in_page.text, re.S)
    form_base = sign_in_page.url.split("/sign-in")[0]
    response = browser.post(
        f"{form_base}/sign-in",
        data={
            "interaction": interaction,
            "identifier": email,
            "password": dev_defaults.DEMO_PASSWORD,
        },
        timeout=10,
    )
    return response, (prefilled.group(1) if prefilled else "")


def csrf_from(page: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_alice_invites_carol_who_accepts(live_server, live_emulator, settings):
    settings.PORTAL_BASE_URL = live_server.url
    acme = next(o for o in live_emulator.state.organizations.values() if o.name == "Acme")
    admin = live_emulator.state.role_by_name("admin")

    alice = requests.Session()
    dashboard, _ = sign_in_at_logto(
        alice, alice.get(f"{live_server.url}/oidc/authenticate/", timeout=10), "alice@example.com"
    )
    assert "Acme" in dashboard.text
    page = alice.get(f"{live_server.url}/orgs/{acme.id}/invitations/", timeout=10)
    result = alice.post(
        f"{live_server.url}/orgs/{acme.id}/invitations/",
        data={
            "csrfmiddlewaretoken": csrf_from(page),
            "emails": "carol@example.com",
            "roles": [admin.id],
            "expires_in_days": "7",
            "message": "Join us!",
        },
        headers={"Referer": page.url},
        timeout=10,
    )
    assert "carol@example.com: sent" in page_text(result.text)

    [email] = mail.outbox
    link = re.search(r"(http://\S+/invitations/\w+/)", email.body).group(1)
    carol = requests.Session()
    landing = carol.get(link, timeout=10)
    assert "Join Acme" in landing.text and "c***l@example.com" in landing.text
    sign_in_href = html.unescape(
        re.search(r'href="([^"]+)">Sign in to accept', landing.text).group(1)
    )
    sign_in_page = carol.get(live_server.url + sign_in_href, timeout=10)
    back_on_landing, prefilled = sign_in_at_logto(carol, sign_in_page, "carol@example.com")
    assert prefilled == "carol@example.com"  # login_hint reached Logto
    assert back_on_landing.url == link
    assert "Accept and join" in back_on_landing.text

    accept_url = f"{link}accept/"
    joined = carol.post(
        accept_url,
        data={"csrfmiddlewaretoken": csrf_from(back_on_landing)},
        headers={"Referer": link},
        timeout=10,
    )
    assert joined.url == f"{live_server.url}/orgs/{acme.id}/"
    assert "Welcome to Acme!" in joined.text
    carol_id = live_emulator.state.user_by_email("carol@example.com").id
    assert acme.members[carol_id] == [admin.id]
