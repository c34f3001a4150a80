"""Budget lines of a grant: one per strand × site × Cerfa 15059 category, with a planned amount and
the analytic code that maps the accounting export's rows to it.

Read: whoever may read the grant (services.finance.access.visible_lines: chef_service gets its own
sites' lines only; a financeur never gets the accounting codes). Write: EDIT_BUDGET (gestion), the
whole table of a grant at once, so that the rule "the lines add up to the grant amount" holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import _, formats
from models.finance import BudgetCategory, BudgetLine, BudgetRevision, Expense, Grant, GrantSite, Strand
from models.organisation import Site
from services.finance.access import sees_details, visible_grants, visible_lines
from services.finance.grants import parse_amount_field, require_reader, spent_by_line
from services.platform import audit
from services.platform.errors import NotFound, ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

ACCOUNTING_CODE_MAX = 40
CATEGORY_ORDER = {category: index for index, category in enumerate(BudgetCategory)}
TOTAL = "total"  # error key of the "lines add up to the grant" rule


@dataclass(frozen=True)
class LineRow:
    id: int
    grant_id: int
    strand_id: int
    strand_name: str
    site_id: int
    site_code: str
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
        .join(Site, Site.id == BudgetLine.site_id)
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
            site,
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
    site_code: str
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
    rows = session.exec(
        select(BudgetLine, Grant, Strand.name, Site.code)
        .join(Grant, Grant.id == BudgetLine.grant_id)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .join(Site, Site.id == BudgetLine.site_id)
        .where(*conditions)
    ).all()
    choices = [
        LineChoice(
            line.id,
            grant.id,
            grant.name,
            grant.convention_ref,
            " · ".join(p for p in (line.accounting_code, strand, site) if p),
            strand,
            site,
            line.category,
            line.accounting_code,
            grant.starts_on,
            grant.ends_on,
        )
        for line, grant, strand, site in rows
    ]
    return sorted(
        choices,
        key=lambda c: (-c.starts_on.toordinal(), c.grant_name, c.strand_name, c.site_code, CATEGORY_ORDER[c.category]),
    )


@dataclass(frozen=True)
class LineInput:
    """One row of the lines editor; `planned` is cents (int) or French text ('12 345,67')."""

    strand_id: int | None
    site_id: int | None
    category: BudgetCategory | str | None
    planned: int | str
    accounting_code: str | None = None


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


def _clean_lines(session: Session, grant: Grant, lines: list[LineInput]) -> list[dict]:
    errors: dict[str, str] = {}
    strands = {s.id: s.name for s in session.exec(select(Strand).where(Strand.grant_id == grant.id)).all()}
    sites = dict(
        session.exec(
            select(Site.id, Site.code)
            .join(GrantSite, GrantSite.site_id == Site.id)
            .where(GrantSite.grant_id == grant.id)
        ).all()
    )
    cleaned: list[dict] = []
    seen_keys: dict[tuple, int] = {}
    seen_codes: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        field_errors: dict[str, str] = {}
        if line.strand_id not in strands:
            field_errors["strand"] = _("Ligne {number} : choisissez un volet de ce financement.").format(number=number)
        if line.site_id not in sites:
            field_errors["site"] = _("Ligne {number} : le site doit être un des sites du financement.").format(
                number=number
            )
        try:
            category = BudgetCategory(line.category)
        except ValueError:
            category = None
            field_errors["category"] = _("Ligne {number} : choisissez une catégorie de dépenses.").format(number=number)
        amount_errors: dict[str, str] = {}
        planned = parse_amount_field(line.planned, amount_errors, "planned")
        if amount_errors:
            problem = amount_errors["planned"]
            field_errors["planned"] = _("Ligne {number} : {problem}").format(
                number=number, problem=problem[0].lower() + problem[1:]
            )
        elif planned is not None and planned < 0:
            field_errors["planned"] = _("Ligne {number} : le montant prévu ne peut être négatif.").format(number=number)
        code = " ".join((line.accounting_code or "").split()) or None
        if code and len(code) > ACCOUNTING_CODE_MAX:
            field_errors["code"] = _("Ligne {number} : le code analytique ne peut dépasser {max} caractères.").format(
                number=number, max=ACCOUNTING_CODE_MAX
            )
        elif code and code.upper() in seen_codes:
            field_errors["code"] = _(
                "Ligne {number} : le code analytique « {code} » est déjà celui de la ligne {other}."
            ).format(number=number, code=code, other=seen_codes[code.upper()])
        elif code:
            seen_codes[code.upper()] = number
        key = (line.strand_id, line.site_id, category)
        if not field_errors and key in seen_keys:
            field_errors["key"] = _(
                "Ligne {number} : même volet, même site et même catégorie que la ligne "
                "{other} (une seule ligne par volet × site × catégorie)."
            ).format(number=number, other=seen_keys[key])
        seen_keys.setdefault(key, number)
        errors |= {f"lines.{number}.{field}": message for field, message in field_errors.items()}
        cleaned.append(
            {
                "strand_id": line.strand_id,
                "site_id": line.site_id,
                "category": category,
                "planned_cents": planned,
                "accounting_code": code,
                "number": number,
            }
        )
    if seen_codes:
        taken = session.exec(
            select(sa.func.upper(BudgetLine.accounting_code), Grant.convention_ref)
            .join(Grant, Grant.id == BudgetLine.grant_id)
            .where(BudgetLine.grant_id != grant.id, sa.func.upper(BudgetLine.accounting_code).in_(list(seen_codes)))
        ).all()
        for code, ref in taken:
            errors[f"lines.{seen_codes[code]}.code"] = _(
                "Ligne {number} : le code analytique « {code} » est déjà utilisé par la convention {ref}."
            ).format(number=seen_codes[code], code=code, ref=ref)
    if not errors:
        total = sum(row["planned_cents"] for row in cleaned)
        if total != grant.amount_cents:
            errors[TOTAL] = _sum_message(total, grant.amount_cents)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def save_budget_lines(
    session: Session, principal: Principal, *, grant_id: int, lines: list[LineInput], expected_version: int
) -> None:
    """Replace the planned amounts and accounting codes of a grant's lines, all at once (gestion).

    Rules: the lines add up exactly to the grant amount; planned ≥ 0; one line per strand × site ×
    category; the site is one of the grant's; an accounting code belongs to one line only (across
    every grant, since imports map rows by code). A line left out is deleted, unless expenses or a
    budget revision point to it. `expected_version` is the grant's version: saving the lines bumps it.
    """
    principal.require(Capability.EDIT_BUDGET)
    grant = _grant_in_scope(session, principal, grant_id)
    cleaned = _clean_lines(session, grant, lines)
    existing = {
        (line.strand_id, line.site_id, line.category): line
        for line in session.exec(select(BudgetLine).where(BudgetLine.grant_id == grant_id)).all()
    }
    wanted = {(row["strand_id"], row["site_id"], row["category"]) for row in cleaned}
    dropped = [line for key, line in existing.items() if key not in wanted]
    if dropped:
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
    versioned_update(session, Grant, grant_id, int(expected_version), {})  # the table's optimistic lock
    if dropped:
        session.execute(sa.delete(BudgetLine).where(BudgetLine.id.in_([line.id for line in dropped])))
    for row in cleaned:
        key = (row["strand_id"], row["site_id"], row["category"])
        line = existing.get(key)
        if line is None:
            session.add(
                BudgetLine(
                    grant_id=grant_id,
                    strand_id=row["strand_id"],
                    site_id=row["site_id"],
                    category=row["category"],
                    planned_cents=row["planned_cents"],
                    accounting_code=row["accounting_code"],
                )
            )
        elif (line.planned_cents, line.accounting_code) != (row["planned_cents"], row["accounting_code"]):
            versioned_update(
                session,
                BudgetLine,
                line.id,
                line.version,
                {"planned_cents": row["planned_cents"], "accounting_code": row["accounting_code"]},
            )
    audit.record(session, actor=principal, action="budget_lines.saved", entity_type="grant", entity_id=grant_id)
    session.commit()
    session.expire_all()
