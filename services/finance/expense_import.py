"""Import of an accounting export into expenses: every row validated first, then all rows or none.

Who: EDIT_BUDGET (gestion), on the lines it may see. Rows are mapped to budget lines by their
analytic code (BudgetLine.accounting_code, case-insensitive); an optional Site column must name the
line's site (a national line: an empty cell or « National »). Refused, with a row-by-row report:
unreadable dates or amounts, unknown codes, a date in the future or outside the grant's period,
a row repeated in the file, a row already booked (same line, date, amount and voucher reference),
an empty file, a file already imported (same SHA-256). On any error nothing is written.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, select

import clock
from clock import PARIS
from i18n import N_, _, ngettext
from models.audit import AuditAction
from models.finance import BudgetLine, Expense, ExpenseImport, Grant
from models.organisation import Site, User
from models.types import utcnow
from services.finance.access import visible_lines
from services.finance.expense_file import (
    COLUMNS,
    FileRefused,
    ParsedFile,
    ParsedRow,
    RowError,
    example_csv,
    parse_accounting_file,
)
from services.finance.expenses import voucher_key
from services.platform import audit
from services.platform.errors import ServiceError
from services.platform.inputs import FormInput, messages
from services.platform.principal import Capability, Principal
from services.platform.sites import NATIONAL, NATIONAL_CHOICE, NATIONAL_SITE

__all__ = [
    "ImportRefused",
    "ImportResult",
    "ImportedLine",
    "RowError",
    "example_csv",
    "import_expenses",
    "parse_accounting_file",
]

Progress = Callable[[int, int], None]
BATCH = 1_000
CODE = COLUMNS["code"][0]  # French headers of the report (RowError.column)
DATE = COLUMNS["spent_on"][0]
SITE = COLUMNS["site"][0]


class ImportRefused(ServiceError):
    """Nothing was imported; `errors` is the row-by-row report (messages in the active language)."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        count = len(errors)
        super().__init__(
            ngettext(
                "Le fichier n'a pas été importé ({count} erreur) : rien n'a été enregistré. Corrigez le fichier puis "
                "importez-le à nouveau.",
                "Le fichier n'a pas été importé ({count} erreurs) : rien n'a été enregistré. Corrigez le fichier puis "
                "importez-le à nouveau.",
                count,
            ).format(count=count)
        )


@dataclass(frozen=True)
class ImportedLine:
    accounting_code: str
    row_count: int
    total_cents: int


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    filename: str
    row_count: int
    total_cents: int
    lines: list[ImportedLine]  # the budget lines touched, by code


@dataclass(frozen=True)
class _Line:
    id: int
    code: str
    grant_id: int
    site_id: int | None  # None: a national line
    site_code: str | None
    starts_on: date
    ends_on: date


def _already_imported(session: Session, sha256: str) -> RowError | None:
    found = session.exec(
        select(ExpenseImport.imported_at, User.display_name)
        .outerjoin(User, User.id == ExpenseImport.imported_by_id)
        .where(ExpenseImport.file_sha256 == sha256)
    ).first()
    if found is None:
        return None
    at, who = found
    local = at.astimezone(PARIS)
    if who:
        message = _("Ce fichier a déjà été importé le {day} à {time} par {who}.")
    else:
        message = _("Ce fichier a déjà été importé le {day} à {time} par un compte supprimé.")
    return RowError(None, None, message.format(day=f"{local:%d/%m/%Y}", time=f"{local:%H:%M}", who=who))


def _lines_by_code(session: Session, principal: Principal) -> dict[str, list[_Line]]:
    rows = session.exec(
        select(
            BudgetLine.id,
            BudgetLine.accounting_code,
            BudgetLine.grant_id,
            BudgetLine.site_id,
            Site.code,
            Grant.starts_on,
            Grant.ends_on,
        )
        .join(Grant, Grant.id == BudgetLine.grant_id)
        .outerjoin(Site, Site.id == BudgetLine.site_id)  # a national line has no site
        .where(BudgetLine.accounting_code.is_not(None), visible_lines(principal))
    ).all()
    found: dict[str, list[_Line]] = defaultdict(list)
    for line_id, code, grant_id, site_id, site_code, starts_on, ends_on in rows:
        found[code.strip().upper()].append(_Line(line_id, code, grant_id, site_id, site_code, starts_on, ends_on))
    return found


