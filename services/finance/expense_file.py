"""Reading an accounting export (CSV or XLSX) into rows, without touching the database.

Accepted: CSV separated by ';' in UTF-8 (with or without BOM) or Windows-1252, and XLSX (first sheet).
French formats: amounts '1 234,56' (negative = avoir), dates 'dd/mm/yyyy' (Excel date cells too).
Columns are found by their header, whatever the case and accents: Date, Code analytique, Montant,
Libellé (required), Fournisseur, N° de pièce, Site (optional); the English names (Date, Accounting code,
Amount, Label, Supplier, Voucher no., Site) are accepted too. The Site column, when present, is checked
against the line the code names (services.finance.expense_import): a site's code, or for a national line
(no site) an empty cell or « National ». Row numbers are those the spreadsheet shows
(header = row 1 when it is the first row).
"""

from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from unittest import mock

from i18n import N_, _, formats
from services.platform.money import parse_french_amount

# What a file may hold, checked before and while it is read (a workbook is a zip: 0.6 MB can unpack into
# gigabytes, or a million rows that take minutes in the process every user shares). A year of accounting
# export for an association is a few thousand rows.
MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024  # a workbook's parts once unzipped, as its zip directory declares them
MAX_ROWS = 20_000
MAX_COLUMNS = 40
LABEL_MAX = 200
SUPPLIER_MAX = 160
VOUCHER_MAX = 80
CODE_MAX = 40
SITE_MAX = 40

# column key → (French header: RowError.column, the example file; translated where shown; accepted
# normalised headers, French and English)
COLUMNS: dict[str, tuple[str, frozenset[str]]] = {
    "spent_on": (N_("Date"), frozenset({"date", "datepiece", "datedepiece", "dateecriture", "datedoperation"})),
    "code": (
        N_("Code analytique"),
        frozenset(
            {
                "codeanalytique",
                "analytique",
                "compteanalytique",
                "sectionanalytique",
                "codeanalytic",
                "accountingcode",
                "analyticcode",
                "analyticalcode",
            }
        ),
    ),
    "amount": (N_("Montant"), frozenset({"montant", "montanteur", "montanteuros", "montantttc", "amount"})),
    "label": (N_("Libellé"), frozenset({"libelle", "libelleecriture", "intitule", "label", "description"})),
    "supplier": (N_("Fournisseur"), frozenset({"fournisseur", "tiers", "nomdufournisseur", "supplier"})),
    "voucher_ref": (
        N_("N° de pièce"),
        frozenset(
            {
                "ndepiece",
                "nodepiece",
                "numerodepiece",
                "npiece",
                "nopiece",
                "piece",
                "refpiece",
                "referencedepiece",
                "referencepiece",
                "voucherno",
                "vouchernumber",
                "voucherref",
                "voucher",
            }
        ),
    ),
    "site": (N_("Site"), frozenset({"site", "codesite", "sitecode", "antenne", "etablissement"})),
}
# column key → (message when the cell is empty, None when optional; message when too long)
TEXT_MESSAGES: dict[str, tuple[str | None, str]] = {
    "code": (N_("Le code analytique est obligatoire."), N_("Le code analytique dépasse {limit} caractères.")),
    "label": (N_("Le libellé est obligatoire."), N_("Le libellé dépasse {limit} caractères.")),
    "supplier": (None, N_("Le fournisseur dépasse {limit} caractères.")),
    "voucher_ref": (None, N_("Le numéro de pièce dépasse {limit} caractères.")),
    "site": (None, N_("Le site dépasse {limit} caractères.")),
}
REQUIRED = ("spent_on", "code", "amount", "label")
EXAMPLE_HEADER = [COLUMNS[key][0] for key in ("spent_on", "code", "amount", "label", "supplier", "voucher_ref")]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")


class FileRefused(Exception):
    """The file as a whole cannot be read (encoding, format, separator): message in the active language."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # as numbered in the spreadsheet; None for the file as a whole
    column: str | None  # French header (COLUMNS), translated where shown
    message: str


@dataclass(frozen=True)
class ParsedRow:
    row: int
    spent_on: date
    code: str
    amount_cents: int
    label: str
    supplier: str | None
    voucher_ref: str | None
    site: str | None = None  # the Site cell as written (optional column; empty: None)


@dataclass
class ParsedFile:
    kind: str  # "csv" | "xlsx"
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0  # non-empty rows under the header


def normalise_header(text: object) -> str:
    """'N° de pièce ' → 'ndepiece'; 'Libellé' → 'libelle'."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


