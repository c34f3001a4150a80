"""The one clock of Parcours: "today" is a date in Europe/Paris, timestamps are aware and stored in UTC.

Every layer asks this module (models for their timestamps, services for "today", the UI for the
default of a date field); it imports nothing of the app. Never `date.today()`, `datetime.now()` or a
widget's `value="today"`: those are the server's date, which is yesterday in Paris between midnight
and 1 or 2 a.m. (tests/architecture/test_layering.py refuses them).

The clock can be pinned, so that tests, the demo seed and a date-shifted run see the same calendar
whatever the day they run on:
- `PARCOURS_CLOCK=2026-06-15` (or `2026-06-15T10:30`, Paris time) in the environment: the process
  starts at that moment and time runs on from there at its normal pace (timeouts still expire);
  the test suite sets it (tests/conftest.py) and production refuses it (services.platform.config);
- `with clock.pinned(moment):` for a test that needs another day (also inside a pinned process).
Values from outside that the real clock stamped (the expiry date inside the login cookie) come back
into the app's time with `from_wall`.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
CLOCK_VARIABLE = "PARCOURS_CLOCK"


def parse_moment(text: str) -> datetime:
    """`2026-06-15` (noon, Paris) or `2026-06-15T10:30` (Paris unless it carries its own offset)."""
    text = text.strip()
    moment = datetime.combine(date.fromisoformat(text), time(12)) if len(text) == 10 else datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _offset_from_environment() -> timedelta:
    pinned_at = os.environ.get(CLOCK_VARIABLE, "").strip()
    return parse_moment(pinned_at) - datetime.now(UTC) if pinned_at else timedelta(0)


# How far the app's clock is from the real one: zero unless pinned.
_offset = _offset_from_environment()


def is_pinned() -> bool:
    return _offset != timedelta(0)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC) + _offset


def today() -> date:
    """Today in Paris."""
    return now().astimezone(PARIS).date()


def from_wall(moment: datetime) -> datetime:
    """A real-clock instant stamped outside the app (a cookie's expiry), on the app's clock."""
    return moment + _offset


@contextmanager
def pinned(moment: datetime | date | str) -> Iterator[None]:
    """Run the block as if it were `moment` (a date means noon in Paris); the previous clock comes back after."""
    global _offset
    if isinstance(moment, str):
        moment = parse_moment(moment)
    elif not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(12), tzinfo=PARIS)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    previous, _offset = _offset, moment - datetime.now(UTC)
    try:
        yield
    finally:
        _offset = previous


def month_start(day: date, months: int = 0) -> date:
    """First day of the month of `day`, or of the month `months` after (before, if negative) it."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier, if negative), clamped to the end of a shorter month:
    31 August + 6 months is 28 or 29 February."""
    first = month_start(day, months)
    return first.replace(day=min(day.day, days_in_month(first)))


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def month_end(day: date) -> date:
    """Last day of the month of `day`."""
    return day.replace(day=days_in_month(day))


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from `first`'s month to `last`'s month, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_start(month, 1)
    return months
