"""Live Logto organizations in the admin: list, detail and staff actions through the
portal's own services (same rules and audit), with the staff member as the actor."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from orgportal.logto.errors import LogtoError
from orgportal.models import AuditEvent, User
from orgportal.services.api_keys import api_key_revoke, api_keys_of
from orgportal.services.domains import domains_awaiting_staff, staff_domain_decide
from orgportal.services.errors import ApplicationError, OrganizationNotFound, logto_failure_sentence
from orgportal.services.invitations import invitation_resend, invitation_revoke
from orgportal.services.invite_links import invite_link_revoke, invite_links_of
from orgportal.services.members import member_add_by_email, member_remove, member_roles_set
from orgportal.services.mfa import mfa_requirement_impact, mfa_status_of
from orgportal.services.organizations import organization_delete, organization_update
from orgportal.services.support import (
    staff_organization_detail,
    staff_organization_list,
    staff_user_organizations,
)
from orgportal.staff import acting_as_staff, overriding_last_admin
from orgportal.views.decorators import AuthenticatedRequest
from orgportal.views.errors import error_sentence

PAGE_SIZE = 25


def _page_number(value: str | None) -> int:
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


@require_safe
def organization_list(request: AuthenticatedRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    page_number = _page_number(request.GET.get("p"))
    context = {
        **admin.site.each_context(request),
        "title": _("Organizations (live from Logto)"),
        "q": q,
    }
    try:
        page = staff_organization_list(
            actor=request.user, q=q, page=page_number, page_size=PAGE_SIZE
        )
    except LogtoError as error:
        context["error"] = logto_failure_sentence(error)
        return render(request, "admin/orgportal/organizations.html", context, status=503)
    context.update(
        page=page,
        previous_query=urlencode({"q": q, "p": page.page - 1}),
        next_query=urlencode({"q": q, "p": page.page + 1}),
    )
    return render(request, "admin/orgportal/organizations.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def organization_detail(request: AuthenticatedRequest, org_id: str) -> HttpResponse:
    if request.method == "POST":
        return _confirm_mfa_first(request, org_id) or _run_action(request, org_id)
    return _detail_page(request, org_id)


def _detail_page(
    request: AuthenticatedRequest, org_id: str, extra: dict | None = None
) -> HttpResponse:
    list_url = reverse("admin:logto_organizations")
    try:
        detail = staff_organization_detail(
            actor=request.user,
            organization_id=org_id,
            q=request.GET.get("q", ""),
            page=_page_number(request.GET.get("p")),
            page_size=PAGE_SIZE,
        )
    except OrganizationNotFound as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(list_url)
    except LogtoError as error:
        context = {
            **admin.site.each_context(request),
            "title": _("Organization"),
            "error": logto_failure_sentence(error),
        }
        return render(request, "admin/orgportal/organization.html", context, status=503)
    organization = detail.organization
    context = {
        **admin.site.each_context(request),
        "title": organization.name,
        "organization": organization,
        "members": detail.members,
        "mfa": mfa_status_of(member.user.id for member in detail.members.items),
        "invitations": detail.pending_invitations,
        "roles": detail.roles,
        "events": AuditEvent.objects.filter(organization_id=org_id)[:50],
        "api_keys": api_keys_of(org_id),
        "invite_links": invite_links_of(org_id),
        "now": timezone.now(),
        "is_superuser": request.user.is_superuser,
        "q": request.GET.get("q", ""),
        **(extra or {}),
    }
    return render(request, "admin/orgportal/organization.html", context)


def _confirm_mfa_first(request: AuthenticatedRequest, org_id: str) -> HttpResponse | None:
    """Staff too see who loses organization tokens before MFA becomes required."""
    post = request.POST
    if post.get("action") != "rename" or not post.get("is_mfa_required"):
        return None
    if post.get("confirm_mfa"):
        return None
    try:
        with acting_as_staff(request.user):
            impact = mfa_requirement_impact(actor=request.user, organization_id=org_id)
    except (ApplicationError, LogtoError):
        return None  # the change itself will report what is wrong
    if impact is None:
        return None
    typed = {"name": post.get("name", ""), "description": post.get("description", "")}
    return _detail_page(request, org_id, {"mfa_impact": impact, "typed": typed})


def _override(request: AuthenticatedRequest, target_label: str):
    """A superuser's override of the last-admin rule: ticked *and* confirmed by typing."""
    if not request.POST.get("override_last_admin"):
        return None
    if not request.user.is_superuser:
        raise PermissionDenied(_("Only superusers may override the last-admin rule."))
    if request.POST.get("override_confirm", "").strip().lower() != target_label.strip().lower():
        raise ApplicationError(
            _("To override the last-admin rule, type %(label)s in the confirmation box.")
            % {"label": target_label}
        )
    return overriding_last_admin(request.user)


