"""Organization pages: create, overview, settings, delete, leave."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from orgportal.forms import ConfirmNameForm, OrganizationForm, OrganizationSettingsForm
from orgportal.logto.errors import LogtoError
from orgportal.services.access import Perm
from orgportal.services.errors import ApplicationError
from orgportal.services.members import SEARCH_MAX
from orgportal.services.mfa import mfa_requirement_impact, organization_security
from orgportal.services.mfa_reminders import (
    REMIND_EVERY,
    mfa_reminded_recently,
    mfa_reminders_send,
)
from orgportal.services.organizations import (
    organization_can_create,
    organization_create,
    organization_delete,
    organization_hand_over_and_leave,
    organization_leave,
    organization_leave_situation,
    organization_overview,
    organization_update,
)
from orgportal.services.template import template_roles
from orgportal.views.common import redirect_after_success, render_page_or_partial
from orgportal.views.decorators import (
    AuthenticatedRequest,
    OrganizationRequest,
    organization_view,
)
from orgportal.views.errors import error_sentence, form_error_from
from orgportal.views.invitations import _invite_form


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request: AuthenticatedRequest) -> HttpResponse:
    allowed = organization_can_create(actor=request.user)
    form = OrganizationForm(request.POST or None)
    url = reverse("orgportal:organization_new")
    # Inline validation: leaving the name field asks the server about it alone.
    form.fields["name"].widget.attrs.update(
        {
            "hx-post": url,
            "hx-trigger": "blur changed",
            "hx-vals": '{"_validate": "1"}',
            "hx-target": "#id_name-field",
            "hx-select": "#id_name-field",
            "hx-swap": "outerHTML",
        }
    )
    status = 200
    if request.method == "POST":
        if request.POST.get("_validate"):
            # Inline validation while typing: only the field comes back.
            form.is_valid()
            return render(request, "orgportal/organizations/new.html#name-field", {"form": form})
        if form.is_valid():
            try:
                organization = organization_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except (ApplicationError, LogtoError) as error:
                status = form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s is ready. You are its admin.") % {"name": organization.name},
                )
                step = reverse("orgportal:organization_invite_team", args=[organization.id])
                return redirect_after_success(request, step)
        else:
            status = 422
    return render_page_or_partial(
        request,
        "orgportal/organizations/new.html",
        {"form": form, "allowed": allowed},
        partial="create-form",
        status=status if allowed else 403,
    )


@organization_view()
@require_safe
def organization_home(request: OrganizationRequest, org_id: str) -> HttpResponse:
    overview = organization_overview(actor=request.user, organization_id=org_id)
    context = {"access": request.access, "overview": overview, "leave": overview.leave}
    return render(request, "orgportal/organizations/home.html", context)


def _invite_team_reads(request: HttpRequest, org_id: str) -> list[Callable[[], object]]:
    return [template_roles]  # the invite form's role choices


@organization_view(prefetch=_invite_team_reads)
@require_safe
def organization_invite_team(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The step after creating an organization: invite people, or skip to the overview."""
    if not request.access.can(Perm.INVITE_MEMBER):
        return HttpResponseRedirect(reverse("orgportal:organization_home", args=[org_id]))
    context = {"access": request.access, "form": _invite_form(request, None), "progress": None}
    return render(request, "orgportal/organizations/invite_team.html", context)


@organization_view(Perm.MANAGE_ORGANIZATION)
@require_http_methods(["GET", "POST"])
def organization_settings(request: OrganizationRequest, org_id: str) -> HttpResponse:
    organization = request.access.organization
    initial = {
        "name": organization.name,
        "description": organization.description or "",
        "is_mfa_required": organization.is_mfa_required,
    }
    form = OrganizationSettingsForm(request.POST or None, initial=initial)
    status = 200
    mfa_impact = None
    if request.method == "POST" and not form.is_valid():
        status = 422
    elif request.method == "POST":
        if _asks_to_require_mfa(form, request.POST):
            # Show what it does to members before Logto starts refusing their tokens
            # (None: it is already required, so there is nothing to warn about).
            try:
                mfa_impact = mfa_requirement_impact(actor=request.user, organization_id=org_id)
            except (ApplicationError, LogtoError) as error:
                status = form_error_from(form, error)
        if mfa_impact is None and status == 200:
            try:
                organization_update(
                    actor=request.user,
                    organization_id=org_id,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    is_mfa_required=form.cleaned_data["is_mfa_required"],
                )
            except (ApplicationError, LogtoError) as error:
                status = form_error_from(form, error)
            else:
                messages.success(request, _("Settings saved."))
                url = reverse("orgportal:organization_settings", args=[org_id])
                return redirect_after_success(request, url)
    return render_page_or_partial(
        request,
        "orgportal/organizations/settings.html",
        {
            "access": request.access,
            "form": form,
            "delete_form": ConfirmNameForm(),
            "mfa_impact": mfa_impact,
        },
        partial="settings-form",
        status=status,
    )


