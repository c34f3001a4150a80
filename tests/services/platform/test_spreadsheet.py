"""Sheets written for exports: widths reach past column Z (a report over three years has 38 columns)."""

from __future__ import annotations

from openpyxl import Workbook

from services.platform.spreadsheet import set_widths, sheet_name, write_note


def test_widths_are_set_past_the_twenty_sixth_column() -> None:
    sheet = Workbook().active
    set_widths(sheet, [44, *[10] * 36, 12])
    assert sheet.column_dimensions["A"].width == 44
    assert sheet.column_dimensions["Z"].width == 10
    assert sheet.column_dimensions["AK"].width == 10
    assert sheet.column_dimensions["AL"].width == 12


def test_a_sheet_name_is_never_cut_nor_repeated() -> None:
    workbook = Workbook()
    workbook.active.title = "Synthèse"
    assert sheet_name(workbook, "Mois – Nouveaux accueils", fallback="Par mois") == "Mois – Nouveaux accueils"
    assert sheet_name(workbook, "SYNTHÈSE", fallback="Feuille") == "Feuille 1"  # Excel ignores case
    long = "Mois – Orientations partenaires : France Travail"  # 48 characters
    workbook.create_sheet(sheet_name(workbook, long, fallback="Par mois"))
    workbook.create_sheet(sheet_name(workbook, long, fallback="Par mois"))
    assert workbook.sheetnames == ["Synthèse", "Par mois 1", "Par mois 2"]
    assert sheet_name(workbook, "Heures [cours]: A/B", fallback="x") == "Heures -cours-- A-B"


def test_a_long_note_is_wrapped_over_its_columns_and_its_row_tall_enough() -> None:
    sheet = Workbook().active
    set_widths(sheet, [30, 30])
    note = "Secret statistique : " + "un texte assez long pour trois lignes " * 5  # 211 characters
    cell = write_note(sheet, note, columns=2)
    assert cell.alignment.wrap_text
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:B1"]
    # 60 units of width hold at most about 66 characters a line: at least 4 lines of 15 points.
    assert sheet.row_dimensions[1].height >= 60
