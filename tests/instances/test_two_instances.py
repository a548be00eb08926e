"""Two instances behind one address book: nothing stale, nothing fetched twice, one admin left.

Each instance is gunicorn with two gthread workers; both share PostgreSQL and Redis; Logto is
the emulator over HTTP. What one instance changes, the other sees at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from tests.instances.harness import csrf_post, sign_in

pytestmark = pytest.mark.instances


def acme_of(deployment):
    return next(o for o in deployment.emulator.state.organizations.values() if o.name == "Acme")


def role_id(deployment, name: str) -> str:
    return deployment.emulator.state.role_by_name(name).id


def user_id(deployment, email: str) -> str:
    return deployment.emulator.state.user_by_email(email).id


def make_admin(deployment, email: str) -> None:
    acme_of(deployment).members[user_id(deployment, email)] = [role_id(deployment, "admin")]


def test_a_session_started_on_a_continues_on_b(deployment):
    browser = sign_in(deployment.a, "alice@example.com")
    acme = acme_of(deployment)
    page = browser.get(f"{deployment.b}/orgs/{acme.id}/members/", timeout=10)
    assert page.status_code == 200
    assert "bob@example.com" in page.text


def test_a_demotion_on_a_is_enforced_on_b_at_once(deployment):
    make_admin(deployment, "bob@example.com")
    acme = acme_of(deployment)
    alice = sign_in(deployment.a, "alice@example.com")
    bob = sign_in(deployment.b, "bob@example.com")
    invitations = f"{deployment.b}/orgs/{acme.id}/invitations/"
    assert bob.get(invitations, timeout=10).status_code == 200  # cached as an admin on B

    demoted = csrf_post(
        alice,
        f"{deployment.a}/orgs/{acme.id}/members/{user_id(deployment, 'bob@example.com')}/roles/",
        {"roles": [role_id(deployment, "member")]},
        allow_redirects=False,
    )
    assert demoted.status_code in (200, 302)
    statuses = [bob.get(invitations, timeout=10).status_code for _ in range(20)]
    assert statuses == [403] * 20  # goal: 0 stale requests, on every worker of B
    attempt = csrf_post(bob, invitations, {"emails": "eve@example.com", "expires_in_days": "7"})
    assert attempt.status_code == 403
    assert not any(
        i.invitee == "eve@example.com" for i in deployment.emulator.state.invitations.values()
    )


def test_a_removal_on_a_hides_the_organization_on_b_at_once(deployment):
    acme = acme_of(deployment)
    alice = sign_in(deployment.a, "alice@example.com")
    bob = sign_in(deployment.b, "bob@example.com")
    assert "Acme" in bob.get(f"{deployment.b}/", timeout=10).text
    removed = csrf_post(
        alice,
        f"{deployment.a}/orgs/{acme.id}/members/{user_id(deployment, 'bob@example.com')}/remove/",
        {},
        allow_redirects=False,
    )
    assert removed.status_code in (200, 302)
    pages = [bob.get(f"{deployment.b}/orgs/{acme.id}/", timeout=10) for _ in range(20)]
    assert [page.status_code for page in pages] == [404] * 20


def test_the_management_token_is_fetched_once_for_both_instances(deployment):
    issued = []
    provider = deployment.emulator.oidc
    original = provider._token_for_client

    def counting(request, client):
        issued.append(client.id)
        return original(request, client)

    provider._token_for_client = counting
    deployment.emulator.set_fault("oidc.token", latency=0.2)  # a slow, stampede-prone refill
    acme = acme_of(deployment)
    browsers = [
        sign_in(url, "alice@example.com") for url in (deployment.a, deployment.b) for _ in (1, 2)
    ]
    with ThreadPoolExecutor(8) as pool:
        pages = list(
            pool.map(
                lambda browser: browser.get(f"{deployment.b}/orgs/{acme.id}/members/", timeout=20),
                browsers * 2,
            )
        )
    assert all(page.status_code == 200 for page in pages)
    assert issued == ["orgportal-m2m"]


def test_two_admins_demoting_each_other_on_a_and_b_leave_one_admin(deployment):
    make_admin(deployment, "bob@example.com")
    acme = acme_of(deployment)
    alice = sign_in(deployment.a, "alice@example.com")
    bob = sign_in(deployment.b, "bob@example.com")
    member = [role_id(deployment, "member")]
    deployment.emulator.set_fault("organizations.users.roles.replace", latency=0.2)
    barrier = Barrier(2)

    def demote(browser, url, target):
        barrier.wait()
        return csrf_post(
            browser,
            f"{url}/orgs/{acme.id}/members/{user_id(deployment, target)}/roles/",
            {"roles": member},
            headers={"HX-Request": "true"},  # answers with the refusal's status
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(demote, alice, deployment.a, "bob@example.com")
        second = pool.submit(demote, bob, deployment.b, "alice@example.com")
        statuses = sorted([first.result(), second.result()])
    admin = role_id(deployment, "admin")
    assert sum(admin in roles for roles in acme.members.values()) == 1
    assert statuses[0] == 200 and statuses[1] >= 400  # one change, one refusal
