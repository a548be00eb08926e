"""The rows of the members page, built in Python.

Written in the template language a row cost about 90 µs to render (some twenty variables, each
looked up, localized and escaped), and with `format_html` about 55 µs (its lazy-string checks
on every argument): most of the page's CPU at 20 rows, five times that at 100. Built as plain
text with `html.escape` on every inserted value it costs under 10 µs, plus the relative time of
the last sign-in ("just now", "5 minutes ago"). The markup lives only here: the page, a row saved
after a role change and the two-step answer all use these tags.

The fixed words of a row (badges, column labels, button texts) are translated once per language
and kept (`_texts`); the sentences that name a member are translated per row.

A row carries what differs from member to member and nothing else (about 900 bytes, a third
of that the person's own words): the column labels of the phone layout, the removal's question
and the htmx wiring of the row's links are set once on the table (`MemberRows.table_attrs`)
and used by app.css and app.js (event delegation); without JavaScript the links lead to the
role editor's page and the removal's confirmation page.

Below 40rem app.css turns each row into a card, its cells labelled from the table's custom
properties (`--label-roles`…), and the actions sit in a wrapper inside their cell (a flex <td>
leaves the table's layout).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, pgettext

from orgportal.logto.models import Member
from orgportal.templatetags.portal import avatar_html, css_string, relative_time

register = template.Library()


@dataclass(frozen=True)
class _Texts:
    """A row's fixed words in one language, escaped, with its sentences' templates (escaped,
    their `%(name)s` placeholders filled with escaped values)."""

    no_role: str
    mfa_on: str
    mfa_off: str
    mfa_off_required: str
    mfa_unknown: str
    you: str
    checking: str
    never: str
    change_roles: str
    remove: str
    select: str
    change_roles_of: str
    remove_detail: str
    remove_label: str


@lru_cache(maxsize=16)
def _texts_in(language: str | None) -> _Texts:
    # Each text is translated outside the f-strings (makemessages does not read into them).
    no_role = escape(gettext("no role"))
    on = escape(pgettext("two-step verification", "On"))
    not_set_up = escape(pgettext("two-step verification", "Not set up"))
    unknown = escape(gettext("Could not be checked right now"))
    you = escape(pgettext("the member who looks", "you"))
    never = escape(pgettext("last sign-in", "never"))
    return _Texts(
        no_role=f'<span class="muted">{no_role}</span>',
        mfa_on=f'<span class="badge">{on}</span>',
        mfa_off=f'<span class="badge badge-muted">{not_set_up}</span>',
        mfa_off_required=f'<span class="badge badge-warning">{not_set_up}</span>',
        mfa_unknown=f'<span class="muted" title="{unknown}">—</span>',
        you=f' <span class="badge">{you}</span>',
        checking=escape(gettext("Checking…")),
        never=f'<span class="muted">{never}</span>',
        change_roles=escape(gettext("Change roles")),
        remove=escape(gettext("Remove")),
        select=escape(gettext("Select %(name)s")),
        change_roles_of=escape(gettext("Change roles of %(name)s")),
        remove_detail=escape(
            gettext(
                "They lose access to the organization until someone invites them again. "
                "Their account stays."
            )
        ),
        remove_label=escape(gettext("Remove %(name)s")),
    )


def _texts() -> _Texts:
    """The row's words in the active language."""
    return _texts_in(get_language())


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
    def column_count(self) -> int:
        """Columns of the table: the role editor's row spans them all."""
        return 3 + 2 * self.can_act + self.show_mfa

    @property
    def page_query(self) -> str:
        """`?` and the page's search and page, for links that should come back to it."""
        return f"?{self.query_string}" if self.query_string else ""

    @property
    def table_attrs(self) -> SafeString:
        """What every row shares, once on the table: the phone layout's cell labels (CSS
        custom properties) and the removal's question with `{member}` for app.js to fill."""
        labels = [("roles", gettext("Roles"))]
        if self.show_mfa:
            labels.append(("two-step", gettext("Two-step")))
        labels.append(("last-sign-in", gettext("Last sign-in")))
        style = "; ".join(f"--label-{name}: {css_string(text)}" for name, text in labels)
        attrs = f' style="{escape(style)}"'
        if self.can_remove:
            question = gettext("Remove %(name)s from %(organization)s?") % {
                "name": "{member}",
                "organization": self.organization_name,
            }
            attrs += (
                f' data-remove-question="{escape(question)}"'
                f' data-remove-detail="{_texts().remove_detail}"'
            )
        return mark_safe(attrs)  # noqa: S308 (every value escaped)


