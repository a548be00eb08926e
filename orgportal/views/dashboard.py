from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from orgportal.concurrency import together
from orgportal.services.domains import join_suggestions
from orgportal.services.invitee import my_invitations
from orgportal.services.memberships import organization_list_for_user
from orgportal.views.decorators import HtmxRequest
from orgportal.views.invitations import resume_after_switch


@require_safe
def home(request: HtmxRequest) -> HttpResponse:
    """Anonymous: the landing page. Signed in: my organizations with my roles."""
    if not request.user.is_authenticated:
        return resume_after_switch(request) or render(request, "orgportal/landing.html")
    user = request.user
    organizations, invitations = together(
        lambda: organization_list_for_user(user_id=user.logto_id) if user.logto_id else [],
        lambda: my_invitations(actor=user),
    )
    last_used = request.user.last_organization_id
    organizations = sorted(organizations, key=lambda item: item.organization.id != last_used)
    # Organizations their verified address lets them join (issue 20), other than their own.
    suggestions = join_suggestions(
        user=user, member_of={item.organization.id for item in organizations}
    )
    return render(
        request,
        "orgportal/dashboard.html",
        {
            "organizations": organizations,
            "last_used_id": last_used,
            "invitations": invitations,
            "suggestions": suggestions,
        },
    )
