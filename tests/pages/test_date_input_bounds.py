"""A saved date outside a form's bounds shows in the form instead of taking the page down.

Found by `make load` on the large dataset, served by a process whose clock was behind the data (a pinned
PARCOURS_CLOCK): the rounds dated after its « today » made the correction form (max_value=today) raise
StreamlitValueAboveMaxError, and the Aller-vers page showed an error to every member of the team. A clock
set back, a server in the wrong time zone or a record older than a correction window do the same. Every
date input goes through ui.platform.widgets (tests/architecture/test_widgets.py): the bounds are widened
there, and the services still refuse such a date when it is saved.
"""

from __future__ import annotations

from datetime import date

from streamlit.testing.v1 import AppTest


def _script(value, low, high) -> None:
    from ui.platform import widgets

    widgets.date_input("Date de la maraude", value=value, min_value=low, max_value=high, key="day")


def _form_with_a_date(value: date, low: date, high: date) -> AppTest:
    return AppTest.from_function(_script, args=(value, low, high)).run()


def test_a_date_after_the_last_day_allowed_is_shown_not_refused():
    at = _form_with_a_date(date(2026, 11, 19), date(2026, 8, 20), date(2026, 11, 18))
    assert not at.exception, at.exception
    [shown] = at.date_input
    assert shown.value == date(2026, 11, 19)
    assert (shown.proto.min, shown.proto.max) == ("2026-08-20", "2026-11-19")


def test_a_date_before_the_first_day_allowed_is_shown_not_refused():
    at = _form_with_a_date(date(2025, 1, 2), date(2026, 8, 20), date(2026, 11, 18))
    assert not at.exception, at.exception
    assert at.date_input[0].value == date(2025, 1, 2)
    assert (at.date_input[0].proto.min, at.date_input[0].proto.max) == ("2025-01-02", "2026-11-18")


def test_a_date_within_the_bounds_leaves_them_as_they_are():
    at = _form_with_a_date(date(2026, 10, 1), date(2026, 8, 20), date(2026, 11, 18))
    assert (at.date_input[0].proto.min, at.date_input[0].proto.max) == ("2026-08-20", "2026-11-18")
