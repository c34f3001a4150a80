"""Expenses booked on budget lines: manual entry, listing, deletion of a manual entry.

Entry and deletion: EDIT_BUDGET (gestion). Listing the rows (labels, suppliers, voucher references):
budget staff only (services.finance.access.sees_details) within their visible lines; a financeur gets
PermissionDenied (it only ever sees aggregates). Amounts are integer cents; a negative amount is a
credit note (avoir).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.finance import BudgetCategory, BudgetLine, Expense, Grant, Strand
from models.organisation import Site
from services.finance.access import sees_details, visible_lines
from services.finance.grants import parse_amount_field
from services.platform import audit, paging
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import Capability, Principal

LABEL_MAX = 200
SUPPLIER_MAX = 160
VOUCHER_MAX = 80
FUTURE = N_("La date ne peut pas être dans le futur.")
# field → (message when missing, None when optional; message when too long)
TEXT_MESSAGES: dict[str, tuple[str | None, str]] = {
    "label": (N_("Le libellé est obligatoire."), N_("Le libellé ne peut dépasser {limit} caractères.")),
    "supplier": (None, N_("Le fournisseur ne peut dépasser {limit} caractères.")),
    "voucher_ref": (None, N_("La référence de pièce ne peut dépasser {limit} caractères.")),
}


def period_message(starts_on: date, ends_on: date) -> str:
    return _("La date doit être dans la période du financement (du {start} au {end}).").format(
        start=f"{starts_on:%d/%m/%Y}", end=f"{ends_on:%d/%m/%Y}"
    )


def duplicate_message(spent_on: date, voucher_ref: str | None) -> str:
    if voucher_ref:
        return _(
            "Cette dépense est déjà enregistrée : même ligne, même date ({day}), même montant, la pièce « {voucher} »."
        ).format(day=f"{spent_on:%d/%m/%Y}", voucher=voucher_ref)
    return _(
        "Cette dépense est déjà enregistrée : même ligne, même date ({day}), même montant, sans référence de pièce."
    ).format(day=f"{spent_on:%d/%m/%Y}")


def clean_text(
    value: str | None, limit: int, errors: dict[str, str], field: str, *, required: bool = False
) -> str | None:
    """Spaces collapsed; empty → None; length checked (message of TEXT_MESSAGES under `field`)."""
    text = " ".join((value or "").split()) or None
    missing, too_long = TEXT_MESSAGES[field]
    if text is None and required:
        errors[field] = _(missing)
    elif text is not None and len(text) > limit:
        errors[field] = _(too_long).format(limit=limit)
    return text


def already_booked(session: Session, line_id: int, spent_on: date, amount_cents: int, voucher_ref: str | None) -> bool:
    """An expense with the same line, date, amount and voucher reference (or none on both) exists."""
    voucher = Expense.voucher_ref.is_(None) if voucher_ref is None else Expense.voucher_ref == voucher_ref
    return (
        session.exec(
            select(Expense.id).where(
                Expense.budget_line_id == line_id,
                Expense.spent_on == spent_on,
                Expense.amount_cents == amount_cents,
                voucher,
            )
        ).first()
        is not None
    )


@dataclass(frozen=True)
class ExpenseInput:
    budget_line_id: int | None
    spent_on: date | None
    amount: int | str  # cents, or French text such as '1 234,56' (negative: avoir)
    label: str
    supplier: str | None = None
    voucher_ref: str | None = None


def record_expense(session: Session, principal: Principal, *, data: ExpenseInput, today: date | None = None) -> int:
    """Book one expense on a visible line (gestion). The date is not in the future and falls within the
    grant's period; the amount is not zero; the same line/date/amount/voucher is refused as a duplicate."""
    principal.require(Capability.EDIT_BUDGET)
    today = today or clock.today()
    errors: dict[str, str] = {}
    line = None
    if data.budget_line_id is not None:
        line = session.exec(
            select(BudgetLine).where(BudgetLine.id == data.budget_line_id, visible_lines(principal))
        ).first()
    if line is None:
        errors["budget_line_id"] = _("Choisissez une ligne budgétaire.")
    amount = parse_amount_field(data.amount, errors, "amount")
    if amount == 0:
        errors["amount"] = _("Le montant ne peut pas être nul (un avoir se saisit en négatif).")
    if data.spent_on is None:
        errors["spent_on"] = _("La date est obligatoire.")
    elif data.spent_on > today:
        errors["spent_on"] = _(FUTURE)
    elif line is not None:
        grant = session.get(Grant, line.grant_id)
        if not grant.starts_on <= data.spent_on <= grant.ends_on:
            errors["spent_on"] = period_message(grant.starts_on, grant.ends_on)
    label = clean_text(data.label, LABEL_MAX, errors, "label", required=True)
    supplier = clean_text(data.supplier, SUPPLIER_MAX, errors, "supplier")
    voucher = clean_text(data.voucher_ref, VOUCHER_MAX, errors, "voucher_ref")
    if not errors and already_booked(session, line.id, data.spent_on, amount, voucher):
        errors["_form"] = duplicate_message(data.spent_on, voucher)
    if errors:
        raise ValidationFailed(errors)
    expense = Expense(
        budget_line_id=line.id,
        grant_id=line.grant_id,
        site_id=line.site_id,
        spent_on=data.spent_on,
        amount_cents=amount,
        label=label,
        supplier=supplier,
        voucher_ref=voucher,
        created_by_id=principal.user_id,
    )
    session.add(expense)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action="expense.recorded",
        entity_type="expense",
        entity_id=expense.id,
        site_id=line.site_id,
    )
    session.commit()
    return expense.id


