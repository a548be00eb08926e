"""The organization's security panel: MFA requirement, who has no factor, reminders; and the
members page's filter "Without two-step verification"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orgportal.models import AuditEvent, MfaReminder
from tests.conftest import local_user, login_as
from tests.helpers import page_text as text_of

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return text_of(response.content.decode())


def give_factor(emulator, email: str) -> None:
    from logto_emulator.state import MfaVerification

    emulator.state.user_by_email(email).mfa_verifications.append(
        MfaVerification(id=f"totp-{email}", type="Totp")
    )


def add_members(emulator, acme, count: int) -> list[str]:
    emails = [f"m{n:02}@example.com" for n in range(count)]
    for n, email in enumerate(emails):
        user = emulator.state.add_user(email, "pw", name=f"Member {n:02}")
        emulator.state.add_member(acme, user, ["member"])
    return emails


def url(acme) -> str:
    return f"/orgs/{acme.id}/security/"


# -- the panel -----------------------------------------------------------------------------
def test_panel_names_who_has_no_factor_and_that_nobody_can_set_one_up(client, emulator, acme):
    give_factor(emulator, "alice@example.com")
    login_as(client, emulator, "alice@example.com")
    response = client.get(url(acme))
    assert response.status_code == 200
    text = page_text(response)
    assert "Not required" in text
    assert "1 of 2 members has not set up two-step verification" in text
    assert "Bob Member" in text
    # The demo tenant enables no factor: members without one cannot set one up.
    assert "No way to set it up is offered at sign-in yet" in text
    assert "Reminders are not available" in text
    # The confirmation names the consequence before anything changes.
    body = response.content.decode()
    assert 'data-confirm="Require two-step verification in Acme?"' in body
    assert (
        "data-confirm-detail=\"1 member loses access to the organization's API until they set "
        'it up: Bob Member."'
    ) in body


def test_panel_says_members_are_asked_at_sign_in_when_the_tenant_forces_it(client, emulator, acme):
    emulator.state.mfa.factors = ["Totp"]
    emulator.state.mfa.organization_required_mfa_policy = "Mandatory"
    login_as(client, emulator, "alice@example.com")
    text = page_text(client.get(url(acme)))
    assert "asked to set up an authenticator app at their next sign-in" in text
    assert "2 of 2 members have not set up two-step verification" in text


def test_requiring_mfa_from_the_panel_and_making_it_optional_again(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(url(acme), {"action": "require"}, follow=True)
    assert acme.is_mfa_required
    assert "Two-step verification is now required in Acme." in page_text(response)
    assert 'data-confirm="Make two-step verification optional in Acme?"' in (
        response.content.decode()
    )
    client.post(url(acme), {"action": "relax"})
    assert not acme.is_mfa_required
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("organization.updated") == 2


def test_panel_is_for_admins_only(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    assert client.get(url(acme)).status_code == 403
    assert client.post(url(acme), {"action": "require"}).status_code == 403
    assert not acme.is_mfa_required
    login_as(client, emulator, "carol@example.com")
    assert client.get(url(acme)).status_code == 404


def test_panel_says_when_factors_could_not_be_read(client, emulator, acme):
    emulator.set_fault("users.mfa.list", status=503)
    login_as(client, emulator, "alice@example.com")
    text = page_text(client.get(url(acme)))
    assert "We could not check 2 members right now." in text
    assert "Nobody loses access" not in text


def test_the_tab_shows_for_admins(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    assert f'href="/orgs/{acme.id}/security/"' in client.get(f"/orgs/{acme.id}/").content.decode()
    login_as(client, emulator, "bob@example.com")
    assert "/security/" not in client.get(f"/orgs/{acme.id}/").content.decode()


# -- reminders -----------------------------------------------------------------------------
def test_reminding_sends_one_email_each_in_their_language_and_audits_it(client, emulator, acme):
    emulator.state.mfa.factors = ["Totp"]
    alice = login_as(client, emulator, "alice@example.com")
    alice.language = "de"
    alice.save()
    emails = add_members(emulator, acme, 2)
    english = local_user(emulator, emails[0])
    english.language = "en"
    english.save()
    give_factor(emulator, "bob@example.com")
    response = client.post(url(acme), {"action": "remind"}, follow=True)
    assert "Eine Erinnerung ist an 3 Mitglieder unterwegs." in page_text(response)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"alice@example.com", *emails}
    assert by_address[emails[0]].subject == (
        "Please set up two-step verification for Acme"
    )  # their own saved language
    # No saved language: the language of the admin who sent it.
    assert by_address[emails[1]].subject == (
        "Bitte richten Sie die Zwei-Faktor-Authentifizierung für Acme ein"
    )
    html = by_address[emails[1]].alternatives[0][0]
    assert 'lang="de"' in html and "Acme" in html
    event = AuditEvent.objects.get(action="member.mfa_reminded")
    assert event.after["count"] == 3
    activity = page_text(client.get(f"/orgs/{acme.id}/activity/"))
    assert "hat 3 Mitglieder daran erinnert, die Zwei-Faktor-Authentifizierung einzurichten" in (
        activity
    )


def test_a_member_is_reminded_at_most_once_a_day(client, emulator, acme):
    emulator.state.mfa.factors = ["Totp"]
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    client.post(url(acme), {"action": "remind", "chosen": "1", "members": [bob_id]})
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    response = client.post(
        url(acme), {"action": "remind", "chosen": "1", "members": [bob_id]}, follow=True
    )
    assert len(mail.outbox) == 1
    assert "Nobody was reminded" in page_text(response)
    assert "reminded just now" in page_text(client.get(url(acme)))
    # A day later he may be reminded again.
    MfaReminder.objects.update(reminded_at=timezone.now() - timedelta(days=1, minutes=1))
    client.post(url(acme), {"action": "remind", "chosen": "1", "members": [bob_id]})
    assert len(mail.outbox) == 2


def test_only_members_without_a_factor_of_this_organization_are_reminded(client, emulator, acme):
    emulator.state.mfa.factors = ["Totp"]
    give_factor(emulator, "bob@example.com")
    login_as(client, emulator, "alice@example.com")
    bob_id = emulator.state.user_by_email("bob@example.com").id
    carol_id = emulator.state.user_by_email("carol@example.com").id
    response = client.post(
        url(acme), {"action": "remind", "chosen": "1", "members": [bob_id, carol_id]}, follow=True
    )
    assert mail.outbox == []
    assert "Nobody was reminded" in page_text(response)
    assert not AuditEvent.objects.filter(action="member.mfa_reminded").exists()


def test_reminders_are_refused_when_nobody_can_set_up_a_factor(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = client.post(url(acme), {"action": "remind"}, follow=True)
    assert mail.outbox == []
    assert "Members cannot set up two-step verification at sign-in yet" in page_text(response)


# -- the members page's filter ----------------------------------------------------------------
def test_members_filter_lists_only_members_without_a_factor(client, emulator, acme):
    emails = add_members(emulator, acme, 3)
    give_factor(emulator, emails[1])
    give_factor(emulator, "alice@example.com")
    login_as(client, emulator, "alice@example.com")
    response = client.get(f"/orgs/{acme.id}/members/?mfa=off")
    text = page_text(response)
    assert "3 members without two-step verification" in text
    for shown in ("bob@example.com", emails[0], emails[2]):
        assert shown in text
    assert emails[1] not in text and "alice@example.com" not in text
    assert "Checking…" not in text  # every status on it is known
    assert "Remind them by email" in text


def test_members_filter_counts_members_it_could_not_check(client, emulator, acme):
    emulator.set_fault("users.mfa.list", status=503)
    login_as(client, emulator, "alice@example.com")
    text = page_text(client.get(f"/orgs/{acme.id}/members/?mfa=off"))
    assert "2 members could not be checked right now" in text


def test_members_without_the_filter_read_no_factors_of_uncached_members(client, emulator, acme):
    add_members(emulator, acme, 5)
    login_as(client, emulator, "alice@example.com")
    before = emulator.calls_to("users.mfa.list")
    client.get(f"/orgs/{acme.id}/members/")
    assert emulator.calls_to("users.mfa.list") == before


def test_plain_members_get_no_filter(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    response = client.get(f"/orgs/{acme.id}/members/?mfa=off")
    assert response.status_code == 200
    assert 'id="mfa-filter"' not in response.content.decode()
    assert emulator.calls_to("users.mfa.list") == 0
