"""Money coming in: each grant's payment schedule (tranches expected, what was received), the reports its
convention asks for, its co-financing plan, and the cash position they give (received vs spent to date,
expected in the next months); the payments and reports due that gestion's home page lists.

Read: direction and gestion (VIEW_BUDGET over every site); a chef_service, who sees only its sites' lines,
never reads a grant's cash. Write: EDIT_BUDGET (gestion). Every write is audited (the record, never the
amounts); an edit is saved over the version its form showed (services.platform.records.versioned_update).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field, field_validator
from sqlmodel import Session, select

from clock import add_months, month_end, month_start, months_between
from i18n import N_, _, formats
from models.audit import AuditAction
from models.finance import Expense, Funder, Grant
from models.money_in import GrantCofunding, GrantReport, GrantTranche, ReportKind, TrancheCondition
from services.finance.access import visible_grants
from services.finance.fields import AMOUNT_REQUIRED, DAY, amount_rule
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied
from services.platform.inputs import FormInput, checked, messages, not_after_as_of, raw, refuse_if
from services.platform.money import ratio, typed_cents
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

EXPECTED_AHEAD_MONTHS = 3  # « attendu dans les prochains mois » on the cash position
HOME_HORIZON_DAYS = 60  # gestion's home page: payments and reports due within two months, and every overdue one
SCHEDULE_MARGIN_MONTHS = 12  # a balance may be paid up to a year after the convention ends (its final report)

CHOOSE_DAY = N_("Indiquez la date prévue.")
CHOOSE_CONDITION = N_("Choisissez la condition du versement.")
AMOUNT_POSITIVE = N_("Le montant doit être positif.")
RECEIVED_POSITIVE = N_("Le montant reçu doit être positif.")
RECEIVED_AMOUNT_MISSING = N_("Indiquez le montant reçu.")
RECEIVED_DAY_MISSING = N_("Indiquez la date de réception.")
RECEIVED_IN_FUTURE = N_("La date de réception ne peut pas être dans le futur.")
CHOOSE_REPORT_KIND = N_("Choisissez le type de rapport.")
DUE_DAY_MISSING = N_("Indiquez la date limite du rapport.")
CHOOSE_COFUNDER = N_("Choisissez un financeur.")
SENT_IN_FUTURE = N_("La date d'envoi ne peut pas être dans le futur.")


class TrancheStatus(StrEnum):
    RECEIVED = "received"
    OVERDUE = "overdue"  # its expected day has passed, nothing received
    WAITING_REPORT = "waiting_report"  # released by a report not sent yet
    EXPECTED = "expected"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.RECEIVED: N_("Reçu"),
            cls.OVERDUE: N_("En retard"),
            cls.WAITING_REPORT: N_("En attente du rapport"),
            cls.EXPECTED: N_("À venir"),
        }


def require_reader(principal: Principal) -> None:
    """A grant's cash: budget staff of every site (direction, gestion)."""
    if not (principal.can(Capability.VIEW_BUDGET) and principal.all_sites):
        raise PermissionDenied()


# --- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantChoice:
    id: int
    label: str  # « reference — title »
    funder_id: int
    funder_name: str
    amount_cents: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class TrancheRow:
    id: int
    expected_on: date
    expected_cents: int
    condition: TrancheCondition
    received_on: date | None
    received_cents: int | None
    status: TrancheStatus
    version: int

    @property
    def difference_cents(self) -> int | None:
        """Received minus expected (None until received)."""
        return None if self.received_cents is None else self.received_cents - self.expected_cents


@dataclass(frozen=True)
class ReportRow:
    id: int
    kind: ReportKind
    due_on: date
    submitted_on: date | None
    overdue: bool
    version: int


@dataclass(frozen=True)
class CofundingRow:
    id: int | None  # None: the grant's own funder (the convention itself)
    funder_id: int
    funder_name: str
    amount_cents: int
    is_confirmed: bool
    share: Decimal | None  # of the action's total budget
    version: int


