"""Why a use case did not happen: one sentence a person can act on, and no HTTP.

Views translate these into pages (`orgportal.views.errors`), the JSON API into its error
body (`orgportal.api.errors`): the status belongs to the caller's protocol, not to the rule.
"""

from __future__ import annotations

import logging

from orgportal.logto.errors import (
    AuthError,
    LogtoError,
    NotConfigured,
    NotFound,
    RateLimited,
    Unavailable,
)

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A rule or the input said no. `message` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(ApplicationError):
    """The acting user lacks the permission for this action."""


class Gone(ApplicationError):
    """The thing does not exist, no longer exists, or is not visible to the actor."""


class OrganizationNotFound(Gone):
    """No such organization, or the actor is not a member (existence does not leak)."""


class LastAdminError(ApplicationError):
    """The change would leave the organization without anyone who can manage members."""


class LimitReached(ApplicationError):
    """A configured limit (e.g. organizations per user) is reached."""


class ServiceUnavailable(ApplicationError):
    """Logto could not be reached, was too busy, or refused the portal's credentials: the
    change did not happen (the message says so), and trying again later may work."""


NOT_SET_UP = (
    "This is not set up yet, so nothing was changed. Please tell the people who run this portal."
)
UNREACHABLE = (
    "We could not reach our sign-in service, so nothing was changed. Try again in a moment."
)
UNCONFIRMED = (
    "Our sign-in service did not answer in time, so we cannot tell whether {doing} was made. "
    "Reload the page to see, then try again if needed."
)


def busy_sentence(retry_after: float | None) -> str:
    """Too many requests: when to try again, in whole seconds when the server said."""
    if retry_after:
        seconds = max(1, round(retry_after))
        unit = "second" if seconds == 1 else "seconds"
        return f"Our sign-in service is busy right now. Try again in {seconds} {unit}."
    return "Our sign-in service is busy right now. Wait a moment and try again."


def logto_failure_sentence(error: LogtoError) -> str:
    """What a person reads when a call to Logto failed for reasons that are not theirs."""
    if isinstance(error, RateLimited):
        return busy_sentence(error.retry_after)
    if isinstance(error, AuthError):
        return (
            "The portal's connection to its sign-in service is not set up correctly. "
            "Nothing was changed. "
            "Please tell the people who run this portal."
        )
    if isinstance(error, NotFound):
        return "This no longer exists."
    if isinstance(error, NotConfigured):
        return NOT_SET_UP
    return "We could not reach our sign-in service. Nothing was changed. Try again in a moment."


def refusal_from(error: LogtoError, doing: str) -> ApplicationError:
    """A failed Logto write as a service error: Logto *refusing* the input is the user's to
    fix (ApplicationError); Logto being unreachable, busy or misconfigured is not
    (ServiceUnavailable). `doing` names the change, e.g. "the change"."""
    if isinstance(error, Unavailable):
        # Outcome unknown here means even reading back failed: "nothing changed" may be false.
        if error.outcome_unknown:
            return ServiceUnavailable(UNCONFIRMED.format(doing=doing))
        return ServiceUnavailable(UNREACHABLE)
    if isinstance(error, RateLimited | AuthError | NotConfigured):
        return ServiceUnavailable(logto_failure_sentence(error))
    if isinstance(error, NotFound):
        return Gone(f"We could not apply {doing}: it no longer exists.")
    # Logto's own message is for developers (English, codes): logged, not shown.
    logger.warning("Logto refused %s: %s (%s)", doing, error.message, error.code)
    return ApplicationError(
        f"{doing[:1].upper()}{doing[1:]} was not accepted. Check what you entered and try again."
    )
