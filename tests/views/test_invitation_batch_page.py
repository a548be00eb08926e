"""The invite page while a batch runs: the result card, its polling, and the no-JS reload.

Batches that must stay unfinished go to the database queue with no worker running; the rest
run inline. `tests/integration/test_batch_worker.py` watches a real worker fill the card in.
"""

from __future__ import annotations

import json
import uuid

import pytest

from orgportal.models import InvitationBatch
from orgportal.services.invitation_batch_runner import invitation_batch_run
from orgportal.views import invitations as invitation_views
from tests.conftest import login_as
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def queued(db_tasks, monkeypatch):
    """Batches wait in the queue (no worker runs) and the page does not wait for them."""
    monkeypatch.setattr(invitation_views, "WAIT_SECONDS", 0)


def post(client, acme, emulator, emails, headers=None):
    data = {
        "emails": emails,
        "roles": [emulator.state.role_by_name("member").id],
        "expires_in_days": "5",
        "message": "Welcome!",
    }
    return client.post(f"/orgs/{acme.id}/invitations/", data, headers=headers or {})


def test_a_queued_batch_shows_its_addresses_and_polls(queued, client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    response = post(client, acme, emulator, "dave@example.com\nnope", headers=HTMX)
    body = response.content.decode()
    batch = InvitationBatch.objects.get()
    assert response.status_code == 200
    assert 'role="status" aria-live="polite">Getting ready to send 2 invitations…<' in body
    assert "dave@example.com: waiting" in page_text(body)
    assert "nope: failed (not a valid email address)" in page_text(body)  # decided at once
    assert f'hx-get="/orgs/{acme.id}/invitations/batches/{batch.pk}/"' in body
    assert 'hx-trigger="every 1s"' in body
    # The form keeps roles, expiry and message for the next addresses; the box is empty.
    assert "Welcome!</textarea>" in body and 'value="5"' in body
    assert "HX-Trigger" not in response  # nothing sent yet: no toast, no list refresh
    assert emulator.state.invitations == {}


def test_without_javascript_the_page_reloads_itself_until_done(queued, client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    posted = post(client, acme, emulator, "dave@example.com")
    batch = InvitationBatch.objects.get()
    reload_url = f"/orgs/{acme.id}/invitations/?batch={batch.pk}"
    assert posted["Location"] == f"{reload_url}#batch-card"  # reloading sends nothing again
    body = client.get(posted["Location"]).content.decode()
    assert f'<noscript><meta http-equiv="refresh" content="3;url={reload_url}"></noscript>' in body
    assert f'<a href="{reload_url}">Refresh</a>' in body

    invitation_batch_run(str(batch.pk))  # a worker did it meanwhile
    done = client.get(reload_url).content.decode()
    assert "Done: 1 sent." in done
    assert "dave@example.com: sent" in page_text(done)
    assert 'http-equiv="refresh"' not in done and 'hx-trigger="load' not in done


def test_the_last_poll_summarises_every_outcome_and_offers_a_retry(queued, client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    post(client, acme, emulator, "dave@example.com\nbob@example.com\nbroken@", headers=HTMX)
    batch = InvitationBatch.objects.get()
    url = f"/orgs/{acme.id}/invitations/batches/{batch.pk}/"
    running = client.get(url, headers=HTMX).content.decode()
    assert 'id="batch-summary" hx-swap-oob="innerHTML">Getting ready' in running
    assert "retry-form" not in running  # nothing is retried before the batch is done

    invitation_batch_run(str(batch.pk))
    response = client.get(url, headers=HTMX)
    body = response.content.decode()
    assert "Done: 1 sent · 1 skipped · 1 failed." in body
    assert "hx-trigger" not in body.split('id="batch-summary"')[0]  # polling stops
    assert 'id="invite-form"' not in body  # whatever is typed in the dialog meanwhile stays
    retry = body.split('class="retry-form"')[1].split("</form>")[0]
    assert ">broken@</textarea>" in retry and 'name="message" value="Welcome!"' in retry
    trigger = json.loads(response["HX-Trigger"])
    assert "invitations-changed" in trigger
    assert trigger["messages"][0]["message"] == "Invitations: 1 sent · 1 skipped · 1 failed."


def test_the_summary_counts_every_address_going_out_at_the_same_time(
    queued, client, emulator, acme
):
    from django.utils import timezone

    from orgportal.models import InvitationBatchItem

    login_as(client, emulator, "alice@example.com")
    addresses = [f"p{n}@example.com" for n in range(11)]
    post(client, acme, emulator, "\n".join(["oops@", *addresses]), headers=HTMX)
    batch = InvitationBatch.objects.get()
    InvitationBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now())
    # A worker's 8 lanes: the invalid address is done, 8 are going out, 3 wait.
    batch.items.filter(position__in=range(1, 9)).update(step=InvitationBatchItem.Step.CREATING)
    url = f"/orgs/{acme.id}/invitations/batches/{batch.pk}/"
    running = client.get(url, {"emails": ""}, headers=HTMX).content.decode()
    assert 'hx-swap-oob="innerHTML">Sending 9 of 12…<' in running
    assert page_text(running).count(": sending") == 8


def test_the_status_url_without_htmx_leads_to_the_page(queued, client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    post(client, acme, emulator, "dave@example.com")
    batch = InvitationBatch.objects.get()
    response = client.get(f"/orgs/{acme.id}/invitations/batches/{batch.pk}/")
    assert response["Location"] == f"/orgs/{acme.id}/invitations/?batch={batch.pk}"


def test_someone_elses_or_an_unknown_batch_is_not_found(client, emulator, acme):
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])
    login_as(client, emulator, "alice@example.com")
    post(client, acme, emulator, "dave@example.com")
    batch = InvitationBatch.objects.get()
    assert (
        client.get(f"/orgs/{other.id}/invitations/batches/{batch.pk}/", headers=HTMX).status_code
        == 404
    )
    assert (
        client.get(f"/orgs/{acme.id}/invitations/batches/{uuid.uuid4()}/", headers=HTMX).status_code
        == 404
    )
    assert client.get(f"/orgs/{acme.id}/invitations/batches/nope/").status_code == 404
    # A stale or foreign `?batch=` on the page is simply not shown.
    page = client.get(f"/orgs/{other.id}/invitations/?batch={batch.pk}")
    assert page.status_code == 200 and "batch-card" not in page.content.decode()
    assert client.get(f"/orgs/{acme.id}/invitations/?batch=junk").status_code == 200


def test_members_who_may_not_invite_cannot_watch_a_batch(client, emulator, acme):
    login_as(client, emulator, "alice@example.com")
    post(client, acme, emulator, "dave@example.com")
    batch = InvitationBatch.objects.get()
    login_as(client, emulator, "bob@example.com")
    response = client.get(f"/orgs/{acme.id}/invitations/batches/{batch.pk}/", headers=HTMX)
    assert response.status_code == 403
