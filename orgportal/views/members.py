"""The members page: list and search, change roles, remove, bulk actions."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from orgportal.logto.errors import LogtoError
from orgportal.logto.models import Member, Page
from orgportal.services.access import (
    Perm,
    can_remove_members,
    grantable_role_ids,
    template_scope_names,
)
from orgportal.services.errors import ApplicationError
from orgportal.services.members import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    SEARCH_MAX,
    member_get,
    member_list,
    member_page_read,
    member_removal_label,
    member_remove,
    member_roles_change,
    members_bulk,
)
from orgportal.services.mfa import (
    can_see_mfa_status,
    members_without_mfa,
    mfa_status_cached,
    mfa_status_of,
    mfa_status_of_member_page,
)
from orgportal.services.template import template_roles
from orgportal.templatetags.member_rows import MemberRows, member_label
from orgportal.views.common import int_param, render_page_or_partial
from orgportal.views.decorators import (
    OrganizationRequest,
    organization_view,
)
from orgportal.views.errors import error_sentence, refusal_response


def _list_state(request: HttpRequest) -> dict:
    params = request.GET
    page_size = int_param(params.get("page_size"), DEFAULT_PAGE_SIZE)
    return {
        "q": params.get("q", "")[:SEARCH_MAX],
        "page": max(int_param(params.get("page"), 1), 1),
        "page_size": page_size if page_size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        # "off": only members without two-step verification (the filter)
        "mfa": "off" if params.get("mfa") == "off" else "",
    }


def _listing(state: dict) -> dict:
    """The list state without the two-step filter: what one Logto page read takes."""
    return {key: value for key, value in state.items() if key != "mfa"}


def _page_query(state: dict) -> str:
    """The list state as a query string, without what is the default (shorter row links)."""
    defaults = {"q": "", "page": 1, "page_size": DEFAULT_PAGE_SIZE, "mfa": ""}
    return urlencode({key: value for key, value in state.items() if value != defaults[key]})


def _members_page_url(org_id: str, state: dict) -> str:
    query = _page_query(state)
    return reverse("orgportal:members", args=[org_id]) + (f"?{query}" if query else "")


def _members_context(request: OrganizationRequest, org_id: str, state: dict) -> dict:
    access = request.access
    show_mfa = can_see_mfa_status(access)
    if state["mfa"] == "off" and show_mfa:
        return _members_without_mfa_context(request, org_id, state)
    state = {**state, "mfa": ""}
    page = member_list(actor=request.user, organization_id=org_id, **_listing(state))
    if not page.items and page.total and state["page"] > page.page_count:
        # Out of range (the list shrank, or a hand-edited URL): show the last page instead.
        state = {**state, "page": page.page_count}
        page = member_list(actor=request.user, organization_id=org_id, **_listing(state))
    # Logto reads two-step factors one member at a time: the page shows only the statuses
    # read in the last minute and leaves the others "Checking…" for one request of its own
    # (`members_two_step`), so that it never waits for those reads.
    mfa = mfa_status_cached(m.user.id for m in page.items) if show_mfa else {}
    return _page_context(request, org_id, state, page, mfa)


def _members_without_mfa_context(request: OrganizationRequest, org_id: str, state: dict) -> dict:
    """The filter "Without two-step verification": every matching member's factors are read
    (only when asked for: one Logto call per member not read in the last minute)."""
    found = members_without_mfa(actor=request.user, organization_id=org_id, **_listing(state))
    page = found.page
    if not page.items and page.total and state["page"] > page.page_count:
        state = {**state, "page": page.page_count}
        page = members_without_mfa(
            actor=request.user, organization_id=org_id, **_listing(state)
        ).page
    context = _page_context(request, org_id, state, page, {m.user.id: False for m in page})
    context["mfa_filter"] = found
    return context


def _page_context(
    request: OrganizationRequest,
    org_id: str,
    state: dict,
    page: Page[Member],
    mfa: Mapping[str, bool | None],
) -> dict:
    access = request.access
    show_mfa = can_see_mfa_status(access)
    rows = _member_rows(request, org_id, _page_query(state), mfa)
    return {
        "access": access,
        "rows": rows,
        "mfa_pending": show_mfa and any(m.user.id not in mfa for m in page.items),
        "page": page,
        "state": state,
        "page_sizes": PAGE_SIZES,
        "roles": template_roles() if rows.can_manage else [],
        "grantable": grantable_role_ids(access) if rows.can_manage else frozenset(),
        "previous_query": urlencode({**state, "page": page.page - 1}),
        "next_query": urlencode({**state, "page": page.page + 1}),
    }


def _member_rows(
    request: OrganizationRequest, org_id: str, query_string: str, mfa: Mapping[str, bool | None]
) -> MemberRows:
    access = request.access
    return MemberRows(
        members_url=reverse("orgportal:members", args=[org_id]),
        query_string=query_string,
        me=request.user.logto_id,
        organization_name=access.organization.name,
        can_manage=access.can(Perm.MANAGE_MEMBER),
        can_remove=can_remove_members(access),
        show_mfa=can_see_mfa_status(access),
        mfa_required=access.organization.is_mfa_required,
        mfa=mfa,
    )


def _current_path(request: OrganizationRequest) -> str:
    """The members page as the browser shows it (HTMX requests come from it)."""
    if request.htmx and request.htmx.current_url_abs_path:
        return request.htmx.current_url_abs_path
    return request.get_full_path()


def _members_reads(request: HttpRequest, org_id: str) -> list[Callable[[], object]]:
    state = _list_state(request)
    if state["mfa"]:
        return [template_roles, template_scope_names]  # the filter reads its own pages
    return [
        partial(member_page_read, organization_id=org_id, **_listing(state)),
        template_roles,
        template_scope_names,
    ]


# Without JavaScript a role change leads back to the members page, which offers its Undo once
# (a form with the previous roles); with JavaScript the toast carries it.
_UNDO_SESSION_KEY = "members_roles_undo"


@organization_view(prefetch=_members_reads)
@require_safe
def members_page(request: OrganizationRequest, org_id: str) -> HttpResponse:
    context = _members_context(request, org_id, _list_state(request))
    if not request.htmx:
        undo = request.session.pop(_UNDO_SESSION_KEY, None)
        if undo and undo.get("organization_id") == org_id:
            context["undo"] = {
                **undo,
                "url": reverse("orgportal:member_roles", args=[org_id, undo["user_id"]]),
                "next": request.get_full_path(),
            }
    return render_page_or_partial(
        request, "orgportal/members/list.html", context, partial="member-table"
    )


def _refused(request: OrganizationRequest, org_id: str, error: ApplicationError | LogtoError):
    return refusal_response(request, error, _back(request, org_id))


def _back(request: OrganizationRequest, org_id: str) -> str:
    """The members page the form came from (same site only), else the first page."""
    target = request.POST.get("next", "")
    fallback = reverse("orgportal:members", args=[org_id])
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


@organization_view(Perm.MANAGE_MEMBER)
@require_http_methods(["GET", "POST"])
def member_roles(request: OrganizationRequest, org_id: str, user_id: str) -> HttpResponse:
    """Change a member's roles. The answer offers an Undo: the same form with the roles they
    had before (`undo=1`), which goes through the same rules and offers no Undo itself."""
    if request.method == "GET":
        return _role_editor(request, org_id, user_id)
    undoing = request.POST.get("undo") == "1"
    try:
        change = member_roles_change(
            actor=request.user,
            organization_id=org_id,
            user_id=user_id,
            role_ids=request.POST.getlist("roles"),
        )
    except (ApplicationError, LogtoError) as error:
        return _refused(request, org_id, error)
    member = change.member
    label = member_label(member)
    if undoing:
        sentence = _("Roles of %(member)s put back.") % {"member": label}
    else:
        sentence = _("Roles of %(member)s saved.") % {"member": label}
    offer_undo = not undoing and change.previous_role_ids != member.role_ids
    previous = sorted(change.previous_role_ids)
    back = _back(request, org_id)
    if not request.htmx:
        if offer_undo:
            request.session[_UNDO_SESSION_KEY] = {
                "organization_id": org_id,
                "user_id": user_id,
                "sentence": sentence,
                "label": label,
                "role_ids": previous,
            }
        else:
            messages.success(request, sentence)
        return HttpResponseRedirect(back)
    mfa = mfa_status_of([member.user.id]) if can_see_mfa_status(request.access) else {}
    response = render(
        request,
        "orgportal/members/list.html#member-row-saved",
        {
            "member": member,
            "rows": _member_rows(request, org_id, urlsplit(back).query, mfa),
            "editor_open": not undoing,  # an Undo comes from the toast, not from the editor
        },
    )
    toast: dict[str, object] = {"message": sentence, "tags": "success"}
    if offer_undo:
        toast["undo"] = {
            "url": reverse("orgportal:member_roles", args=[org_id, user_id]),
            "values": {"roles": previous, "next": back, "undo": "1"},
            "target": f"member-{user_id}",
            "label": _("Undo the role change of %(member)s") % {"member": label},
        }
    # The toast is this answer's only message (the messages middleware adds Django's only
    # when there are some): it carries its Undo, which Django's messages cannot.
    response["HX-Trigger"] = json.dumps({"messages": [toast]})
    return response


def _role_editor(request: OrganizationRequest, org_id: str, user_id: str) -> HttpResponse:
    """The member's roles as a form: fetched by "Change roles" into a row under the member's,
    or a page of its own without JavaScript (which goes back to the members page it came
    from)."""
    member = member_get(actor=request.user, organization_id=org_id, user_id=user_id)
    if request.htmx:
        next_url = _current_path(request)
    else:
        next_url = _members_page_url(org_id, _list_state(request))
    return render_page_or_partial(
        request,
        "orgportal/members/roles.html",
        {
            "access": request.access,
            "member": member,
            "label": member_label(member),
            "roles": template_roles(),
            "grantable": grantable_role_ids(request.access),
            "roles_url": reverse("orgportal:member_roles", args=[org_id, user_id]),
            "next": next_url,
            "in_row": bool(request.htmx),
            "columns": _member_rows(request, org_id, "", {}).column_count,
        },
        partial="roles-row",
    )


def _member_page_prefetch(request: HttpRequest, org_id: str) -> list[Callable[[], object]]:
    return [partial(member_page_read, organization_id=org_id, **_listing(_list_state(request)))]


@organization_view(prefetch=_member_page_prefetch)
@require_safe
def members_two_step(request: OrganizationRequest, org_id: str) -> HttpResponse:
    """The two-step statuses of one page of the member list, for the cells its page left
    "Checking…". Without JavaScript: read them, then back to that page, which shows them."""
    if not can_see_mfa_status(request.access):
        raise PermissionDenied(_("You are not allowed to see members' two-step verification here."))
    state = _list_state(request)
    statuses = mfa_status_of_member_page(
        actor=request.user, organization_id=org_id, **_listing(state)
    )
    if not request.htmx:
        return HttpResponseRedirect(_members_page_url(org_id, state))
    return render(
        request,
        "orgportal/members/list.html#mfa-statuses",
        {"statuses": statuses, "mfa_required": request.access.organization.is_mfa_required},
    )


@organization_view()
@require_http_methods(["GET", "POST"])
def member_remove_view(request: OrganizationRequest, org_id: str, user_id: str) -> HttpResponse:
    if request.method == "GET":
        # The confirmation page for browsers without JavaScript.
        try:
            label = member_removal_label(
                actor=request.user, organization_id=org_id, user_id=user_id
            )
        except (ApplicationError, LogtoError) as error:
            return _refused(request, org_id, error)
        return render(
            request,
            "orgportal/members/remove.html",
            {"access": request.access, "user_id": user_id, "label": label},
        )
    try:
        label = member_remove(actor=request.user, organization_id=org_id, user_id=user_id)
    except (ApplicationError, LogtoError) as error:
        return _refused(request, org_id, error)
    messages.success(
        request,
        _("%(member)s was removed from %(organization)s.")
        % {"member": label, "organization": request.access.organization.name},
    )
    if request.htmx:
        return HttpResponse("")  # the row disappears
    return HttpResponseRedirect(_back(request, org_id))


@organization_view()
@require_POST
def members_bulk_view(request: OrganizationRequest, org_id: str) -> HttpResponse:
    user_ids = list(dict.fromkeys(request.POST.getlist("members")))
    # The bulk bar's removal, sent without JavaScript (with it, the confirm dialog asked):
    # a page asks first, and its form sends the removal itself (without `ask`).
    if (
        request.POST.get("ask") == "1"
        and not request.htmx
        and request.POST.get("action") == "remove"
        and user_ids
        and can_remove_members(request.access)
    ):
        state = _list_state(request)
        return render(
            request,
            "orgportal/members/bulk_remove.html",
            {
                "access": request.access,
                "user_ids": user_ids,
                "action_url": request.get_full_path(),
                "back_url": _members_page_url(org_id, state),
            },
        )
    try:
        outcomes = members_bulk(
            actor=request.user,
            organization_id=org_id,
            user_ids=request.POST.getlist("members"),
            action=request.POST.get("action", ""),
            role_id=request.POST.get("role") or None,
        )
    except (ApplicationError, LogtoError) as error:
        message, status = error_sentence(error)
        messages.error(request, message)
        outcomes, status = [], status
    else:
        status = 200
        done = sum(1 for outcome in outcomes if outcome.ok)
        if done:
            messages.success(
                request,
                ngettext(
                    "Done for %(done)s of %(total)s selected.",
                    "Done for %(done)s of %(total)s selected.",
                    len(outcomes),
                )
                % {"done": done, "total": len(outcomes)},
            )
        if done < len(outcomes):
            failed = len(outcomes) - done
            messages.error(
                request,
                ngettext(
                    "%(count)s could not be changed; see below.",
                    "%(count)s could not be changed; see below.",
                    failed,
                )
                % {"count": failed},
            )
    state = _list_state(request)
    context = _members_context(request, org_id, state)
    context["outcomes"] = outcomes
    return render_page_or_partial(
        request, "orgportal/members/list.html", context, partial="member-table", status=status
    )
