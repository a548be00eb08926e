"""Creating an organization when Logto's answers are lost, slow or refused, and in parallel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from orgportal.models import AuditEvent
from orgportal.services.errors import ApplicationError, LimitReached, ServiceUnavailable
from orgportal.services.organizations import organization_create


def named(emulator, name):
    return [o for o in emulator.state.organizations.values() if o.name == name]


@pytest.mark.django_db
def test_a_create_whose_answer_was_lost_is_found_and_finished(emulator, alice):
    emulator.set_fault("organizations.create", after_work=True, latency=0.01, times=1)
    organization = organization_create(actor=alice, name="Zeta")
    [zeta] = named(emulator, "Zeta")  # created once, not twice
    assert organization.id == zeta.id
    assert zeta.members[alice.logto_id] == [emulator.state.role_by_name("admin").id]
    assert AuditEvent.objects.filter(
        action="organization.created", outcome=AuditEvent.Outcome.SUCCESS
    ).exists()


@pytest.mark.django_db
def test_a_lost_answer_while_adding_the_creator_is_made_good(emulator, alice):
    emulator.set_fault("organizations.users.add", after_work=True, latency=0.01, times=1)
    organization_create(actor=alice, name="Zeta")
    [zeta] = named(emulator, "Zeta")
    assert zeta.members[alice.logto_id] == [emulator.state.role_by_name("admin").id]


@pytest.mark.django_db
def test_a_create_that_never_reached_logto_reports_nothing_created(emulator, alice):
    emulator.set_fault("organizations.create", status=503)
    with pytest.raises(ServiceUnavailable, match="nothing was changed"):
        organization_create(actor=alice, name="Zeta")
    assert named(emulator, "Zeta") == []


@pytest.mark.django_db
def test_the_sentence_says_so_when_the_cleanup_failed_too(emulator, alice):
    emulator.set_fault("organizations.users.add", status=422)
    emulator.set_fault("organizations.delete", status=503)
    with pytest.raises(ServiceUnavailable, match="could not be removed either"):
        organization_create(actor=alice, name="Zeta")
    failure = AuditEvent.objects.get(action="organization.created")
    assert "could NOT be removed" in failure.error


@pytest.mark.django_db(transaction=True)
def test_parallel_creates_respect_a_limit_of_one(emulator, alice, settings):
    settings.ORGPORTAL_MAX_ORGANIZATIONS_PER_USER = 1
    emulator.set_fault("organizations.create", latency=0.05)
    barrier = Barrier(4)

    def create(n: int):
        barrier.wait()
        try:
            return organization_create(actor=alice, name=f"Parallel {n}")
        except ApplicationError as error:
            return error

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(create, range(4)))
    refused = [o for o in outcomes if isinstance(o, LimitReached)]
    assert len(refused) == 3
    assert sum(o.name.startswith("Parallel") for o in emulator.state.organizations.values()) == 1
