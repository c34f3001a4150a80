"""Compte rendu financier of a grant over a period (shape of the Cerfa 15059), on screen and as XLSX.

Who: VIEW_BUDGET over every site (direction, gestion) — a report covers the whole convention.
Figures, per Cerfa category (60, 61, 62, 63, 64, 65–68, frais indirects):
- prévu convention: the planned amounts of the grant's lines;
- prévu sur la période: the grant's planned total × days of the period within the convention / days of
  the convention (rounded to the cent), split across categories by their planned amounts with
  split_exactly — equal to the planned amounts when the period covers the whole convention;
- réalisé: the expenses of the grant dated within the period (SQL sum);
- écart = réalisé − prévu sur la période; réalisé % = réalisé / prévu sur la période;
- a deviation is beyond tolerance when |écart| > prévu sur la période × the convention's tolerance.
Every row is exact cents, so the category rows sum exactly to the total row.
Staff costs (sheet Personnel) are given by post type, never for one post, that is one person's salary
(staff_by_post_type, STAFF_RULE printed under the table).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.finance import BudgetCategory, BudgetLine, Expense, Funder, Grant
from models.labels import label
from models.organisation import Site
from models.staffing import Post, PostType
from services.finance.access import visible_grants
from services.finance.deviation_notes import grant_for_report, notes_of_grant
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied
from services.platform.inputs import PeriodInput
from services.platform.money import BASIS_POINTS, prorata, ratio, split_exactly
from services.platform.principal import Capability, Principal
from services.platform.spreadsheet import (
    DATE,
    EUROS,
    FTE,
    PERCENT,
    euros,
    set_widths,
    wrap_cell,
    write_note,
    write_row,
)

CATEGORIES = tuple(BudgetCategory)  # Cerfa order: 60, 61, 62, 63, 64, 65–68, indirect
MISSING_EXPLANATION = N_("Explication à saisir")  # translated where written: _(MISSING_EXPLANATION)
FUNDER_EXPLANATION = N_("Explication jointe au compte rendu transmis par l'association")


@dataclass(frozen=True)
class CategoryRow:
    category: BudgetCategory | None  # None: the total row
    label: str
    planned_grant_cents: int
    planned_period_cents: int
    actual_cents: int
    beyond_tolerance: bool
    explanation: str | None

    @property
    def deviation_cents(self) -> int:
        return self.actual_cents - self.planned_period_cents

    @property
    def actual_ratio(self) -> Decimal | None:
        return ratio(self.actual_cents, self.planned_period_cents)


@dataclass(frozen=True)
class PostCost:
    post_id: int
    post_type: PostType
    site_code: str
    fte_hundredths: int
    months: int
    amount_cents: int


@dataclass(frozen=True)
class FinancialReport:
    grant_id: int
    grant_name: str
    funder_name: str
    convention_ref: str
    grant_starts_on: date
    grant_ends_on: date
    amount_cents: int
    tolerance_bp: int
    period_start: date
    period_end: date
    rows: tuple[CategoryRow, ...]
    total: CategoryRow
    posts: tuple[PostCost, ...]

    @property
    def deviations(self) -> tuple[CategoryRow, ...]:
        return tuple(r for r in self.rows if r.beyond_tolerance)

    @property
    def staff_from_posts_cents(self) -> int:
        return sum(p.amount_cents for p in self.posts)


def _beyond(planned: int, actual: int, tolerance_bp: int) -> bool:
    if planned == 0:
        return actual != 0
    return abs(actual - planned) * BASIS_POINTS > planned * tolerance_bp


def report_data(
    session: Session, principal: Principal, *, grant_id: int, period_start: date, period_end: date
) -> FinancialReport:
    """The figures of the report (the page shows them; the workbook prints the same)."""
    grant = grant_for_report(session, principal, grant_id)
    PeriodInput.validated({"start": period_start, "end": period_end})
    notes = {
        category: note.explanation for category, note in notes_of_grant(session, principal, grant_id=grant.id).items()
    }
    return _report_of(session, grant, period_start, period_end, notes)


def funder_report_data(
    session: Session, principal: Principal, *, grant_id: int, period_start: date, period_end: date
) -> FinancialReport:
    """The same figures for the funder report pack (services.reporting.report_pack): financeur (the grants of its
    funder), direction and gestion. The deviation explanations are text typed by staff: only budget staff
    get them; a funder's copy says they come with the report the association sends."""
    if principal.can(Capability.VIEW_BUDGET) and principal.all_sites:
        return report_data(session, principal, grant_id=grant_id, period_start=period_start, period_end=period_end)
    if not principal.can(Capability.VIEW_FUNDED_GRANTS):
        raise PermissionDenied()
    grant = session.exec(select(Grant).where(Grant.id == grant_id, visible_grants(principal))).first()
    if grant is None:
        raise NotFound(_("Convention introuvable."))
    PeriodInput.validated({"start": period_start, "end": period_end})
    return _report_of(session, grant, period_start, period_end, dict.fromkeys(CATEGORIES, _(FUNDER_EXPLANATION)))


