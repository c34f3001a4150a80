"""Writing spreadsheet rows safely: every text cell goes through `safe_text` (formula injection).

OWASP "CSV injection" rule, applied to XLSX as well: a text starting with =, +, -, @, a tab or a
carriage return (also after leading spaces) is prefixed with an apostrophe so a spreadsheet shows it
as text and never evaluates it; the cell is also forced to the string type (openpyxl would otherwise
store a text starting with "=" as a formula). Numbers stay numbers (a negative amount is a number,
not a text), dates stay dates.

Formats: Excel number formats are locale-neutral codes displayed with the reader's locale, so a
French Excel shows `#,##0.00 "€"` as « 1 234,56 € ». A Decimal is stored rounded to what its format
shows (`held_number`): the services keep ratios exact and each output rounds them once, so the file
holds no more than it shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from i18n import _

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EUROS = '#,##0.00\\ "€"'
PERCENT = "0.00\\ %"
DATE = "dd/mm/yyyy"
FTE = "0.00"
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_SHEET_NAME = 31  # Excel's limit (openpyxl only warns on a longer name)


def safe_text(value: str) -> str:
    """The text as a spreadsheet must store it: a leading apostrophe when it could start a formula."""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def euros(cents: int) -> Decimal:
    """Cents → euros as an exact Decimal with two places (never a float)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def held_number(value: Decimal, number_format: str | None) -> Decimal:
    """The number a cell stores: `value` rounded to the places its format shows (0.7994652 under
    `0.00 %` → 0.7995); unchanged without a format."""
    if not number_format or not re.search(r"[0#]", number_format):
        return value
    places = re.search(r"\.(0+)", number_format)
    digits = (len(places.group(1)) if places else 0) + (2 if "%" in number_format else 0)
    return value.quantize(Decimal(1).scaleb(-digits))


def write_row(
    ws: Worksheet, values: Sequence[object], formats: Sequence[str | None] | None = None, *, bold: bool = False
) -> list[Cell]:
    """Append a row: texts neutralised, dates as dd/mm/yyyy, numbers with the given formats."""
    cells: list[Cell] = []
    for column, value in enumerate(values, start=1):
        cell = Cell(ws)
        if value is None:
            pass
        elif isinstance(value, bool):
            cell.value = _("Oui") if value else _("Non")
            cell.data_type = "s"
        elif isinstance(value, Decimal):
            cell.value = held_number(value, formats[column - 1] if formats and column <= len(formats) else None)
        elif isinstance(value, int | float):
            cell.value = value
        elif isinstance(value, datetime | date):
            cell.value = value
            cell.number_format = DATE
        else:
            cell.value = safe_text(str(value))
            cell.data_type = "s"
        if formats and column <= len(formats) and formats[column - 1] and value is not None:
            cell.number_format = formats[column - 1]
        if bold:
            cell.font = BOLD
        cells.append(cell)
    ws.append(cells)
    return cells


def set_widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(index + 1)].width = width  # …, Z, AA, AB (a 3-year period)


LINE_POINTS = 15  # height of one line of Calibri 11, in points
CHARS_PER_WIDTH = 1.1  # characters of text per unit of column width, roughly, in Calibri 11


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes once wrapped in a cell `width` units wide (a generous estimate: a
    row a little too tall reads better than a note cut off)."""
    per_line = max(int(width * CHARS_PER_WIDTH * 0.9), 1)
    return sum(max(-(-len(paragraph) // per_line), 1) for paragraph in str(text).split("\n"))


def write_note(ws: Worksheet, text: str, *, columns: int) -> Cell:
    """A long text (a note, a rule, an explanation) on its own row: spread over the first `columns`
    columns, wrapped, and the row tall enough to show it whole. Call after set_widths (the height
    follows the widths)."""
    [cell] = write_row(ws, [text])
    cell.alignment = WRAP
    if columns > 1:
        ws.merge_cells(start_row=cell.row, start_column=1, end_row=cell.row, end_column=columns)
    width = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, columns + 1))
    ws.row_dimensions[cell.row].height = LINE_POINTS * wrapped_lines(text, width)
    return cell


def wrap_cell(cell: Cell) -> None:
    """A long text in a table cell: wrapped, and its row tall enough for it (its column's width)."""
    cell.alignment = WRAP
    width = cell.parent.column_dimensions[cell.column_letter].width or 8.43
    dimension = cell.parent.row_dimensions[cell.row]
    dimension.height = max(dimension.height or LINE_POINTS, LINE_POINTS * wrapped_lines(cell.value or "", width))


def sheet_name(workbook: Workbook, preferred: str, fallback: str) -> str:
    """A sheet name Excel accepts, never cut: `preferred` if it fits (31 characters, none of []:*?/\\)
    and no sheet has it yet (Excel ignores case), else `fallback` numbered until unique."""
    taken = {name.casefold() for name in workbook.sheetnames}
    clean = re.sub(r"[\[\]:*?/\\]", "-", preferred)
    if len(clean) <= MAX_SHEET_NAME and clean.casefold() not in taken:
        return clean
    number = 1
    while (candidate := f"{fallback} {number}").casefold() in taken:
        number += 1
    return candidate[:MAX_SHEET_NAME]
