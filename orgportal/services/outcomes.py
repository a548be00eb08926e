"""Writes whose answer was lost: read the state back, then report what Logto holds.

A write that reached Logto but got no answer in time (`Unavailable(outcome_unknown=True)`)
may have happened all the same; so may one whose transport retry was refused because the
first try had already done it (e.g. 422 "an ended invitation cannot change"). Reporting
either as "nothing was changed" misleads: the caller reads back and carries on as a success
when Logto holds the change. The same pattern as `organizations._create_marked` and
`invitation_steps.create_exactly_once`, for writes that have no retry loop of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from orgportal.logto.errors import LogtoError, Unavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")


def confirmed(
    write: Callable[[], T],
    read_back: Callable[[], T | None],
    *,
    retried: tuple[type[LogtoError], ...] = (),
) -> T:
    """`write()`'s answer; when it was lost, what `read_back()` returns if Logto holds the
    change (None when it does not).

    `retried`: refusals that a retry of an already applied write gets, which are read back
    too. When the read-back shows nothing changed, the write's error goes on as a known
    outcome; when the read-back fails as well, it goes on still unknown."""
    try:
        return write()
    except Unavailable as error:
        if not error.outcome_unknown:
            raise
        lost: LogtoError = error
    except retried as error:
        lost = error
    try:
        held = read_back()
    except LogtoError as read_error:
        logger.warning("Could not read back after %s: %s", lost, read_error)
        raise lost from read_error
    if held is not None:
        logger.info("Logto applied the write although its answer was lost: %s", lost)
        return held
    if isinstance(lost, Unavailable):
        # Read back and not there: nothing changed, which the person may be told plainly.
        raise Unavailable(
            lost.message, status=lost.status, code=lost.code, method=lost.method, path=lost.path
        ) from lost
    raise lost


def applied(
    write: Callable[[], object],
    holds: Callable[[], bool],
    *,
    retried: tuple[type[LogtoError], ...] = (),
) -> None:
    """`confirmed` for a write that returns nothing: `holds()` says whether Logto has it."""

    def done() -> bool:
        write()
        return True

    confirmed(done, lambda: holds() or None, retried=retried)
