from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orgportal.services.organizations import organization_get_for_user


@login_required
def organization_home(request: HttpRequest, org_id: str) -> HttpResponse:
    """An organization's overview. Non-members get 404, so existence does not leak."""
    membership = None
    if request.user.logto_id:
        membership = organization_get_for_user(
            user_id=request.user.logto_id, organization_id=org_id
        )
    if membership is None:
        raise Http404("No such organization.")
    request.session["current_organization_id"] = org_id
    return render(request, "orgportal/organization_home.html", {"membership": membership})
