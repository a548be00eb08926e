"""The invitation API with a real worker: a batch longer than the answer may wait is 202."""

from __future__ import annotations

import json
import time

import pytest

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = ["ann@example.com", "ben@example.com", "cat@example.com", "dan@example.com"]


def test_the_api_answers_202_for_a_long_batch_and_its_location_tells_the_outcome(
    worker_thread, client, emulator, acme, mint
):
    # The addresses go out at the same time (ORGPORTAL_BATCH_PARALLELISM): one slow create
    # outlasts the answer's wait.
    emulator.set_fault("invitations.create", latency=3.0)
    token = mint(
        "alice@example.com", audience=f"urn:logto:organization:{acme.id}", scopes="invite:member"
    )
    url = f"/api/v1/organizations/{acme.id}/invitations"
    body = {
        "emails": [*PEOPLE, "bob@example.com"],
        "roleIds": [emulator.state.role_by_name("member").id],
    }
    response = client.post(
        url, json.dumps(body), content_type="application/json", headers=bearer(token)
    )
    assert response.status_code == 202
    batch = response.json()
    assert (batch["status"], batch["total"]) == ("running", 5)
    assert (
        response["Location"] == f"/api/v1/organizations/{acme.id}/invitation-batches/{batch['id']}"
    )
    assert {o["status"] for o in batch["outcomes"]} <= {"queued", "working", "sent", "skipped"}

    deadline = time.monotonic() + 20
    while batch["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
        batch = client.get(response["Location"], headers=bearer(token)).json()
    assert batch["status"] == "done" and batch["finished"] == 5 and batch["finishedAt"]
    assert [(o["email"], o["status"]) for o in batch["outcomes"]] == [
        *((address, "sent") for address in PEOPLE),
        ("bob@example.com", "skipped"),
    ]
    assert all(o["invitationId"] for o in batch["outcomes"][:4])


def test_the_document_describes_the_202_and_the_batch(client, emulator):
    document = client.get("/api/v1/openapi.json").json()
    create = document["paths"]["/organizations/{org_id}/invitations"]["post"]
    assert {"200", "202"} <= set(create["responses"])
    assert "Location" in create["responses"]["202"]["headers"]
    batch = document["paths"]["/organizations/{org_id}/invitation-batches/{batch_id}"]["get"]
    answer = batch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][answer.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {
        "id",
        "status",
        "total",
        "finished",
        "createdAt",
        "finishedAt",
        "outcomes",
    }


def test_a_batch_is_only_found_in_its_own_organization(client, emulator, acme, mint):
    from orgportal.models import InvitationBatch

    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("alice@example.com"), ["admin"])

    def token(org_id: str) -> dict[str, str]:
        audience = f"urn:logto:organization:{org_id}"
        return bearer(mint("alice@example.com", audience=audience, scopes="invite:member"))

    body = {"emails": ["dave@example.com"], "roleIds": [emulator.state.role_by_name("member").id]}
    sent = client.post(
        f"/api/v1/organizations/{acme.id}/invitations",
        json.dumps(body),
        content_type="application/json",
        headers=token(acme.id),
    )
    assert sent.status_code == 200  # small and quick: the outcomes, as always
    batch = InvitationBatch.objects.get()
    mine = client.get(
        f"/api/v1/organizations/{acme.id}/invitation-batches/{batch.pk}", headers=token(acme.id)
    )
    assert mine.json()["status"] == "done"
    assert mine.json()["outcomes"] == sent.json()
    for org_id, batch_id in ((other.id, batch.pk), (acme.id, "junk"), (acme.id, "0" * 32)):
        answer = client.get(
            f"/api/v1/organizations/{org_id}/invitation-batches/{batch_id}", headers=token(org_id)
        )
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