def _decode(content: bytes) -> str:
    refused = _(
        "Encodage du fichier non reconnu : enregistrez-le en « CSV UTF-8 » ou en « CSV (séparateur : "
        "point-virgule) » Windows-1252 depuis votre logiciel comptable ou Excel."
    )
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:4096]:
        raise FileRefused(refused)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise FileRefused(refused) from None
    if _CONTROL.search(text):
        raise FileRefused(_("Ce fichier n'est pas un fichier texte CSV ni un classeur XLSX."))
    return text


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[object]]]:
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    first = True
    try:
        for number, row in enumerate(reader, start=1):  # one record = one spreadsheet row, line breaks included
            if first and any(cell.strip() for cell in row):
                first = False
                if len(row) == 1 and ("," in row[0] or "\t" in row[0]):
                    raise FileRefused(
                        _(
                            "Le séparateur de colonnes attendu est le point-virgule (« ; »), comme "
                            "dans l'export CSV français d'Excel."
                        )
                    )
            yield number, row
    except csv.Error as exc:
        raise FileRefused(_("Fichier CSV illisible ({error}).").format(error=exc)) from None


TOO_MANY_ROWS = N_("Plus de {rows} lignes : découpez l'export (par exemple par trimestre).")
UNREADABLE_XLSX = N_("Classeur Excel illisible : enregistrez-le à nouveau au format .xlsx.")


def _too_many_rows() -> FileRefused:
    return FileRefused(_(TOO_MANY_ROWS).format(rows=formats.number(MAX_ROWS)))


def _limited(rows: Iterable[tuple[int, list[object]]]) -> Iterator[tuple[int, list[object]]]:
    """The rows, refused at the first one past MAX_ROWS (the file is not read further)."""
    for number, values in rows:
        if number > MAX_ROWS:
            raise _too_many_rows()
        yield number, values


# A sheet's declared size (<dimension ref="A1:F250"/>), written before its rows by Excel and LibreOffice:
# one declaring more rows than MAX_ROWS is refused before it is read.
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData[\s/>]")
HEAD_BYTES = 64 * 1024
# openpyxl sizes each sheet when it opens a workbook, and without a declared size (streaming writers omit
# it) it parses the whole sheet to do so: seconds per hundred thousand rows before the first row is read.
# The size is of no use here (every row is read up to MAX_ROWS), so the opening skips it, one at a time.
_OPENING = threading.Lock()


