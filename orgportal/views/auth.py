"""Sign-in, callback and sign-in failure pages around mozilla-django-oidc."""

from __future__ import annotations

import logging

import requests
from django.contrib import auth, messages
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from orgportal.logto.errors import LogtoError
from orgportal.logto.oidc import provider_logout_url
from orgportal.services.languages import current_language
from orgportal.views.invitee_signup import one_time_sign_in_params, one_time_sign_in_refusal

logger = logging.getLogger(__name__)

_FIRST_SCREENS = {"register", "sign_in"}


class SignInView(OIDCAuthenticationRequestView):
    """Start OIDC sign-in; `login_hint` and `first_screen=register` pass through to Logto,
    and Logto's pages open in the portal's language (`ui_locales`)."""

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = dict(super().get_extra_params(request))
        params["ui_locales"] = current_language()
        login_hint = request.GET.get("login_hint", "").strip()
        if login_hint and len(login_hint) <= 254:
            params["login_hint"] = login_hint
        if request.GET.get("first_screen") in _FIRST_SCREENS:
            params["first_screen"] = request.GET["first_screen"]
        invitee = _invitee_of(request.GET.get("invitation", ""))
        if invitee:
            # The landing page shows the address masked; the hint is filled in server-side.
            params["login_hint"] = invitee
        # "Create my account" on an invitation: the one-time token for the invited address.
        params.update(one_time_sign_in_params(request))
        return params


class CallbackView(OIDCAuthenticationCallbackView):
    """The OIDC callback, with every failure turned into a clear page and no session."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            logger.warning("Refused OIDC callback: %s", exc)
            return self._failure(
                request,
                _(
                    "The sign-in response could not be verified, so you were not signed in. "
                    "This happens when a sign-in link is reused or opened in another browser."
                ),
                status=400,
            )
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code >= 500:
                return self._unreachable(request, exc)
            logger.warning("Logto refused the OIDC callback: %s", exc)
            return self._failure(
                request,
                _(
                    "Our sign-in service did not accept this sign-in (the link may have been "
                    "used already), so you were not signed in."
                ),
                status=400,
            )
        except requests.RequestException as exc:
            return self._unreachable(request, exc)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        refusal = one_time_sign_in_refusal(self.request, self.user.logto_id or "")
        if refusal is None:
            return response
        # A one-time token signed in an account that existed before it: out again, here and
        # at the sign-in service (whose session would otherwise sign it in again).
        logout_url = provider_logout_url(self.request)
        auth.logout(self.request)
        messages.error(self.request, refusal)
        return HttpResponseRedirect(logout_url)

    def _unreachable(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.warning("Logto unreachable during sign-in: %s", type(exc).__name__)
        return self._failure(
            request,
            _(
                "We could not reach our sign-in service to finish signing you in. "
                "Try again in a moment."
            ),
            status=503,
        )

    def _failure(self, request: HttpRequest, sentence: str, *, status: int) -> HttpResponse:
        if request.user.is_authenticated:
            auth.logout(request)
        return render(
            request, "orgportal/signin_failed.html", {"sentence": sentence}, status=status
        )


@require_safe
def signin_failed(request: HttpRequest) -> HttpResponse:
    """Where mozilla-django-oidc sends a sign-in that did not complete."""
    return render(
        request,
        "orgportal/signin_failed.html",
        {"sentence": _("Signing in did not complete, so you are not signed in.")},
        status=400 if request.user.is_anonymous else 200,
    )


def _invitee_of(invitation_id: str) -> str | None:
    from orgportal.services.invitations import InvitationNotFound
    from orgportal.services.invitee import invitation_view

    if not invitation_id or len(invitation_id) > 64:
        return None
    try:
        return invitation_view(invitation_id=invitation_id).invitation.invitee
    except (InvitationNotFound, LogtoError):
        return None