def _asks_to_require_mfa(form: OrganizationSettingsForm, post: QueryDict) -> bool:
    """Requiring MFA takes a second, informed click (`confirm_mfa`)."""
    return bool(form.cleaned_data["is_mfa_required"] and not post.get("confirm_mfa"))


@organization_view(Perm.MANAGE_ORGANIZATION)
@require_http_methods(["GET", "POST"])
def organization_security_view(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The security panel: whether two-step verification is required and what that means on
    this tenant, who has not set it up, requiring it (the consequence named before, in the
    confirmation), and reminding members by email."""
    url = reverse("orgportal:organization_security", args=[org_id])
    if request.method == "POST":
        try:
            sentence = _security_action(request, org_id)
        except (ApplicationError, LogtoError) as error:
            messages.error(request, error_sentence(error)[0])
        else:
            if sentence:
                messages.success(request, sentence)
        return redirect_after_success(request, url)
    overview = organization_security(actor=request.user, organization_id=org_id)
    reminded = mfa_reminded_recently(org_id, (m.user.id for m in overview.without_factor))
    names = [m.user.name or m.user.display_name for m in overview.without_factor]
    return render(
        request,
        "orgportal/organizations/security.html",
        {
            "access": request.access,
            "security": overview,
            "remind_rows": [(m, reminded.get(m.user.id)) for m in overview.without_factor],
            "to_remind": [m for m in overview.without_factor if m.user.id not in reminded],
            "lockout_names": ", ".join(names[:10]),
            "lockout_more": max(len(names) - 10, 0),
            "remind_hours": int(REMIND_EVERY.total_seconds() // 3600),
        },
    )


def _security_action(request: OrganizationRequest, org_id: str) -> str:
    action = request.POST.get("action", "")
    organization = request.access.organization
    if action in ("require", "relax"):
        organization_update(
            actor=request.user,
            organization_id=org_id,
            name=organization.name,
            description=organization.description or "",
            is_mfa_required=action == "require",
        )
        if action == "require":
            return _("Two-step verification is now required in %(name)s.") % {
                "name": organization.name
            }
        return _("Two-step verification is now optional in %(name)s.") % {"name": organization.name}
    if action == "remind":
        chosen = request.POST.getlist("members") if request.POST.get("chosen") else None
        sent = mfa_reminders_send(actor=request.user, organization_id=org_id, user_ids=chosen)
        sentence = ngettext(
            "A reminder is on its way to %(count)s member.",
            "A reminder is on its way to %(count)s members.",
            len(sent.reminded),
        ) % {"count": len(sent.reminded)}
        if sent.skipped:
            sentence += " " + ngettext(
                "%(count)s was left out: reminded in the last 24 hours, or set up meanwhile.",
                "%(count)s were left out: reminded in the last 24 hours, or set up meanwhile.",
                sent.skipped,
            ) % {"count": sent.skipped}
        return sentence
    return ""


@organization_view(Perm.DELETE_ORGANIZATION)
@require_http_methods(["GET", "POST"])
def organization_delete_view(request: OrganizationRequest, org_id: str) -> HttpResponse:
    form = ConfirmNameForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                organization_delete(
                    actor=request.user,
                    organization_id=org_id,
                    confirm_name=form.cleaned_data["confirm_name"],
                )
            except (ApplicationError, LogtoError) as error:
                status = form_error_from(form, error)
            else:
                name = request.access.organization.name
                messages.success(request, _("%(name)s was deleted.") % {"name": name})
                return redirect_after_success(request, reverse("orgportal:home"))
        else:
            status = 422
    return render_page_or_partial(
        request,
        "orgportal/organizations/delete.html",
        {"access": request.access, "delete_form": form},
        partial="delete-form",
        status=status,
    )


@organization_view()
@require_http_methods(["GET", "POST"])
def organization_leave_view(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """Leave; the last person who manages members hands that over to someone first, in the
    same confirmed action (`hand_over` with the chosen `successor`)."""
    name = request.access.organization.name
    error_message = None
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("hand_over"):
                successor = organization_hand_over_and_leave(
                    actor=request.user,
                    organization_id=org_id,
                    successor_id=request.POST.get("successor", ""),
                )
                done = _("%(successor)s now manages the members of %(name)s, and you left it.") % {
                    "successor": successor,
                    "name": name,
                }
            else:
                organization_leave(actor=request.user, organization_id=org_id)
                done = _("You left %(name)s.") % {"name": name}
        except (ApplicationError, LogtoError) as error:
            error_message, status = error_sentence(error)
            if request.htmx:
                status = 422  # swapped into the form, whatever went wrong
        else:
            messages.success(request, done)
            return redirect_after_success(request, reverse("orgportal:home"))
    q = request.GET.get("q", "")[:SEARCH_MAX]
    situation = organization_leave_situation(actor=request.user, organization_id=org_id, q=q)
    return render_page_or_partial(
        request,
        "orgportal/organizations/leave.html",
        {"access": request.access, "leave": situation, "error_message": error_message, "q": q},
        partial="leave-panel",
        status=status,
    )