class Source:
    MANUAL = "manual"
    IMPORT = "import"
    POST = "post"


@dataclass(frozen=True)
class ExpenseRow:
    id: int
    spent_on: date
    budget_line_id: int
    accounting_code: str | None
    strand_name: str
    site_code: str
    category: BudgetCategory
    amount_cents: int
    label: str
    supplier: str | None
    voucher_ref: str | None
    source: str  # Source.*
    version: int

    @property
    def deletable(self) -> bool:
        return self.source == Source.MANUAL


@dataclass(frozen=True)
class ExpensePage:
    rows: list[ExpenseRow]
    total_count: int  # rows matching the filters, all pages
    total_cents: int  # their sum
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return paging.page_count(self.total_count, self.page_size)


def list_expenses(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    line_id: int | None = None,
    month: date | None = None,
    page: int = 1,
    page_size: int = 50,
) -> ExpensePage:
    """Expense rows of a grant on the principal's visible lines, newest first, one page at a time
    (LIMIT/OFFSET in SQL), with the count and sum of every matching row. Budget staff only."""
    if not sees_details(principal):
        raise PermissionDenied(_("Le détail des dépenses n'est pas accessible à ce profil."))
    # sees_details ⇒ VIEW_BUDGET, whose visible lines are those of the principal's sites
    # (services.finance.access.visible_lines); an expense carries its line's site, so the scope is read
    # on the expense row itself, without joining the lines for the count.
    conditions = [Expense.grant_id == grant_id, principal.site_filter(Expense.site_id)]
    if line_id is not None:
        conditions.append(Expense.budget_line_id == line_id)
    if month is not None:
        start = month.replace(day=1)
        conditions += [Expense.spent_on >= start, Expense.spent_on < clock.month_start(start, 1)]
    page_size = max(1, min(int(page_size), 500))
    count, total = session.exec(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(Expense.amount_cents), 0))
        .select_from(Expense)
        .where(*conditions)
    ).one()
    page = max(1, min(int(page), paging.page_count(int(count), page_size)))
    rows = session.exec(
        select(Expense, BudgetLine.accounting_code, BudgetLine.category, Strand.name, Site.code)
        .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .join(Site, Site.id == Expense.site_id)
        .where(*conditions)
        .order_by(Expense.spent_on.desc(), Expense.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    result = [
        ExpenseRow(
            e.id,
            e.spent_on,
            e.budget_line_id,
            code,
            strand,
            site,
            category,
            e.amount_cents,
            e.label,
            e.supplier,
            e.voucher_ref,
            Source.POST if e.post_id is not None else Source.IMPORT if e.import_id is not None else Source.MANUAL,
            e.version,
        )
        for e, code, category, strand, site in rows
    ]
    return ExpensePage(result, int(count), int(total), page, page_size)


def delete_expense(session: Session, principal: Principal, expense_id: int) -> None:
    """Remove an expense entered by hand (gestion). Imported rows and staff costs charged from posts
    are not deleted here: they come from the accounting export and the posts."""
    principal.require(Capability.EDIT_BUDGET)
    expense = session.exec(
        select(Expense)
        .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
        .where(Expense.id == expense_id, visible_lines(principal))
    ).first()
    if expense is None:
        raise NotFound(_("Dépense introuvable."))
    if expense.import_id is not None or expense.post_id is not None:
        raise ValidationFailed(
            {
                "_form": _(
                    "Seule une dépense saisie à la main peut être supprimée ici : une ligne "
                    "importée se corrige par un avoir, un salaire par la fiche du poste."
                )
            }
        )
    site_id = expense.site_id
    session.delete(expense)
    audit.record(
        session, actor=principal, action="expense.deleted", entity_type="expense", entity_id=expense_id, site_id=site_id
    )
    session.commit()