def _site_mismatch(row: ParsedRow, line: _Line) -> RowError | None:
    """The Site cell, when the file has one, names the line's site: its code, or for a national line an empty
    cell or « National » (as the lines table shows it, or its French word whatever the language)."""
    if row.site is None:
        return None  # an empty cell: the code alone says where (a national line, or any site's)
    written = row.site.strip().casefold()
    if line.site_code is None:
        if written in {NATIONAL_SITE, _(NATIONAL).casefold(), _(NATIONAL_CHOICE).casefold(), "national (aucun site)"}:
            return None
        message = _(
            "Site « {site} » : le code « {code} » est celui d'une ligne nationale (site vide ou « {national} »)."
        )
        return RowError(row.row, SITE, message.format(site=row.site, code=row.code, national=_(NATIONAL)))
    if written == line.site_code.casefold():
        return None
    message = _("Site « {site} » : le code « {code} » est celui d'une ligne du site {expected}.")
    return RowError(row.row, SITE, message.format(site=row.site, code=row.code, expected=line.site_code))


def _booked_keys(session: Session, line_ids: set[int], first: date, last: date) -> set[tuple]:
    """(line, date, amount, voucher) of the expenses already booked on these lines in this date range."""
    if not line_ids:
        return set()
    rows = session.exec(
        select(Expense.budget_line_id, Expense.spent_on, Expense.amount_cents, Expense.voucher_ref).where(
            Expense.budget_line_id.in_(sorted(line_ids)), Expense.spent_on >= first, Expense.spent_on <= last
        )
    ).all()
    return {(line, day, cents, voucher_key(voucher)) for line, day, cents, voucher in rows}


def _validate(
    session: Session, principal: Principal, parsed: ParsedFile, today: date, progress: Progress | None, steps: int
) -> list[tuple[ParsedRow, _Line]]:
    """Map every parsed row to its line and check the rules that need the database; errors are added
    to parsed.errors."""
    lines = _lines_by_code(session, principal)
    mapped: list[tuple[ParsedRow, _Line]] = []
    seen: dict[tuple, int] = {}
    errors = parsed.errors
    for index, row in enumerate(parsed.rows, start=1):
        candidates = lines.get(row.code.upper(), [])
        if not candidates:
            errors.append(
                RowError(
                    row.row,
                    CODE,
                    _(
                        "Code analytique « {code} » inconnu : il ne correspond à "
                        "aucune ligne budgétaire (voir Financements)."
                    ).format(code=row.code),
                )
            )
        elif len(candidates) > 1:
            errors.append(
                RowError(
                    row.row,
                    CODE,
                    _(
                        "Le code analytique « {code} » est attribué à plusieurs "
                        "lignes budgétaires : corrigez les lignes avant "
                        "d'importer."
                    ).format(code=row.code),
                )
            )
        else:
            line = candidates[0]
            mismatch = _site_mismatch(row, line)
            if mismatch is not None:
                errors.append(mismatch)
            elif row.spent_on > today:
                errors.append(RowError(row.row, DATE, _("La date est dans le futur.")))
            elif not line.starts_on <= row.spent_on <= line.ends_on:
                errors.append(
                    RowError(
                        row.row,
                        DATE,
                        _("Date hors de la période du financement (du {start} au {end}).").format(
                            start=f"{line.starts_on:%d/%m/%Y}", end=f"{line.ends_on:%d/%m/%Y}"
                        ),
                    )
                )
            else:
                key = (line.id, row.spent_on, row.amount_cents, voucher_key(row.voucher_ref))
                if key in seen:
                    errors.append(
                        RowError(
                            row.row,
                            None,
                            _(
                                "Ligne en double : identique à la ligne {other} "
                                "(même code, date, montant et n° de pièce)."
                            ).format(other=seen[key]),
                        )
                    )
                else:
                    seen[key] = row.row
                    mapped.append((row, line))
        if progress and index % BATCH == 0:
            progress(index, steps)
    if mapped:
        booked = _booked_keys(
            session,
            {line.id for _unused, line in mapped},
            min(r.spent_on for r, _unused in mapped),
            max(r.spent_on for r, _unused in mapped),
        )
        for row, line in mapped:
            if (line.id, row.spent_on, row.amount_cents, voucher_key(row.voucher_ref)) in booked:
                errors.append(
                    RowError(
                        row.row,
                        None,
                        _("Dépense déjà enregistrée dans Parcours (même ligne, date, montant et n° de pièce)."),
                    )
                )
    return mapped


