"""Validation only: forms never call Logto or change anything."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orgportal.services.errors import ApplicationError
from orgportal.services.organizations import (
    DESCRIPTION_MAX,
    DESCRIPTION_TOO_LONG,
    NAME_MAX,
    NAME_REQUIRED,
    NAME_TOO_LONG,
    organization_description_clean,
    organization_name_clean,
)


class OrganizationForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=NAME_MAX,
        strip=True,
        error_messages={"required": NAME_REQUIRED, "max_length": NAME_TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        strip=True,
        error_messages={"max_length": DESCRIPTION_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # The service's rules, so the page says at once what the service would refuse.
    def clean_name(self) -> str:
        return _service_rule(organization_name_clean, self.cleaned_data["name"])

    def clean_description(self) -> str:
        return _service_rule(organization_description_clean, self.cleaned_data["description"])


def _service_rule(rule: Callable[[str], str], value: str) -> str:
    try:
        return rule(value)
    except ApplicationError as error:
        raise forms.ValidationError(error.message) from None


class OrganizationSettingsForm(OrganizationForm):
    is_mfa_required = forms.BooleanField(
        required=False,
        label=gettext_lazy("Require two-step verification"),
        help_text=gettext_lazy(
            "Members without it can still sign in, but their apps and scripts lose "
            "access to this organization's API until they set it up."
        ),
    )


class ConfirmNameForm(forms.Form):
    confirm_name = forms.CharField(
        label=gettext_lazy("Type the organization's name to confirm"),
        strip=True,
        error_messages={"required": gettext_lazy("Type the organization's name to confirm.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


DAYS_RANGE = gettext_lazy("Choose between 1 and 30 days.")
DAYS_NUMBER = gettext_lazy("Enter a number of days between 1 and 30.")


class InviteForm(forms.Form):
    """Emails typed (commas, spaces or new lines) and/or a CSV file, with roles and expiry."""

    emails = forms.CharField(
        required=False,
        label=gettext_lazy("Email addresses"),
        help_text=gettext_lazy("Separate addresses with commas, spaces or new lines (up to 100)."),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
    )
    csv_file = forms.FileField(
        required=False,
        label=gettext_lazy("Or upload a CSV file"),
        help_text=gettext_lazy("Any column holding email addresses; UTF-8, up to 1 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Role"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one role.")},
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        min_value=1,
        max_value=30,
        error_messages={
            "min_value": DAYS_RANGE,
            "max_value": DAYS_RANGE,
            "invalid": DAYS_NUMBER,
            "required": DAYS_NUMBER,
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": 30}),
    )
    message = forms.CharField(
        required=False,
        max_length=500,
        label=gettext_lazy("Personal message"),
        error_messages={"max_length": gettext_lazy("Keep the message to 500 characters or fewer.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    # Each language in its own name ("Deutsch"); the default is the inviter's language.
    language = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Language of the email"),
        choices=settings.LANGUAGES,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the languages offered.")},
    )

    CSV_MAX_BYTES = 1024 * 1024

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = roles  # type: ignore[attr-defined]

    def clean_csv_file(self) -> list[str]:
        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return []
        if upload.size > self.CSV_MAX_BYTES:
            raise forms.ValidationError(_("That file is larger than 1 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
        except (UnicodeDecodeError, csv.Error):
            raise forms.ValidationError(
                _("That file could not be read as CSV (comma-separated UTF-8 text).")
            ) from None
        addresses = [cell.strip() for row in rows for cell in row if "@" in cell]
        if not addresses:
            raise forms.ValidationError(_("No email addresses were found in that file."))
        return addresses

    def clean(self) -> dict:
        from orgportal.services.invitations import BATCH_MAX, parse_email_list

        cleaned = super().clean() or {}
        addresses = parse_email_list(cleaned.get("emails", "")) + (cleaned.get("csv_file") or [])
        if not addresses and not self.errors.get("csv_file"):
            self.add_error("emails", _("Enter at least one email address."))
        elif len(addresses) > BATCH_MAX:
            self.add_error(
                "emails",
                ngettext(
                    "That is %(count)s address; invite at most %(max)s at once.",
                    "That is %(count)s addresses; invite at most %(max)s at once.",
                    len(addresses),
                )
                % {"count": len(addresses), "max": BATCH_MAX},
            )
        cleaned["addresses"] = addresses
        return cleaned
