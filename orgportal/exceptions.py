"""Domain errors raised by services; each carries one sentence a person can act on."""

from __future__ import annotations


class ApplicationError(Exception):
    """A rule said no. `message` is shown to the user as it is."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(ApplicationError):
    """The acting user lacks the permission for this action (HTTP 403)."""

    status = 403


class OrganizationNotFound(ApplicationError):
    """No such organization, or the user is not a member (HTTP 404: existence does not leak)."""

    status = 404


class LastAdminError(ApplicationError):
    """The change would leave the organization without anyone who can manage members."""


class LimitReached(ApplicationError):
    """A configured limit (e.g. organizations per user) is reached."""


class LogtoRefused(ApplicationError):
    """Logto refused or failed the change; the message says what happened, nothing half-done."""

    status = 503
