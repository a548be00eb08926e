"""The organization's API keys page: list, create, rotate, revoke (`/orgs/<id>/api-keys/`).

A new secret is shown in the answer to the POST that made it, and never again: the portal
does not keep it (a reload shows the list without it)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from orgportal.logto.errors import LogtoError
from orgportal.services.api_keys import (
    EXPIRY_DAYS,
    GRACE_HOURS,
    NAME_MAX_LENGTH,
    ApiKeysOverview,
    NewSecret,
    api_key_create,
    api_key_revoke,
    api_key_rotate,
    api_keys_overview,
)
from orgportal.services.errors import ApplicationError
from orgportal.views.common import redirect_after_success
from orgportal.views.decorators import OrganizationRequest, organization_view
from orgportal.views.errors import error_sentence, form_error_from


def _expiry_choices() -> list[tuple[str, str]]:
    return [("", _("Never")), *((str(days), _days(days)) for days in EXPIRY_DAYS)]


def _days(days: int) -> str:
    return str(ngettext_lazy("%(count)s day", "%(count)s days", days) % {"count": days})


def _grace_choices() -> list[tuple[str, str]]:
    choices = [("0", _("Stops working now"))]
    for hours in GRACE_HOURS[1:]:
        if hours % 24:
            label = ngettext_lazy(
                "Keeps working for %(count)s hour", "Keeps working for %(count)s hours", hours
            ) % {"count": hours}
        else:
            label = ngettext_lazy(
                "Keeps working for %(count)s day", "Keeps working for %(count)s days", hours // 24
            ) % {"count": hours // 24}
        choices.append((str(hours), str(label)))
    return choices


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=gettext_lazy("The system that will use it, so that you recognise it later."),
        error_messages={
            "required": gettext_lazy("Give the API key a name."),
            "max_length": gettext_lazy("Keep the name to 64 characters or fewer."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("Choose at least one role for the API key."),
            "invalid_choice": gettext_lazy(
                "That role does not exist in this organization. Reload the page."
            ),
        },
    )
    expires_in_days = forms.ChoiceField(
        label=gettext_lazy("Expires"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the expiries offered.")},
    )

    def __init__(self, *args: object, overview: ApiKeysOverview, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        roles = [(kr.role.id, kr.role.name) for kr in overview.roles]
        self.fields["roles"].choices = roles  # type: ignore[attr-defined]
        self.fields["expires_in_days"].choices = _expiry_choices()  # type: ignore[attr-defined]
        # Roles above the creator's own permissions are shown, but cannot be picked.
        self.above = {kr.role.id for kr in overview.roles if not kr.grantable}


class RotateForm(forms.Form):
    grace_hours = forms.TypedChoiceField(
        label=gettext_lazy("The current secret"),
        coerce=int,
        initial="24",
        error_messages={
            "invalid_choice": gettext_lazy("Pick how long the old secret keeps working.")
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["grace_hours"].choices = _grace_choices()  # type: ignore[attr-defined]


def _page(
    request: OrganizationRequest,
    org_id: str,
    *,
    form: ApiKeyForm | None = None,
    new_secret: NewSecret | None = None,
    rotated: bool = False,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    overview = api_keys_overview(actor=request.user, organization_id=org_id)
    form = form or ApiKeyForm(overview=overview)
    context = {
        "access": request.access,
        "overview": overview,
        "form": form,
        "above": form.above,
        "rotate_form": RotateForm(),
        "new_secret": new_secret,
        "example": _example(new_secret, overview, org_id),
        "rotated": rotated,
        "error": error,
        "now": timezone.now(),
    }
    response = TemplateResponse(
        request, "orgportal/organizations/api_keys.html", context, status=status
    )
    if new_secret is not None:
        response["Cache-Control"] = "no-store"  # the secret stays out of every cache
    return response


# Reads `access_token` from the token endpoint's JSON answer (python3: on most machines).
READ_ACCESS_TOKEN = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"


def _example(new_secret: NewSecret | None, overview: ApiKeysOverview, org_id: str) -> str:
    """Commands that work as they are (a shell, curl): a token for every permission the
    key's roles grant, then a call to the portal's API with it. Code, not prose: never
    translated."""
    if new_secret is None:
        return ""
    held = set(new_secret.key.role_ids)
    names = {n for kr in overview.roles if kr.role.id in held for n in kr.role.scope_names or ()}
    token_url = f"{settings.LOGTO.endpoint}/oidc/token"
    api_url = f"{settings.PORTAL_BASE_URL}/api/v1/organizations/{org_id}/members"
    return (
        f"ACCESS_TOKEN=$(curl -s -u '{new_secret.key.application_id}:{new_secret.secret}' \\\n"
        "  -d grant_type=client_credentials \\\n"
        f"  -d organization_id={org_id} \\\n"
        f"  -d scope='{' '.join(sorted(names))}' \\\n"
        f"  {token_url} | {READ_ACCESS_TOKEN})\n"
        "\n"
        'curl -s -H "Authorization: Bearer $ACCESS_TOKEN" \\\n'
        f"  {api_url}"
    )


def _manager_only(request: OrganizationRequest) -> None:
    if not request.access.manages_api_keys:
        raise PermissionDenied(_("You do not have permission to do this here."))


@organization_view()
@require_http_methods(["GET", "POST"])
def api_keys_page(request: OrganizationRequest, org_id: str) -> HttpResponse:
    _manager_only(request)
    if request.method != "POST":
        return _page(request, org_id)
    overview = api_keys_overview(actor=request.user, organization_id=org_id)
    form = ApiKeyForm(request.POST, overview=overview)
    if not form.is_valid():
        return _page(request, org_id, form=form, status=422)
    days = form.cleaned_data["expires_in_days"]
    expires_at = timezone.now() + timedelta(days=int(days)) if days else None
    try:
        created = api_key_create(
            actor=request.user,
            organization_id=org_id,
            name=form.cleaned_data["name"],
            role_ids=form.cleaned_data["roles"],
            expires_at=expires_at,
        )
    except (ApplicationError, LogtoError) as error:
        status = form_error_from(form, error)
        return _page(request, org_id, form=form, status=status)
    return _page(request, org_id, new_secret=created)


@organization_view()
@require_POST
def api_key_rotate_view(request: OrganizationRequest, org_id: str, key_id: UUID) -> HttpResponse:
    _manager_only(request)
    form = RotateForm(request.POST)
    if not form.is_valid():
        return _page(
            request, org_id, error=_("Pick how long the old secret keeps working."), status=422
        )
    try:
        rotated = api_key_rotate(
            actor=request.user,
            organization_id=org_id,
            key_id=str(key_id),
            grace_hours=form.cleaned_data["grace_hours"],
        )
    except (ApplicationError, LogtoError) as error:
        sentence, status = error_sentence(error)
        return _page(request, org_id, error=sentence, status=status)
    return _page(request, org_id, new_secret=rotated, rotated=True)


@organization_view()
@require_POST
def api_key_revoke_view(request: OrganizationRequest, org_id: str, key_id: UUID) -> HttpResponse:
    _manager_only(request)
    try:
        key = api_key_revoke(actor=request.user, organization_id=org_id, key_id=str(key_id))
    except (ApplicationError, LogtoError) as error:
        sentence, status = error_sentence(error)
        return _page(request, org_id, error=sentence, status=status)
    messages.success(
        request,
        _("The API key %(name)s was revoked. Its secret no longer works.") % {"name": key.name},
    )
    return redirect_after_success(request, reverse("orgportal:api_keys", args=[org_id]))
