"""The one clock: Paris' today, a pinned moment that keeps running, real-clock values brought back."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import clock


def test_today_is_the_date_in_paris_not_in_utc():
    # 00:30 in Paris on 1 March 2028 is still 29 February in UTC (winter time, UTC+1).
    with clock.pinned("2028-03-01T00:30"):
        assert clock.today() == date(2028, 3, 1)
        assert clock.now().date() == date(2028, 2, 29)
        assert clock.now().tzinfo is not None
    # 23:30 in Paris on 31 December is 22:30 UTC: the same day.
    with clock.pinned("2026-12-31T23:30"):
        assert clock.today() == date(2026, 12, 31)
    # Summer time (UTC+2): 01:30 in Paris on 1 July is 23:30 UTC on 30 June.
    with clock.pinned("2027-07-01T01:30"):
        assert clock.today() == date(2027, 7, 1)
        assert clock.now().astimezone(UTC).date() == date(2027, 6, 30)


def test_a_pinned_clock_keeps_running_and_the_previous_one_comes_back():
    before = clock.today()
    with clock.pinned(date(2027, 1, 31)):
        first = clock.now()
        assert first.astimezone(clock.PARIS).replace(tzinfo=None) - datetime(2027, 1, 31, 12) < timedelta(seconds=5)
        time.sleep(0.01)
        assert clock.now() > first  # timeouts still expire in a pinned process
        with clock.pinned("2028-02-29"):
            assert clock.today() == date(2028, 2, 29)
        assert clock.today() == date(2027, 1, 31)
    assert clock.today() == before


def test_the_suite_runs_on_its_pinned_day():
    """tests/conftest.py pins PARCOURS_CLOCK (or takes the one given): nothing here depends on the calendar."""
    assert clock.is_pinned()


def test_moments_are_read_in_paris_unless_they_say_otherwise():
    assert clock.parse_moment("2026-06-15") == datetime(2026, 6, 15, 12, tzinfo=clock.PARIS)
    assert clock.parse_moment("2026-06-15T10:30") == datetime(2026, 6, 15, 10, 30, tzinfo=clock.PARIS)
    assert clock.parse_moment("2026-06-15T10:30+00:00") == datetime(2026, 6, 15, 10, 30, tzinfo=UTC)


def test_a_real_clock_instant_comes_back_on_the_app_clock():
    with clock.pinned("2027-01-31T10:00"):
        real_now = datetime.now(UTC)
        assert abs(clock.from_wall(real_now) - clock.now()) < timedelta(seconds=1)


def test_month_arithmetic():
    # The first day of a month, shifted.
    assert clock.month_start(date(2028, 2, 29)) == date(2028, 2, 1)
    assert clock.month_start(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert clock.month_start(date(2027, 1, 31), -1) == date(2026, 12, 1)
    assert clock.month_start(date(2028, 2, 29), 12) == date(2029, 2, 1)
    # The same day, clamped to a shorter month (a PSP period of 6 months from 31 August).
    assert clock.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert clock.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert clock.add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert clock.add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)
    assert clock.month_end(date(2028, 2, 3)) == date(2028, 2, 29)
    assert clock.days_in_month(date(2027, 2, 1)) == 28
    assert clock.months_between(date(2026, 11, 18), date(2027, 2, 1)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert clock.months_between(date(2027, 3, 1), date(2027, 2, 1)) == []
