"""Template tags and filters of the portal's pages: branding, pictures, and times."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from orgportal.times import exact_time, grouped, relative_time
from orgportal.views.script_catalog import script_catalog_url

register = template.Library()


@register.filter
def css_string(text: str) -> str:
    """`text` as a CSS string literal (for `content:` through a custom property), whatever
    it holds: every character but letters, digits, spaces, hyphens and dots is escaped."""
    escaped = "".join(c if c.isalnum() or c in " -." else f"\\{ord(c):x} " for c in str(text))
    return f'"{escaped}"'


@register.filter
def item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """`mapping[key]`, or None: templates cannot index a dict by a variable."""
    return (mapping or {}).get(key)


# -- branding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brand:
    """What the operator named and coloured the portal (ORGPORTAL_PRODUCT_NAME and friends)."""

    product_name: str
    logo_url: str
    accent_color: str
    support_email: str
    support_url: str

    @property
    def has_support(self) -> bool:
        return bool(self.support_email or self.support_url)


# config/settings/base.py's name when the operator set none: the portal's own, so translated.
DEFAULT_PRODUCT_NAME = gettext_noop("Organization portal")


def branding() -> Brand:
    """The branding settings, a logo given as a static path turned into its URL; the
    default product name in the active language (an operator's own name stays as written)."""
    product_name = settings.ORGPORTAL_PRODUCT_NAME
    if product_name == DEFAULT_PRODUCT_NAME:
        product_name = gettext(DEFAULT_PRODUCT_NAME)
    logo = settings.ORGPORTAL_LOGO_URL
    if logo and not logo.startswith(("https://", "http://", "/")):
        logo = static(logo)
    return Brand(
        product_name=product_name,
        logo_url=logo,
        accent_color=settings.ORGPORTAL_ACCENT_COLOR,
        support_email=settings.ORGPORTAL_SUPPORT_EMAIL,
        support_url=settings.ORGPORTAL_SUPPORT_URL,
    )


@register.simple_tag
def brand() -> Brand:
    """`{% brand as brand %}` where no request context is (the invitation emails)."""
    return branding()


# -- pictures ---------------------------------------------------------------------------------

AVATAR_URL_MAX = 2048
AVATAR_COLOURS = 8  # .avatar-c0 … .avatar-c7 in app.css, each AA in light and dark mode


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


def initials(name: str) -> str:
    """Up to two letters for a picture-less person or organization: "Ada Lovelace" → "AL",
    "bob@example.com" → "B", "" → "?"."""
    words = [w for w in (name or "").split("@")[0].replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][:1] + (words[-1][:1] if len(words) > 1 else "")
    return letters.upper()


def colour_slot(name: str) -> int:
    """The same name always gets the same of the palette's colours."""
    return (
        hashlib.blake2s((name or "").casefold().encode(), digest_size=1).digest()[0]
        % AVATAR_COLOURS
    )


def avatar_html(url: str | None, name: str, size: int = 32, shape: str = "round") -> str:
    """A picture, or initials on a colour of the name's own, as HTML text: what it inserts is
    escaped here (the members page builds its rows in Python, without the template engine)."""
    src = image_url(url)
    if src:
        return (
            f'<img class="avatar avatar-{shape}" src="{escape(src)}" alt="" width="{size:d}" '
            f'height="{size:d}" style="--size:{size:d}px" referrerpolicy="no-referrer" '
            'loading="lazy">'
        )
    return (
        f'<span class="avatar avatar-{shape} avatar-initial avatar-c{colour_slot(name):d}" '
        f'style="--size:{size:d}px" aria-hidden="true">{escape(initials(name))}</span>'
    )


@register.simple_tag
def avatar(url: str | None, name: str, size: int = 32) -> SafeString:
    """A person's picture, or their initials on a colour of their own."""
    return mark_safe(avatar_html(url, name, size))  # noqa: S308 (avatar_html escapes)


@register.simple_tag
def org_logo(organization: Any, size: int = 32) -> SafeString:
    """An organization's logo from its branding in Logto, or its initials in a square."""
    name = getattr(organization, "name", "") or ""
    logo = getattr(organization, "logo_url", None)
    return mark_safe(avatar_html(logo, name, size, shape="square"))  # noqa: S308 (escaped)


# -- times and numbers -----------------------------------------------------------------------


@register.filter
def ago(value: datetime | None) -> str:
    """`{{ when|ago }}`: `relative_time` as text, in the active language."""
    return relative_time(value)


@register.simple_tag
def timestamp(value: datetime | None) -> str:
    """`{% timestamp when %}`: a <time> that reads relatively, the exact date and time in the
    viewer's zone and language on hover, and ISO 8601 for machines."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        exact_time(value),
        relative_time(value),
    )


@register.filter
def number(value: int | float | None) -> str:
    """`{{ count|number }}`: a count that can be large, grouped for the language ("12,345" /
    "12.345"). Only for text people read: links and attributes keep plain numbers
    (USE_THOUSAND_SEPARATOR is off)."""
    return grouped(value)


# -- the browser script's sentences -----------------------------------------------------------


@register.simple_tag
def script_catalog() -> str:
    """`<script src="{% script_catalog %}" defer>` before app.js: its sentences in the page's
    language, at a URL that changes with the language and the translations."""
    return script_catalog_url()
