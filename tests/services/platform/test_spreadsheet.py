"""Sheets written for exports: widths reach past column Z (a report over three years has 38 columns)."""

from __future__ import annotations

from openpyxl import Workbook

from services.platform.spreadsheet import set_widths


def test_widths_are_set_past_the_twenty_sixth_column() -> None:
    sheet = Workbook().active
    set_widths(sheet, [44, *[10] * 36, 12])
    assert sheet.column_dimensions["A"].width == 44
    assert sheet.column_dimensions["Z"].width == 10
    assert sheet.column_dimensions["AK"].width == 10
    assert sheet.column_dimensions["AL"].width == 12
