"""The key in an invitation email's link: proof that whoever opens it read that email.

The invitation's id alone is no secret (the organization's admins see it, the API lists it),
so the link carries an HMAC of the id and the invited address under the portal's secret key.
Only the email holds it; with it, the invitee may have an account made for that address
(services/invitee_signup.py).
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "orgportal.invitation-address"
KEY_LENGTH = 32  # hex digits: 128 bits


def invitation_address_key(invitation_id: str, invitee: str) -> str:
    message = f"{invitation_id}\n{invitee.strip().lower()}"
    return salted_hmac(_SALT, message, algorithm="sha256").hexdigest()[:KEY_LENGTH]


def invitation_address_proven(invitation_id: str, invitee: str, key: str) -> bool:
    if not key or len(key) != KEY_LENGTH:
        return False
    return constant_time_compare(key, invitation_address_key(invitation_id, invitee))
