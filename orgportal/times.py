"""Times as people say them, in the viewer's time zone and language (pages, the activity trail)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext


def _minutes(n: int, future: bool) -> str:
    if n == 1:
        return gettext("in a minute") if future else gettext("a minute ago")
    if future:
        return ngettext("in %(count)d minute", "in %(count)d minutes", n) % {"count": n}
    return ngettext("%(count)d minute ago", "%(count)d minutes ago", n) % {"count": n}


def _hours(n: int, future: bool) -> str:
    if n == 1:
        return gettext("in an hour") if future else gettext("an hour ago")
    if future:
        return ngettext("in %(count)d hour", "in %(count)d hours", n) % {"count": n}
    return ngettext("%(count)d hour ago", "%(count)d hours ago", n) % {"count": n}


def _days(n: int, future: bool) -> str:
    if future:
        return ngettext("in %(count)d day", "in %(count)d days", n) % {"count": n}
    return ngettext("%(count)d day ago", "%(count)d days ago", n) % {"count": n}


def local_date(value: datetime, now: datetime | None = None) -> str:
    """The day of `value` in the viewer's zone and language: "18 Feb" / "18. Feb." this year,
    "3 Feb 2025" / "3. Feb. 2025" another year."""
    now = now or timezone.now()
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    this_year = local.year == timezone.localtime(now).year if timezone.is_aware(now) else True
    return date_format(local, "MONTH_DAY_FORMAT" if this_year else "SHORT_DATE_FORMAT")


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago (or how soon) `value` is, as people say it: "just now", "5 minutes ago",
    "yesterday", "in 3 days" (German: "gerade eben", "vor 5 Minuten", "gestern", "in 3 Tagen");
    past a week, the date (in the viewer's time zone)."""
    if value is None:
        return ""
    now = now or timezone.now()
    delta = now - value
    future = delta < timedelta(0)
    seconds = abs(delta.total_seconds())
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if seconds < 45:
        return gettext("in a moment") if future else gettext("just now")
    if minutes < 60:
        return _minutes(max(minutes, 1), future)
    if hours < 24:
        return _hours(hours, future)
    if days == 1:
        return gettext("tomorrow") if future else gettext("yesterday")
    if days < 7:
        return _days(days, future)
    return local_date(value, now)


def exact_time(value: datetime) -> str:
    """The date and time of `value` in the viewer's zone and language, with the zone:
    "7 December 2026, 09:15 CET" / "7. Dezember 2026, 09:15 CET"."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(local, "DATETIME_FORMAT")


def grouped(value: int | float | None) -> str:
    """A count that can be large, grouped for the language: "12,345" / "12.345"."""
    if value is None:
        return ""
    return number_format(value, force_grouping=True)
