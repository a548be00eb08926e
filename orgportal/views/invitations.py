"""Invitations: the organization's invite page, the invitee's landing page, my invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.signing import BadSignature
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from orgportal.forms import InviteForm
from orgportal.logto.errors import LogtoError
from orgportal.logto.oidc import provider_logout_url
from orgportal.services.access import Perm, grantable_role_ids
from orgportal.services.errors import ApplicationError
from orgportal.services.invitations import (
    NOT_CONFIGURED_REASON,
    NOT_CONFIGURED_SENTENCE,
    InvitationNotFound,
    invitation_list,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from orgportal.services.invitee import (
    invitation_accept,
    invitation_decline,
    invitation_is_for,
    invitation_view,
    my_invitations,
)
from orgportal.services.template import template_roles
from orgportal.views.common import render_page_or_partial
from orgportal.views.decorators import (
    AuthenticatedRequest,
    HtmxRequest,
    OrganizationRequest,
    organization_view,
)
from orgportal.views.errors import error_sentence, form_error_from, refusal_response

STATUSES = ("Pending", "Accepted", "Expired", "Revoked")
SWITCH_COOKIE = "orgportal_invitation_after_signout"


def _role_choices(access) -> list[tuple[str, str]]:
    grantable = grantable_role_ids(access)
    return [(role.id, role.name) for role in template_roles() if role.id in grantable]


def _default_roles(choices: list[tuple[str, str]]) -> list[str]:
    member = [rid for rid, name in choices if name == settings.ORGPORTAL_MEMBER_ROLE]
    return member or [choices[0][0]] if choices else []


def _page_context(
    request: OrganizationRequest, org_id: str, form: InviteForm, outcomes=None
) -> dict:
    status = request.GET.get("status") or ""
    status = status if status in STATUSES else ""
    not_configured = any(o.reason == NOT_CONFIGURED_REASON for o in outcomes or ())
    return {
        "access": request.access,
        "form": form,
        "outcomes": outcomes,
        "outcomes_sentence": NOT_CONFIGURED_SENTENCE if not_configured else "",
        "rows": invitation_list(actor=request.user, organization_id=org_id, status=status or None),
        "status": status,
        "statuses": STATUSES,
    }


@organization_view(Perm.INVITE_MEMBER)
@require_http_methods(["GET", "HEAD", "POST"])
def invitations_page(request: OrganizationRequest, org_id: str) -> HttpResponse:
    choices = _role_choices(request.access)
    initial = {
        "roles": _default_roles(choices),
        "expires_in_days": settings.ORGPORTAL_INVITATION_EXPIRY_DAYS,
    }
    if request.method != "POST":
        form = InviteForm(roles=choices, initial=initial)
        if request.htmx and request.htmx.target == "invitation-list":
            return render_page_or_partial(
                request,
                "orgportal/invitations/page.html",
                _page_context(request, org_id, form),
                partial="invitation-list",
            )
        return render(
            request, "orgportal/invitations/page.html", _page_context(request, org_id, form)
        )
    form = InviteForm(request.POST, request.FILES, roles=choices)
    outcomes, status = None, 200
    if form.is_valid():
        try:
            outcomes = invitation_send(
                actor=request.user,
                organization_id=org_id,
                emails=form.cleaned_data["addresses"],
                role_ids=form.cleaned_data["roles"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                personal_message=form.cleaned_data["message"],
            )
        except (ApplicationError, LogtoError) as error:
            status = form_error_from(form, error)
        else:
            sent = sum(1 for o in outcomes if o.status == "sent")
            if sent:
                messages.success(request, f"{sent} invitation{'s' if sent != 1 else ''} sent.")
            # Keep the addresses that did not go out in the box, ready to fix and resend.
            retry = [o.email for o in outcomes if o.status == "failed"]
            form = InviteForm(
                roles=choices,
                initial={
                    **initial,
                    "emails": "\n".join(retry),
                    "roles": form.cleaned_data["roles"],
                    "expires_in_days": form.cleaned_data["expires_in_days"],
                    "message": form.cleaned_data["message"] if retry else "",
                },
            )
    else:
        status = 422
    response = render_page_or_partial(
        request,
        "orgportal/invitations/page.html",
        _page_context(request, org_id, form, outcomes),
        partial="invite-panel",
        status=status,
    )
    if outcomes and request.htmx:
        trigger_client_event(response, "invitations-changed")
    return response


def _manage_action(request: OrganizationRequest, org_id: str, change, done: str) -> HttpResponse:
    url = reverse("orgportal:invitations", args=[org_id])
    try:
        change()
    except InvitationNotFound as error:
        if not request.htmx:
            raise Http404(error.message) from error
        return refusal_response(request, error, url)
    except (ApplicationError, LogtoError) as error:
        return refusal_response(request, error, url)
    else:
        messages.success(request, done)
    if not request.htmx:
        return HttpResponseRedirect(url)
    form = InviteForm(roles=_role_choices(request.access))
    return render(
        request,
        "orgportal/invitations/page.html#invitation-list",
        _page_context(request, org_id, form),
    )


@organization_view(Perm.INVITE_MEMBER)
@require_POST
def invitation_revoke_view(
    request: OrganizationRequest, org_id: str, invitation_id: str
) -> HttpResponse:
    return _manage_action(
        request,
        org_id,
        lambda: invitation_revoke(
            actor=request.user, organization_id=org_id, invitation_id=invitation_id
        ),
        "Invitation revoked.",
    )


@organization_view(Perm.INVITE_MEMBER)
@require_POST
def invitation_resend_view(
    request: OrganizationRequest, org_id: str, invitation_id: str
) -> HttpResponse:
    return _manage_action(
        request,
        org_id,
        lambda: invitation_resend(
            actor=request.user, organization_id=org_id, invitation_id=invitation_id
        ),
        "Invitation sent again.",
    )


# -- the invitee's side ---------------------------------------------------------------------
@require_safe
def invitation_landing(request: HtmxRequest, invitation_id: str) -> HttpResponse:
    try:
        view = invitation_view(invitation_id=invitation_id)
    except InvitationNotFound:
        return render(request, "orgportal/invitations/landing.html", {"missing": True}, status=404)
    user = request.user
    context = {
        "view": view,
        "invitation": view.invitation,
        "for_me": user.is_authenticated and invitation_is_for(view.invitation, user),
        "sign_in_next": request.path,
    }
    return render(request, "orgportal/invitations/landing.html", context)


def _invitee_action(request: AuthenticatedRequest, invitation_id: str, action) -> HttpResponse:
    try:
        result = action(actor=request.user, invitation_id=invitation_id)
    except (ApplicationError, LogtoError) as error:
        message, _ = error_sentence(error)
        messages.error(request, message)
        return HttpResponseRedirect(reverse("orgportal:invitation", args=[invitation_id]))
    return result


@login_required
@require_POST
def invitation_accept_view(request: AuthenticatedRequest, invitation_id: str) -> HttpResponse:
    def accept(**kwargs):
        invitation = invitation_accept(**kwargs)
        view = invitation_view(invitation_id=invitation.id)
        messages.success(request, f"Welcome to {view.organization_name}!")
        url = reverse("orgportal:organization_home", args=[invitation.organization_id])
        return HttpResponseRedirect(url)

    return _invitee_action(request, invitation_id, accept)


@login_required
@require_POST
def invitation_decline_view(request: AuthenticatedRequest, invitation_id: str) -> HttpResponse:
    def decline(**kwargs):
        invitation_decline(**kwargs)
        messages.success(request, "Invitation declined.")
        return HttpResponseRedirect(reverse("orgportal:my_invitations"))

    return _invitee_action(request, invitation_id, decline)


@login_required
@require_POST
def invitation_switch_account(request: HtmxRequest, invitation_id: str) -> HttpResponse:
    """Sign out here and at Logto, then come back to sign in as the invited address."""
    logout_url = provider_logout_url(request)
    auth.logout(request)
    response = HttpResponseRedirect(logout_url)
    response.set_signed_cookie(
        SWITCH_COOKIE,
        invitation_id,
        max_age=600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def resume_after_switch(request: HtmxRequest) -> HttpResponse | None:
    """After signing out to switch accounts, continue to the invitation's sign-in."""
    try:
        invitation_id = request.get_signed_cookie(SWITCH_COOKIE, default=None, max_age=600)
    except BadSignature:
        invitation_id = None
    if not invitation_id:
        return None
    landing = reverse("orgportal:invitation", args=[invitation_id])
    target = f"{reverse('oidc_authentication_init')}?invitation={invitation_id}&next={landing}"
    response = HttpResponseRedirect(target)
    response.delete_cookie(SWITCH_COOKIE)
    return response


@login_required
def my_invitations_page(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "orgportal/invitations/mine.html", {"views": my_invitations(actor=request.user)}
    )
