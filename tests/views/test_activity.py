"""The activity page: sentences instead of codes, filters, the CSV export."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils.html import strip_tags

from orgportal.models import AuditEvent
from orgportal.services.activity import csv_cell
from orgportal.services.audit import audit_record
from orgportal.services.errors import ApplicationError
from orgportal.services.invitation_batches import invitation_send
from orgportal.services.invitations import invitation_resend, invitation_revoke
from orgportal.services.invitee import invitation_accept
from orgportal.services.members import member_add_by_email, member_remove, member_roles_set
from orgportal.services.organizations import organization_leave, organization_update
from orgportal.staff import acting_as_staff
from orgportal.times import relative_time
from tests.conftest import local_user, login_as

pytestmark = pytest.mark.django_db


def role(emulator, name):
    return emulator.state.role_by_name(name).id


def sentences(client, url):
    """The page's sentences, as a person reads them (tags gone, spaces collapsed)."""
    body = client.get(url).content.decode()
    items = re.findall(r'<p class="activity-sentence">(.*?)</p>', body, re.S)
    return [" ".join(strip_tags(item).split()).replace("&#x27;", "'") for item in items]


def invite(alice, acme, emulator, email, role_name="member"):
    [outcome] = invitation_send(
        actor=alice, organization_id=acme.id, emails=[email], role_ids=[role(emulator, role_name)]
    )
    return outcome


