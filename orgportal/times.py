"""Times as people say them, in the viewer's time zone (pages, the activity trail)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateformat import format as format_date


def _count(n: int, one: str, many: str) -> str:
    return one if n == 1 else many.format(n=n)


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago (or how soon) `value` is, as people say it: "just now", "5 minutes ago",
    "yesterday", "in 3 days"; past a week, the date (in the viewer's time zone)."""
    if value is None:
        return ""
    now = now or timezone.now()
    delta = now - value
    future = delta < timedelta(0)
    seconds = abs(delta.total_seconds())
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if seconds < 45:
        return "in a moment" if future else "just now"
    if minutes < 60:
        n = max(minutes, 1)
        text = _count(n, "a minute", "{n} minutes")
    elif hours < 24:
        text = _count(hours, "an hour", "{n} hours")
    elif days == 1:
        return "tomorrow" if future else "yesterday"
    elif days < 7:
        text = f"{days} days"
    else:
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        this_year = local.year == timezone.localtime(now).year if timezone.is_aware(now) else True
        return format_date(local, "j M" if this_year else "j M Y")
    return f"in {text}" if future else f"{text} ago"
