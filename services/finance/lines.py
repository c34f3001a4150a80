"""Budget lines of a grant: one per strand × site × Cerfa 15059 category, with a planned amount and
the analytic code that maps the accounting export's rows to it.

Read: whoever may read the grant (services.finance.access.visible_lines: chef_service gets its own
sites' lines only; a financeur never gets the accounting codes). Write: EDIT_BUDGET (gestion), the
whole table of a grant at once, so that the rule "the lines add up to the grant amount" holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Session, select

import clock
from i18n import N_, _, formats
from models.audit import AuditAction
from models.finance import BudgetCategory, BudgetLine, BudgetRevision, Expense, Grant, GrantSite, Strand
from models.organisation import Site
from services.finance.access import may_write_national, sees_details, visible_grants, visible_lines
from services.finance.fields import AMOUNT_REQUIRED, spaces_or_none
from services.finance.grants import require_reader, spent_by_line
from services.platform import audit
from services.platform.errors import NotFound, ValidationFailed
from services.platform.inputs import FormInput, checked, field_error, raw, refuse_if
from services.platform.money import typed_cents
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import NATIONAL_SITE, site_code_or_national

ACCOUNTING_CODE_MAX = 40
CATEGORY_ORDER = {category: index for index, category in enumerate(BudgetCategory)}
TOTAL = "total"  # error key of the "lines add up to the grant" rule


@dataclass(frozen=True)
class LineRow:
    id: int
    grant_id: int
    strand_id: int
    strand_name: str
    site_id: int | None  # None: a national line (association-wide principals only)
    site_code: str  # « National » for a national line
    category: BudgetCategory
    planned_cents: int
    accounting_code: str | None  # None for a financeur
    spent_cents: int  # up to today
    version: int


def _grant_in_scope(session: Session, principal: Principal, grant_id: int) -> Grant:
    grant = session.exec(select(Grant).where(Grant.id == grant_id, visible_grants(principal))).first()
    if grant is None:
        raise NotFound(_("Financement introuvable."))
    return grant


def budget_lines(session: Session, principal: Principal, grant_id: int, *, today: date | None = None) -> list[LineRow]:
    """The lines of a grant the principal may see, by strand, site and category, with spending to date."""
    require_reader(principal)
    _grant_in_scope(session, principal, grant_id)
    spent = spent_by_line(today or clock.today(), grant_id)
    rows = session.exec(
        select(BudgetLine, Strand.name, Site.code, sa.func.coalesce(spent.c.spent, 0))
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .outerjoin(Site, Site.id == BudgetLine.site_id)  # a national line has no site
        .outerjoin(spent, spent.c.budget_line_id == BudgetLine.id)
        .where(BudgetLine.grant_id == grant_id, visible_lines(principal))
    ).all()
    details = sees_details(principal)
    result = [
        LineRow(
            line.id,
            line.grant_id,
            line.strand_id,
            strand,
            line.site_id,
            site_code_or_national(site),
            line.category,
            line.planned_cents,
            line.accounting_code if details else None,
            int(s),
            line.version,
        )
        for line, strand, site, s in rows
    ]
    return sorted(result, key=lambda r: (r.strand_name, r.site_code, CATEGORY_ORDER[r.category]))


@dataclass(frozen=True)
class LineChoice:
    """A line offered in the expense entry form."""

    id: int
    grant_id: int
    grant_name: str
    convention_ref: str
    label: str  # "AGR-AV-LYO-60 · Aller-vers · LYO · 60 – Achats" (built by the page from the parts)
    strand_name: str
    site_code: str  # « National » for a national line
    category: BudgetCategory
    accounting_code: str | None
    starts_on: date
    ends_on: date


def line_choices(session: Session, principal: Principal, *, grant_id: int | None = None) -> list[LineChoice]:
    """Lines an expense may be booked on (budget staff, visible lines), grant by grant."""
    principal.require(Capability.VIEW_BUDGET)
    conditions = [visible_lines(principal)]
    if grant_id is not None:
        conditions.append(BudgetLine.grant_id == grant_id)
    # Columns, not entities: an association's lines run to hundreds (674 on the bench's large dataset),
    # and building an ORM object of each line and its grant was a third of the Dépenses page's run.
    rows = session.exec(
        select(
            BudgetLine.id,
            BudgetLine.category,
            BudgetLine.accounting_code,
            Grant.id,
            Grant.name,
            Grant.convention_ref,
            Grant.starts_on,
            Grant.ends_on,
            Strand.name,
            Site.code,
        )
        .join(Grant, Grant.id == BudgetLine.grant_id)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .outerjoin(Site, Site.id == BudgetLine.site_id)  # a national line has no site
        .where(*conditions)
    ).all()
    choices = [
        LineChoice(
            line_id,
            grant_id,
            grant_name,
            convention_ref,
            " · ".join(p for p in (accounting_code, strand, site_code_or_national(site)) if p),
            strand,
            site_code_or_national(site),
            category,
            accounting_code,
            starts_on,
            ends_on,
        )
        for (
            line_id,
            category,
            accounting_code,
            grant_id,
            grant_name,
            convention_ref,
            starts_on,
            ends_on,
            strand,
            site,
        ) in rows
    ]
    return sorted(
        choices,
        key=lambda c: (-c.starts_on.toordinal(), c.grant_name, c.strand_name, c.site_code, CATEGORY_ORDER[c.category]),
    )


def offers_national(principal: Principal) -> bool:
    """The lines editor offers « National (aucun site) »: to an association-wide budget writer (gestion) only."""
    return may_write_national(principal)


# Marked French ids of a row's own rules ({number}: the row's number in the editor).
CHOOSE_STRAND = N_("Ligne {number} : choisissez un volet de ce financement.")
SITE_OF_THE_GRANT = N_("Ligne {number} : le site doit être un des sites du financement.")
CHOOSE_CATEGORY = N_("Ligne {number} : choisissez une catégorie de dépenses.")
ROW_PROBLEM = N_("Ligne {number} : {problem}")
PLANNED_NEGATIVE = N_("Ligne {number} : le montant prévu ne peut être négatif.")
CODE_TOO_LONG = N_("Ligne {number} : le code analytique ne peut dépasser {max} caractères.")
# Error key of each field of a row: "lines.<number>.<key>".
ROW_KEYS = {"strand_id": "strand", "site_id": "site", "category": "category", "planned": "planned"}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _row_error(info: ValidationInfo, message: str, **values: object) -> PydanticCustomError:
    return field_error(message, number=(info.context or {}).get("number", 0), **values)


class LineInput(FormInput):
    """One row of the lines editor. `planned` is typed text or euros (services.finance.fields). Context:
    `number`, the row's number in the editor (its messages start « Ligne 3 : »)."""

    strand_id: int | None = None
    site_id: int | None = None
    category: BudgetCategory | None = Field(None, validate_default=True)  # an empty cell gets its message too
    planned: int = Field(None, validate_default=True)
    accounting_code: str | None = None

    @field_validator("site_id", mode="before")
    @classmethod
    def _national(cls, value: object) -> object:
        return None if value == NATIONAL_SITE else value  # checked against the grant's sites by _check_row

    @field_validator("category", mode="before")
    @classmethod
    def _a_category(cls, value: object, info: ValidationInfo) -> BudgetCategory:
        try:
            return BudgetCategory(value)
        except ValueError:
            raise _row_error(info, CHOOSE_CATEGORY) from None

    @field_validator("planned", mode="before")
    @classmethod
    def _typed_amount(cls, value: object, info: ValidationInfo) -> int:
        try:
            cents = typed_cents(value)
        except ValueError as exc:
            raise _row_error(info, ROW_PROBLEM, problem=f"{exc}.") from None
        if cents is None:
            raise _row_error(info, ROW_PROBLEM, problem=_lower_first(_(AMOUNT_REQUIRED)))
        if cents < 0:
            raise _row_error(info, PLANNED_NEGATIVE)
        return cents

    @field_validator("accounting_code", mode="before")
    @classmethod
    def _short_code(cls, value: object, info: ValidationInfo) -> str | None:
        code = spaces_or_none(value)
        if code is not None and len(code) > ACCOUNTING_CODE_MAX:
            raise _row_error(info, CODE_TOO_LONG, max=ACCOUNTING_CODE_MAX)
        return code