def _sorted(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e.row is not None, e.row or 0))


CHOOSE_A_FILE = N_("Choisissez un fichier CSV ou XLSX.")


class UploadInput(FormInput):
    """What the import form sends: the file chosen (its name and content; None when none was chosen)."""

    filename: str | None = None
    content: bytes = Field(json_schema_extra=messages(CHOOSE_A_FILE))


def import_expenses(
    session: Session,
    principal: Principal,
    *,
    filename: str | None,
    content: bytes | None,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportResult:
    """Validate every row of an accounting export, then write them all in one transaction (gestion).

    Raises ImportRefused with the row-by-row report when anything is wrong (nothing written).
    `progress(done, total)` is called while validating and while writing (total = 2 × rows).
    """
    principal.require(Capability.EDIT_BUDGET)
    today = today or clock.today()
    upload = UploadInput.validated({"filename": filename, "content": content})
    filename = (upload.filename or "export.csv").strip()[-255:]
    content = upload.content
    sha256 = hashlib.sha256(content).hexdigest()
    duplicate = _already_imported(session, sha256)
    if duplicate is not None:
        raise ImportRefused([duplicate])
    try:
        parsed = parse_accounting_file(filename, content)
    except FileRefused as exc:
        raise ImportRefused([RowError(None, None, str(exc))]) from None
    steps = 2 * max(parsed.data_rows, 1)
    mapped = _validate(session, principal, parsed, today, progress, steps)
    if parsed.errors:
        raise ImportRefused(_sorted(parsed.errors))
    if progress:
        progress(steps // 2, steps)
    now = utcnow()
    total = sum(row.amount_cents for row, _unused in mapped)
    batch = ExpenseImport(
        file_sha256=sha256,
        filename=filename,
        imported_at=now,
        imported_by_id=principal.user_id,
        row_count=len(mapped),
        total_cents=total,
    )
    session.add(batch)
    session.flush()
    statement = sa.insert(Expense.__table__)
    for start in range(0, len(mapped), BATCH):
        session.execute(
            statement,
            [
                {
                    "budget_line_id": line.id,
                    "grant_id": line.grant_id,
                    "site_id": line.site_id,
                    "spent_on": row.spent_on,
                    "amount_cents": row.amount_cents,
                    "label": row.label,
                    "supplier": row.supplier,
                    "voucher_ref": row.voucher_ref,
                    "import_id": batch.id,
                    "post_id": None,
                    "created_by_id": principal.user_id,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for row, line in mapped[start : start + BATCH]
            ],
        )
        if progress:
            progress(steps // 2 + min(start + BATCH, len(mapped)), steps)
    per_line: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, line in mapped:
        per_line[line.code][0] += 1
        per_line[line.code][1] += row.amount_cents
    audit.record(
        session,
        actor=principal,
        action=AuditAction.EXPENSES_IMPORTED,
        entity_type="expense_import",
        entity_id=batch.id,
        detail=f"rows={len(mapped)} total_cents={total}",
    )
    session.commit()
    return ImportResult(
        batch.id,
        filename,
        len(mapped),
        total,
        [ImportedLine(code, count, cents) for code, (count, cents) in sorted(per_line.items())],
    )
