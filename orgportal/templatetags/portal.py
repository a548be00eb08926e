"""Small template filters the portal's pages need."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """`mapping[key]`, or None: templates cannot index a dict by a variable."""
    return (mapping or {}).get(key)


AVATAR_URL_MAX = 2048


def image_url(url: str | None) -> str:
    """`url` when a page may show it as an image, else "".

    Profile pictures come from Logto, where a person sets them to anything: only absolute
    `https:` URLs are shown (no `javascript:`/`data:` payloads, no plain-http mixed content).
    """
    if not url or len(url) > AVATAR_URL_MAX or any(c.isspace() or c < " " for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return ""
    return url if parts.scheme.lower() == "https" and parts.hostname else ""


def avatar_html(url: str | None, name: str, size: int = 32) -> str:
    """A person's picture, or the initial of their name when there is no usable picture, as
    HTML text: what it inserts is escaped here (the members page builds its rows in Python)."""
    src = image_url(url)
    if src:
        return (
            f'<img class="avatar" src="{escape(src)}" alt="" width="{size:d}" height="{size:d}" '
            'referrerpolicy="no-referrer">'
        )
    initial = escape((name or "?")[:1].upper())
    return f'<span class="avatar avatar-initial" aria-hidden="true">{initial}</span>'


@register.simple_tag
def avatar(url: str | None, name: str, size: int = 32) -> SafeString:
    return mark_safe(avatar_html(url, name, size))  # noqa: S308 (avatar_html escapes)
