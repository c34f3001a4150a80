"""A ratio is rounded once, where it is written: the services keep it exact.

Rounding 299 present of 374 marks (79.947 %) to 0.7995 first, then to the tenth of a percent the page
shows, wrote « 80,0 % »: one rate in twenty was a tenth of a point off on the dashboards, the director's
answers and the appointment table. The expected texts below are the ratios rounded by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from i18n.formats import percent
from services.platform.spreadsheet import EUROS, FTE, PERCENT, held_number, write_row
from services.reporting import _indicators as indicators
from services.reporting import director_answers
from services.reporting._dashboard_figures import AppointmentMonth
from services.reporting._director_answers import SiteCounts
from services.reporting._indicators import Indicator
from ui.reporting.dashboard_answers import measure_text
from ui.reporting.dashboard_tiles import value_text

NBSP = "\u00a0"


def test_the_dashboard_tile_shows_79_9_percent_for_299_present_of_374() -> None:
    rate = indicators._value("workshop_attendance_rate", {"workshop_present": 299, "workshop_recorded": 374})
    tile = Indicator("workshop_attendance_rate", "Présence aux ateliers", rate, "rate", False)
    assert value_text(tile) == f"79,9{NBSP}%"


def test_the_director_answers_show_79_9_percent_for_299_present_of_374() -> None:
    measures = director_answers._measures(
        SiteCounts(workshop_present=200, workshop_marks=250, course_present=99, course_marks=124)
    )
    assert measure_text("attendance_rate", measures["attendance_rate"]) == f"79,9{NBSP}%"


def test_the_interpreter_share_of_190_in_239_shows_79_percent() -> None:
    month = AppointmentMonth(
        site_id=1, month=date(2026, 3, 1), appointments=239, accompaniments=0, minutes=0, with_interpreter=190
    )
    assert percent(float(month.interpreter_share)) == f"79{NBSP}%"  # 0.79498 (rounded first: 0.7950 → 80 %)


@pytest.mark.parametrize(
    ("value", "number_format", "held"),
    [
        (Decimal(299) / 374, PERCENT, Decimal("0.7995")),  # 79,95 % shown, 0.7995 held
        (Decimal(100) / 6, "0.0", Decimal("16.7")),
        (Decimal(2) / 3, FTE, Decimal("0.67")),
        (Decimal("1234.565"), EUROS, Decimal("1234.56")),  # half to even, as the display
        (Decimal(7) / 2, "0", Decimal("4")),
        (Decimal(2) / 3, None, Decimal(2) / 3),  # no format: kept as is
    ],
)
def test_a_cell_holds_no_more_than_its_format_shows(value, number_format, held) -> None:
    assert held_number(value, number_format) == held
    ws = Workbook().active
    [cell] = write_row(ws, [value], [number_format])
    assert cell.value == held