def _report_of(
    session: Session, grant: Grant, period_start: date, period_end: date, notes: dict[BudgetCategory, str]
) -> FinancialReport:
    funder_name = session.exec(select(Funder.name).where(Funder.id == grant.funder_id)).one()
    planned = dict(
        session.exec(
            select(BudgetLine.category, sa.func.sum(BudgetLine.planned_cents))
            .where(BudgetLine.grant_id == grant.id)
            .group_by(BudgetLine.category)
        ).all()
    )
    actual = dict(
        session.exec(
            select(BudgetLine.category, sa.func.sum(Expense.amount_cents))
            .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
            .where(Expense.grant_id == grant.id, Expense.spent_on >= period_start, Expense.spent_on <= period_end)
            .group_by(BudgetLine.category)
        ).all()
    )
    planned = {BudgetCategory(k): int(v or 0) for k, v in planned.items()}
    actual = {BudgetCategory(k): int(v or 0) for k, v in actual.items()}
    grant_days = (grant.ends_on - grant.starts_on).days + 1
    lo, hi = max(period_start, grant.starts_on), min(period_end, grant.ends_on)
    covered = (hi - lo).days + 1 if lo <= hi else 0
    planned_total = sum(planned.values())
    period_total = prorata(planned_total, min(covered, grant_days), grant_days)
    period_parts = split_exactly(period_total, [planned.get(c, 0) for c in CATEGORIES])
    rows = []
    for category, period_planned in zip(CATEGORIES, period_parts, strict=True):
        done = actual.get(category, 0)
        beyond = _beyond(period_planned, done, grant.tolerance_bp)
        note = notes.get(category)
        rows.append(
            CategoryRow(category, label(category), planned.get(category, 0), period_planned, done, beyond, note)
        )
    total_actual = sum(r.actual_cents for r in rows)
    total = CategoryRow(
        None,
        _("Total des charges"),
        planned_total,
        period_total,
        total_actual,
        _beyond(period_total, total_actual, grant.tolerance_bp),
        None,
    )
    posts = session.exec(
        select(
            Post.id,
            Post.post_type,
            Site.code,
            Post.fte_hundredths,
            sa.func.count(sa.distinct(Expense.spent_on)),
            sa.func.sum(Expense.amount_cents),
        )
        .join(Post, Post.id == Expense.post_id)
        .join(Site, Site.id == Post.site_id)
        .where(
            Expense.grant_id == grant.id,
            Expense.post_id.is_not(None),
            Expense.spent_on >= period_start,
            Expense.spent_on <= period_end,
        )
        .group_by(Post.id, Post.post_type, Site.code, Post.fte_hundredths)
        .order_by(Site.code, Post.post_type, Post.id)
    ).all()
    return FinancialReport(
        grant.id,
        grant.name,
        funder_name,
        grant.convention_ref,
        grant.starts_on,
        grant.ends_on,
        grant.amount_cents,
        grant.tolerance_bp,
        period_start,
        period_end,
        tuple(rows),
        total,
        tuple(
            PostCost(pid, PostType(pt), code, fte, int(months), int(cents))
            for pid, pt, code, fte, months, cents in posts
        ),
    )


def _percent(row: CategoryRow) -> Decimal | None:
    value = row.actual_ratio
    return None if value is None else value.quantize(Decimal("0.0001"))


def build_financial_report(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    period_start: date,
    period_end: date,
    today: date,
    association_name: str | None = None,
) -> bytes:
    """The XLSX workbook (Synthèse, Compte rendu, Personnel, Écarts); the export is audited."""
    report = report_data(session, principal, grant_id=grant_id, period_start=period_start, period_end=period_end)
    workbook = Workbook()
    _summary(workbook.active, report, today, association_name or _("Association"))
    write_detail_sheets(workbook, report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.REPORT_FINANCIAL_EXPORTED,
        entity_type="grant",
        entity_id=report.grant_id,
        detail=f"period={period_start.isoformat()}/{period_end.isoformat()}",
    )
    session.commit()
    return buffer.getvalue()


