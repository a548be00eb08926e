"""The one exception hierarchy the Logto client raises (DESIGN.md §2)."""

from __future__ import annotations

from typing import Any


class LogtoError(Exception):
    """A failed call to Logto, with Logto's error `code`, its message and the HTTP facts."""

    default_message = "Logto answered with an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
        data: Any = None,
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.code = code
        self.method = method
        self.path = path
        self.data = data
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f"{self.method} {self.path}" if self.method else "Logto"
        status = f" -> {self.status}" if self.status else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{status}{code}: {self.message}"


class InvalidInput(LogtoError):
    """400/422: Logto refused the input (validation, a broken rule, a bad reference)."""


class AuthError(LogtoError):
    """401/403: the portal's credentials are wrong or lack permission (an operator problem)."""


class NotFound(LogtoError):
    """404: the thing does not exist (any more)."""


class Conflict(LogtoError):
    """409: the change conflicts with the current state."""


class RateLimited(LogtoError):
    """429: too many requests; `retry_after` seconds when Logto said so."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class Unavailable(LogtoError):
    """Logto could not be reached in time, or answered 5xx.

    `outcome_unknown`: the request reached Logto but no answer came back in time, so a write
    may have happened anyway; read the state back before retrying or reporting failure."""

    default_message = "Logto is not reachable right now."

    def __init__(self, *args: Any, outcome_unknown: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome_unknown = outcome_unknown


class UnexpectedAnswer(LogtoError):
    """Logto's answer did not have the shape the call documents (a bug or a proxy in between)."""


class NotConfigured(LogtoError):
    """Logto lacks a part of its configuration the call needs (e.g. no email connector: 501
    `connector.not_found`). An operator must fix it; retrying does not help."""


NOT_CONFIGURED_CODES = frozenset({"connector.not_found"})


def is_foreign_key_missing(error: LogtoError | None) -> bool:
    """Logto's answer when a referenced organization, user or role does not exist (any more)."""
    return isinstance(error, InvalidInput) and error.code == "entity.relation_foreign_key_not_found"


def error_for_status(status: int) -> type[LogtoError]:
    if status in (400, 422):
        return InvalidInput
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status == 429:
        return RateLimited
    if status >= 500:
        return Unavailable
    return LogtoError
