"""Invitations: the organization's invite page, the invitee's landing page, my invitations."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.signing import BadSignature
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from orgportal.concurrency import together
from orgportal.context_processors import header_read
from orgportal.forms import InviteForm
from orgportal.logto.errors import LogtoError
from orgportal.logto.models import InvitationStatus
from orgportal.logto.oidc import provider_logout_url
from orgportal.services.access import Perm, grantable_role_ids
from orgportal.services.address_proof import invitation_address_proven
from orgportal.services.errors import ApplicationError
from orgportal.services.invitation_batches import (
    BatchNotFound,
    BatchProgress,
    invitation_batch_progress,
    invitation_batch_start,
    invitation_batch_wait,
)
from orgportal.services.invitations import (
    INVITATION_SEARCH_MAX,
    NOT_CONFIGURED_REASON,
    NOT_CONFIGURED_SENTENCE,
    InvitationNotFound,
    invitation_list_read,
    invitation_listing,
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
from orgportal.services.languages import current_language
from orgportal.services.organization_names import organization_names
from orgportal.services.template import template_roles
from orgportal.services.users import identity_standing_prefetch
from orgportal.views.common import int_param
from orgportal.views.decorators import (
    AuthenticatedRequest,
    HtmxRequest,
    OrganizationRequest,
    organization_view,
)
from orgportal.views.errors import error_sentence, form_error_from, refusal_response

SWITCH_COOKIE = "orgportal_invitation_after_signout"

# The list's status filter: Logto's statuses, and "all". Pending first: it is the default,
# so accepted and revoked invitations do not pile up in front of the ones still open.
STATUS_FILTERS = (*(status.value for status in InvitationStatus), "all")
DEFAULT_STATUS = InvitationStatus.PENDING.value
ANY_STATUS = "all"
# Events for the page's script (app.js, "invitations page"): show the result of a batch
# (close the dialog, focus the result), or the refused form (open the dialog).
BATCH_SHOWN_EVENT = "invitation-batch-shown"
FORM_REFUSED_EVENT = "invite-form-refused"


def _role_choices(access) -> list[tuple[str, str]]:
    grantable = grantable_role_ids(access)
    return [(role.id, role.name) for role in template_roles() if role.id in grantable]


def _default_roles(choices: list[tuple[str, str]]) -> list[str]:
    member = [rid for rid, name in choices if name == settings.ORGPORTAL_MEMBER_ROLE]
    return member or [choices[0][0]] if choices else []


# Small batches usually finish while the page waits this long, and answer like before.
WAIT_SECONDS = 1.5


# -- the list: status, search, page ---------------------------------------------------------


def _list_state(request: HttpRequest) -> dict:
    """The list's filter as the query string asks (after a row action: the action's URL)."""
    params = request.GET
    status = params.get("status") or DEFAULT_STATUS
    return {
        "status": status if status in STATUS_FILTERS else DEFAULT_STATUS,
        "q": params.get("q", "").strip()[:INVITATION_SEARCH_MAX],
        "page": max(int_param(params.get("page"), 1), 1),
    }


def _query(state: dict) -> str:
    """The state as a query string, leaving out what is the default."""
    return urlencode(
        {
            key: value
            for key, value in state.items()
            if value and (key, value) not in (("status", DEFAULT_STATUS), ("page", 1))
        }
    )


def _list_context(request: OrganizationRequest, org_id: str, state: dict) -> dict:
    status = state["status"]
    listing = invitation_listing(
        actor=request.user,
        organization_id=org_id,
        status=None if status == ANY_STATUS else InvitationStatus(status),
        search=state["q"],
        page=state["page"],
    )
    page = listing.page
    state = {**state, "page": page.page}
    return {
        "listing": listing,
        "page": page,
        "state": state,
        "status_label": "" if status == ANY_STATUS else status.lower(),
        "statuses": STATUS_FILTERS,
        "query": _query(state),
        "previous_query": _query({**state, "page": page.page - 1}),
        "next_query": _query({**state, "page": page.page + 1}),
        "any_status_query": _query({**state, "status": ANY_STATUS, "page": 1}),
    }


def _page_context(
    request: OrganizationRequest, org_id: str, form: InviteForm, progress=None
) -> dict:
    return {
        "access": request.access,
        "form": form,
        **_batch_context(org_id, progress),
        **_list_context(request, org_id, _list_state(request)),
    }


# -- a batch's result -----------------------------------------------------------------------
def outcome_summary(progress: BatchProgress) -> str:
    """Every outcome in one line, e.g. "1 sent · 1 skipped · 1 failed" (no zero counts)."""
    parts = []
    if progress.sent:
        parts.append(
            ngettext("%(count)s sent", "%(count)s sent", progress.sent) % {"count": progress.sent}
        )
    if progress.skipped:
        parts.append(
            ngettext("%(count)s skipped", "%(count)s skipped", progress.skipped)
            % {"count": progress.skipped}
        )
    if progress.failed:
        parts.append(
            ngettext("%(count)s failed", "%(count)s failed", progress.failed)
            % {"count": progress.failed}
        )
    return " · ".join(parts)


def _batch_context(org_id: str, progress: BatchProgress | None) -> dict:
    if progress is None:
        return {"progress": None}
    not_configured = progress.done and any(
        item.reason == NOT_CONFIGURED_REASON for item in progress.items
    )
    batch_id = progress.batch.pk
    return {
        "progress": progress,
        "summary": outcome_summary(progress),
        "retry": _retry(progress),
        "outcomes_sentence": NOT_CONFIGURED_SENTENCE if not_configured else "",
        "status_url": reverse("orgportal:invitation_batch", args=[org_id, batch_id]),
        "reload_url": f"{reverse('orgportal:invitations', args=[org_id])}?batch={batch_id}",
    }


def _expiry_days(progress: BatchProgress) -> int:
    batch = progress.batch
    return max(1, round((batch.expires_at - batch.created_at).total_seconds() / 86400))


def _retry(progress: BatchProgress) -> dict | None:
    """What "Retry failed" sends again: the failed addresses, with the batch's roles, expiry
    and message. None while the batch runs, or when nothing failed."""
    failed = [item.email for item in progress.items if item.status == "failed"]
    if not progress.done or not failed:
        return None
    batch = progress.batch
    return {
        "emails": "\n".join(failed),
        "count": len(failed),
        "role_ids": list(batch.role_ids),
        "expires_in_days": _expiry_days(progress),
        "message": batch.message,
    }


def _invite_form(request: OrganizationRequest, progress: BatchProgress | None) -> InviteForm:
    """A fresh form; after a batch it keeps the batch's roles, expiry and message for the
    next people (the failed addresses have their own "Retry failed" in the result)."""
    choices = _role_choices(request.access)
    initial = {
        "roles": _default_roles(choices),
        "expires_in_days": settings.ORGPORTAL_INVITATION_EXPIRY_DAYS,
        "language": current_language(),
    }
    if progress is not None:
        initial.update(
            roles=list(progress.batch.role_ids),
            expires_in_days=_expiry_days(progress),
            message=progress.batch.message,
            language=progress.batch.language or current_language(),
        )
    return InviteForm(roles=choices, initial=initial)


def _announce(request: OrganizationRequest, progress: BatchProgress, response: HttpResponse):
    """The toast of a finished batch names every outcome, not only what was sent."""
    sentence = _("Invitations: %(summary)s.") % {"summary": outcome_summary(progress)}
    if progress.failed:
        messages.error(request, sentence)
    else:
        messages.success(request, sentence)
    if request.htmx:
        trigger_client_event(response, "invitations-changed")


# -- the organization's invitations page ----------------------------------------------------
def _invitations_reads(request: HttpRequest, org_id: str) -> list[Callable[[], object]]:
    if request.method == "POST":
        return []  # the write comes first; reads before it would be thrown away
    return [partial(invitation_list_read, organization_id=org_id), template_roles]


@organization_view(Perm.INVITE_MEMBER, prefetch=_invitations_reads)
@require_http_methods(["GET", "HEAD", "POST"])
def invitations_page(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The list first (pending, searchable, paged); "Invite people" opens the form in a
    dialog. The form posts here; without JavaScript it lives on its own page."""
    template = "orgportal/invitations/page.html"
    if request.method == "POST":
        return _invite(request, org_id)
    if request.htmx and request.htmx.target == "invitation-list":
        return render(
            request,
            f"{template}#invitation-list",
            {"access": request.access, **_list_context(request, org_id, _list_state(request))},
        )
    progress = _progress_from_query(request, org_id)
    return render(
        request, template, _page_context(request, org_id, _invite_form(request, progress), progress)
    )


