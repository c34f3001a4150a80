"""Reading an accounting export (CSV or XLSX) into rows, without touching the database.

Accepted: CSV separated by ';' in UTF-8 (with or without BOM) or Windows-1252, and XLSX (first sheet).
French formats: amounts '1 234,56' (negative = avoir), dates 'dd/mm/yyyy' (Excel date cells too).
Columns are found by their header, whatever the case and accents: Date, Code analytique, Montant,
Libellé (required), Fournisseur, N° de pièce (optional). Row numbers are those the spreadsheet shows
(header = row 1 when it is the first row).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from services.money import parse_french_amount

MAX_BYTES = 20 * 1024 * 1024
LABEL_MAX = 200
SUPPLIER_MAX = 160
VOUCHER_MAX = 80
CODE_MAX = 40

# column key → (French header shown in messages, accepted normalised headers)
COLUMNS: dict[str, tuple[str, frozenset[str]]] = {
    "spent_on": ("Date", frozenset({"date", "datepiece", "datedepiece", "dateecriture", "datedoperation"})),
    "code": ("Code analytique", frozenset({"codeanalytique", "analytique", "compteanalytique", "sectionanalytique",
                                          "codeanalytic"})),
    "amount": ("Montant", frozenset({"montant", "montanteur", "montanteuros", "montantttc"})),
    "label": ("Libellé", frozenset({"libelle", "libelleecriture", "intitule"})),
    "supplier": ("Fournisseur", frozenset({"fournisseur", "tiers", "nomdufournisseur"})),
    "voucher_ref": ("N° de pièce", frozenset({"ndepiece", "nodepiece", "numerodepiece", "npiece", "nopiece",
                                              "piece", "refpiece", "referencedepiece", "referencepiece"})),
}
REQUIRED = ("spent_on", "code", "amount", "label")
EXAMPLE_HEADER = [COLUMNS[key][0] for key in ("spent_on", "code", "amount", "label", "supplier", "voucher_ref")]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")


class FileRefused(Exception):
    """The file as a whole cannot be read (encoding, format, separator): French message."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # as numbered in the spreadsheet; None for the file as a whole
    column: str | None  # French header
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
    refused = ("Encodage du fichier non reconnu : enregistrez-le en « CSV UTF-8 » ou en « CSV (séparateur : "
               "point-virgule) » Windows-1252 depuis votre logiciel comptable ou Excel.")
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
        raise FileRefused("Ce fichier n'est pas un fichier texte CSV ni un classeur XLSX.")
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
                    raise FileRefused("Le séparateur de colonnes attendu est le point-virgule (« ; »), comme dans "
                                      "l'export CSV français d'Excel.")
            yield number, row
    except csv.Error as exc:
        raise FileRefused(f"Fichier CSV illisible ({exc}).") from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook  # imported here: only imports of XLSX files need it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused("Classeur Excel illisible : enregistrez-le à nouveau au format .xlsx.") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
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
    raise ValueError(f"Date illisible « {text} » (attendu jj/mm/aaaa, par exemple 31/01/2026)." if text
                     else "La date est obligatoire.")


def _parse_amount(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("Montant illisible.")
    if isinstance(value, int | float | Decimal):
        try:
            exact = Decimal(str(value))
            cents = (exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise ValueError("Montant illisible.") from None
        if abs(exact * 100 - cents) > Decimal("0.000001"):
            raise ValueError(f"Montant « {value} » : pas plus de deux décimales.")
        return int(cents)
    text = _cell_text(value)
    if not text:
        raise ValueError("Le montant est obligatoire.")
    try:
        return parse_french_amount(text)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message[0].upper() + message[1:] + ".") from None


def _columns(header: list[object], row_number: int, errors: list[RowError]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = normalise_header(cell)
        for key, (_, accepted) in COLUMNS.items():
            if name in accepted and key not in found:
                found[key] = index
    for key in REQUIRED:
        if key not in found:
            errors.append(RowError(row_number, COLUMNS[key][0], f"Colonne « {COLUMNS[key][0]} » absente de l'en-tête."))
    return found


def _text(value: object, limit: int, column: str, row: int, errors: list[RowError], *, required: bool = False,
          what: str = "") -> str | None:
    text = _cell_text(value) or None
    if text is None and required:
        errors.append(RowError(row, column, f"{what} est obligatoire."))
    elif text is not None and len(text) > limit:
        errors.append(RowError(row, column, f"{what} dépasse {limit} caractères."))
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

        def cell(key: str) -> object:
            index = columns.get(key)
            return values[index] if index is not None and index < len(values) else None

        before = len(parsed.errors)
        spent_on = amount = None
        try:
            spent_on = _parse_date(cell("spent_on"))
        except ValueError as exc:
            parsed.errors.append(RowError(number, "Date", str(exc)))
        code = _text(cell("code"), CODE_MAX, "Code analytique", number, parsed.errors, required=True,
                     what="Le code analytique")
        try:
            amount = _parse_amount(cell("amount"))
            if amount == 0:
                parsed.errors.append(RowError(number, "Montant", "Le montant ne peut pas être nul."))
        except ValueError as exc:
            parsed.errors.append(RowError(number, "Montant", str(exc)))
        label = _text(cell("label"), LABEL_MAX, "Libellé", number, parsed.errors, required=True, what="Le libellé")
        supplier = _text(cell("supplier"), SUPPLIER_MAX, "Fournisseur", number, parsed.errors, what="Le fournisseur")
        voucher = _text(cell("voucher_ref"), VOUCHER_MAX, "N° de pièce", number, parsed.errors,
                        what="Le numéro de pièce")
        if len(parsed.errors) == before:
            parsed.rows.append(ParsedRow(number, spent_on, code, amount, label, supplier, voucher))
    if columns is None:
        parsed.errors.append(RowError(None, None, "Le fichier est vide."))
    elif parsed.data_rows == 0:
        parsed.errors.append(RowError(None, None, "Le fichier ne contient aucune ligne de dépense sous l'en-tête."))
    return parsed


def parse_accounting_file(filename: str, content: bytes) -> ParsedFile:
    """Rows and row-by-row errors of an accounting export (see the module docstring for the format).
    Raises FileRefused when the file as a whole cannot be read."""
    if not content or not content.strip():
        raise FileRefused("Le fichier est vide.")
    if len(content) > MAX_BYTES:
        raise FileRefused(f"Fichier trop volumineux (plus de {MAX_BYTES // (1024 * 1024)} Mo) : découpez l'export.")
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "xls":
        raise FileRefused("Le format Excel 97-2003 (.xls) n'est pas lu : enregistrez le classeur en .xlsx ou en CSV.")
    if content.startswith(b"PK\x03\x04"):
        return _parse_rows("xlsx", _xlsx_rows(content))
    if suffix == "xlsx":
        raise FileRefused("Classeur Excel illisible : enregistrez-le à nouveau au format .xlsx.")
    return _parse_rows("csv", _csv_rows(content))


def example_csv() -> bytes:
    """A small example file gestion can download (UTF-8 with BOM so Excel reads the accents)."""
    lines = [";".join(EXAMPLE_HEADER),
             "15/01/2026;AGR-AV-LYO-60;1 234,56;Fournitures pour les maraudes;Bureau Vallée;FA-2026-0012",
             "20/01/2026;AGR-AV-LYO-62;-45,00;Avoir transport;SNCF;AV-2026-0003"]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