def write_detail_sheets(
    workbook: Workbook,
    report: FinancialReport,
    *,
    summary_sheet: str | None = None,
    today: date | None = None,
    association: str | None = None,
) -> None:
    """Append the report's sheets (Compte rendu, Personnel, Écarts; and its summary under `summary_sheet`
    when given) to a workbook: reused by the funder report pack."""
    if summary_sheet is not None:
        _summary(
            workbook.create_sheet(summary_sheet),
            report,
            today or report.period_end,
            association or _("Association"),
            title=summary_sheet,
        )
    _categories(workbook.create_sheet(_("Compte rendu")), report)
    _staff(workbook.create_sheet(_("Personnel")), report)
    _deviations(workbook.create_sheet(_("Écarts")), report)


def _summary(
    ws,
    report: FinancialReport,
    today: date,
    association: str,
    title: str | None = None,
) -> None:
    ws.title = title or _("Synthèse")
    write_row(ws, [_("Compte rendu financier de l'action subventionnée (modèle Cerfa 15059)")], bold=True)
    write_row(ws, [])
    for name, value, fmt in (
        (_("Association"), association, None),
        (_("Convention"), report.grant_name, None),
        (_("Financeur"), report.funder_name, None),
        (_("Référence de la convention"), report.convention_ref, None),
        (
            _("Durée de la convention"),
            _("du {start} au {end}").format(
                start=f"{report.grant_starts_on:%d/%m/%Y}", end=f"{report.grant_ends_on:%d/%m/%Y}"
            ),
            None,
        ),
        (_("Montant de la convention"), euros(report.amount_cents), EUROS),
        (_("Tolérance entre catégories"), Decimal(report.tolerance_bp) / BASIS_POINTS, PERCENT),
        (_("Début de la période"), report.period_start, DATE),
        (_("Fin de la période"), report.period_end, DATE),
        (_("Date d'établissement"), today, DATE),
    ):
        write_row(ws, [name, value], [None, fmt])
    write_row(ws, [])
    write_row(ws, [_("Totaux"), _("Prévu sur la période"), _("Réalisé"), _("Écart"), _("Réalisé %")], bold=True)
    total = report.total
    write_row(
        ws,
        [
            total.label,
            euros(total.planned_period_cents),
            euros(total.actual_cents),
            euros(total.deviation_cents),
            _percent(total),
        ],
        [None, EUROS, EUROS, EUROS, PERCENT],
    )
    write_row(ws, [])
    set_widths(ws, [34, 60, 16, 16, 12])
    write_note(
        ws,
        _(
            "Prévu sur la période : montant prévu à la convention × jours de la période couverts par la "
            "convention ÷ jours de la convention, réparti entre catégories au prorata du prévu. "
            "Réalisé : dépenses datées dans la période. Montants arrondis au centime."
        ),
        columns=5,
    )


CATEGORY_FORMATS = [None, EUROS, EUROS, EUROS, EUROS, PERCENT]


def _categories(ws, report: FinancialReport) -> None:
    write_row(ws, [_("Compte rendu financier — {grant}").format(grant=report.grant_name)], bold=True)
    write_row(
        ws,
        [
            _("Période du {start} au {end}").format(
                start=f"{report.period_start:%d/%m/%Y}", end=f"{report.period_end:%d/%m/%Y}"
            )
        ],
    )
    write_row(ws, [])
    write_row(
        ws,
        [
            _("Charges"),
            _("Prévu convention €"),
            _("Prévu sur la période €"),
            _("Réalisé €"),
            _("Écart €"),
            _("Réalisé %"),
        ],
        bold=True,
    )
    for row in (*report.rows, report.total):
        write_row(
            ws,
            [
                row.label,
                euros(row.planned_grant_cents),
                euros(row.planned_period_cents),
                euros(row.actual_cents),
                euros(row.deviation_cents),
                _percent(row),
            ],
            CATEGORY_FORMATS,
            bold=row.category is None,
        )
    set_widths(ws, [34, 20, 22, 16, 16, 12])


MIN_POSTS_SHOWN = 2  # a cost is shown for no fewer posts than this: one post's cost is one person's salary
STAFF_RULE = N_(
    "Les charges de personnel sont données par type de poste, jamais pour une seule personne : un type "
    "de poste qui n'a qu'un poste sur la période est regroupé avec les autres types dans ce cas ; s'il est "
    "le seul dans ce cas, il est regroupé avec le type qui coûte le moins parmi les autres ; sans autre "
    "type, son montant n'apparaît que dans le total."
)


@dataclass(frozen=True)
class StaffGroup:
    """Staff costs of one or more post types over the period (never fewer than MIN_POSTS_SHOWN posts)."""

    post_types: tuple[PostType, ...]
    posts: int
    fte_hundredths: int
    amount_cents: int