def _mfa_badge_html(has_mfa: bool | None, required: bool) -> str:
    texts = _texts()
    if has_mfa:
        return texts.mfa_on
    if has_mfa is False:
        return texts.mfa_off_required if required else texts.mfa_off
    return texts.mfa_unknown


@register.simple_tag
def mfa_badge(has_mfa: bool | None, required: bool) -> SafeString:
    """A member's two-step status: On, Not set up (a warning when the organization requires
    it), or a dash when it could not be read."""
    return mark_safe(_mfa_badge_html(has_mfa, required))  # noqa: S308 (fixed markup)


@register.simple_tag
def member_row(member: Member, rows: MemberRows) -> SafeString:
    """One member's row; every value it inserts is escaped here."""
    texts = _texts()
    user = member.user
    uid = escape(user.id)
    name = escape(user.display_name)
    cells = []
    if rows.can_act:
        select = texts.select % {"name": name}
        cells.append(
            f'<td class="member-select"><input type="checkbox" name="members" value="{uid}" '
            f'form="bulk-form" aria-label="{select}"></td>'
        )
    you = texts.you if user.id == rows.me else ""
    # Without a name, the address is the name: shown once, not twice.
    email = user.primary_email or ""
    second_line = (
        f'<span class="muted member-email">{escape(email)}</span>'
        if email and user.display_name != email
        else ""
    )
    cells.append(
        f'<td class="member-person"><div class="person">'
        f"{avatar_html(user.avatar, user.display_name, 32)}"
        f'<div class="person-text"><span class="name">{name}</span>{you}{second_line}</div>'
        "</div></td>"
    )
    roles = "".join(f'<span class="role">{escape(role.name)}</span> ' for role in member.roles)
    cells.append(f'<td class="member-roles">{roles or texts.no_role}</td>')
    if rows.show_mfa:
        cells.append(f'<td class="mfa">{_mfa_cell(user.id, uid, rows)}</td>')
    cells.append(f'<td class="member-seen">{_last_sign_in(member)}</td>')
    if rows.can_act:
        cells.append(
            f'<td class="member-actions-cell"><div class="member-actions">{_actions(member, rows)}'
            "</div></td>"
        )
    return mark_safe(f'<tr id="member-{uid}">{"".join(cells)}</tr>')  # noqa: S308 (escaped)


def member_label(member: Member) -> str:
    """How the page names a member in sentences: their address, else their name."""
    return member.user.primary_email or member.user.display_name


def _mfa_cell(user_id: str, uid: str, rows: MemberRows) -> str:
    if user_id in rows.mfa:
        return _mfa_badge_html(rows.mfa[user_id], rows.mfa_required)
    return f'<span id="mfa-{uid}" class="muted" data-mfa-pending>{_texts().checking}</span>'


def _last_sign_in(member: Member) -> str:
    signed_in = member.user.last_sign_in_at
    if signed_in is None:
        return _texts().never
    when, ago = escape(signed_in.isoformat()), escape(relative_time(signed_in))
    return f'<time datetime="{when}">{ago}</time>'


def _actions(member: Member, rows: MemberRows) -> str:
    """ "Change roles" and "Remove" are plain links to the role editor's page and the
    removal's confirmation page. With JavaScript, app.js catches their clicks on the table:
    "Change roles" fetches the editor into a row below the member's, "Remove" asks the
    table's question in the portal's dialog, then posts and removes the row."""
    texts = _texts()
    url = escape(rows.members_url) + escape(member.user.id)
    label = escape(member_label(member))
    links = []
    if rows.can_manage:
        # The page's search and page go along for the editor's page without JavaScript.
        links.append(
            f'<a class="roles-link" href="{url}/roles/{escape(rows.page_query)}" '
            f'aria-label="{texts.change_roles_of % {"name": label}}">{texts.change_roles}</a>'
        )
    if rows.can_remove and member.user.id != rows.me:
        links.append(
            f'<a class="remove-link" href="{url}/remove/" '
            f'aria-label="{texts.remove_label % {"name": label}}">{texts.remove}</a>'
        )
    return "".join(links)
