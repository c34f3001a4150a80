"""Writing spreadsheet rows safely: every text cell goes through `safe_text` (formula injection).

OWASP "CSV injection" rule, applied to XLSX as well: a text starting with =, +, -, @, a tab or a
carriage return (also after leading spaces) is prefixed with an apostrophe so a spreadsheet shows it
as text and never evaluates it; the cell is also forced to the string type (openpyxl would otherwise
store a text starting with "=" as a formula). Numbers stay numbers (a negative amount is a number,
not a text), dates stay dates.

Formats: Excel number formats are locale-neutral codes displayed with the reader's locale, so a
French Excel shows `#,##0.00 "€"` as « 1 234,56 € ».
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from i18n import _

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EUROS = '#,##0.00\\ "€"'
PERCENT = "0.00\\ %"
DATE = "dd/mm/yyyy"
FTE = "0.00"
BOLD = Font(bold=True)


def safe_text(value: str) -> str:
    """The text as a spreadsheet must store it: a leading apostrophe when it could start a formula."""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def euros(cents: int) -> Decimal:
    """Cents → euros as an exact Decimal with two places (never a float)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


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
        elif isinstance(value, int | float | Decimal):
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