def staff_by_post_type(posts: Sequence[PostCost]) -> tuple[StaffGroup, ...]:
    """The staff costs by post type, in PostType order, with no group of a single post (STAFF_RULE):
    the types with a single post are pooled; a single one alone joins the cheapest other type; with no
    other type it is left out (its cost is then only in the category's total)."""
    by_type: dict[PostType, list[PostCost]] = {}
    for post in posts:
        by_type.setdefault(post.post_type, []).append(post)

    def group(types: Sequence[PostType]) -> StaffGroup:
        members = [p for t in types for p in by_type[t]]
        return StaffGroup(
            tuple(sorted(types, key=list(PostType).index)),
            len(members),
            sum(p.fte_hundredths for p in members),
            sum(p.amount_cents for p in members),
        )

    ordered = [t for t in PostType if t in by_type]
    alone = [t for t in ordered if len(by_type[t]) < MIN_POSTS_SHOWN]
    groups = {t: group([t]) for t in ordered if t not in alone}
    if len(alone) >= MIN_POSTS_SHOWN:
        pooled = group(alone)
        return (*groups.values(), pooled)
    if alone and groups:
        cheapest = min(groups, key=lambda t: (groups[t].amount_cents, list(PostType).index(t)))
        groups[cheapest] = group([cheapest, *alone])
    return tuple(groups.values())


def _staff(ws, report: FinancialReport) -> None:
    write_row(ws, [_("Charges de personnel par type de poste")], bold=True)
    write_row(ws, [])
    write_row(ws, [_("Type de poste"), _("Postes"), _("ETP"), _("Montant €")], bold=True)
    groups = staff_by_post_type(report.posts)
    for staff_group in groups:
        write_row(
            ws,
            [
                ", ".join(label(t) for t in staff_group.post_types),
                staff_group.posts,
                Decimal(staff_group.fte_hundredths) / 100,
                euros(staff_group.amount_cents),
            ],
            [None, None, FTE, EUROS],
        )
    staff = next(r for r in report.rows if r.category == BudgetCategory.STAFF)
    shown_posts = sum(g.amount_cents for g in groups)
    if shown_posts == report.staff_from_posts_cents:
        # Only when every post is in a group: otherwise total − others would give the post left out.
        write_row(
            ws,
            [_("Autres charges de personnel (hors postes)"), None, None, euros(staff.actual_cents - shown_posts)],
            [None, None, None, EUROS],
        )
    write_row(
        ws,
        [_("Total {category}").format(category=staff.label), None, None, euros(staff.actual_cents)],
        [None, None, None, EUROS],
        bold=True,
    )
    write_row(ws, [])
    set_widths(ws, [60, 10, 10, 16])
    write_note(ws, _(STAFF_RULE), columns=4)


def _deviations(ws, report: FinancialReport) -> None:
    tolerance = Decimal(report.tolerance_bp) / 100
    write_row(
        ws,
        [
            _("Écarts au-delà de la tolérance de la convention ({tolerance} %)").format(
                tolerance=f"{tolerance.normalize():f}"
            )
        ],
        bold=True,
    )
    write_row(ws, [])
    write_row(
        ws,
        [_("Catégorie"), _("Prévu sur la période €"), _("Réalisé €"), _("Écart €"), _("Réalisé %"), _("Explication")],
        bold=True,
    )
    set_widths(ws, [34, 22, 16, 16, 12, 80])
    if not report.deviations:
        write_row(ws, [_("Aucun écart au-delà de la tolérance.")])
    for row in report.deviations:
        cells = write_row(
            ws,
            [
                row.label,
                euros(row.planned_period_cents),
                euros(row.actual_cents),
                euros(row.deviation_cents),
                _percent(row),
                row.explanation or _(MISSING_EXPLANATION),
            ],
            [None, EUROS, EUROS, EUROS, PERCENT, None],
        )
        wrap_cell(cells[-1])  # an explanation may be long: wrapped in its column, the row as tall as it


@dataclass(frozen=True)
class ReportGrant:
    id: int
    name: str
    funder_name: str
    convention_ref: str
    starts_on: date
    ends_on: date


def report_grants(session: Session, principal: Principal) -> list[ReportGrant]:
    """The grants a financial report may be produced for (direction, gestion: all)."""
    if not (principal.can(Capability.VIEW_BUDGET) and principal.all_sites):
        raise PermissionDenied()
    rows = session.exec(
        select(Grant.id, Grant.name, Funder.name, Grant.convention_ref, Grant.starts_on, Grant.ends_on)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(visible_grants(principal))
        .order_by(Grant.starts_on.desc(), Grant.id)
    ).all()
    return [ReportGrant(*row) for row in rows]