def _check_workbook(content: bytes) -> None:
    """Refuse, before the workbook is opened, one whose parts would unpack beyond MAX_UNPACKED_BYTES (the
    sizes the zip directory declares bound what is read: a part longer than declared fails its check), or
    a sheet that declares more than MAX_ROWS rows."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                raise FileRefused(
                    _("Classeur trop volumineux une fois décompressé (plus de {size} Mo) : découpez l'export.").format(
                        size=MAX_UNPACKED_BYTES // (1024 * 1024)
                    )
                )
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                    with archive.open(member) as sheet:
                        head = sheet.read(HEAD_BYTES)
                    data = _SHEET_DATA.search(head)
                    declared = _DIMENSION.search(head, 0, data.start() if data else len(head))
                    if declared and declared.group(1) and int(declared.group(1)) > MAX_ROWS:
                        raise _too_many_rows()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(_(UNREADABLE_XLSX)) from exc


def _open_workbook(content: bytes):
    from openpyxl import load_workbook  # imported here: only imports of XLSX files need it
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    with _OPENING, mock.patch.object(ReadOnlyWorksheet, "_get_size", lambda _sheet: None):
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[object]]]:
    _check_workbook(content)
    try:
        workbook = _open_workbook(content)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused(_(UNREADABLE_XLSX)) from exc
    try:
        sheet = workbook.worksheets[0]  # streamed (read-only): one row in memory at a time
        sheet.reset_dimensions()  # every row, whatever size the sheet declares (MAX_ROWS bounds the reading)
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            yield number, list(values)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused(_(UNREADABLE_XLSX)) from exc
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    match = _DATE.match(text)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        match = _ISO_DATE.match(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    if text:
        raise ValueError(_("Date illisible « {text} » (attendu jj/mm/aaaa, par exemple 31/01/2026).").format(text=text))
    raise ValueError(_("La date est obligatoire."))


def _parse_amount(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(_("Montant illisible."))
    if isinstance(value, int | float | Decimal):
        try:
            exact = Decimal(str(value))
            cents = (exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise ValueError(_("Montant illisible.")) from None
        if abs(exact * 100 - cents) > Decimal("0.000001"):
            raise ValueError(_("Montant « {value} » : pas plus de deux décimales.").format(value=value))
        return int(cents)
    text = _cell_text(value)
    if not text:
        raise ValueError(_("Le montant est obligatoire."))
    try:
        return parse_french_amount(text)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message[0].upper() + message[1:] + ".") from None


def _columns(header: list[object], row_number: int, errors: list[RowError]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = normalise_header(cell)
        for key, (_header, accepted) in COLUMNS.items():
            if name in accepted and key not in found:
                found[key] = index
    for key in REQUIRED:
        if key not in found:
            header = COLUMNS[key][0]
            errors.append(
                RowError(row_number, header, _("Colonne « {column} » absente de l'en-tête.").format(column=_(header)))
            )
    return found


def _text(
    value: object, limit: int, key: str, row: int, errors: list[RowError], *, required: bool = False
) -> str | None:
    text = _cell_text(value) or None
    missing, too_long = TEXT_MESSAGES[key]
    if text is None and required:
        errors.append(RowError(row, COLUMNS[key][0], _(missing)))
    elif text is not None and len(text) > limit:
        errors.append(RowError(row, COLUMNS[key][0], _(too_long).format(limit=limit)))
    return text


def _parse_rows(kind: str, rows: Iterable[tuple[int, list[object]]]) -> ParsedFile:
    parsed = ParsedFile(kind)
    columns: dict[str, int] | None = None
    for number, values in rows:
        if not any(_cell_text(v) for v in values):
            continue
        if columns is None:
            columns = _columns(values, number, parsed.errors)
            if parsed.errors:
                return parsed
            continue
        parsed.data_rows += 1

        def cell(key: str, columns: dict[str, int] = columns, values: list[object] = values) -> object:
            index = columns.get(key)
            return values[index] if index is not None and index < len(values) else None

        before = len(parsed.errors)
        spent_on = amount = None
        try:
            spent_on = _parse_date(cell("spent_on"))
        except ValueError as exc:
            parsed.errors.append(RowError(number, COLUMNS["spent_on"][0], str(exc)))
        code = _text(cell("code"), CODE_MAX, "code", number, parsed.errors, required=True)
        try:
            amount = _parse_amount(cell("amount"))
            if amount == 0:
                parsed.errors.append(RowError(number, COLUMNS["amount"][0], _("Le montant ne peut pas être nul.")))
        except ValueError as exc:
            parsed.errors.append(RowError(number, COLUMNS["amount"][0], str(exc)))
        label = _text(cell("label"), LABEL_MAX, "label", number, parsed.errors, required=True)
        supplier = _text(cell("supplier"), SUPPLIER_MAX, "supplier", number, parsed.errors)
        voucher = _text(cell("voucher_ref"), VOUCHER_MAX, "voucher_ref", number, parsed.errors)
        site = _text(cell("site"), SITE_MAX, "site", number, parsed.errors)
        if len(parsed.errors) == before:
            parsed.rows.append(ParsedRow(number, spent_on, code, amount, label, supplier, voucher, site))
    if columns is None:
        parsed.errors.append(RowError(None, None, _("Le fichier est vide.")))
    elif parsed.data_rows == 0:
        parsed.errors.append(RowError(None, None, _("Le fichier ne contient aucune ligne de dépense sous l'en-tête.")))
    return parsed


def parse_accounting_file(filename: str, content: bytes) -> ParsedFile:
    """Rows and row-by-row errors of an accounting export (see the module docstring for the format).
    Raises FileRefused when the file as a whole cannot be read."""
    if not content or not content.strip():
        raise FileRefused(_("Le fichier est vide."))
    if len(content) > MAX_BYTES:
        raise FileRefused(
            _("Fichier trop volumineux (plus de {size} Mo) : découpez l'export.").format(
                size=MAX_BYTES // (1024 * 1024)
            )
        )
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "xls":
        raise FileRefused(
            _("Le format Excel 97-2003 (.xls) n'est pas lu : enregistrez le classeur en .xlsx ou en CSV.")
        )
    if content.startswith(b"PK\x03\x04"):
        return _parse_rows("xlsx", _limited(_xlsx_rows(content)))
    if suffix == "xlsx":
        raise FileRefused(_(UNREADABLE_XLSX))
    return _parse_rows("csv", _limited(_csv_rows(content)))


def example_csv() -> bytes:
    """A small example file gestion can download (UTF-8 with BOM so Excel reads the accents). It stays
    French in every language: it shows what a French accounting export looks like."""
    lines = [
        ";".join(EXAMPLE_HEADER),
        "15/01/2026;AGR-AV-LYO-60;1 234,56;Fournitures pour les maraudes;Bureau Vallée;FA-2026-0012",
        "20/01/2026;AGR-AV-LYO-62;-45,00;Avoir transport;SNCF;AV-2026-0003",
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