@dataclass(frozen=True)
class CashMonth:
    month: date  # first day
    received_cents: int | None  # cumulated up to the month's end (None after the current month)
    spent_cents: int | None
    expected_cents: int | None  # received + tranches still expected by the month's end (from the current month)


@dataclass(frozen=True)
class CashPosition:
    received_cents: int  # received up to today
    spent_cents: int  # expenses booked up to today
    still_expected_cents: int  # tranches not received yet
    expected_soon_cents: int  # of which expected (or overdue) by the end of the next EXPECTED_AHEAD_MONTHS months
    months: tuple[CashMonth, ...]

    @property
    def balance_cents(self) -> int:
        """Received minus spent: what the association has advanced (negative) or holds (positive)."""
        return self.received_cents - self.spent_cents


@dataclass(frozen=True)
class Schedule:
    grant: GrantChoice
    tranches: tuple[TrancheRow, ...]
    reports: tuple[ReportRow, ...]
    cofunding: tuple[CofundingRow, ...]  # the grant's own funder first
    action_budget_cents: int  # the convention plus every co-funder
    cash: CashPosition

    @property
    def scheduled_cents(self) -> int:
        return sum(t.expected_cents for t in self.tranches)


def _choice(grant: Grant, funder_name: str) -> GrantChoice:
    return GrantChoice(
        grant.id,
        f"{grant.convention_ref} — {grant.name}",
        grant.funder_id,
        funder_name,
        grant.amount_cents,
        grant.starts_on,
        grant.ends_on,
    )


def grant_choices(session: Session, principal: Principal) -> list[GrantChoice]:
    """The grants whose schedule the principal may read, latest first."""
    require_reader(principal)
    rows = session.exec(
        select(Grant, Funder.name)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(visible_grants(principal))
        .order_by(Grant.starts_on.desc(), Grant.name)
    ).all()
    return [_choice(grant, name) for grant, name in rows]


def _grant(session: Session, principal: Principal, grant_id: int) -> GrantChoice:
    row = session.exec(
        select(Grant, Funder.name)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(Grant.id == grant_id, visible_grants(principal))
    ).first()
    if row is None:
        raise NotFound(_("Financement introuvable."))
    return _choice(*row)


def _pending_reports(reports: list[GrantReport]) -> set[ReportKind]:
    return {ReportKind(r.kind) for r in reports if r.submitted_on is None}


def _status(tranche: GrantTranche, today: date, pending: set[ReportKind]) -> TrancheStatus:
    if tranche.received_on is not None:
        return TrancheStatus.RECEIVED
    waiting = {TrancheCondition.INTERIM_REPORT: ReportKind.INTERIM, TrancheCondition.FINAL_REPORT: ReportKind.FINAL}
    if waiting.get(TrancheCondition(tranche.condition)) in pending:
        return TrancheStatus.WAITING_REPORT
    return TrancheStatus.OVERDUE if tranche.expected_on < today else TrancheStatus.EXPECTED


