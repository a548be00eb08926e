"""The rows of the members page, built in Python.

Written in the template language a row cost about 90 µs to render (some twenty variables, each
looked up, localized and escaped), and with `format_html` about 55 µs (its lazy-string checks
on every argument): most of the page's CPU at 20 rows, five times that at 100. Built as plain
text with `html.escape` on every inserted value it costs under 10 µs, plus Django's
`timesince` for the last sign-in (about 35 µs, translations included, as in the template). The
markup lives only here: the page, a row saved after a role change and the two-step answer all
use these tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import get_current_timezone, is_aware

from orgportal.logto.models import Member
from orgportal.templatetags.portal import avatar_html

register = template.Library()

_NO_ROLE = '<span class="muted">no role</span>'
_MFA_ON = '<span class="badge">On</span>'
_MFA_OFF = '<span class="badge badge-muted">Not set up</span>'
_MFA_OFF_REQUIRED = '<span class="badge badge-warning">Not set up</span>'
_MFA_UNKNOWN = '<span class="muted" title="Could not be checked right now">—</span>'


@dataclass(frozen=True)
class MemberRows:
    """What every row of one members page shares: who looks, what they may do, and where the
    row's links lead (the page's URL plus the member id: no `{% url %}` per row)."""

    members_url: str
    query_string: str
    me: str | None
    organization_name: str
    can_manage: bool
    can_remove: bool
    show_mfa: bool
    mfa_required: bool
    # Two-step statuses known now (see the members view); the others show "Checking…".
    mfa: Mapping[str, bool | None] = field(default_factory=dict)

    @property
    def can_act(self) -> bool:
        return self.can_manage or self.can_remove

    @property
    def page_query(self) -> str:
        """`?` and the page's search and page, for links that should come back to it."""
        return f"?{self.query_string}" if self.query_string else ""


def _mfa_badge_html(has_mfa: bool | None, required: bool) -> str:
    if has_mfa:
        return _MFA_ON
    if has_mfa is False:
        return _MFA_OFF_REQUIRED if required else _MFA_OFF
    return _MFA_UNKNOWN


@register.simple_tag
def mfa_badge(has_mfa: bool | None, required: bool) -> SafeString:
    """A member's two-step status: On, Not set up (a warning when the organization requires
    it), or a dash when it could not be read."""
    return mark_safe(_mfa_badge_html(has_mfa, required))  # noqa: S308 (fixed markup)


@register.simple_tag
def member_row(member: Member, rows: MemberRows) -> SafeString:
    """One member's row; every value it inserts is escaped here."""
    user = member.user
    uid = escape(user.id)
    name = escape(user.display_name)
    cells = []
    if rows.can_act:
        cells.append(
            f'<td><input type="checkbox" name="members" value="{uid}" form="bulk-form" '
            f'aria-label="Select {name}"></td>'
        )
    you = ' <span class="badge">you</span>' if user.id == rows.me else ""
    cells.append(
        f'<td class="person">{avatar_html(user.avatar, user.display_name, 32)}<span>'
        f'<span class="wrap-word name">{escape(user.name) if user.name else name}</span>{you}'
        f'<br><span class="muted wrap-word">{escape(user.primary_email or "")}</span></span></td>'
    )
    roles = "".join(f'<span class="role">{escape(role.name)}</span> ' for role in member.roles)
    cells.append(f"<td>{roles or _NO_ROLE}</td>")
    if rows.show_mfa:
        cells.append(f'<td class="mfa">{_mfa_cell(user.id, uid, rows)}</td>')
    cells.append(f"<td>{_last_sign_in(member)}</td>")
    if rows.can_act:
        cells.append(f'<td class="row-actions">{_actions(member, rows)}</td>')
    return mark_safe(f'<tr id="member-{uid}">{"".join(cells)}</tr>')  # noqa: S308 (escaped)


def _mfa_cell(user_id: str, uid: str, rows: MemberRows) -> str:
    if user_id in rows.mfa:
        return _mfa_badge_html(rows.mfa[user_id], rows.mfa_required)
    return f'<span id="mfa-{uid}" class="muted" data-mfa-pending>Checking…</span>'


def _last_sign_in(member: Member) -> str:
    signed_in = member.user.last_sign_in_at
    if signed_in is None:
        return '<span class="muted">never</span>'
    if is_aware(signed_in):  # as the `date` filter shows it: in the current time zone
        signed_in = signed_in.astimezone(get_current_timezone())
    when, ago = escape(signed_in.isoformat()), escape(timesince(signed_in))
    return f'<time datetime="{when}">{ago} ago</time>'


def _actions(member: Member, rows: MemberRows) -> str:
    """ "Change roles" fetches the role editor into the row (without JavaScript: its page);
    "Remove" asks, then removes the row (without JavaScript: a confirmation page). The
    `hx-swap` both use is set once on the table's body."""
    url = escape(rows.members_url) + escape(member.user.id)
    links = []
    if rows.can_manage:
        # The page's search and page go along for the editor's page without JavaScript.
        links.append(
            f'<a class="roles-link" href="{url}/roles/{escape(rows.page_query)}" '
            f'hx-get="{url}/roles/">Change roles</a>'
        )
    if rows.can_remove and member.user.id != rows.me:
        label = member.user.primary_email or member.user.display_name
        links.append(
            f'<a class="button button-quiet button-danger button-small" '
            f'href="{url}/remove/?label={escape(quote(label, safe="/"))}" '
            f'hx-post="{url}/remove/" hx-target="closest tr" '
            f'hx-confirm="Remove {escape(label)} from {escape(rows.organization_name)}?">'
            "Remove</a>"
        )
    return " ".join(links)
