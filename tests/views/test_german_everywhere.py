"""A person whose browser asks for German never meets an English sentence (issue 18).

Every page, HTMX fragment, toast, API refusal and invitation email is rendered with
`Accept-Language: de`, for a tenant whose data (names, organization, roles) holds no English
word; the visible text is checked for (a) a sentence of the German catalogue shown in English
and (b) English words (tests/translation_checks.py). Failures name the page and the text."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from logto_emulator.state import now_ms
from orgportal.models import JoinRequest, OrganizationDomain
from orgportal.services.address_proof import invitation_address_key
from tests.api import conftest as api_fixtures
from tests.api.conftest import bearer
from tests.conftest import local_user, login_as
from tests.translation_checks import (
    ADMIN_ROLE,
    EXTRA_MEMBERS,
    MEMBER_ROLE,
    PENDING,
    CatalogueSentences,
    Finding,
    english_findings,
    german_catalogues,
    german_neutral_tenant,
    toast_texts,
    user_data,
    visible_text,
    without_user_data,
)

pytestmark = pytest.mark.django_db

mint = api_fixtures.mint  # the API tests' token fixture, for the API's refusals

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
HTMX_GERMAN = {**GERMAN, "HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module")
def sentences() -> CatalogueSentences:
    return CatalogueSentences.load(german_catalogues())


@pytest.fixture
def tenant(emulator, settings):
    """The demo tenant made German-neutral (tests/translation_checks.py), with two more
    members, two pending invitations, one for carol, one expired."""
    state = emulator.state
    org = german_neutral_tenant(state, settings)
    alice = state.user_by_email("alice@example.com")
    for email, name in EXTRA_MEMBERS.items():
        user = state.add_user(email, "pw", name=name)
        user.last_sign_in_at = now_ms() - 3 * 3_600_000
        state.add_member(org, user, [MEMBER_ROLE])
    for email in PENDING:
        state.add_invitation(org, email, inviter=alice, roles=[MEMBER_ROLE])
    for_carol = state.add_invitation(org, "carol@example.com", inviter=alice, roles=[MEMBER_ROLE])
    expired = state.add_invitation(
        org, "clara@beispiel.de", inviter=alice, roles=[MEMBER_ROLE], status="Expired"
    )
    return org, for_carol, expired


def uid(emulator, email: str) -> str:
    return emulator.state.user_by_email(email).id


def role_id(emulator, name: str) -> str:
    return emulator.state.role_by_name(name).id


def check(where: str, markup: str, sentences, *, drop: Iterable[str] = ()) -> list[Finding]:
    return english_findings(where, visible_text(markup, drop=[*user_data(), *drop]), sentences)


def check_lines(where: str, lines: Iterable[str], sentences) -> list[Finding]:
    return english_findings(where, without_user_data(lines, user_data()), sentences)


def report(findings: list[Finding]) -> str:
    pages = sorted({f.where for f in findings})
    return (
        f"{len(findings)} English text(s) on {len(pages)} German page(s)/answer(s):\n"
        + "\n".join(f"  {f}" for f in findings)
    )


# -- the checker itself, on a seeded page: it cannot pass by looking at nothing -----------------
def test_the_english_detector_finds_english_on_a_seeded_page(sentences):
    seeded = CatalogueSentences.load([])  # plus a sentence of its own, as if in the catalogue
    from tests.translation_checks import sentence_pattern

    seeded.patterns.append(
        ("%(name)s was removed.", sentence_pattern("%(name)s was removed."))  # type: ignore[arg-type]
    )
    page = """<html><head><title>Mitglieder</title><script>var the = "and";</script></head>
    <body><h1>Mitglieder von Kraftwerk Nord</h1><p>Anja Adler wurde entfernt.</p>
    <p>Bernd Brandt was removed.</p><button title="Remove this person">Entfernen</button>
    <input type="submit" value="Speichern"><span>vor 3 Minuten</span>
    <p>Invited 3 days ago</p></body></html>"""
    found = check("seeded", page, seeded)
    texts = [f.text for f in found]
    assert len(found) == 3, texts
    assert (
        "'• was removed.'" in texts[0] and "catalogue sentence '%(name)s was removed.'" in texts[0]
    )
    assert "'Remove this person' (English words remove, this)" in texts[1]
    assert "'Invited 3 days ago' (English words ago, days, invited)" in texts[2]
    assert all(f.where == "seeded" for f in found)


# -- full pages ------------------------------------------------------------------------------
def test_every_page_speaks_german(client, emulator, tenant, sentences):
    org, for_carol, expired = tenant
    base = f"/orgs/{org.id}"
    bob, dora = uid(emulator, "bob@example.com"), uid(emulator, "dora@example.com")
    findings: list[Finding] = []

    def visit(name: str, url: str, *, status: int = 200, **extra) -> str:
        response = client.get(url, **GERMAN, **extra)
        assert response.status_code == status, f"{name} ({url}): {response.status_code}"
        body = response.content.decode()
        findings.extend(check(f"{name} ({url})", body, sentences))
        return body

    # Anonymous: the landing page, an invitation's page, the sign-in failure page.
    visit("landing", "/")
    visit("invitation landing, anonymous", f"/invitations/{for_carol.id}/")
    visit("expired invitation", f"/invitations/{expired.id}/")
    visit("unknown invitation", "/invitations/nosuchinvitation/", status=404)
    key = invitation_address_key(for_carol.id, for_carol.invitee)
    visit("invitation landing, from the email", f"/invitations/{for_carol.id}/?key={key}")
    visit("unknown invite link", "/join/nosuchlink/", status=404)
    visit("sign-in failed", "/signin/failed/", status=400)

    # alice, the organization's admin, makes activity first (each through the German portal).
    login_as(client, emulator, "alice@example.com")
    client.post(
        f"{base}/invitations/",
        {
            "emails": "lena@beispiel.de",
            "roles": [role_id(emulator, MEMBER_ROLE)],
            "expires_in_days": "7",
        },
        **GERMAN,
    )
    client.post(
        f"{base}/members/{bob}/roles/", {"roles": [role_id(emulator, ADMIN_ROLE)]}, **GERMAN
    )
    client.post(f"{base}/members/{dora}/remove/", **GERMAN)
    pending = next(i for i in emulator.state.invitations.values() if i.invitee == PENDING[0])
    client.post(f"{base}/invitations/{pending.id}/revoke/", **GERMAN)
    emulator.state.mfa.factors = ["Totp"]  # reminders can be sent: the panel shows them all
    client.post(f"{base}/security/", {"action": "remind"}, **GERMAN)
    client.post(
        f"{base}/invitations/links/",
        {"role": role_id(emulator, MEMBER_ROLE), "expires_in_days": "7", "max_uses": "1"},
        **GERMAN,
    )
    join_path = "/join/" + client.session["orgportal_invite_link_created"].rsplit("/join/", 1)[1]
    visit("invite links, with the new link", f"{base}/invitations/links/")

    # Verified domains (issue 20): one waiting for its DNS record, one verified, one request.
    client.post(f"{base}/domains/", {"domain": "beispiel-firma.de"}, **GERMAN)
    _domains_with_a_request(emulator, org)

    visit("dashboard", "/")
    visit("new organization", "/orgs/new/")
    visit("domains", f"{base}/domains/")
    visit("overview", f"{base}/")
    visit("invite your team", f"{base}/invite-your-team/")
    visit("members", f"{base}/members/")
    visit("members, searched with no match", f"{base}/members/?q=zzzz")
    visit("remove a member (no JavaScript)", f"{base}/members/{bob}/remove/")
    visit("invitations", f"{base}/invitations/")
    visit("invitations, all", f"{base}/invitations/?status=all")
    visit("invite (no JavaScript)", f"{base}/invitations/new/")
    visit("settings", f"{base}/settings/")
    visit("security", f"{base}/security/")
    visit("members without two-step verification", f"{base}/members/?mfa=off")
    visit("activity", f"{base}/activity/")
    visit("leave", f"{base}/leave/")
    visit("delete", f"{base}/delete/")
    visit("not found", "/orgs/nosuchorganization/", status=404)

    # bob, a member: the 403 page and his own view of things.
    client.logout()
    login_as(client, emulator, "carol@example.com")
    visit("dashboard with organizations to join", "/")
    visit("my invitations", "/invitations/")
    visit("invitation landing, invitee", f"/invitations/{for_carol.id}/")
    client.logout()
    emulator.state.organizations[org.id].members[bob] = [role_id(emulator, MEMBER_ROLE)]
    login_as(client, emulator, "bob@example.com")
    visit("invitation landing, wrong account", f"/invitations/{for_carol.id}/")
    visit("forbidden (settings as a member)", f"{base}/settings/", status=403)
    visit("members as a member", f"{base}/members/")
    visit("invite link, signed in", join_path)
    client.logout()
    visit("invite link, anonymous", join_path)

    # The error page that renders without the rest (500).
    with translation.override("de"):
        findings.extend(check("500 page", render_to_string("500.html"), sentences))

    assert not findings, report(findings)


def test_the_admin_pages_we_wrote_speak_german(client, emulator, tenant, sentences):
    org, _, _ = tenant
    staff = login_as(client, emulator, "staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    findings: list[Finding] = []
    alice = local_user(emulator, "alice@example.com")
    pages = [
        ("admin index", "/admin/"),
        ("admin organizations", "/admin/logto/organizations/"),
        ("admin organizations, searched", f"/admin/logto/organizations/?q={org.name[:4]}"),
        ("admin organization", f"/admin/logto/organizations/{org.id}/"),
        ("admin user's organizations", f"/admin/logto/users/{alice.pk}/organizations/"),
        ("admin domains waiting for staff", "/admin/logto/domains/waiting/"),
    ]
    _domains_with_a_request(emulator, org)
    OrganizationDomain.objects.create(
        organization_id="other-org",
        organization_name="Zweite Firma",
        domain="example.com",
        verification_token="t",
        state=OrganizationDomain.State.AWAITING_STAFF,
        method="dns",
    )
    for name, url in pages:
        response = client.get(url, **GERMAN)
        assert response.status_code == 200, f"{name} ({url}): {response.status_code}"
        findings += check(f"{name} ({url})", response.content.decode(), sentences)
    client.logout()
    login_as(client, emulator, "bob@example.com")
    response = client.get("/admin/", **GERMAN, follow=True)
    findings += check("admin, not staff", response.content.decode(), sentences)
    assert not findings, report(findings)


def _domains_with_a_request(emulator, org) -> None:
    """example.com verified for the organization (carol, at example.com, may join) and a
    request of someone at it waiting for an admin."""
    OrganizationDomain.objects.get_or_create(
        organization_id=org.id,
        domain="example.com",
        defaults={
            "organization_name": org.name,
            "verification_token": "t",
            "state": OrganizationDomain.State.VERIFIED,
            "method": "dns",
            "verified_at": timezone.now(),
        },
    )
    if not JoinRequest.objects.exists():
        emulator.state.add_user("jonas@example.com", "pw", name="Jonas Weber")
        JoinRequest.objects.create(
            organization_id=org.id,
            organization_name=org.name,
            user=local_user(emulator, "jonas@example.com"),
            email="jonas@example.com",
            domain="example.com",
        )


# -- HTMX fragments and toasts of the main actions ----------------------------------------------
def test_fragments_and_toasts_of_the_main_actions_speak_german(client, emulator, tenant, sentences):
    org, _, _ = tenant
    base = f"/orgs/{org.id}"
    bob, dora = uid(emulator, "bob@example.com"), uid(emulator, "dora@example.com")
    alice = uid(emulator, "alice@example.com")
    admin, member = role_id(emulator, ADMIN_ROLE), role_id(emulator, MEMBER_ROLE)
    login_as(client, emulator, "alice@example.com")
    pending = next(i for i in emulator.state.invitations.values() if i.invitee == PENDING[0])
    other = next(i for i in emulator.state.invitations.values() if i.invitee == PENDING[1])
    findings: list[Finding] = []

    def answer(name: str, method: str, url: str, data=None) -> None:
        call = client.get if method == "GET" else client.post
        response = call(url, data or {}, **HTMX_GERMAN)
        assert response.status_code < 500, f"{name} ({url}): {response.status_code}"
        where = f"{name} ({method} {url}, HTMX {response.status_code})"
        findings.extend(check(where, response.content.decode(), sentences))
        findings.extend(check_lines(f"{where} toast", toast_texts(response), sentences))

    answer("members, searched", "GET", f"{base}/members/?q=Do")
    answer("role editor", "GET", f"{base}/members/{bob}/roles/")
    answer("invitations, searched", "GET", f"{base}/invitations/?q=jana")
    answer("activity, filtered", "GET", f"{base}/activity/?page=1")
    answer(
        "invite",
        "POST",
        f"{base}/invitations/",
        {"emails": "lena@beispiel.de, kaputt@", "roles": [member], "expires_in_days": "7"},
    )
    answer(
        "invite refused (no role)",
        "POST",
        f"{base}/invitations/",
        {"emails": "otto@beispiel.de", "expires_in_days": "7"},
    )
    answer("change a role", "POST", f"{base}/members/{bob}/roles/", {"roles": [admin]})
    answer(
        "change a role refused (last admin)",
        "POST",
        f"{base}/members/{alice}/roles/",
        {"roles": [member]},
    )
    answer("remove a member", "POST", f"{base}/members/{dora}/remove/")
    answer("remove a member twice", "POST", f"{base}/members/{dora}/remove/")
    answer("resend an invitation", "POST", f"{base}/invitations/{other.id}/resend/")
    answer("revoke an invitation", "POST", f"{base}/invitations/{pending.id}/revoke/")
    answer("revoke an invitation twice", "POST", f"{base}/invitations/{pending.id}/revoke/")
    answer("bulk with nothing selected", "POST", f"{base}/members/bulk/", {"action": "remove"})
    assert not findings, report(findings)


# -- the JSON API's message ---------------------------------------------------------------------
def test_the_api_says_why_it_refuses_in_german(client, emulator, tenant, sentences, mint):
    org, _, _ = tenant
    findings: list[Finding] = []
    bob_token = mint("bob@example.com", audience=f"urn:logto:organization:{org.id}")
    refusals = [
        ("no token", "get", "/api/v1/me/organizations", {}),
        ("no such endpoint", "get", "/api/v1/nothing-here", bearer(bob_token)),
        ("a member may not rename", "patch", f"/api/v1/organizations/{org.id}", bearer(bob_token)),
    ]
    for name, method, url, headers in refusals:
        response = getattr(client, method)(
            url,
            data=json.dumps({"name": "Neu"}) if method == "patch" else None,
            content_type="application/json",
            headers={**headers, "Accept-Language": "de"},
        )
        assert response.status_code >= 400, f"{name} ({url}): {response.status_code}"
        message = response.json().get("message", "")
        assert message, f"{name} ({url}): no message in {response.json()}"
        findings += check_lines(f"API {name} ({method.upper()} {url})", [message], sentences)
    assert not findings, report(findings)


# -- the invitation email ------------------------------------------------------------------------
def test_an_invitation_sent_from_a_german_browser_is_written_in_german(
    client, emulator, tenant, sentences
):
    org, _, _ = tenant
    login_as(client, emulator, "alice@example.com")
    client.post(
        f"/orgs/{org.id}/invitations/",
        {
            "emails": "lena@beispiel.de",
            "roles": [role_id(emulator, MEMBER_ROLE)],
            "expires_in_days": "7",
        },
        **GERMAN,
    )
    assert len(mail.outbox) == 1, "no invitation email was sent"
    message = mail.outbox[0]
    findings = check_lines("invitation email subject", [message.subject], sentences)
    findings += check_lines("invitation email text", message.body.splitlines(), sentences)
    for body, kind in getattr(message, "alternatives", []):
        if kind == "text/html":
            findings += check("invitation email HTML", body, sentences)
    assert not findings, report(findings)