def schedule(session: Session, principal: Principal, grant_id: int, *, today: date) -> Schedule:
    """A grant's tranches, reports, co-financing plan and cash position on `today`."""
    require_reader(principal)
    grant = _grant(session, principal, grant_id)
    tranches = session.exec(
        select(GrantTranche)
        .where(GrantTranche.grant_id == grant_id)
        .order_by(GrantTranche.expected_on, GrantTranche.id)
    ).all()
    reports = session.exec(
        select(GrantReport).where(GrantReport.grant_id == grant_id).order_by(GrantReport.due_on, GrantReport.id)
    ).all()
    pending = _pending_reports(list(reports))
    tranche_rows = tuple(
        TrancheRow(
            t.id,
            t.expected_on,
            t.expected_cents,
            TrancheCondition(t.condition),
            t.received_on,
            t.received_cents,
            _status(t, today, pending),
            t.version,
        )
        for t in tranches
    )
    report_rows = tuple(
        ReportRow(
            r.id, ReportKind(r.kind), r.due_on, r.submitted_on, r.submitted_on is None and r.due_on < today, r.version
        )
        for r in reports
    )
    cofunders = session.exec(
        select(GrantCofunding, Funder.name)
        .join(Funder, Funder.id == GrantCofunding.funder_id)
        .where(GrantCofunding.grant_id == grant_id)
        .order_by(GrantCofunding.amount_cents.desc(), Funder.name)
    ).all()
    total = grant.amount_cents + sum(c.amount_cents for c, _name in cofunders)
    plan = (
        CofundingRow(
            None, grant.funder_id, grant.funder_name, grant.amount_cents, True, ratio(grant.amount_cents, total), 0
        ),
        *(
            CofundingRow(
                c.id, c.funder_id, name, c.amount_cents, c.is_confirmed, ratio(c.amount_cents, total), c.version
            )
            for c, name in cofunders
        ),
    )
    cash = _cash(session, grant, tranche_rows, today)
    return Schedule(grant, tranche_rows, report_rows, plan, total, cash)


