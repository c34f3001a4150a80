"""Hostile accounting files are refused before they cost the shared process memory or minutes.

Workbooks of a few megabytes at most: shared strings that unpack to 300 MB; 300,000 rows without a
declared size (the reader would parse them all to measure the sheet), or under a declared size of 10.
Each is refused with its message, within seconds and a few megabytes (measured here with tracemalloc);
a CSV of too many rows is refused at the row past the limit.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import openpyxl  # noqa: F401  (imported before the measures: the import is not the file's cost)
import pytest

from services.finance import expense_file
from services.finance.expense_file import FileRefused, parse_accounting_file

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
SHEET_END = "</sheetData></worksheet>"
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c><c r="B1" t="inlineStr"><is><t>Code analytique</t>'
    '</is></c><c r="C1" t="inlineStr"><is><t>Montant</t></is></c><c r="D1" t="inlineStr"><is><t>Libellé</t></is></c>'
    "</row>"
)


def _workbook(sheet_rows, shared_strings) -> bytes:
    """A minimal XLSX written part by part (streamed: the test itself never holds the unpacked parts)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(SHEET_START.encode())
            for chunk in sheet_rows():
                sheet.write(chunk.encode())
            sheet.write(SHEET_END.encode())
        with archive.open("xl/sharedStrings.xml", "w") as strings:
            for chunk in shared_strings():
                strings.write(chunk.encode())
    return buffer.getvalue()


def _no_strings():
    yield (
        '<?xml version="1.0" encoding="UTF-8"?><sst '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'
    )


def _header_only():
    yield "<sheetData>" + HEADER_ROW


@pytest.fixture(scope="module")
def unpacking_bomb() -> bytes:
    def huge_string():
        yield (
            '<?xml version="1.0" encoding="UTF-8"?><sst '
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        )
        block = "A" * (1024 * 1024)
        for _ in range(300):  # 300 MB of text once unpacked
            yield block
        yield "</t></si></sst>"

    return _workbook(_header_only, huge_string)


def _rows(count: int, dimension: str | None):
    def rows():
        if dimension:  # before the rows, as Excel writes it
            yield f'<dimension ref="{dimension}"/>'
        yield "<sheetData>" + HEADER_ROW
        for number in range(2, count + 2):
            yield (
                f'<row r="{number}"><c r="A{number}"><v>46000</v></c><c r="B{number}" t="inlineStr"><is><t>X</t>'
                f'</is></c><c r="C{number}"><v>1</v></c><c r="D{number}" t="inlineStr"><is><t>x</t></is></c></row>'
            )

    return rows


@pytest.fixture
def row_limit(monkeypatch) -> int:
    """A lower limit than the app's 20,000 rows: the same refusal, read in a tenth of the time."""
    monkeypatch.setattr(expense_file, "MAX_ROWS", 2_000)
    return 2_000


@pytest.fixture(scope="module")
def undeclared_rows() -> bytes:
    """300,000 rows and no declared size: the reader would parse them all just to size the sheet (about
    40 s under tracemalloc on a 2-core machine, before the fix)."""
    return _workbook(_rows(300_000, None), _no_strings)


@pytest.fixture(scope="module")
def understated_rows() -> bytes:
    """100,000 rows under a declared size of 10."""
    return _workbook(_rows(100_000, "A1:D10"), _no_strings)


def _refusal_cost(content: bytes, filename: str) -> tuple[str, float, float]:
    """(message, seconds, peak MB allocated) of reading `content` until it is refused."""
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(FileRefused) as refused:
        parse_accounting_file(filename, content)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    tracemalloc.stop()
    return str(refused.value), seconds, peak


def test_a_workbook_that_unpacks_to_hundreds_of_megabytes_is_refused_before_unpacking(unpacking_bomb):
    assert len(unpacking_bomb) < 1024 * 1024  # under a megabyte on disk
    message, seconds, peak = _refusal_cost(unpacking_bomb, "export.xlsx")
    assert "trop volumineux une fois décompressé (plus de 60 Mo)" in message
    assert seconds < 1 and peak < 5  # nothing unpacked


def test_a_sheet_without_a_declared_size_is_refused_at_the_row_past_the_limit(undeclared_rows, row_limit):
    message, seconds, peak = _refusal_cost(undeclared_rows, "export.xlsx")
    assert message == "Plus de 2\u202f000 lignes : découpez l'export (par exemple par trimestre)."
    # 2,000 rows streamed (about 1 s; 3.6 s seen on a loaded machine): the sheet is not parsed whole to be sized
    assert seconds < 10 and peak < 20


def test_a_sheet_declaring_too_many_rows_is_refused_before_reading():
    content = _workbook(_rows(10, "A1:D500000"), _no_strings)
    message, seconds, _peak = _refusal_cost(content, "export.xlsx")
    assert message == "Plus de 20\u202f000 lignes : découpez l'export (par exemple par trimestre)."
    assert seconds < 1


def test_a_sheet_understating_its_rows_is_refused_at_the_row_past_the_limit(understated_rows, row_limit):
    message, seconds, peak = _refusal_cost(understated_rows, "export.xlsx")
    assert message == "Plus de 2\u202f000 lignes : découpez l'export (par exemple par trimestre)."
    assert seconds < 10 and peak < 20  # every row is read (not 10), up to the limit


def test_a_csv_of_too_many_rows_is_refused():
    rows = ["Date;Code analytique;Montant;Libellé"] + ["01/02/2026;AGR-1;10,00;Fournitures"] * expense_file.MAX_ROWS
    with pytest.raises(FileRefused, match="Plus de 20"):
        parse_accounting_file("export.csv", "\n".join(rows).encode())
    parsed = parse_accounting_file("export.csv", "\n".join(rows[:-1]).encode())  # exactly the limit: read
    assert len(parsed.rows) + len(parsed.errors) >= expense_file.MAX_ROWS - 1
