"""Verified domains (the organization's page) and joining by domain (from the dashboard)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from orgportal.logto.errors import LogtoError
from orgportal.models import OrganizationDomain, OrganizationJoinSettings
from orgportal.services.access import Perm, grantable_role_ids
from orgportal.services.domain_names import email_domain, record_name, record_value
from orgportal.services.domains import (
    domain_add,
    domain_check_dns,
    domain_join,
    domain_join_settings_set,
    domain_remove,
    domain_verify_by_email,
    domains_overview,
    join_request_decide,
)
from orgportal.services.errors import ApplicationError
from orgportal.services.template import template_roles
from orgportal.views.common import redirect_after_success, render_page_or_partial
from orgportal.views.decorators import AuthenticatedRequest, OrganizationRequest, organization_view
from orgportal.views.errors import error_sentence, form_error_from, refusal_response


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=gettext_lazy("Domain"),
        max_length=253,
        help_text=gettext_lazy("The part after @ in your colleagues' email addresses."),
        error_messages={"required": gettext_lazy("Enter a domain such as example.com.")},
        widget=forms.TextInput(
            attrs={"placeholder": "example.com", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


def _url(org_id: str) -> str:
    return reverse("orgportal:domains", args=[org_id])


@organization_view(Perm.MANAGE_ORGANIZATION)
@require_http_methods(["GET", "POST"])
def domains_page(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The list with each domain's state and proof, the add form, how people join, and the
    requests waiting for an admin."""
    form = DomainForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                row = domain_add(
                    actor=request.user, organization_id=org_id, domain=form.cleaned_data["domain"]
                )
            except (ApplicationError, LogtoError) as error:
                status = form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("%(domain)s was added. Now prove that it is yours.")
                    % {"domain": row.display_domain},
                )
                return redirect_after_success(request, _url(org_id))
        else:
            status = 422
    overview = domains_overview(actor=request.user, organization_id=org_id)
    default_ids = {role.id for role in overview.default_roles}
    grantable = grantable_role_ids(request.access)
    rows = [
        {
            "row": row,
            "record_name": record_name(row.domain),
            "record_value": record_value(row.verification_token),
            "own_address": row.domain == email_domain(request.user.email)
            and request.user.email_verified,
        }
        for row in overview.domains
    ]
    return render_page_or_partial(
        request,
        "orgportal/organizations/domains.html",
        {
            "access": request.access,
            "form": form,
            "rows": rows,
            "overview": overview,
            "states": OrganizationDomain.State,
            "record_type": "TXT",
            "policies": OrganizationJoinSettings.Policy.choices,
            "role_choices": [
                (role, role.id in default_ids, role.id in grantable) for role in template_roles()
            ],
        },
        partial="add-form",
        status=status,
    )


@organization_view(Perm.MANAGE_ORGANIZATION)
@require_POST
def domain_action(request: OrganizationRequest, org_id: str, domain_id: int) -> HttpResponse:
    """Check now (DNS), prove by own address, or remove."""
    action = request.POST.get("action", "")
    try:
        if action == "check":
            state = domain_check_dns(
                actor=request.user, organization_id=org_id, domain_id=domain_id
            )
        elif action == "email":
            state = domain_verify_by_email(
                actor=request.user, organization_id=org_id, domain_id=domain_id
            )
        elif action == "remove":
            name = domain_remove(actor=request.user, organization_id=org_id, domain_id=domain_id)
            messages.success(request, _("%(domain)s was removed.") % {"domain": name})
            return redirect_after_success(request, _url(org_id))
        else:
            messages.error(request, _("Nothing was changed."))
            return redirect_after_success(request, _url(org_id))
    except (ApplicationError, LogtoError) as error:
        return refusal_response(request, error, _url(org_id))
    if state == OrganizationDomain.State.VERIFIED:
        messages.success(
            request, _("The domain is verified. People with an address there can now join.")
        )
    elif state == OrganizationDomain.State.AWAITING_STAFF:
        messages.warning(
            request,
            _(
                "Another organization already verified this domain, so our staff will decide. "
                "Until then nobody joins through it."
            ),
        )
    return redirect_after_success(request, _url(org_id))


@organization_view(Perm.MANAGE_ORGANIZATION)
@require_POST
def domain_join_settings(request: OrganizationRequest, org_id: str) -> HttpResponse:
    try:
        domain_join_settings_set(
            actor=request.user,
            organization_id=org_id,
            policy=request.POST.get("policy", ""),
            role_ids=request.POST.getlist("roles"),
        )
    except (ApplicationError, LogtoError) as error:
        return refusal_response(request, error, _url(org_id))
    messages.success(request, _("Saved how people join."))
    return redirect_after_success(request, _url(org_id))


@organization_view()
@require_POST
def join_request_decide_view(
    request: OrganizationRequest, org_id: str, request_id: int
) -> HttpResponse:
    # Requests through invite links are decided on the links page, the others on this one.
    back = (
        reverse("orgportal:invite_links", args=[org_id])
        if request.POST.get("from") == "invite_links"
        else _url(org_id)
    )
    decision = request.POST.getlist("decision")
    if decision not in (["approve"], ["decline"]):  # a decline cannot be taken back: no guessing
        messages.error(request, _("Nothing was changed."))
        return redirect_after_success(request, back)
    approve = decision == ["approve"]
    try:
        decided = join_request_decide(
            actor=request.user, organization_id=org_id, request_id=request_id, approve=approve
        )
    except (ApplicationError, LogtoError) as error:
        return refusal_response(request, error, back)
    if approve:
        messages.success(request, _("%(email)s joined.") % {"email": decided.email})
    else:
        messages.success(
            request, _("The request of %(email)s was declined.") % {"email": decided.email}
        )
    return redirect_after_success(request, back)


@login_required
@require_POST
def join_by_domain(request: AuthenticatedRequest, org_id: str) -> HttpResponse:
    """One click from the dashboard: join, or ask the organization's admins."""
    try:
        outcome = domain_join(actor=request.user, organization_id=org_id)
    except (ApplicationError, LogtoError) as error:
        messages.error(request, error_sentence(error)[0])
        return redirect_after_success(request, reverse("orgportal:home"))
    if outcome == "joined":
        messages.success(request, _("Welcome! You joined the organization."))
        return redirect_after_success(
            request, reverse("orgportal:organization_home", args=[org_id])
        )
    messages.success(
        request, _("Your request was sent. An admin will decide, and you will get an email.")
    )
    return redirect_after_success(request, reverse("orgportal:home"))
