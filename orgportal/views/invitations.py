"""Invitations: the organization's invite page, the invitee's landing page, my invitations."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.signing import BadSignature
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from orgportal.concurrency import together
from orgportal.context_processors import header_read
from orgportal.forms import InviteForm
from orgportal.logto.errors import LogtoError
from orgportal.logto.oidc import provider_logout_url
from orgportal.services.access import Perm, grantable_role_ids
from orgportal.services.errors import ApplicationError
from orgportal.services.invitation_batches import (
    BatchNotFound,
    BatchProgress,
    invitation_batch_progress,
    invitation_batch_start,
    invitation_batch_wait,
)
from orgportal.services.invitations import (
    NOT_CONFIGURED_REASON,
    NOT_CONFIGURED_SENTENCE,
    InvitationNotFound,
    invitation_list,
    invitation_list_read,
    invitation_resend,
    invitation_revoke,
)
from orgportal.services.invitee import (
    invitation_accept,
    invitation_decline,
    invitation_is_for,
    invitation_view,
    my_invitations,
)
from orgportal.services.organization_names import organization_names
from orgportal.services.template import template_roles
from orgportal.services.users import identity_standing_prefetch
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


# Small batches usually finish while the page waits this long, and answer like before.
WAIT_SECONDS = 1.5


def _page_context(
    request: OrganizationRequest, org_id: str, form: InviteForm, progress=None
) -> dict:
    status = request.GET.get("status") or ""
    status = status if status in STATUSES else ""
    return {
        "access": request.access,
        "form": form,
        **_batch_context(org_id, progress),
        "rows": invitation_list(actor=request.user, organization_id=org_id, status=status or None),
        "status": status,
        "statuses": STATUSES,
    }


def _batch_context(org_id: str, progress: BatchProgress | None) -> dict:
    if progress is None:
        return {"progress": None}
    not_configured = progress.done and any(
        item.reason == NOT_CONFIGURED_REASON for item in progress.items
    )
    batch_id = progress.batch.pk
    return {
        "progress": progress,
        "outcomes_sentence": NOT_CONFIGURED_SENTENCE if not_configured else "",
        "status_url": reverse("orgportal:invitation_batch", args=[org_id, batch_id]),
        "reload_url": f"{reverse('orgportal:invitations', args=[org_id])}?batch={batch_id}",
    }


def _invite_form(request: OrganizationRequest, progress: BatchProgress | None) -> InviteForm:
    """A fresh form; after a batch it keeps its roles, expiry and (when addresses failed) its
    message, with the failed addresses in the box, ready to fix and resend."""
    choices = _role_choices(request.access)
    initial = {
        "roles": _default_roles(choices),
        "expires_in_days": settings.ORGPORTAL_INVITATION_EXPIRY_DAYS,
    }
    if progress is not None:
        batch = progress.batch
        retry = [item.email for item in progress.items if item.status == "failed"]
        days = max(1, round((batch.expires_at - batch.created_at).total_seconds() / 86400))
        initial.update(
            emails="\n".join(retry) if progress.done else "",
            roles=list(batch.role_ids),
            expires_in_days=days,
            message=batch.message if retry or not progress.done else "",
        )
    return InviteForm(roles=choices, initial=initial)


def _announce(request: OrganizationRequest, progress: BatchProgress, response: HttpResponse):
    sent = progress.count("sent")
    if sent:
        messages.success(request, f"{sent} invitation{'s' if sent != 1 else ''} sent.")
    if request.htmx:
        trigger_client_event(response, "invitations-changed")


def _invitations_reads(request: HttpRequest, org_id: str) -> list[Callable[[], object]]:
    if request.method == "POST":
        return []  # the write comes first; reads before it would be thrown away
    return [partial(invitation_list_read, organization_id=org_id), template_roles]


@organization_view(Perm.INVITE_MEMBER, prefetch=_invitations_reads)
@require_http_methods(["GET", "HEAD", "POST"])
def invitations_page(request: OrganizationRequest, org_id: str) -> HttpResponse:
    template = "orgportal/invitations/page.html"
    if request.method != "POST":
        progress = _progress_from_query(request, org_id)
        form = _invite_form(request, progress)
        if request.htmx and request.htmx.target == "invitation-list":
            return render_page_or_partial(
                request, template, _page_context(request, org_id, form), partial="invitation-list"
            )
        return render(request, template, _page_context(request, org_id, form, progress))
    form = InviteForm(request.POST, request.FILES, roles=_role_choices(request.access))
    progress, status = None, 200
    if form.is_valid():
        try:
            batch = invitation_batch_start(
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
            invitation_batch_wait(batch.pk, WAIT_SECONDS)
            progress = invitation_batch_progress(
                actor=request.user, organization_id=org_id, batch_id=batch.pk
            )
            form = _invite_form(request, progress)
    else:
        status = 422
    response = render_page_or_partial(
        request,
        template,
        _page_context(request, org_id, form, progress),
        partial="invite-panel",
        status=status,
    )
    if progress is not None and progress.done:
        _announce(request, progress, response)
    return response


def _progress_from_query(request: OrganizationRequest, org_id: str) -> BatchProgress | None:
    """The batch named in `?batch=` (a reload while it runs, without JavaScript)."""
    batch_id = request.GET.get("batch")
    if not batch_id:
        return None
    try:
        return invitation_batch_progress(
            actor=request.user, organization_id=org_id, batch_id=batch_id
        )
    except BatchNotFound:
        return None


@organization_view(Perm.INVITE_MEMBER)
@require_safe
def invitation_batch_view(request: OrganizationRequest, org_id: str, batch_id) -> HttpResponse:
    """The batch's progress for the page's polling; the whole page for anyone else."""
    if not request.htmx:
        url = f"{reverse('orgportal:invitations', args=[org_id])}?batch={batch_id}"
        return HttpResponseRedirect(url)
    progress = invitation_batch_progress(
        actor=request.user, organization_id=org_id, batch_id=batch_id
    )
    context = {
        "access": request.access,
        **_batch_context(org_id, progress),
        # The failed addresses go back into the box only if nothing was typed there meanwhile.
        "form": _invite_form(request, progress)
        if progress.done and not request.GET.get("emails", "").strip()
        else None,
    }
    response = render(request, "orgportal/invitations/_batch.html#batch-update", context)
    if progress.done:
        _announce(request, progress, response)
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
    user = request.user
    try:
        view, _, _ = together(
            lambda: invitation_view(invitation_id=invitation_id),
            header_read(request),
            # Accepting is the likely next step: its session check then finds this reading.
            lambda: identity_standing_prefetch(user) if user.is_authenticated else None,
        )
    except InvitationNotFound:
        return render(request, "orgportal/invitations/landing.html", {"missing": True}, status=404)
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
        name = organization_names([invitation.organization_id])[invitation.organization_id]
        messages.success(request, f"Welcome to {name}!" if name else "Welcome!")
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
