"""Changes only from people Logto still vouches for.

Every request of a session started before Logto said its person was suspended or deleted (the
webhook's mark, `User.signed_out_at`, read with the user at no extra cost) ends that session.

A Django session outlives what Logto knew at sign-in. Before any unsafe request (POST, PUT,
PATCH, DELETE) of a signed-in person, Logto's current word is checked (cached for seconds,
shared by all instances): a suspended or deleted account is signed out and changes nothing,
and a staff member whose role was taken away loses the admin at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from orgportal.logto.errors import LogtoError
from orgportal.services.users import identity_standing, signed_out_since, staff_flags_follow

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SIGNED_IN_AT = "orgportal_signed_in_at"  # session key: when this session was signed in


def session_sign_in_noted(sender: object, request: HttpRequest, user: object, **kwargs) -> None:
    """On every sign-in (connected to `user_logged_in` in apps.py): when the session began, so
    a later mark that its person was signed out in Logto ends it."""
    request.session[SIGNED_IN_AT] = time.time()


class SessionGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "signed_out_at", None) is not None
            and signed_out_since(user, request.session.get(SIGNED_IN_AT))
        ):
            logger.info("Signed out %s: suspended or deleted in Logto since sign-in", user.pk)
            logout(request)
            return _session_ended(request)
        needs_check = (
            request.method not in SAFE_METHODS
            and user.is_authenticated
            and getattr(user, "logto_id", None)
            and not request.path.startswith("/api/")  # tokens are checked on their own
        )
        if not needs_check:
            return self.get_response(request)
        try:
            standing = identity_standing(user)  # type: ignore[arg-type]
        except LogtoError as error:
            # Logto cannot say now; the change itself needs Logto and will report that.
            logger.warning("Could not re-check %s before a change: %s", user.pk, error)
            return self.get_response(request)
        if not standing.active:
            logger.info("Signed out %s: Logto no longer vouches for the account", user.pk)
            logout(request)
            return _session_ended(request)
        if staff_flags_follow(user, standing) and request.path.startswith(reverse("admin:index")):  # type: ignore[arg-type]
            return HttpResponseForbidden(_("Your staff access was removed."))
        return self.get_response(request)


def _session_ended(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Your session has ended. Sign in again to continue."))
    home = reverse("orgportal:home")
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = home
        return response
    return HttpResponseRedirect(home)