def _invite(request: OrganizationRequest, org_id: str) -> HttpResponse:
    form = InviteForm(request.POST, request.FILES, roles=_role_choices(request.access))
    status = 422
    if form.is_valid():
        try:
            batch = invitation_batch_start(
                actor=request.user,
                organization_id=org_id,
                emails=form.cleaned_data["addresses"],
                role_ids=form.cleaned_data["roles"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                personal_message=form.cleaned_data["message"],
                language=form.cleaned_data["language"] or current_language(),
            )
        except (ApplicationError, LogtoError) as error:
            status = form_error_from(form, error)
        else:
            invitation_batch_wait(batch.pk, WAIT_SECONDS)
            progress = invitation_batch_progress(
                actor=request.user, organization_id=org_id, batch_id=batch.pk
            )
            return _batch_started(request, org_id, progress)
    if not request.htmx:
        return render(
            request,
            "orgportal/invitations/new.html",
            {"access": request.access, "form": form},
            status=status,
        )
    # The form swaps in place whatever refused it (HTMX swaps no 5xx), with its sentence.
    response = render(
        request,
        "orgportal/invitations/_invite_form.html",
        {"access": request.access, "form": form, "in_dialog": True},
        status=422,
    )
    return trigger_client_event(response, FORM_REFUSED_EVENT, after="settle")


def _batch_started(
    request: OrganizationRequest, org_id: str, progress: BatchProgress
) -> HttpResponse:
    """HTMX: a fresh form in the dialog and the result on the page, focused. Plain forms:
    to the page showing the result (reloading it sends nothing twice)."""
    if not request.htmx:
        if progress.done:
            _announce(request, progress, HttpResponse())
        url = reverse("orgportal:invitations", args=[org_id])
        return HttpResponseRedirect(f"{url}?batch={progress.batch.pk}#batch-card")
    context = {
        "access": request.access,
        "form": _invite_form(request, progress),
        "in_dialog": True,
        **_batch_context(org_id, progress),
    }
    response = render(request, "orgportal/invitations/page.html#invite-sent", context)
    trigger_client_event(response, BATCH_SHOWN_EVENT, after="settle")
    if progress.done:
        _announce(request, progress, response)
    return response


@organization_view(Perm.INVITE_MEMBER, prefetch=lambda request, org_id: [template_roles])
@require_safe
def invitation_new(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The invite form on a page of its own: where "Invite people" leads without JavaScript."""
    context = {"access": request.access, "form": _invite_form(request, None)}
    return render(request, "orgportal/invitations/new.html", context)


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
    context = {"access": request.access, **_batch_context(org_id, progress)}
    response = render(request, "orgportal/invitations/_batch.html#batch-update", context)
    if progress.done:
        _announce(request, progress, response)
    return response


def _manage_action(request: OrganizationRequest, org_id: str, change, done: str) -> HttpResponse:
    """A row action; the list comes back as it was (its filter is in the action's URL)."""
    state = _list_state(request)
    url = reverse("orgportal:invitations", args=[org_id])
    back = f"{url}?{_query(state)}" if _query(state) else url
    try:
        change()
    except InvitationNotFound as error:
        if not request.htmx:
            raise Http404(error.message) from error
        return refusal_response(request, error, back)
    except (ApplicationError, LogtoError) as error:
        return refusal_response(request, error, back)
    else:
        messages.success(request, done)
    if not request.htmx:
        return HttpResponseRedirect(back)
    return render(
        request,
        "orgportal/invitations/page.html#invitation-list",
        {"access": request.access, **_list_context(request, org_id, state)},
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
        _("Invitation revoked."),
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
        _("Invitation sent again."),
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
    invitation = view.invitation
    # The key of the emailed link: it may have an account made for the invited address.
    key = request.GET.get("key", "")[:64]
    context = {
        "view": view,
        "invitation": invitation,
        "for_me": user.is_authenticated and invitation_is_for(invitation, user),
        "sign_in_next": request.path,
        "address_key": key
        if invitation_address_proven(invitation.id, invitation.invitee, key)
        else "",
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
        messages.success(
            request, _("Welcome to %(name)s!") % {"name": name} if name else _("Welcome!")
        )
        url = reverse("orgportal:organization_home", args=[invitation.organization_id])
        return HttpResponseRedirect(url)

    return _invitee_action(request, invitation_id, accept)


@login_required
@require_POST
def invitation_decline_view(request: AuthenticatedRequest, invitation_id: str) -> HttpResponse:
    def decline(**kwargs):
        invitation_decline(**kwargs)
        messages.success(request, _("Invitation declined."))
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
    views, _ = together(lambda: my_invitations(actor=request.user), header_read(request))
    return render(request, "orgportal/invitations/mine.html", {"views": views})
