"""Validation only: forms never call Logto or change anything."""

from __future__ import annotations

from django import forms

from orgportal.services.organizations import DESCRIPTION_MAX, NAME_MAX


class OrganizationForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        strip=True,
        error_messages={
            "required": "Give the organization a name.",
            "max_length": f"Keep the name to {NAME_MAX} characters or fewer.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        strip=True,
        error_messages={
            "max_length": f"Keep the description to {DESCRIPTION_MAX} characters or fewer."
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OrganizationSettingsForm(OrganizationForm):
    is_mfa_required = forms.BooleanField(
        required=False,
        label="Require two-step verification",
        help_text="Members must set up two-step verification in Logto before they can "
        "use this organization.",
    )


class ConfirmNameForm(forms.Form):
    confirm_name = forms.CharField(
        label="Type the organization's name to confirm",
        strip=True,
        error_messages={"required": "Type the organization's name to confirm."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