@dataclass
class _Table:
    """The rows of the editor as they are checked: each row's values, the messages by key, the codes and
    strand × site × category keys already met (→ the number of the row that has them)."""

    rows: list[LineInput | None]
    errors: dict[str, str]
    codes: dict[str, int]
    keys: dict[tuple, int]


def _sum_message(total: int, amount: int) -> str:
    gap = amount - total
    if gap > 0:
        message = _(
            "La somme des lignes ({total}) doit être égale au montant de la convention ({amount}) : il manque {gap}."
        )
    else:
        message = _(
            "La somme des lignes ({total}) doit être égale au montant de la convention ({amount}) : "
            "elle le dépasse de {gap}."
        )
    return message.format(total=formats.euros(total), amount=formats.euros(amount), gap=formats.euros(abs(gap)))


def _check_row(table: _Table, number: int, data: LineInput | Mapping[str, object], strands: set, sites: set) -> None:
    """One row: its own rules, the strand and site of the grant, its code and key not already met above."""
    line, found = checked(LineInput, data, number=number)
    row_errors = {ROW_KEYS.get(field, "code"): message for field, message in found.items()}
    values = raw(data)
    if values.get("strand_id") not in strands:
        row_errors["strand"] = _(CHOOSE_STRAND).format(number=number)
    if values.get("site_id") not in sites:
        row_errors["site"] = _(SITE_OF_THE_GRANT).format(number=number)
    site_id = None if values.get("site_id") == NATIONAL_SITE else values.get("site_id")
    code = spaces_or_none(values.get("accounting_code")) if "code" not in row_errors else None
    if code and code.upper() in table.codes:
        row_errors["code"] = _(
            "Ligne {number} : le code analytique « {code} » est déjà celui de la ligne {other}."
        ).format(number=number, code=code, other=table.codes[code.upper()])
    elif code:
        table.codes[code.upper()] = number
    category = BudgetCategory(values["category"]) if "category" not in row_errors else None
    key = (values.get("strand_id"), site_id, category)
    if not row_errors and key in table.keys:
        row_errors["key"] = _(
            "Ligne {number} : même volet, même site et même catégorie que la ligne "
            "{other} (une seule ligne par volet × site × catégorie)."
        ).format(number=number, other=table.keys[key])
    table.keys.setdefault(key, number)
    table.errors |= {f"lines.{number}.{field}": message for field, message in row_errors.items()}
    table.rows.append(line)


