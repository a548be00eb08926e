"""Why a use case did not happen: one sentence a person can act on, and no HTTP.

Views translate these into pages (`orgportal.views.errors`), the JSON API into its error
body (`orgportal.api.errors`): the status belongs to the caller's protocol, not to the rule.

Sentences are translatable and lazy: an error raised at import time or in a worker is
rendered in the language of whoever reads it (`message`), while the audit trail keeps its
English source (`source`), which the activity page reads reasons from.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orgportal.logto.errors import (
    AuthError,
    LogtoError,
    NotConfigured,
    NotFound,
    RateLimited,
    Unavailable,
)

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    Text = str | _StrPromise
else:
    Text = str

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"


def later(render: Callable[[], str]) -> _StrPromise:
    """A sentence built when it is read, in the language active then: for sentences with
    values, e.g. `later(lambda: _("%(name)s was removed.") % {"name": name})`."""
    return cast("_StrPromise", lazy(render, str)())


def in_source_language(text: object) -> str:
    """`text` (a sentence, an error, a lazy string) as English, the language of the code: what
    the audit trail and stored results keep."""
    with translation.override(SOURCE_LANGUAGE):
        return str(text)


class ApplicationError(Exception):
    """A rule or the input said no. `message` is shown to the user as it is, in the language
    active when it is read."""

    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        return str(self._message)

    @property
    def source(self) -> str:
        """The message in English, for the audit trail and stored results."""
        return in_source_language(self._message)

    def __str__(self) -> str:
        return self.message


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


NOT_SET_UP = gettext_lazy(
    "This is not set up yet, so nothing was changed. Please tell the people who run this portal."
)
UNREACHABLE = gettext_lazy(
    "We could not reach our sign-in service, so nothing was changed. Try again in a moment."
)


def _busy(retry_after: float | None) -> str:
    if retry_after:
        seconds = max(1, round(retry_after))
        return ngettext(
            "Our sign-in service is busy right now. Try again in %(seconds)s second.",
            "Our sign-in service is busy right now. Try again in %(seconds)s seconds.",
            seconds,
        ) % {"seconds": seconds}
    return _("Our sign-in service is busy right now. Wait a moment and try again.")


def busy_sentence(retry_after: float | None) -> str:
    """Too many requests: when to try again, in whole seconds when the server said."""
    return _busy(retry_after)


def _failure(error: LogtoError) -> Text:
    if isinstance(error, RateLimited):
        retry_after = error.retry_after
        return later(lambda: _busy(retry_after))
    if isinstance(error, AuthError):
        return gettext_lazy(
            "The portal's connection to its sign-in service is not set up correctly. "
            "Nothing was changed. "
            "Please tell the people who run this portal."
        )
    if isinstance(error, NotFound):
        return gettext_lazy("This no longer exists.")
    if isinstance(error, NotConfigured):
        return NOT_SET_UP
    return gettext_lazy(
        "We could not reach our sign-in service. Nothing was changed. Try again in a moment."
    )


def logto_failure_sentence(error: LogtoError) -> str:
    """What a person reads when a call to Logto failed for reasons that are not theirs."""
    return str(_failure(error))


class Doing(enum.Enum):
    """The change a failed Logto write was making, for `refusal_from`: each has its own
    whole sentences (word order differs between languages). The value is for the logs."""

    CHANGE = "the change"
    REMOVAL = "the removal"
    ORGANIZATION = "the organization"
    DELETION = "the deletion"
    LEAVING = "leaving"
    NEW_MEMBER = "the new member"
    ACCEPTANCE = "the acceptance"
    HAND_OVER = "the hand-over"


# (the outcome is unknown, the thing is gone, the input was refused), per change.
_REFUSALS: dict[Doing, tuple[_StrPromise, _StrPromise, _StrPromise]] = {
    Doing.CHANGE: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether the change "
            "was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply the change: it no longer exists."),
        gettext_lazy("The change was not accepted. Check what you entered and try again."),
    ),
    Doing.REMOVAL: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether the removal "
            "was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply the removal: it no longer exists."),
        gettext_lazy("The removal was not accepted. Check what you entered and try again."),
    ),
    Doing.ORGANIZATION: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether the "
            "organization was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply the organization: it no longer exists."),
        gettext_lazy("The organization was not accepted. Check what you entered and try again."),
    ),
    Doing.DELETION: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether the "
            "deletion was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply the deletion: it no longer exists."),
        gettext_lazy("The deletion was not accepted. Check what you entered and try again."),
    ),
    Doing.LEAVING: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether leaving "
            "was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply leaving: it no longer exists."),
        gettext_lazy("Leaving was not accepted. Check what you entered and try again."),
    ),
    Doing.NEW_MEMBER: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether the new "
            "member was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply the new member: it no longer exists."),
        gettext_lazy("The new member was not accepted. Check what you entered and try again."),
    ),
    Doing.ACCEPTANCE: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether the "
            "acceptance was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply the acceptance: it no longer exists."),
        gettext_lazy("The acceptance was not accepted. Check what you entered and try again."),
    ),
    Doing.HAND_OVER: (
        gettext_lazy(
            "Our sign-in service did not answer in time, so we cannot tell whether the "
            "hand-over was made. Reload the page to see, then try again if needed."
        ),
        gettext_lazy("We could not apply the hand-over: it no longer exists."),
        gettext_lazy("The hand-over was not accepted. Check what you entered and try again."),
    ),
}


def refusal_from(error: LogtoError, doing: Doing) -> ApplicationError:
    """A failed Logto write as a service error: Logto *refusing* the input is the user's to
    fix (ApplicationError); Logto being unreachable, busy or misconfigured is not
    (ServiceUnavailable). `doing` names the change, e.g. `Doing.CHANGE`."""
    unconfirmed, gone, refused = _REFUSALS[doing]
    if isinstance(error, Unavailable):
        # Outcome unknown here means even reading back failed: "nothing changed" may be false.
        if error.outcome_unknown:
            return ServiceUnavailable(unconfirmed)
        return ServiceUnavailable(UNREACHABLE)
    if isinstance(error, RateLimited | AuthError | NotConfigured):
        return ServiceUnavailable(_failure(error))
    if isinstance(error, NotFound):
        return Gone(gone)
    # Logto's own message is for developers (English, codes): logged, not shown.
    logger.warning("Logto refused %s: %s (%s)", doing.value, error.message, error.code)
    return ApplicationError(refused)