def _cash(session: Session, grant: GrantChoice, tranches: tuple[TrancheRow, ...], today: date) -> CashPosition:
    year, month_of = sa.extract("year", Expense.spent_on), sa.extract("month", Expense.spent_on)
    rows = session.exec(
        select(year, month_of, sa.func.sum(Expense.amount_cents))
        .where(Expense.grant_id == grant.id, Expense.spent_on <= today)
        .group_by(year, month_of)
    ).all()
    spent_by_month = {int(y) * 100 + int(m): int(cents) for y, m, cents in rows}
    received = [t for t in tranches if t.received_on is not None and t.received_on <= today]
    waiting = [t for t in tranches if t.received_on is None]
    soon_end = month_end(add_months(today, EXPECTED_AHEAD_MONTHS))
    days = [grant.starts_on, grant.ends_on, today]
    days += [t.expected_on for t in tranches] + [t.received_on for t in received]
    first = month_start(min(min(days), min((date(k // 100, k % 100, 1) for k in spent_by_month), default=today)))
    last = month_start(max(max(t.expected_on for t in waiting) if waiting else grant.ends_on, grant.ends_on))
    current = month_start(today)
    months: list[CashMonth] = []
    received_total = sum(t.received_cents or 0 for t in received)
    for month in months_between(first, max(last, current)):
        end = month_end(month)
        got = sum(t.received_cents or 0 for t in received if t.received_on <= end)
        spent = sum(cents for key, cents in spent_by_month.items() if key <= month.year * 100 + month.month)
        expected = None
        if month >= current:
            expected = received_total + sum(t.expected_cents for t in waiting if t.expected_on <= end)
        past = month <= current
        months.append(CashMonth(month, got if past else None, spent if past else None, expected))
    return CashPosition(
        received_total,
        sum(spent_by_month.values()),
        sum(t.expected_cents for t in waiting),
        sum(t.expected_cents for t in waiting if t.expected_on <= soon_end),
        tuple(months),
    )


# --- gestion's home page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuePayment:
    grant_id: int
    grant_label: str
    funder_name: str
    expected_on: date
    expected_cents: int
    condition: TrancheCondition
    overdue: bool


@dataclass(frozen=True)
class DueReport:
    grant_id: int
    grant_label: str
    funder_name: str
    kind: ReportKind
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class DueSoon:
    payments: tuple[DuePayment, ...]
    reports: tuple[DueReport, ...]


def due_soon(session: Session, principal: Principal, *, today: date, horizon_days: int = HOME_HORIZON_DAYS) -> DueSoon:
    """Tranches not received and reports not sent that are overdue or due within `horizon_days`, by date."""
    require_reader(principal)
    until = today + timedelta(days=horizon_days)
    # The grant's title, never its reference (a reference such as LYO-2026-023 reads like a person code).
    label = Grant.name
    payments = session.exec(
        select(GrantTranche, Grant.id, label, Funder.name)
        .join(Grant, Grant.id == GrantTranche.grant_id)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(visible_grants(principal), GrantTranche.received_on.is_(None), GrantTranche.expected_on <= until)
        .order_by(GrantTranche.expected_on, GrantTranche.id)
    ).all()
    reports = session.exec(
        select(GrantReport, Grant.id, label, Funder.name)
        .join(Grant, Grant.id == GrantReport.grant_id)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(visible_grants(principal), GrantReport.submitted_on.is_(None), GrantReport.due_on <= until)
        .order_by(GrantReport.due_on, GrantReport.id)
    ).all()
    return DueSoon(
        tuple(
            DuePayment(
                grant_id,
                name,
                funder,
                t.expected_on,
                t.expected_cents,
                TrancheCondition(t.condition),
                t.expected_on < today,
            )
            for t, grant_id, name, funder in payments
        ),
        tuple(
            DueReport(grant_id, name, funder, ReportKind(r.kind), r.due_on, r.due_on < today)
            for r, grant_id, name, funder in reports
        ),
    )


# --- writing: tranches ----------------------------------------------------------------------------------


def _optional_amount(value: object) -> object:
    """A receipt's amount as typed: empty is None, else the cents (or the field's message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return amount_rule(value)


ReceivedDay = Annotated[date | None, not_after_as_of(RECEIVED_IN_FUTURE)]


class TrancheInput(FormInput):
    """What the tranche form sends: the expected day, amount (typed text or euros) and condition, and what was
    received (both empty until the money comes: services check they come together). Context: `as_of`."""

    expected_on: date = Field(json_schema_extra=messages(CHOOSE_DAY))
    expected: int = Field(gt=0, json_schema_extra=messages(AMOUNT_REQUIRED, by_type={"greater_than": AMOUNT_POSITIVE}))
    condition: TrancheCondition = Field(json_schema_extra=messages(CHOOSE_CONDITION))
    received_on: ReceivedDay = None
    received: int | None = Field(None, gt=0, json_schema_extra=messages(by_type={"greater_than": RECEIVED_POSITIVE}))

    @field_validator("expected", mode="before")
    @classmethod
    def _typed_expected(cls, value: object) -> int:
        return amount_rule(value)

    @field_validator("received", mode="before")
    @classmethod
    def _typed_received(cls, value: object) -> object:
        return _optional_amount(value)


class ReceiptInput(FormInput):
    """What the receipt form sends: the day the money came and the amount received (both required: checked by
    the service with the tranche form's rule). Context: `as_of`."""

    received_on: ReceivedDay = None
    received: int | None = Field(None, gt=0, json_schema_extra=messages(by_type={"greater_than": RECEIVED_POSITIVE}))

    @field_validator("received", mode="before")
    @classmethod
    def _typed_received(cls, value: object) -> object:
        return _optional_amount(value)


def _given(value: object) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _received_together(data: object, errors: dict[str, str], *, required: bool) -> None:
    """The day and the amount received come together (`required`: both must be given)."""
    values = raw(data)
    day, amount = _given(values.get("received_on")), _given(values.get("received"))
    if (day or required) and not amount and "received" not in errors:
        errors["received"] = _(RECEIVED_AMOUNT_MISSING)
    if (amount or required) and not day and "received_on" not in errors:
        errors["received_on"] = _(RECEIVED_DAY_MISSING)


def _editable_grant(session: Session, principal: Principal, grant_id: int) -> Grant:
    principal.require(Capability.EDIT_BUDGET)
    grant = session.exec(select(Grant).where(Grant.id == grant_id, visible_grants(principal))).first()
    if grant is None:
        raise NotFound(_("Financement introuvable."))
    return grant


def _schedule_rules(
    session: Session, grant: Grant, data: object, errors: dict[str, str], *, tranche_id: int | None
) -> None:
    """The expected day falls in the convention's period (a balance up to a year after it), and the tranches
    together never exceed the convention."""
    values = raw(data)
    if "expected_on" not in errors:
        day = DAY.validate_python(values["expected_on"])
        latest = add_months(grant.ends_on, SCHEDULE_MARGIN_MONTHS)
        earliest = add_months(grant.starts_on, -SCHEDULE_MARGIN_MONTHS)
        if not earliest <= day <= latest:
            errors["expected_on"] = _(
                "La date prévue doit se situer entre le {earliest} et le {latest} (période de la convention, "
                "et un an pour le solde)."
            ).format(earliest=formats.day(earliest), latest=formats.day(latest))
    if "expected" not in errors:
        others = session.exec(
            select(sa.func.coalesce(sa.func.sum(GrantTranche.expected_cents), 0)).where(
                GrantTranche.grant_id == grant.id, *([GrantTranche.id != tranche_id] if tranche_id else [])
            )
        ).one()
        cents = typed_cents(values["expected"])
        if int(others) + cents > grant.amount_cents:
            errors["expected"] = _(
                "Les versements prévus totaliseraient {total}, plus que le montant de la convention ({amount}) : "
                "il reste {left} à répartir."
            ).format(
                total=formats.euros(int(others) + cents),
                amount=formats.euros(grant.amount_cents),
                left=formats.euros(max(0, grant.amount_cents - int(others))),
            )


def create_tranche(
    session: Session, principal: Principal, *, grant_id: int, data: TrancheInput | Mapping[str, object], today: date
) -> int:
    """Add a tranche to a grant's schedule (gestion). Returns its id."""
    grant = _editable_grant(session, principal, grant_id)
    tranche, errors = checked(TrancheInput, data, as_of=today)
    _received_together(data, errors, required=False)
    _schedule_rules(session, grant, data, errors, tranche_id=None)
    refuse_if(errors)
    row = GrantTranche(
        grant_id=grant.id,
        expected_on=tranche.expected_on,
        expected_cents=tranche.expected,
        condition=tranche.condition,
        received_on=tranche.received_on,
        received_cents=tranche.received,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=principal, action=AuditAction.GRANT_TRANCHE_CREATE, entity_type="grant_tranche", entity_id=row.id
    )
    session.commit()
    return row.id


def _tranche(session: Session, principal: Principal, tranche_id: int) -> tuple[GrantTranche, Grant]:
    principal.require(Capability.EDIT_BUDGET)
    found = session.exec(
        select(GrantTranche, Grant)
        .join(Grant, Grant.id == GrantTranche.grant_id)
        .where(GrantTranche.id == tranche_id, visible_grants(principal))
    ).first()
    if found is None:
        raise NotFound(_("Versement introuvable."))
    return found


def update_tranche(
    session: Session,
    principal: Principal,
    tranche_id: int,
    *,
    expected_version: int,
    data: TrancheInput | Mapping[str, object],
    today: date,
) -> None:
    """Correct a tranche (its schedule and what was received), over the version the form showed (gestion)."""
    _row, grant = _tranche(session, principal, tranche_id)
    tranche, errors = checked(TrancheInput, data, as_of=today)
    _received_together(data, errors, required=False)
    _schedule_rules(session, grant, data, errors, tranche_id=tranche_id)
    refuse_if(errors)
    versioned_update(
        session,
        GrantTranche,
        tranche_id,
        int(expected_version),
        {
            "expected_on": tranche.expected_on,
            "expected_cents": tranche.expected,
            "condition": tranche.condition,
            "received_on": tranche.received_on,
            "received_cents": tranche.received,
        },
    )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GRANT_TRANCHE_UPDATE,
        entity_type="grant_tranche",
        entity_id=tranche_id,
    )
    session.commit()
    session.expire_all()


def record_receipt(
    session: Session,
    principal: Principal,
    tranche_id: int,
    *,
    expected_version: int,
    data: ReceiptInput | Mapping[str, object],
    today: date,
) -> None:
    """Record the money received for a tranche not received yet (its day and amount; the amount may differ
    from the one expected). Writes only those two columns (gestion)."""
    row, _grant = _tranche(session, principal, tranche_id)
    receipt, errors = checked(ReceiptInput, data, as_of=today)
    _received_together(data, errors, required=True)
    if row.received_on is not None:
        errors["received_on"] = _("Ce versement est déjà enregistré comme reçu : corrigez-le plutôt.")
    refuse_if(errors)
    versioned_update(
        session,
        GrantTranche,
        tranche_id,
        int(expected_version),
        {"received_on": receipt.received_on, "received_cents": receipt.received},
    )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GRANT_TRANCHE_UPDATE,
        entity_type="grant_tranche",
        entity_id=tranche_id,
        detail="receipt",
    )
    session.commit()
    session.expire_all()


# --- writing: reports -----------------------------------------------------------------------------------


class ReportInput(FormInput):
    """What the report form sends: its kind, its due day and the day it was sent (empty until then).
    Context: `as_of`."""

    kind: ReportKind = Field(json_schema_extra=messages(CHOOSE_REPORT_KIND))
    due_on: date = Field(json_schema_extra=messages(DUE_DAY_MISSING))
    submitted_on: Annotated[date | None, not_after_as_of(SENT_IN_FUTURE)] = None


def _report_rules(grant: Grant, data: object, errors: dict[str, str]) -> None:
    if "due_on" not in errors:
        day = DAY.validate_python(raw(data)["due_on"])
        latest = add_months(grant.ends_on, SCHEDULE_MARGIN_MONTHS)
        if not grant.starts_on <= day <= latest:
            errors["due_on"] = _(
                "La date limite doit se situer entre le début de la convention ({start}) et un an après sa fin "
                "({latest})."
            ).format(start=formats.day(grant.starts_on), latest=formats.day(latest))


def create_report(
    session: Session, principal: Principal, *, grant_id: int, data: ReportInput | Mapping[str, object], today: date
) -> int:
    """Add a report the convention asks for (gestion). Returns its id."""
    grant = _editable_grant(session, principal, grant_id)
    report, errors = checked(ReportInput, data, as_of=today)
    _report_rules(grant, data, errors)
    refuse_if(errors)
    row = GrantReport(grant_id=grant.id, kind=report.kind, due_on=report.due_on, submitted_on=report.submitted_on)
    session.add(row)
    session.flush()
    audit.record(
        session, actor=principal, action=AuditAction.GRANT_REPORT_CREATE, entity_type="grant_report", entity_id=row.id
    )
    session.commit()
    return row.id


def update_report(
    session: Session,
    principal: Principal,
    report_id: int,
    *,
    expected_version: int,
    data: ReportInput | Mapping[str, object],
    today: date,
) -> None:
    """Correct a report's kind or due day, or record the day it was sent (gestion)."""
    principal.require(Capability.EDIT_BUDGET)
    found = session.exec(
        select(Grant)
        .join(GrantReport, GrantReport.grant_id == Grant.id)
        .where(GrantReport.id == report_id, visible_grants(principal))
    ).first()
    if found is None:
        raise NotFound(_("Rapport introuvable."))
    report, errors = checked(ReportInput, data, as_of=today)
    _report_rules(found, data, errors)
    refuse_if(errors)
    versioned_update(
        session,
        GrantReport,
        report_id,
        int(expected_version),
        {"kind": report.kind, "due_on": report.due_on, "submitted_on": report.submitted_on},
    )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GRANT_REPORT_UPDATE,
        entity_type="grant_report",
        entity_id=report_id,
    )
    session.commit()
    session.expire_all()


# --- writing: co-financing plan -------------------------------------------------------------------------


class CofundingInput(FormInput):
    """What the co-financing form sends: the other funder, its amount for the action, confirmed or not."""

    funder_id: int = Field(json_schema_extra=messages(CHOOSE_COFUNDER))
    amount: int = Field(gt=0, json_schema_extra=messages(AMOUNT_REQUIRED, by_type={"greater_than": AMOUNT_POSITIVE}))
    is_confirmed: bool = False

    @field_validator("amount", mode="before")
    @classmethod
    def _typed_amount(cls, value: object) -> int:
        return amount_rule(value)

    @field_validator("is_confirmed", mode="before")
    @classmethod
    def _unticked(cls, value: object) -> object:
        return False if value is None else value


def _cofunding_rules(
    session: Session, grant: Grant, data: object, errors: dict[str, str], *, cofunding_id: int | None
) -> None:
    if "funder_id" in errors:
        return
    funder_id = int(raw(data)["funder_id"])
    if session.get(Funder, funder_id) is None:
        errors["funder_id"] = _(CHOOSE_COFUNDER)
    elif funder_id == grant.funder_id:
        errors["funder_id"] = _("Ce financeur est celui de la convention : choisissez un autre cofinanceur.")
    else:
        taken = select(GrantCofunding.id).where(
            GrantCofunding.grant_id == grant.id, GrantCofunding.funder_id == funder_id
        )
        if cofunding_id is not None:
            taken = taken.where(GrantCofunding.id != cofunding_id)
        if session.exec(taken).first() is not None:
            errors["funder_id"] = _("Ce financeur figure déjà dans le plan de financement.")


def create_cofunding(
    session: Session, principal: Principal, *, grant_id: int, data: CofundingInput | Mapping[str, object]
) -> int:
    """Add a co-funder to the grant's financing plan (gestion). Returns its id."""
    grant = _editable_grant(session, principal, grant_id)
    cofunding, errors = checked(CofundingInput, data)
    _cofunding_rules(session, grant, data, errors, cofunding_id=None)
    refuse_if(errors)
    row = GrantCofunding(
        grant_id=grant.id,
        funder_id=cofunding.funder_id,
        amount_cents=cofunding.amount,
        is_confirmed=cofunding.is_confirmed,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GRANT_COFUNDING_CREATE,
        entity_type="grant_cofunding",
        entity_id=row.id,
    )
    session.commit()
    return row.id


def update_cofunding(
    session: Session,
    principal: Principal,
    cofunding_id: int,
    *,
    expected_version: int,
    data: CofundingInput | Mapping[str, object],
) -> None:
    """Correct a co-funder's line of the plan (gestion)."""
    principal.require(Capability.EDIT_BUDGET)
    grant = session.exec(
        select(Grant)
        .join(GrantCofunding, GrantCofunding.grant_id == Grant.id)
        .where(GrantCofunding.id == cofunding_id, visible_grants(principal))
    ).first()
    if grant is None:
        raise NotFound(_("Cofinancement introuvable."))
    cofunding, errors = checked(CofundingInput, data)
    _cofunding_rules(session, grant, data, errors, cofunding_id=cofunding_id)
    refuse_if(errors)
    versioned_update(
        session,
        GrantCofunding,
        cofunding_id,
        int(expected_version),
        {"funder_id": cofunding.funder_id, "amount_cents": cofunding.amount, "is_confirmed": cofunding.is_confirmed},
    )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GRANT_COFUNDING_UPDATE,
        entity_type="grant_cofunding",
        entity_id=cofunding_id,
    )
    session.commit()
    session.expire_all()


def cofunder_choices(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """Every funder (id, name), for the co-financing form (gestion)."""
    principal.require(Capability.EDIT_BUDGET)
    return [(f.id, f.name) for f in session.exec(select(Funder).order_by(Funder.name)).all()]
