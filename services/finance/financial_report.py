"""Compte rendu financier of a grant over a period (shape of the Cerfa 15059), on screen and as XLSX.

Who: VIEW_BUDGET over every site (direction, gestion) — a report covers the whole convention, its national
lines, expenses and posts (no site, « National ») included.
Figures, per Cerfa category (60, 61, 62, 63, 64, 65–68, frais indirects):
- prévu convention: the planned amounts of the grant's lines;
- prévu sur la période: the grant's planned total × days of the period within the convention / days of
  the convention (rounded to the cent), split across categories by their planned amounts with
  split_exactly — equal to the planned amounts when the period covers the whole convention;
- réalisé: the expenses of the grant dated within the period (SQL sum);
- écart = réalisé − prévu sur la période; réalisé % = réalisé / prévu sur la période;
- a deviation is beyond tolerance when |écart| > prévu sur la période × the convention's tolerance.
Every row is exact cents, so the category rows sum exactly to the total row.
Indirect costs: with a rate in the convention (grant.indirect_rate_bp, on the direct costs 60 to 68), réalisé
of « Frais indirects » = the rate × the direct costs réalisé of the period (rounded to the cent); without a rate,
the expenses booked on the indirect lines.
Produits (70 to 78; 74 by funder category: the State by ministry / programme, AGRASC fonds de concours,
regions, departments, municipalities, private funders, others) and contributions volontaires en nature (86
uses, 87 contributions): the grant's own subsidy (its amount, under its funder) and the rows gestion entered
(services.finance.resources), each for the whole convention; on a period, prévu and réalisé are both taken
pro rata temporis (× days of the period within the convention ÷ days of the convention), row by row, so that
every sub-total is the exact sum of its rows. Résultat = produits − charges: an excédent is written on the
charges side, a déficit on the produits side, so both totals are equal (the form's balanced totals).
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
from models.finance import (
    BudgetCategory,
    BudgetLine,
    Expense,
    Funder,
    FunderKind,
    Grant,
    GrantResource,
    ResourceAccount,
)
from models.labels import label
from models.organisation import Site
from models.staffing import Post, PostType
from services.finance.access import visible_grants
from services.finance.deviation_notes import grant_for_report, notes_of_grant
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied
from services.platform.inputs import PeriodInput
from services.platform.money import BASIS_POINTS, prorata, ratio, share_of, split_exactly
from services.platform.principal import Capability, Principal
from services.platform.sites import site_code_or_national
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

CATEGORIES = tuple(BudgetCategory)  # Cerfa order: 60, 61, 62, 63, 64, 65, 66, 67, 68, indirect
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
class ProductRow:
    """A row of the produits or of the contributions volontaires: `code` is the form's account (70, 74…),
    empty on a detail row; level 0 an account, 1 a part of it (a 74 funder category, 756), 2 a detail (one
    funder, with the ministry / programme gestion typed)."""

    code: str
    label: str
    level: int
    planned_grant_cents: int
    planned_period_cents: int
    actual_cents: int

    @property
    def actual_ratio(self) -> Decimal | None:
        return ratio(self.actual_cents, self.planned_period_cents)


@dataclass(frozen=True)
class Balance:
    """A pair of amounts in the prévu-convention, prévu-période and réalisé columns."""

    planned_grant_cents: int
    planned_period_cents: int
    actual_cents: int


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
    indirect_rate_bp: int = 0
    products: tuple[ProductRow, ...] = ()
    contribution_uses: tuple[ProductRow, ...] = ()  # 86 and its parts
    contributions: tuple[ProductRow, ...] = ()  # 87 and its parts

    @property
    def products_total(self) -> Balance:
        top = [r for r in self.products if r.level == 0]
        return Balance(*(sum(getattr(r, f) for r in top) for f in BALANCE_FIELDS))

    @property
    def result(self) -> Balance:
        """Produits − charges in each column: > 0 an excédent, < 0 a déficit."""
        products, total = self.products_total, self.total
        return Balance(*(getattr(products, f) - getattr(total, f) for f in BALANCE_FIELDS))

    @property
    def surplus(self) -> Balance:
        """The excédent line (charges side): the positive results, 0 elsewhere."""
        return Balance(*(max(getattr(self.result, f), 0) for f in BALANCE_FIELDS))

    @property
    def shortfall(self) -> Balance:
        """The déficit line (produits side): the negative results as positive amounts, 0 elsewhere."""
        return Balance(*(max(-getattr(self.result, f), 0) for f in BALANCE_FIELDS))

    @property
    def balanced_total(self) -> Balance:
        """Total des charges + excédent = total des produits + déficit, in each column."""
        return Balance(*(getattr(self.total, f) + getattr(self.surplus, f) for f in BALANCE_FIELDS))

    def contributions_total(self, rows: tuple[ProductRow, ...]) -> Balance:
        top = [r for r in rows if r.level == 0]
        return Balance(*(sum(getattr(r, f) for r in top) for f in BALANCE_FIELDS))

    @property
    def contributions_balanced(self) -> bool:
        """86 (their use) equals 87 (the contributions) in every column, as the form wants."""
        return self.contributions_total(self.contribution_uses) == self.contributions_total(self.contributions)

    @property
    def deviations(self) -> tuple[CategoryRow, ...]:
        return tuple(r for r in self.rows if r.beyond_tolerance)

    @property
    def staff_from_posts_cents(self) -> int:
        return sum(p.amount_cents for p in self.posts)


BALANCE_FIELDS = ("planned_grant_cents", "planned_period_cents", "actual_cents")


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
    if grant.indirect_rate_bp:
        direct = sum(cents for category, cents in actual.items() if category != BudgetCategory.INDIRECT)
        actual[BudgetCategory.INDIRECT] = share_of(direct, grant.indirect_rate_bp)
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
        .outerjoin(Site, Site.id == Post.site_id)  # a national post (the report covers the whole convention)
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
            PostCost(pid, PostType(pt), site_code_or_national(code), fte, int(months), int(cents))
            for pid, pt, code, fte, months, cents in posts
        ),
        grant.indirect_rate_bp,
        *_products(session, grant, min(covered, grant_days), grant_days),
    )


# The form's 74 rows, in its order; AGRASC's fonds de concours is State money, shown apart as conventions name it.
SUBSIDY_GROUPS = (
    (FunderKind.STATE, N_("État : ministère(s), programme(s)")),
    (FunderKind.AGRASC, N_("AGRASC : fonds de concours de l'État")),
    (FunderKind.REGION, N_("Région(s)")),
    (FunderKind.DEPARTMENT, N_("Département(s)")),
    (FunderKind.CITY, N_("Commune(s), intercommunalité(s)")),
    (FunderKind.FOUNDATION, N_("Aides privées (fondations)")),
    (FunderKind.OTHER, N_("Autres établissements publics et financeurs")),
)
PRODUCT_ACCOUNTS = (
    ("70", N_("70 – Ventes de produits finis, prestations de services, marchandises")),
    ("73", N_("73 – Dotations et produits de tarification")),
    ("74", N_("74 – Subventions d'exploitation")),
    ("75", N_("75 – Autres produits de gestion courante")),
    ("76", N_("76 – Produits financiers")),
    ("77", N_("77 – Produits exceptionnels")),
    ("78", N_("78 – Reprises sur amortissements et provisions")),
)
PARTS_OF_75 = (ResourceAccount.MEMBERSHIP, ResourceAccount.DONATIONS)
USES_86 = (
    ResourceAccount.IN_KIND_RELIEF,
    ResourceAccount.IN_KIND_PROVISION,
    ResourceAccount.IN_KIND_SERVICES,
    ResourceAccount.IN_KIND_VOLUNTEERS,
)
CONTRIBUTIONS_87 = (ResourceAccount.VOLUNTEERING, ResourceAccount.SERVICES_IN_KIND, ResourceAccount.DONATIONS_IN_KIND)


@dataclass(frozen=True)
class _Item:
    account: str
    kind: FunderKind | None
    name: str | None
    planned: int
    period: int
    actual: int


def _row(code: str, text: str, level: int, items: Sequence[_Item]) -> ProductRow:
    return ProductRow(
        code,
        text,
        level,
        sum(i.planned for i in items),
        sum(i.period for i in items),
        sum(i.actual for i in items),
    )


def _products(
    session: Session, grant: Grant, covered: int, grant_days: int
) -> tuple[tuple[ProductRow, ...], tuple[ProductRow, ...], tuple[ProductRow, ...]]:
    """(produits, 86 rows, 87 rows): each stored row and the grant's own subsidy taken pro rata temporis."""
    own_name, own_kind = session.exec(select(Funder.name, Funder.kind).where(Funder.id == grant.funder_id)).one()
    stored = session.exec(
        select(GrantResource, Funder.name, Funder.kind)
        .outerjoin(Funder, Funder.id == GrantResource.funder_id)
        .where(GrantResource.grant_id == grant.id)
        .order_by(GrantResource.id)
    ).all()

    def item(account: str, kind: object, name: str | None, planned: int, actual: int) -> _Item:
        return _Item(
            account,
            FunderKind(kind) if kind else None,
            name,
            planned,
            prorata(planned, covered, grant_days),
            prorata(actual, covered, grant_days),
        )

    items = [item("74", own_kind, own_name, grant.amount_cents, grant.amount_cents)]
    for row, name, kind in stored:
        named = " — ".join(part for part in (name, row.detail) if part) or None
        items.append(item(ResourceAccount(row.account).value, kind, named, row.planned_cents, row.actual_cents))
    products: list[ProductRow] = []
    for code, text in PRODUCT_ACCOUNTS:
        if code == "75":
            of_75 = [i for i in items if i.account.startswith("75")]
            products.append(_row(code, _(text), 0, of_75))
            products += [_row(p.value, label(p), 1, [i for i in of_75 if i.account == p.value]) for p in PARTS_OF_75]
            continue
        mine = [i for i in items if i.account == code]
        products.append(_row(code, _(text), 0, mine))
        if code == "74":
            for kind, group_text in SUBSIDY_GROUPS:
                group = [i for i in mine if i.kind == kind]
                products.append(_row("", _(group_text), 1, group))
                products += [_row("", i.name or "—", 2, [i]) for i in group]

    def block(code: str, text: str, parts: tuple[ResourceAccount, ...]) -> tuple[ProductRow, ...]:
        mine = [i for i in items if i.account in {p.value for p in parts}]
        rows = [_row(code, text, 0, mine)]
        for part in parts:
            rows.append(_row(part.value, label(part), 1, [i for i in mine if i.account == part.value]))
            rows += [_row("", i.name, 2, [i]) for i in mine if i.account == part.value and i.name]
        return tuple(rows)

    return (
        tuple(products),
        block("86", _("86 – Emplois des contributions volontaires en nature"), USES_86),
        block("87", _("87 – Contributions volontaires en nature"), CONTRIBUTIONS_87),
    )


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
            total.actual_ratio,
        ],
        [None, EUROS, EUROS, EUROS, PERCENT],
    )
    products = report.products_total
    write_row(
        ws,
        [
            _("Total des produits"),
            euros(products.planned_period_cents),
            euros(products.actual_cents),
            euros(products.actual_cents - products.planned_period_cents),
            None,
        ],
        [None, EUROS, EUROS, EUROS, PERCENT],
    )
    write_row(
        ws,
        [
            _("Résultat : excédent (+) ou déficit (−)"),
            euros(report.result.planned_period_cents),
            euros(report.result.actual_cents),
        ],
        [None, EUROS, EUROS],
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


CATEGORY_FORMATS = [None, None, EUROS, EUROS, EUROS, EUROS, PERCENT]
INDENT = "    "


def _code(row: CategoryRow) -> str | None:
    """The form's account of a charges row (« Frais indirects » are the form's « charges indirectes »)."""
    if row.category is None:
        return None
    return "" if row.category == BudgetCategory.INDIRECT else row.category.value


def _amounts(values: Balance | CategoryRow | ProductRow) -> list:
    planned, period, actual = (getattr(values, f) for f in BALANCE_FIELDS)
    return [euros(planned), euros(period), euros(actual), euros(actual - period), ratio(actual, period)]


def _categories(ws, report: FinancialReport) -> None:
    """The form's table: charges (60 to 68, charges indirectes, excédent), produits (70 to 78, 74 by funder,
    déficit), both totals equal, then the contributions volontaires en nature (86, 87). Column A: the form's
    account, B: its heading (parts and details indented)."""
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
    headings = [_("Prévu convention €"), _("Prévu sur la période €"), _("Réalisé €"), _("Écart €"), _("Réalisé %")]
    write_row(ws, [_("Compte"), _("Charges"), *headings], bold=True)
    for row in report.rows:
        write_row(ws, [_code(row), row.label, *_amounts(row)], CATEGORY_FORMATS)
    write_row(ws, [None, report.total.label, *_amounts(report.total)], CATEGORY_FORMATS, bold=True)
    write_row(ws, [None, _("Excédent (produits − charges)"), *_amounts(report.surplus)], CATEGORY_FORMATS)
    write_row(ws, [None, _("Total général des charges"), *_amounts(report.balanced_total)], CATEGORY_FORMATS, bold=True)
    if report.indirect_rate_bp:
        write_row(
            ws,
            [
                None,
                _(
                    "Frais indirects réalisés : {rate} des charges directes réalisées (60 à 68), taux de la convention."
                ).format(rate=f"{(Decimal(report.indirect_rate_bp) / 100).normalize():f} %"),
            ],
        )
    write_row(ws, [])
    write_row(ws, [_("Compte"), _("Produits"), *headings], bold=True)
    for row in report.products:
        write_row(ws, [row.code or None, INDENT * row.level + row.label, *_amounts(row)], CATEGORY_FORMATS)
    write_row(ws, [None, _("Total des produits"), *_amounts(report.products_total)], CATEGORY_FORMATS, bold=True)
    write_row(ws, [None, _("Déficit (charges − produits)"), *_amounts(report.shortfall)], CATEGORY_FORMATS)
    write_row(
        ws, [None, _("Total général des produits"), *_amounts(report.balanced_total)], CATEGORY_FORMATS, bold=True
    )
    write_row(ws, [])
    write_row(ws, [_("Compte"), _("Contributions volontaires en nature"), *headings], bold=True)
    for rows in (report.contribution_uses, report.contributions):
        for row in rows:
            write_row(
                ws,
                [row.code or None, INDENT * row.level + row.label, *_amounts(row)],
                CATEGORY_FORMATS,
                bold=row.level == 0,
            )
    set_widths(ws, [9, 60, 20, 22, 16, 16, 12])
    write_row(ws, [])
    write_note(
        ws,
        _(
            "Produits : la subvention de la convention et les autres produits saisis, prévus et réalisés pour toute "
            "la convention, rapportés à la période au prorata des jours. Excédent ou déficit : l'écart entre "
            "produits et charges, qui équilibre les deux totaux. Les contributions volontaires en nature (86, 87) "
            "sont hors totaux."
        ),
        columns=7,
    )


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
                row.actual_ratio,
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