def _run_action(request: AuthenticatedRequest, org_id: str) -> HttpResponse:
    post = request.POST
    action = post.get("action", "")
    actor = request.user
    detail = reverse("admin:logto_organization", args=[org_id])
    label = post.get("target_label", "")[:200]
    actions: dict[str, tuple[Callable[[], object], str]] = {
        "rename": (
            lambda: organization_update(
                actor=actor,
                organization_id=org_id,
                name=post.get("name", ""),
                description=post.get("description", ""),
                is_mfa_required=bool(post.get("is_mfa_required")),
            ),
            _("Organization updated."),
        ),
        "add_member": (
            lambda: member_add_by_email(
                actor=actor,
                organization_id=org_id,
                email=post.get("email", ""),
                role_ids=post.getlist("roles"),
            ),
            _("Member added."),
        ),
        "set_roles": (
            lambda: member_roles_set(
                actor=actor,
                organization_id=org_id,
                user_id=post.get("user_id", ""),
                role_ids=post.getlist("roles"),
            ),
            _("Roles saved."),
        ),
        "remove_member": (
            lambda: member_remove(
                actor=actor, organization_id=org_id, user_id=post.get("user_id", "")
            ),
            _("Member removed."),
        ),
        "revoke_invitation": (
            lambda: invitation_revoke(
                actor=actor, organization_id=org_id, invitation_id=post.get("invitation_id", "")
            ),
            _("Invitation revoked."),
        ),
        "resend_invitation": (
            lambda: invitation_resend(
                actor=actor, organization_id=org_id, invitation_id=post.get("invitation_id", "")
            ),
            _("Invitation sent again."),
        ),
        "revoke_api_key": (
            lambda: api_key_revoke(
                actor=actor, organization_id=org_id, key_id=post.get("api_key_id", "")
            ),
            _("API key revoked. Its secret no longer works."),
        ),
        "revoke_invite_link": (
            lambda: invite_link_revoke(
                actor=actor, organization_id=org_id, link_id=post.get("invite_link_id", "")
            ),
            _("Invite link revoked. Nobody can join with it any more."),
        ),
        "delete": (
            lambda: organization_delete(
                actor=actor, organization_id=org_id, confirm_name=post.get("confirm_name", "")
            ),
            _("Organization deleted."),
        ),
    }
    if action not in actions:
        messages.error(request, _("Unknown action."))
        return HttpResponseRedirect(detail)
    change, done = actions[action]
    try:
        with acting_as_staff(actor):
            override = (
                _override(request, label) if action in ("set_roles", "remove_member") else None
            )
            if override is None:
                change()
            else:
                with override:
                    change()
    except OrganizationNotFound:
        messages.error(
            request, _("That organization no longer exists in Logto; nothing was changed.")
        )
        return HttpResponseRedirect(reverse("admin:logto_organizations"))
    except (ApplicationError, LogtoError) as error:
        messages.error(request, error_sentence(error)[0])
        return HttpResponseRedirect(detail)
    messages.success(request, done)
    if action == "delete":
        return HttpResponseRedirect(reverse("admin:logto_organizations"))
    return HttpResponseRedirect(detail)


@require_safe
def user_organizations(request: AuthenticatedRequest, user_pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_pk)
    context = {
        **admin.site.each_context(request),
        "title": _("Organizations of %(name)s") % {"name": user.display_name},
        "person": user,
    }
    try:
        context["memberships"] = staff_user_organizations(actor=request.user, user=user)
    except LogtoError as error:
        context["error"] = logto_failure_sentence(error)
    return render(request, "admin/orgportal/user_organizations.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def domains_waiting(request: AuthenticatedRequest) -> HttpResponse:
    """Domains a second organization proved while another one had verified them: staff let
    it use the domain too, or refuse (nobody joins through it until then)."""
    url = reverse("admin:logto_domains_waiting")
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        try:
            row = staff_domain_decide(
                actor=request.user, domain_id=request.POST.get("domain_id", ""), approve=approve
            )
        except (ApplicationError, LogtoError) as error:
            messages.error(request, error_sentence(error)[0])
        else:
            done = (
                _("%(domain)s is now verified for %(organization)s.")
                if approve
                else _("%(domain)s was refused for %(organization)s.")
            )
            messages.success(
                request, done % {"domain": row.domain, "organization": row.organization_name}
            )
        return HttpResponseRedirect(url)
    context = {
        **admin.site.each_context(request),
        "title": _("Domains waiting for staff"),
        "waiting": domains_awaiting_staff(),
    }
    return render(request, "admin/orgportal/domains_waiting.html", context)
