"""Invite links: the organization's page of links (create, revoke, see their uses, decide the
requests made through them) and `/join/<token>/`, where whoever opens one joins or asks to
(services/invite_links.py holds the rules)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from orgportal.logto.errors import LogtoError
from orgportal.services.access import Perm, grantable_role_ids
from orgportal.services.errors import ApplicationError
from orgportal.services.invite_links import (
    MAX_DOMAINS,
    MAX_EXPIRY_DAYS,
    domains_parsed,
    invite_link_create,
    invite_link_join,
    invite_link_list,
    invite_link_requests,
    invite_link_revoke,
    invite_link_view,
)
from orgportal.services.template import template_roles
from orgportal.views.decorators import HtmxRequest, OrganizationRequest, organization_view
from orgportal.views.errors import error_sentence, form_error_from, refusal_response

# The new link's URL, shown once after the redirect (only its hash is kept).
CREATED_SESSION_KEY = "orgportal_invite_link_created"
MAX_USES = 10_000
EXPIRY_RANGE = gettext_lazy("Choose between 1 and 90 days.")
USES_RANGE = gettext_lazy("Enter a number between 1 and 10,000, or leave it empty.")


class InviteLinkForm(forms.Form):
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose a role.")},
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        initial=7,
        error_messages={
            "min_value": EXPIRY_RANGE,
            "max_value": EXPIRY_RANGE,
            "invalid": EXPIRY_RANGE,
            "required": EXPIRY_RANGE,
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_EXPIRY_DAYS}),
    )
    max_uses = forms.IntegerField(
        label=gettext_lazy("Use limit"),
        required=False,
        min_value=1,
        max_value=MAX_USES,
        help_text=gettext_lazy("How many people may join with it. Empty: no limit."),
        error_messages={"min_value": USES_RANGE, "max_value": USES_RANGE, "invalid": USES_RANGE},
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_USES}),
    )
    domains = forms.CharField(
        label=gettext_lazy("Allowed email domains"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy(
            "Only people with an address at these domains may join, e.g. example.com. "
            "Empty: anyone with a verified address."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    asks_admin = forms.BooleanField(
        label=gettext_lazy("Ask an admin to approve each person"),
        required=False,
        help_text=gettext_lazy(
            "People who open the link ask to join. Someone who may invite members approves or "
            "declines, and they hear by email."
        ),
    )

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]

    def clean_domains(self) -> list[str]:
        try:
            domains = domains_parsed(self.cleaned_data.get("domains") or "")
        except ValueError as error:
            raise forms.ValidationError(
                _("%(text)s is not a domain, e.g. example.com.") % {"text": str(error)}
            ) from None
        if len(domains) > MAX_DOMAINS:
            raise forms.ValidationError(_("Name at most %(max)s domains.") % {"max": MAX_DOMAINS})
        return domains


def _role_choices(request: OrganizationRequest) -> list[tuple[str, str]]:
    grantable = grantable_role_ids(request.access)
    return [(role.id, role.name) for role in template_roles() if role.id in grantable]


def _page(
    request: OrganizationRequest, org_id: str, form: InviteLinkForm, status: int = 200
) -> HttpResponse:
    created = request.session.pop(CREATED_SESSION_KEY, None)
    links = invite_link_list(actor=request.user, organization_id=org_id)
    context = {
        "access": request.access,
        "form": form,
        "links": links,
        "asking": any(link.asks_admin for link in links),
        "join_requests": invite_link_requests(actor=request.user, organization_id=org_id),
        "created_url": created if isinstance(created, str) else "",
        "now": timezone.now(),
    }
    return render(request, "orgportal/invite_links/page.html", context, status=status)


@organization_view(Perm.INVITE_MEMBER)
@require_http_methods(["GET", "HEAD", "POST"])
def invite_links_page(request: OrganizationRequest, org_id: str) -> HttpResponse:
    choices = _role_choices(request)
    if request.method != "POST":
        member = [rid for rid, name in choices if name == settings.ORGPORTAL_MEMBER_ROLE]
        initial = {"role": (member or [rid for rid, _ in choices] or [""])[0]}
        return _page(request, org_id, InviteLinkForm(roles=choices, initial=initial))
    form = InviteLinkForm(request.POST, roles=choices)
    status = 422
    if form.is_valid():
        try:
            created = invite_link_create(
                actor=request.user,
                organization_id=org_id,
                role_ids=[form.cleaned_data["role"]],
                expires_in_days=form.cleaned_data["expires_in_days"],
                max_uses=form.cleaned_data["max_uses"],
                allowed_domains=form.cleaned_data["domains"],
                asks_admin=form.cleaned_data["asks_admin"],
            )
        except (ApplicationError, LogtoError) as error:
            status = form_error_from(form, error)
        else:
            request.session[CREATED_SESSION_KEY] = created.url
            messages.success(request, _("Invite link created. Copy it now: it is shown only once."))
            url = reverse("orgportal:invite_links", args=[org_id])
            return HttpResponseRedirect(f"{url}#created-link")
    return _page(request, org_id, form, status=status)


@organization_view(Perm.INVITE_MEMBER)
@require_POST
def invite_link_revoke_view(request: OrganizationRequest, org_id: str, link_id) -> HttpResponse:
    back = reverse("orgportal:invite_links", args=[org_id])
    try:
        invite_link_revoke(actor=request.user, organization_id=org_id, link_id=str(link_id))
    except (ApplicationError, LogtoError) as error:
        return refusal_response(request, error, back)
    messages.success(request, _("Invite link revoked. Nobody can join with it any more."))
    return HttpResponseRedirect(back)


# -- the person who opens a link -----------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
def join_page(request: HtmxRequest, token: str) -> HttpResponse:
    template = "orgportal/invite_links/join.html"
    viewer = request.user if request.user.is_authenticated else None
    try:
        view = invite_link_view(token=token, viewer=viewer)
    except (ApplicationError, LogtoError) as error:
        sentence, status = error_sentence(error)
        return render(request, template, {"refusal": sentence}, status=status)
    context = {"view": view, "link": view.link, "sign_in_next": request.path}
    if request.method != "POST":
        return render(request, template, context)
    if not request.user.is_authenticated:
        return HttpResponseRedirect(request.path)
    try:
        joined = invite_link_join(actor=request.user, token=token)
    except (ApplicationError, LogtoError) as error:
        sentence, status = error_sentence(error)
        return render(request, template, {**context, "refusal": sentence}, status=status)
    if joined.requested:
        messages.success(
            request, _("Your request was sent. An admin will decide, and you will get an email.")
        )
        return HttpResponseRedirect(reverse("orgportal:home"))
    if joined.already_member:
        messages.info(
            request, _("You are already a member of %(name)s.") % {"name": joined.organization_name}
        )
    else:
        messages.success(request, _("Welcome to %(name)s!") % {"name": joined.organization_name})
    return HttpResponseRedirect(
        reverse("orgportal:organization_home", args=[joined.organization_id])
    )
