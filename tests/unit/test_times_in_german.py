"""Times, dates and counts as a German reader reads them (and English stays as it was)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from orgportal.times import exact_time, grouped, relative_time

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(seconds=-5), "gerade eben"),
        (timedelta(seconds=-50), "vor einer Minute"),
        (timedelta(minutes=-2), "vor 2 Minuten"),
        (timedelta(minutes=-61), "vor einer Stunde"),
        (timedelta(hours=-5), "vor 5 Stunden"),
        (timedelta(hours=-30), "gestern"),
        (timedelta(days=-3), "vor 3 Tagen"),
        (timedelta(days=-20), "18. Feb."),
        (timedelta(days=-6), "vor 6 Tagen"),
        (timedelta(days=-4, hours=-2), "vor 4 Tagen"),
        (timedelta(days=-400), "3. Feb. 2025"),
        (timedelta(days=-372), "3. März 2025"),
        (timedelta(seconds=20), "gleich"),
        (timedelta(minutes=1, seconds=10), "in einer Minute"),
        (timedelta(minutes=15), "in 15 Minuten"),
        (timedelta(hours=1, minutes=5), "in einer Stunde"),
        (timedelta(hours=3), "in 3 Stunden"),
        (timedelta(hours=30), "morgen"),
        (timedelta(days=2, hours=1), "in 2 Tagen"),
    ],
)
def test_relative_times_in_german_are_whole_phrases(offset, text):
    with translation.override("de"):
        assert relative_time(NOW + offset, now=NOW) == text


def test_english_relative_times_are_unchanged():
    with translation.override("en"):
        assert relative_time(NOW - timedelta(minutes=2), now=NOW) == "2 minutes ago"
        assert relative_time(NOW + timedelta(minutes=1, seconds=10), now=NOW) == "in a minute"
        assert relative_time(NOW - timedelta(days=20), now=NOW) == "18 Feb"


def test_the_exact_time_is_in_the_viewers_zone_and_language():
    when = datetime(2026, 12, 7, 8, 15, tzinfo=UTC)
    with timezone.override("Europe/Berlin"):
        with translation.override("de"):
            assert exact_time(when) == "7. Dezember 2026, 09:15 CET"
        with translation.override("en"):
            assert exact_time(when) == "7 December 2026, 09:15 CET"
    with timezone.override("America/New_York"), translation.override("de"):
        assert exact_time(when) == "7. Dezember 2026, 03:15 EST"


def test_the_timestamp_tag_reads_german_with_the_exact_time_on_hover():
    with timezone.override("Europe/Berlin"), translation.override("de"):
        html = Template("{% load portal %}{% timestamp when %}").render(
            Context({"when": timezone.now() - timedelta(minutes=3)})
        )
    assert ">vor 3 Minuten</time>" in html
    assert " CET" in html or " CEST" in html


@pytest.mark.parametrize(
    ("language", "fmt", "text"),
    [
        ("de", "SHORT_DATE_FORMAT", "7. Dez. 2026"),
        ("en", "SHORT_DATE_FORMAT", "7 Dec 2026"),
        ("de", "DATE_FORMAT", "7. Dezember 2026"),
        ("en", "DATE_FORMAT", "7 December 2026"),
    ],
)
def test_templates_name_a_date_format_and_get_the_languages(language, fmt, text):
    when = datetime(2026, 12, 7, 8, 15, tzinfo=UTC)
    with timezone.override("Europe/Berlin"), translation.override(language):
        rendered = Template('{{ when|date:"' + fmt + '" }}').render(Context({"when": when}))
    assert rendered == text


def test_large_counts_are_grouped_for_the_language():
    template = Template("{% load portal %}{{ n|number }} · {{ n }}")
    with translation.override("de"):
        assert template.render(Context({"n": 1234567})) == "1.234.567 · 1234567"
        assert grouped(12) == "12"
    with translation.override("en"):
        assert template.render(Context({"n": 1234567})) == "1,234,567 · 1234567"
        assert grouped(None) == ""
