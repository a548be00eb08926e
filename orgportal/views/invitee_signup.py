""" "Create my account" on an invitation's landing page: a one-time token for the invited
address, handed to the sign-in redirect (services/invitee_signup.py says when and why)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from orgportal.logto.errors import LogtoError
from orgportal.services.errors import ApplicationError
from orgportal.services.invitee_signup import (
    TOKEN_LIFETIME_SECONDS,
    invitee_sign_up_confirm,
    invitee_sign_up_start,
)
from orgportal.views.decorators import HtmxRequest
from orgportal.views.errors import error_sentence

# The token, for the one sign-in redirect that uses it (then dropped from the session).
TOKEN_SESSION_KEY = "orgportal_invitee_token"
# What the callback checks the account against: the address and when the token was made.
ISSUED_SESSION_KEY = "orgportal_invitee_token_issued"


def _landing(invitation_id: str, key: str = "") -> str:
    url = reverse("orgportal:invitation", args=[invitation_id])
    return f"{url}?{urlencode({'key': key})}" if key else url


@require_POST
def invitation_account_create(request: HtmxRequest, invitation_id: str) -> HttpResponse:
    key = request.POST.get("key", "")[:64]
    if request.user.is_authenticated:
        return HttpResponseRedirect(_landing(invitation_id))
    try:
        sign_in = invitee_sign_up_start(invitation_id=invitation_id, key=key)
    except (ApplicationError, LogtoError) as error:
        message, _ = error_sentence(error)
        messages.error(request, message)
        return HttpResponseRedirect(_landing(invitation_id, key))
    request.session[TOKEN_SESSION_KEY] = {"token": sign_in.token, "email": sign_in.email}
    request.session[ISSUED_SESSION_KEY] = {
        "email": sign_in.email,
        "issued_at": sign_in.issued_at.isoformat(),
    }
    query = urlencode({"next": _landing(invitation_id)})
    return HttpResponseRedirect(f"{reverse('oidc_authentication_init')}?{query}")


def one_time_sign_in_params(request: HttpRequest) -> dict[str, str]:
    """The sign-in redirect's extra parameters for a token waiting in the session (once)."""
    waiting = request.session.pop(TOKEN_SESSION_KEY, None)
    if not isinstance(waiting, dict) or not waiting.get("token"):
        return {}
    return {"one_time_token": str(waiting["token"]), "login_hint": str(waiting["email"])}


def one_time_sign_in_refusal(request: HttpRequest, logto_user_id: str) -> str | None:
    """After the callback: why the account signed in must not stay signed in (it existed
    before the token), or None."""
    issued = request.session.pop(ISSUED_SESSION_KEY, None)
    if not isinstance(issued, dict):
        return None
    try:
        issued_at = datetime.fromisoformat(str(issued["issued_at"]))
    except (KeyError, ValueError):
        return None
    if (timezone.now() - issued_at).total_seconds() > TOKEN_LIFETIME_SECONDS * 2:
        return None  # that token can no longer have been used
    try:
        invitee_sign_up_confirm(
            logto_user_id=logto_user_id, email=str(issued.get("email", "")), issued_at=issued_at
        )
    except ApplicationError as refusal:
        return refusal.message
    return None
