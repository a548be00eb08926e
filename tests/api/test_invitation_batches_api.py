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
    emulator.set_fault("invitations.create", latency=0.5)
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
