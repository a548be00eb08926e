"""URL converters: a Logto id in a URL is checked for its shape before any view runs.

Logto makes ids of letters and digits; anything else (a dot, a slash, an empty segment) can
only be a mistake or a probe, and becomes a 404 instead of reaching Logto.
"""

from __future__ import annotations

from django.urls import register_converter


class LogtoIdConverter:
    regex = r"[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LogtoIdConverter, "logto_id")  # once per process: this module is imported once
