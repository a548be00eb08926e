"""Small template filters the portal's pages need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """`mapping[key]`, or None: templates cannot index a dict by a variable."""
    return (mapping or {}).get(key)
