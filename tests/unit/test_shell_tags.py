"""What people read for times and what stands in for missing pictures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from orgportal.templatetags.portal import colour_slot, initials, relative_time

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(seconds=-5), "just now"),
        (timedelta(seconds=-50), "a minute ago"),
        (timedelta(minutes=-5), "5 minutes ago"),
        (timedelta(minutes=-61), "an hour ago"),
        (timedelta(hours=-5), "5 hours ago"),
        (timedelta(hours=-30), "yesterday"),
        (timedelta(days=-3), "3 days ago"),
        (timedelta(days=-20), "18 Feb"),
        (timedelta(days=-400), "3 Feb 2025"),
        (timedelta(seconds=20), "in a moment"),
        (timedelta(hours=3), "in 3 hours"),
        (timedelta(hours=30), "tomorrow"),
        (timedelta(days=6, hours=1), "in 6 days"),
    ],
)
def test_relative_times_read_as_people_say_them(offset, text):
    assert relative_time(NOW + offset, now=NOW) == text


def test_dates_past_a_week_are_in_the_viewers_time_zone():
    late_evening_utc = datetime(2026, 2, 1, 23, 30, tzinfo=UTC)
    with timezone.override("Asia/Tokyo"):
        assert relative_time(late_evening_utc, now=NOW) == "2 Feb"
    with timezone.override("America/New_York"):
        assert relative_time(late_evening_utc, now=NOW) == "1 Feb"


def test_the_timestamp_tag_gives_machines_and_hover_the_exact_time():
    with timezone.override("Europe/Berlin"):
        html = Template("{% load portal %}{% timestamp when %}").render(
            Context({"when": timezone.now() - timedelta(minutes=2)})
        )
    assert html.startswith('<time datetime="') and ">2 minutes ago</time>" in html
    assert "CET" in html or "CEST" in html


@pytest.mark.parametrize(
    ("name", "letters"),
    [("Ada Lovelace", "AL"), ("bob@example.com", "B"), ("alice.admin@x.org", "AA"), ("", "?")],
)
def test_initials_stand_in_for_a_missing_picture(name, letters):
    assert initials(name) == letters


def test_a_name_keeps_its_colour():
    assert colour_slot("Acme") == colour_slot("acme") and 0 <= colour_slot("Acme") < 8