def _codes_of_other_grants(session: Session, grant: Grant, table: _Table) -> None:
    """An accounting code belongs to one line across every grant (imports map rows by code)."""
    if not table.codes:
        return
    taken = session.exec(
        select(sa.func.upper(BudgetLine.accounting_code), Grant.convention_ref)
        .join(Grant, Grant.id == BudgetLine.grant_id)
        .where(BudgetLine.grant_id != grant.id, sa.func.upper(BudgetLine.accounting_code).in_(list(table.codes)))
    ).all()
    for code, ref in taken:
        table.errors[f"lines.{table.codes[code]}.code"] = _(
            "Ligne {number} : le code analytique « {code} » est déjà utilisé par la convention {ref}."
        ).format(number=table.codes[code], code=code, ref=ref)


def _checked_lines(
    session: Session, grant: Grant, lines: Sequence[LineInput | Mapping[str, object]], *, national: bool
) -> list[LineInput]:
    """The rows, checked: each one's messages « Ligne n : … » under "lines.<n>.<field>", then the sum."""
    strands = set(session.exec(select(Strand.id).where(Strand.grant_id == grant.id)).all())
    sites = set(session.exec(select(GrantSite.site_id).where(GrantSite.grant_id == grant.id)).all())
    if national:
        sites.add(NATIONAL_SITE)  # a national line: the association's own costs of the grant (gestion)
    table = _Table([], {}, {}, {})
    for number, data in enumerate(lines, start=1):
        _check_row(table, number, data, strands, sites)
    _codes_of_other_grants(session, grant, table)
    if not table.errors:
        total = sum(line.planned for line in table.rows)
        if total != grant.amount_cents:
            table.errors[TOTAL] = _sum_message(total, grant.amount_cents)
    refuse_if(table.errors)
    return table.rows


