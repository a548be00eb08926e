"""The activity page (an organization's audit trail as sentences) and its CSV export."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_safe

from orgportal.services.access import Perm
from orgportal.services.activity import (
    ActivityFilter,
    activity_csv_lines,
    activity_entries,
    activity_events,
    activity_kinds,
    activity_people,
)
from orgportal.views.common import render_page_or_partial
from orgportal.views.decorators import OrganizationRequest, organization_view

PAGE_SIZE = 25
DATE_ERROR = gettext_lazy("Enter the date as YYYY-MM-DD, e.g. 2025-03-31.")


class ActivityFilterForm(forms.Form):
    """The page's GET parameters; a field that does not validate narrows nothing and says
    why, the others still apply."""

    person = forms.TypedChoiceField(
        label=gettext_lazy("Person"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={
            "invalid_choice": gettext_lazy("That person has no activity here. Choose another.")
        },
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose a kind of action from the list.")},
    )

    def __init__(self, data: QueryDict, *, organization_id: str) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["person"]).choices = [
            ("", _("Everyone")),
            *activity_people(organization_id=organization_id),
        ]
        cast(forms.ChoiceField, self.fields["action"]).choices = [
            ("", _("All actions")),
            *activity_kinds(organization_id=organization_id),
        ]
        # `from` and `to` read well in a shared URL, but `from` cannot be a class attribute.
        for name, label in (
            ("from", pgettext("date range", "From")),
            ("to", pgettext("date range", "To")),
        ):
            self.fields[name] = forms.DateField(
                required=False,
                label=label,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": DATE_ERROR},
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("from"), cleaned.get("to")
        if since and until and since > until:
            self.add_error("to", _("The end date is before the start date."))
        return cleaned

    def narrowed_to(self) -> ActivityFilter:
        """The filter from the fields that validated."""
        self.is_valid()
        valid = self.cleaned_data
        return ActivityFilter(
            person=valid.get("person"),
            action=valid.get("action") or "",
            since=valid.get("from"),
            until=valid.get("to"),
        )

    @property
    def narrows(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


def _filter_query(request: OrganizationRequest) -> str:
    """The filter's parameters, for links that keep it (pages, export)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@organization_view(Perm.MANAGE_ORGANIZATION)
@require_safe
def organization_activity(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The organization's audit trail, newest first, filtered and paginated, for its admins."""
    form = ActivityFilterForm(request.GET, organization_id=org_id)
    events = activity_events(organization_id=org_id, narrowed_to=form.narrowed_to())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page_or_partial(
        request,
        "orgportal/organizations/activity.html",
        {
            "access": request.access,
            "form": form,
            "page": page,
            "entries": activity_entries(page.object_list),
            "filter_query": _filter_query(request),
        },
        partial="activity-list",
    )


@organization_view(Perm.MANAGE_ORGANIZATION)
@require_safe
def organization_activity_csv(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The filtered events as a CSV file, streamed: a long trail never sits in memory."""
    form = ActivityFilterForm(request.GET, organization_id=org_id)
    events = activity_events(organization_id=org_id, narrowed_to=form.narrowed_to())
    name = slugify(request.access.organization.name)[:40] or "organization"
    day = timezone.localdate().isoformat()
    response = StreamingHttpResponse(activity_csv_lines(events), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="activity-{name}-{day}.csv"'
    # Streamed like any response; `organization_view` is typed for the common case.
    return cast(HttpResponse, response)