def test_every_action_reads_as_a_sentence_without_codes(
    client, emulator, acme, alice, bob, carol, monkeypatch
):
    dave = invite(alice, acme, emulator, "dave@example.com")
    invitation_resend(actor=alice, organization_id=acme.id, invitation_id=dave.invitation_id)
    invitation_revoke(actor=alice, organization_id=acme.id, invitation_id=dave.invitation_id)
    with pytest.raises(ApplicationError):  # the only admin cannot demote herself
        member_roles_set(actor=alice, organization_id=acme.id, user_id=alice.logto_id, role_ids=[])
    with pytest.raises(ApplicationError):
        organization_leave(actor=alice, organization_id=acme.id)
    member_roles_set(
        actor=alice,
        organization_id=acme.id,
        user_id=bob.logto_id,
        role_ids=[role(emulator, "admin")],
    )
    member_remove(actor=alice, organization_id=acme.id, user_id=bob.logto_id)
    carol.email_verified = True
    carol.save()
    joined = invite(alice, acme, emulator, "carol@example.com", "admin")
    invitation_accept(actor=carol, invitation_id=joined.invitation_id)
    organization_update(
        actor=alice, organization_id=acme.id, name="Acme Corp", description=acme.description
    )
    emulator.set_fault("organizations.update", status=503)
    with pytest.raises(ApplicationError):
        organization_update(actor=alice, organization_id=acme.id, name="Acme Down")
    emulator.clear_faults()

    def smtp_down(**kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("orgportal.services.invitation_delivery.invitation_email_send", smtp_down)
    invite(alice, acme, emulator, "erin@example.com")
    staff = local_user(emulator, "staff@example.com")
    staff.is_staff = True
    staff.save()
    with acting_as_staff(staff):
        member_add_by_email(
            actor=staff,
            organization_id=acme.id,
            email="bob@example.com",
            role_ids=[role(emulator, "member")],
        )
    audit_record(
        actor=alice,
        action="webhook.secret_rotated",
        organization_id=acme.id,
        organization_name="Acme Corp",
        target_label="Billing hook",
    )

    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/activity/"
    assert sentences(client, url)[::-1] == [
        "Alice Admin invited dave@example.com as Member.",
        "Alice Admin sent the invitation to dave@example.com again.",
        "Alice Admin revoked the invitation to dave@example.com.",
        "Alice Admin tried to change the role of Alice Admin from Admin to no role: "
        "no one else could manage members.",
        "Alice Admin tried to leave the organization: no one else could manage members.",
        "Alice Admin changed the role of Bob Member from Member to Admin.",
        "Alice Admin removed Bob Member from the organization.",
        "Alice Admin invited carol@example.com as Admin.",
        "Carol Newcomer accepted the invitation and joined as Admin.",
        "Alice Admin renamed the organization from Acme to Acme Corp.",
        "Alice Admin tried to change the organization's settings: "
        "the service could not be reached.",
        "Alice Admin tried to invite erin@example.com as Member: the email could not be sent.",
        "Sam Support (staff) added Bob Member as Member.",
        "Alice Admin made a change (webhook secret rotated) concerning Billing hook.",
    ]
    body = strip_tags(client.get(url).content.decode())
    assert not re.search(r"\b(invitation|member|organization|webhook)\.[a-z]", body)
    for technical in ("Logto", "->", "roles:", "SMTP", "503"):
        assert technical not in body
    assert body.count("Refused") == 2 and body.count("Failed") == 2


def test_a_role_given_to_many_at_once_and_a_declined_invitation(client, emulator, acme, alice):
    audit_record(
        actor=alice,
        action="member.roles_changed",
        organization_id=acme.id,
        target_type="user",
        target_id="gone-user",
        target_label="zed@example.com",
        after={"added": ["admin"]},
    )
    audit_record(
        actor=None,
        action="invitation.declined",
        organization_id=acme.id,
        target_type="invitation",
        target_label="yan@example.com",
    )
    login_as(client, emulator, "alice@example.com")
    assert sentences(client, f"/orgs/{acme.id}/activity/") == [
        "An automatic task declined the invitation.",
        "Alice Admin gave zed@example.com the role Admin.",
    ]


def test_newest_first_paginated_and_the_fragment_for_htmx(client, emulator, acme, alice):
    for n in range(30):
        organization_update(actor=alice, organization_id=acme.id, name=f"Acme {n}")
    login_as(client, emulator, "alice@example.com")
    response = client.get(f"/orgs/{acme.id}/activity/")
    first = response.content.decode()
    assert "Page 1 of 2" in first and "30 events" in first
    assert sentences(client, f"/orgs/{acme.id}/activity/")[:2] == [
        "Alice Admin renamed the organization from Acme 28 to Acme 29.",
        "Alice Admin renamed the organization from Acme 27 to Acme 28.",
    ]
    fragment = client.get(
        f"/orgs/{acme.id}/activity/?page=2", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and "Page 2 of 2" in fragment
    assert 'id="activity-list"' in fragment and "Export 30 events as CSV" in fragment


def test_going_back_to_a_page_htmx_no_longer_holds_gets_the_whole_page(
    client, emulator, acme, alice
):
    login_as(client, emulator, "alice@example.com")
    restored = client.get(
        f"/orgs/{acme.id}/activity/?action=member.removed",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ).content.decode()
    assert "<html" in restored and 'aria-label="Filter activity"' in restored


def _events_on_three_days(acme, alice, bob):
    """One event a day by alice (1, 2 and 3 March), and one by bob on 2 March."""
    for day, actor, action in (
        (1, alice, "organization.updated"),
        (2, alice, "member.removed"),
        (2, bob, "invitation.sent"),
        (3, alice, "invitation.revoked"),
    ):
        event = audit_record(
            actor=actor,
            action=action,
            organization_id=acme.id,
            target_label=f"target{day}@example.com",
        )
        AuditEvent.objects.filter(pk=event.pk).update(
            created_at=datetime(2025, 3, day, 12, tzinfo=UTC)
        )


def test_filters_by_person_action_and_date_in_a_shareable_url(client, emulator, acme, alice, bob):
    _events_on_three_days(acme, alice, bob)
    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/activity/"
    page = client.get(url).content.decode()
    assert f'<option value="{alice.pk}">Alice Admin (alice@example.com)</option>' in page
    assert '<option value="member.removed">Members removed</option>' in page
    assert '<optgroup label="Invitations">' in page

    def only(query):
        return sentences(client, url + query)

    assert len(only("")) == 4
    assert only(f"?person={bob.pk}") == ["Bob Member invited target2@example.com."]
    assert only("?action=member.removed") == [
        "Alice Admin removed target2@example.com from the organization."
    ]
    assert len(only("?from=2025-03-02")) == 3
    assert len(only("?from=2025-03-02&to=2025-03-02")) == 2
    assert only(f"?person={alice.pk}&from=2025-03-02&to=2025-03-02") == [
        "Alice Admin removed target2@example.com from the organization."
    ]
    filtered = client.get(url + f"?person={alice.pk}&from=2025-03-02").content.decode()
    assert "2 events match these filters" in filtered
    assert "selected>Alice Admin (alice@example.com)" in filtered  # the form shows the filter
    assert f"person={alice.pk}&amp;from=2025-03-02" in filtered  # the export keeps it
    assert "Clear filters" in filtered
    nothing = client.get(url + "?action=organization.deleted").content.decode()
    assert "No activity matches these filters." in nothing and "as CSV" not in nothing


def test_a_filter_that_does_not_validate_says_why_and_the_others_still_apply(
    client, emulator, acme, alice, bob
):
    _events_on_three_days(acme, alice, bob)
    login_as(client, emulator, "alice@example.com")
    url = f"/orgs/{acme.id}/activity/"
    page = client.get(url + f"?person={bob.pk}&from=yesterday").content.decode()
    assert "From: Enter the date as YYYY-MM-DD, e.g. 2025-03-31." in page
    assert "1 event matches these filters" in page
    backwards = client.get(url + "?from=2025-03-03&to=2025-03-01").content.decode()
    assert "To: The end date is before the start date." in backwards
    stranger = client.get(url + "?person=999999&action=nonsense").content.decode()
    assert "That person has no activity here. Choose another." in stranger
    assert "Choose a kind of action from the list." in stranger
    assert "4 events match these filters" in stranger


def test_a_kind_this_version_has_no_name_for_is_offered_in_words(client, emulator, acme, alice):
    audit_record(actor=alice, action="sso.connector_added", organization_id=acme.id)
    login_as(client, emulator, "alice@example.com")
    page = client.get(f"/orgs/{acme.id}/activity/").content.decode()
    assert '<option value="sso.connector_added">sso connector added</option>' in page
    assert sentences(client, f"/orgs/{acme.id}/activity/?action=sso.connector_added") == [
        "Alice Admin made a change (sso connector added)."
    ]


def _csv(response):
    assert response.streaming and response["Content-Type"] == "text/csv"
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_of_the_filtered_events(client, emulator, acme, alice, bob):
    _events_on_three_days(acme, alice, bob)
    login_as(client, emulator, "alice@example.com")
    response = client.get(f"/orgs/{acme.id}/activity/export.csv?person={alice.pk}&to=2025-03-02")
    assert response["Content-Disposition"].startswith('attachment; filename="activity-acme-')
    assert _csv(response) == [
        ["time", "actor", "action", "sentence", "target", "outcome"],
        [
            "2025-03-02T12:00:00Z",
            "alice@example.com",
            "member.removed",
            "Alice Admin removed target2@example.com from the organization.",
            "target2@example.com",
            "success",
        ],
        [
            "2025-03-01T12:00:00Z",
            "alice@example.com",
            "organization.updated",
            "Alice Admin changed the organization's settings.",
            "target1@example.com",
            "success",
        ],
    ]


def test_csv_cells_that_a_spreadsheet_would_run_start_with_an_apostrophe(
    client, emulator, acme, alice
):
    alice.name = '=HYPERLINK("http://evil.example")'
    alice.save()
    for label in ("+1 555", "-2", "@SUM(A1)", "plain"):
        audit_record(
            actor=alice,
            action="member.removed",
            outcome=AuditEvent.Outcome.FAILURE,
            organization_id=acme.id,
            target_label=label,
            error="You are not allowed to remove members here.",
        )
    login_as(client, emulator, "alice@example.com")
    rows = _csv(client.get(f"/orgs/{acme.id}/activity/export.csv"))[1:]
    assert [row[4] for row in rows] == ["plain", "'@SUM(A1)", "'-2", "'+1 555"]
    assert all(row[3].startswith("'=HYPERLINK") for row in rows)
    assert {row[5] for row in rows} == {"refused"}
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("a=1") == "a=1"
    # Spreadsheets skip leading blanks, and read full-width signs and pipes as formulas too.
    for risky in (" =1+1", "\n=1+1", "|cmd", "\uff1d1+1", "\t=1", "\r@x"):
        assert csv_cell(risky) == "'" + risky, risky


def test_only_organization_managers_read_or_export_the_activity(client, emulator, acme):
    login_as(client, emulator, "bob@example.com")
    assert client.get(f"/orgs/{acme.id}/activity/").status_code == 403
    assert client.get(f"/orgs/{acme.id}/activity/export.csv").status_code == 403
    client.logout()
    anonymous = client.get(f"/orgs/{acme.id}/activity/export.csv")
    assert anonymous.status_code == 302


def test_other_organizations_activity_is_404(client, emulator, acme):
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("carol@example.com"), ["admin"])
    login_as(client, emulator, "carol@example.com")
    assert client.get(f"/orgs/{acme.id}/activity/").status_code == 404
    assert client.get(f"/orgs/{acme.id}/activity/export.csv").status_code == 404
    assert client.get(f"/orgs/{other.id}/activity/").status_code == 200


def test_user_typed_html_is_escaped(client, emulator, acme, alice):
    organization_update(actor=alice, organization_id=acme.id, name="<script>alert('x')</script>")
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/activity/").content.decode()
    assert "<script>alert('x')</script>" not in body


def test_times_read_naturally_with_the_exact_time_in_the_markup(client, emulator, acme, alice):
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    ago = [
        relative_time(now - delta, now)
        for delta in (
            timedelta(seconds=5),
            timedelta(minutes=1),
            timedelta(minutes=5),
            timedelta(hours=3),
            timedelta(hours=30),
            timedelta(days=4),
            timedelta(days=20),
            timedelta(days=400),
        )
    ]
    assert ago == [
        "just now",
        "a minute ago",
        "5 minutes ago",
        "3 hours ago",
        "yesterday",
        "4 days ago",
        "18 Feb",
        "4 Feb 2024",
    ]
    organization_update(actor=alice, organization_id=acme.id, name="Acme Now")
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/activity/").content.decode()
    event = AuditEvent.objects.get()
    assert f'<time datetime="{event.created_at.isoformat()}"' in body
    assert ">just now</time>" in body
