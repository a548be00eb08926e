"""Logto refusing input and Logto being unreachable are different errors, everywhere."""

import pytest

from orgportal.logto.errors import AuthError, InvalidInput, NotFound, RateLimited, Unavailable
from orgportal.services.errors import (
    ApplicationError,
    Doing,
    Gone,
    LastAdminError,
    NotAllowed,
    ServiceUnavailable,
    refusal_from,
)
from orgportal.views.errors import error_sentence, error_status


@pytest.mark.parametrize(
    ("logto_error", "kind", "status"),
    [
        (InvalidInput("name is too short", code="guard.invalid_input"), ApplicationError, 422),
        (NotFound("gone"), Gone, 404),
        (Unavailable(), ServiceUnavailable, 503),
        (RateLimited("slow down"), ServiceUnavailable, 503),
        (AuthError("bad credentials"), ServiceUnavailable, 503),
    ],
)
def test_a_failed_write_becomes_the_right_refusal(logto_error, kind, status):
    refusal = refusal_from(logto_error, Doing.CHANGE)
    assert type(refusal) is kind
    assert error_status(refusal) == status


def test_refused_input_is_the_users_to_fix_without_the_services_own_words():
    refusal = refusal_from(
        InvalidInput("name must not be blank", code="guard.invalid_input"), Doing.CHANGE
    )
    assert refusal.message == ("The change was not accepted. Check what you entered and try again.")
    assert "guard" not in refusal.message and "blank" not in refusal.message


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotAllowed("no"), 403),
        (Gone("gone"), 404),
        (LastAdminError("last"), 422),
        (ApplicationError("bad"), 422),
        (ServiceUnavailable("down"), 503),
        (NotFound("x"), 404),
        (InvalidInput("x"), 422),
        (RateLimited("x"), 429),
        (Unavailable("x"), 503),
        (AuthError("x"), 503),
    ],
)
def test_each_error_has_one_status(error, status):
    assert error_status(error) == status


def test_operators_problems_never_show_their_details_to_users():
    sentence, status = error_sentence(AuthError("token rejected: invalid_client secret=abc"))
    assert "secret" not in sentence and "not set up correctly" in sentence
    assert status == 503