def running_total(typed: Sequence[object]) -> tuple[int, int]:
    """(sum of the readable amounts, how many are unreadable) of the planned column as it is being typed."""
    total = unreadable = 0
    for value in typed:
        try:
            total += typed_cents(value) or 0
        except ValueError:
            unreadable += 1
    return total, unreadable


def _lines_in_use(session: Session, dropped: list[BudgetLine]) -> None:
    """A line left out is deleted, unless expenses or a budget revision point to it."""
    ids = [line.id for line in dropped]
    used = set(session.exec(select(Expense.budget_line_id).where(Expense.budget_line_id.in_(ids)).distinct()).all())
    used |= set(session.exec(select(BudgetRevision.from_line_id).where(BudgetRevision.from_line_id.in_(ids))).all())
    used |= set(session.exec(select(BudgetRevision.to_line_id).where(BudgetRevision.to_line_id.in_(ids))).all())
    if used:
        names = ", ".join(
            sorted(line.accounting_code or _("n° {id}").format(id=line.id) for line in dropped if line.id in used)
        )
        raise ValidationFailed(
            {
                "lines": _(
                    "Des dépenses ou des révisions sont rattachées à la ligne {names} : "
                    "elle ne peut être supprimée (mettez son montant prévu à 0)."
                ).format(names=names)
            }
        )


def save_budget_lines(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    lines: Sequence[LineInput | Mapping[str, object]],
    expected_version: int,
) -> None:
    """Replace the planned amounts and accounting codes of a grant's lines, all at once (gestion).

    Rules: the lines add up exactly to the grant amount; planned ≥ 0; one line per strand × site ×
    category; the site is one of the grant's, or national (NATIONAL_SITE: no site, an association-wide
    writer only); an accounting code belongs to one line only (across
    every grant, since imports map rows by code). A line left out is deleted, unless expenses or a
    budget revision point to it. `expected_version` is the grant's version: saving the lines bumps it.
    """
    principal.require(Capability.EDIT_BUDGET)
    grant = _grant_in_scope(session, principal, grant_id)
    rows = _checked_lines(session, grant, lines, national=may_write_national(principal))
    existing = {
        (line.strand_id, line.site_id, line.category): line
        for line in session.exec(select(BudgetLine).where(BudgetLine.grant_id == grant_id)).all()
    }
    wanted = {(row.strand_id, row.site_id, row.category) for row in rows}
    dropped = [line for key, line in existing.items() if key not in wanted]
    if dropped:
        _lines_in_use(session, dropped)
    versioned_update(session, Grant, grant_id, int(expected_version), {})  # the table's optimistic lock
    if dropped:
        session.execute(sa.delete(BudgetLine).where(BudgetLine.id.in_([line.id for line in dropped])))
    for row in rows:
        _save_row(session, grant_id, row, existing.get((row.strand_id, row.site_id, row.category)))
    audit.record(
        session, actor=principal, action=AuditAction.BUDGET_LINES_SAVED, entity_type="grant", entity_id=grant_id
    )
    session.commit()
    session.expire_all()


def _save_row(session: Session, grant_id: int, row: LineInput, line: BudgetLine | None) -> None:
    if line is None:
        session.add(
            BudgetLine(
                grant_id=grant_id,
                strand_id=row.strand_id,
                site_id=row.site_id,
                category=row.category,
                planned_cents=row.planned,
                accounting_code=row.accounting_code,
            )
        )
    elif (line.planned_cents, line.accounting_code) != (row.planned, row.accounting_code):
        versioned_update(
            session,
            BudgetLine,
            line.id,
            line.version,
            {"planned_cents": row.planned, "accounting_code": row.accounting_code},
        )
