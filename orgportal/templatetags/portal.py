"""Small template filters the portal's pages need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django import template

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


@register.inclusion_tag("orgportal/partials/avatar.html")
def avatar(url: str | None, name: str, size: int = 32) -> dict[str, Any]:
    """A person's picture, or the initial of their name when there is no usable picture."""
    return {"src": image_url(url), "initial": (name or "?")[:1].upper(), "size": size}
