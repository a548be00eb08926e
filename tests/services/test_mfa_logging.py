"""Two-step statuses are read in parallel threads; what those threads log still belongs to the
request that asked."""

import logging

import pytest

from orgportal import request_context
from orgportal.request_context import RequestIdLogFilter
from orgportal.services.mfa import mfa_status_of

pytestmark = pytest.mark.django_db


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdLogFilter())  # runs in the thread that logs, as in production
        self.request_ids: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.request_ids.append(record.request_id)  # type: ignore[attr-defined]


def test_a_failed_lookup_is_logged_with_the_request_id(emulator):
    emulator.set_fault("users.mfa.list", status=500)
    users = [user.id for user in emulator.state.users.values()][:3]
    handler = Collect()
    logger = logging.getLogger("orgportal.services.mfa")
    logger.addHandler(handler)
    token = request_context.request_id.set("req-mfa-1")
    try:
        statuses = mfa_status_of(users)
    finally:
        request_context.request_id.reset(token)
        logger.removeHandler(handler)

    assert set(statuses.values()) == {None}  # Logto could not tell
    assert handler.request_ids == ["req-mfa-1"] * len(users)
