"""Expenses booked on budget lines: manual entry, listing, deletion of a manual entry.

Entry and deletion: EDIT_BUDGET (gestion). Listing the rows (labels, suppliers, voucher references):
budget staff only (services.finance.access.sees_details) within their visible lines; a financeur gets
PermissionDenied (it only ever sees aggregates). Amounts are integer cents; a negative amount is a
credit note (avoir).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.audit import AuditAction
from models.finance import BudgetCategory, BudgetLine, Expense, Grant, Strand
from models.organisation import Site
from services.finance.access import sees_details, visible_lines
from services.finance.fields import AMOUNT_REQUIRED, DAY, amount_rule, spaces, spaces_or_none
from services.platform import audit, paging
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.inputs import FORM_ERROR, FormInput, checked, field_error, messages, raw, refuse_if
from services.platform.principal import Capability, Principal
from services.platform.sites import site_code_or_national

LABEL_MAX = 200
SUPPLIER_MAX = 160
VOUCHER_MAX = 80
CHOOSE_LINE = N_("Choisissez une ligne budgétaire.")
DATE_REQUIRED = N_("La date est obligatoire.")
FUTURE = N_("La date ne peut pas être dans le futur.")
NOT_ZERO = N_("Le montant ne peut pas être nul (un avoir se saisit en négatif).")
LABEL_REQUIRED = N_("Le libellé est obligatoire.")
LABEL_TOO_LONG = N_("Le libellé ne peut dépasser {limit} caractères.")
SUPPLIER_TOO_LONG = N_("Le fournisseur ne peut dépasser {limit} caractères.")
VOUCHER_TOO_LONG = N_("La référence de pièce ne peut dépasser {limit} caractères.")
CONFIRM_DELETION = N_("Cochez la confirmation pour supprimer.")


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


def voucher_key(voucher: str | None) -> str:
    """A voucher number as the accountant means it: "FA-0012", "fa-0012 " and "Fa  0012" are one voucher
    (case and spacing are how a file was exported or a number typed, not another piece), none is ""."""
    return " ".join((voucher or "").split()).casefold()


def already_booked(session: Session, line_id: int, spent_on: date, amount_cents: int, voucher_ref: str | None) -> bool:
    """An expense with the same line, date, amount and voucher reference (voucher_key: in any case and
    spacing; or none on both) exists."""
    vouchers = session.exec(
        select(Expense.voucher_ref).where(
            Expense.budget_line_id == line_id, Expense.spent_on == spent_on, Expense.amount_cents == amount_cents
        )
    ).all()
    return voucher_key(voucher_ref) in {voucher_key(voucher) for voucher in vouchers}


def _text(limit: int, too_long: str, missing: str | None = None) -> object:
    """A text field: spaces collapsed, at most `limit` characters; required when `missing` is its message
    (else empty is None)."""
    if missing is None:
        return Field(None, max_length=limit, json_schema_extra=messages(too_long, limit=limit))
    return Field(
        min_length=1,
        max_length=limit,
        json_schema_extra=messages(missing, by_type={"string_too_long": too_long}, limit=limit),
    )


class ExpenseInput(FormInput):
    """What the expense form sends. `amount` is typed text or euros (services.finance.fields), negative for a
    credit note (avoir). Context: `as_of`, the day of reference (Paris' today)."""

    budget_line_id: int = Field(json_schema_extra=messages(CHOOSE_LINE))
    spent_on: date = Field(json_schema_extra=messages(DATE_REQUIRED))
    amount: int = Field(json_schema_extra=messages(AMOUNT_REQUIRED))
    label: str = _text(LABEL_MAX, LABEL_TOO_LONG, LABEL_REQUIRED)
    supplier: str | None = _text(SUPPLIER_MAX, SUPPLIER_TOO_LONG)
    voucher_ref: str | None = _text(VOUCHER_MAX, VOUCHER_TOO_LONG)

    @field_validator("spent_on")
    @classmethod
    def _not_in_the_future(cls, value: date, info: ValidationInfo) -> date:
        if value > ((info.context or {}).get("as_of") or clock.today()):
            raise field_error(FUTURE)
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _typed_amount(cls, value: object) -> int:
        cents = amount_rule(value)
        if cents == 0:
            raise field_error(NOT_ZERO)
        return cents

    @field_validator("label", mode="before")
    @classmethod
    def _one_space(cls, value: object) -> str:
        return spaces(value)

    @field_validator("supplier", "voucher_ref", mode="before")
    @classmethod
    def _one_space_or_none(cls, value: object) -> str | None:
        return spaces_or_none(value)


def _line_and_period(
    session: Session, principal: Principal, data: ExpenseInput | Mapping[str, object], errors: dict[str, str]
) -> BudgetLine | None:
    """The visible line chosen, and the expense's date within its grant's period (fields that passed)."""
    values = raw(data)
    line = None
    if "budget_line_id" not in errors:
        line = session.exec(
            select(BudgetLine).where(BudgetLine.id == int(values["budget_line_id"]), visible_lines(principal))
        ).first()
        if line is None:
            errors["budget_line_id"] = _(CHOOSE_LINE)
    if line is not None and "spent_on" not in errors:
        grant = session.get(Grant, line.grant_id)
        if not grant.starts_on <= DAY.validate_python(values["spent_on"]) <= grant.ends_on:
            errors["spent_on"] = period_message(grant.starts_on, grant.ends_on)
    return line


def record_expense(
    session: Session,
    principal: Principal,
    *,
    data: ExpenseInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Book one expense on a visible line (gestion). The date is not in the future and falls within the
    grant's period; the amount is not zero; the same line/date/amount/voucher is refused as a duplicate."""
    principal.require(Capability.EDIT_BUDGET)
    expense, errors = checked(ExpenseInput, data, as_of=today or clock.today())
    line = _line_and_period(session, principal, data, errors)
    if not errors and already_booked(session, line.id, expense.spent_on, expense.amount, expense.voucher_ref):
        errors[FORM_ERROR] = duplicate_message(expense.spent_on, expense.voucher_ref)
    refuse_if(errors)
    row = Expense(
        budget_line_id=line.id,
        grant_id=line.grant_id,
        site_id=line.site_id,
        spent_on=expense.spent_on,
        amount_cents=expense.amount,
        label=expense.label,
        supplier=expense.supplier,
        voucher_ref=expense.voucher_ref,
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.EXPENSE_RECORDED,
        entity_type="expense",
        entity_id=row.id,
        site_id=line.site_id,
    )
    session.commit()
    return row.id


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
    # on the expense row itself, without joining the lines for the count. A national expense (no site) is
    # never in `site_id IN (…)`: only an association-wide reader gets it.
    conditions = [Expense.grant_id == grant_id, principal.site_filter(Expense.site_id)]
    if line_id is not None:
        conditions.append(Expense.budget_line_id == line_id)
    if month is not None:
        start = month.replace(day=1)
        conditions += [Expense.spent_on >= start, Expense.spent_on < clock.month_start(start, 1)]
    count, total = session.exec(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(Expense.amount_cents), 0))
        .select_from(Expense)
        .where(*conditions)
    ).one()
    shown = paging.window(int(count), page, page_size)
    rows = session.exec(
        select(Expense, BudgetLine.accounting_code, BudgetLine.category, Strand.name, Site.code)
        .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .outerjoin(Site, Site.id == Expense.site_id)  # a national expense (association-wide readers only)
        .where(*conditions)
        .order_by(Expense.spent_on.desc(), Expense.id.desc())
        .offset(shown.offset)
        .limit(shown.page_size)
    ).all()
    result = [
        ExpenseRow(
            e.id,
            e.spent_on,
            e.budget_line_id,
            code,
            strand,
            site_code_or_national(site),
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
    return ExpensePage(result, int(count), int(total), shown.page, shown.page_size)


class DeletionInput(FormInput):
    """What the deletion form sends: the confirmation box."""

    confirmed: bool = Field(False, validate_default=True)

    @field_validator("confirmed")
    @classmethod
    def _ticked(cls, value: bool) -> bool:
        if not value:
            raise field_error(CONFIRM_DELETION)
        return value


def delete_expense(session: Session, principal: Principal, expense_id: int, *, confirmed: bool) -> None:
    """Remove an expense entered by hand (gestion), once the deletion is confirmed. Imported rows and staff
    costs charged from posts are not deleted here: they come from the accounting export and the posts."""
    principal.require(Capability.EDIT_BUDGET)
    DeletionInput.validated({"confirmed": confirmed})
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
                FORM_ERROR: _(
                    "Seule une dépense saisie à la main peut être supprimée ici : une ligne "
                    "importée se corrige par un avoir, un salaire par la fiche du poste."
                )
            }
        )
    site_id = expense.site_id
    session.delete(expense)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.EXPENSE_DELETED,
        entity_type="expense",
        entity_id=expense_id,
        site_id=site_id,
    )
    session.commit()
