"""An invitee without an account gets one, even where the tenant allows no sign-up.

Logto's one-time tokens sign the owner of an address in, or register them when there is none,
whatever the tenant's sign-in mode (BEHAVIOUR.md, "Organization JIT provisioning"). The
portal asks for one only when:

- the emailed link's key proves the person read the invitation email (address_proof.py),
- the invitation is still pending (not accepted, revoked or expired), and
- no account has that address: a token for an existing address would sign its owner's
  account in, and a forwarded email must never hand over someone's account. They sign in as
  usual instead.

After the sign-in, `invitee_sign_up_confirm` checks that the account signed in was made by
this sign-in, and not one that someone registered with the address in the meantime.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy

from orgportal import logto
from orgportal.logto.errors import LogtoError
from orgportal.services.address_proof import invitation_address_proven
from orgportal.services.errors import ApplicationError, NotAllowed, ServiceUnavailable
from orgportal.services.invitee import invitation_get

logger = logging.getLogger(__name__)

# The token goes straight into the sign-in redirect: a short life is enough, and a token
# that leaks (a browser history) is useless soon after.
TOKEN_LIFETIME_SECONDS = 120
# An account made by the token's sign-in was signed in when it was made; one whose last
# sign-in came later than this after its creation existed before.
MADE_BY_THIS_SIGN_IN = timedelta(seconds=10)

NOT_FROM_THE_EMAIL = gettext_lazy(
    "This link cannot create an account. Open the link in your invitation email, or sign in."
)
ACCOUNT_EXISTS = gettext_lazy(
    "An account with this email address already exists. Sign in to accept the invitation."
)
NO_LONGER_OPEN = gettext_lazy(
    "This invitation can no longer be used, so no account was created. Ask for a new one."
)
NOT_CREATED = gettext_lazy(
    "Your account could not be created just now, so nothing was changed. Try again in a moment."
)
NOT_CHECKED = gettext_lazy(
    "We could not check your new account, so you were signed out again. Try again in a moment."
)
EXISTED_BEFORE = gettext_lazy(
    "An account with this email address already exists, so you were signed out again. Sign in "
    "with that account to accept the invitation."
)


@dataclass(frozen=True)
class OneTimeSignIn:
    """A one-time token for the invited address, to hand to the sign-in redirect once."""

    token: str
    email: str
    invitation_id: str
    issued_at: datetime  # Logto's clock


def invitee_sign_up_start(*, invitation_id: str, key: str) -> OneTimeSignIn:
    """A one-time token that creates the invitee's account; refuses when the link's key is
    not the email's, the invitation is no longer pending, or the address has an account."""
    invitation = invitation_get(invitation_id)
    if not invitation_address_proven(invitation.id, invitation.invitee, key):
        raise NotAllowed(NOT_FROM_THE_EMAIL)
    if not invitation.is_pending:
        raise ApplicationError(NO_LONGER_OPEN)
    email = invitation.invitee.strip().lower()
    client = logto.get_client()
    try:
        existing = client.find_user_by_email(email)
        if existing is not None:
            logger.info(
                "Invitation %s: no one-time token, the address has an account", invitation.id
            )
            raise NotAllowed(ACCOUNT_EXISTS)
        token = client.create_one_time_token(email, expires_in=TOKEN_LIFETIME_SECONDS)
    except LogtoError as error:
        logger.warning("Invitation %s: no one-time token: %s", invitation.id, error)
        raise ServiceUnavailable(NOT_CREATED) from error
    return OneTimeSignIn(
        token=token.token,
        email=email,
        invitation_id=invitation.id,
        issued_at=token.created_at or timezone.now(),
    )


def invitee_sign_up_confirm(*, logto_user_id: str, email: str, issued_at: datetime) -> None:
    """NotAllowed unless the account signed in was created by the token's sign-in: made
    after the token and signed in no later than that (an account someone registered with the
    address between the check and the token's use was signed in before)."""
    try:
        user = logto.get_client().get_user(logto_user_id)
    except LogtoError as error:
        # Unchecked is refused: the account may be someone else's.
        logger.warning("One-time sign-in of %s not checked: %s", logto_user_id, error)
        raise NotAllowed(NOT_CHECKED) from error
    if (user.primary_email or "").lower() != email:
        return  # not the token's sign-in: the person signed in some other way
    made = user.created_at
    signed_in = user.last_sign_in_at
    fresh = made is not None and made >= issued_at
    if fresh and made is not None and signed_in is not None:
        fresh = signed_in - made <= MADE_BY_THIS_SIGN_IN
    if not fresh:
        logger.warning(
            "A one-time token for an invitation signed in the existing account %s: signed out",
            logto_user_id,
        )
        raise NotAllowed(EXISTED_BEFORE)
