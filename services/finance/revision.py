"""What-if and budget revisions: move planned money between two lines of one grant.

- `simulate_transfer` (budget readers with VIEW_BUDGET, within their lines): the lines and alerts
  before and after the move; nothing is written;
- `save_transfer` (EDIT_BUDGET: gestion): one BudgetRevision row, both lines' planned amounts changed
  by versioned updates, one audit entry "budget.revised", one commit. The grant's total never changes;
- `list_revisions` (VIEW_BUDGET): past revisions of a grant touching a line the reader may see.

Validation (TransferInput, in the session's language, by field, all at once): two different lines of the same
grant, visible to the caller; an amount typed above zero and at most the origin line's planned amount; a reason
(≤ 300 characters) to save.

The convention's tolerance (grant.tolerance_bp, commonly 15 to 20 %) bounds how far a line may move from its amount
in the convention without the funder's prior agreement: a transfer that takes either line beyond it (its new
planned amount against its amount in the convention, that is its planned amount before every saved revision, so
that several small transfers add up) is named in the preview (`beyond_tolerance`: the line and its %), and is
saved only with `confirm_beyond` ticked; the audit entry then says which lines and by how much.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

import clock
from i18n import N_, _, formats
from models.audit import AuditAction
from models.finance import BudgetLine, BudgetRevision, Strand
from models.labels import label
from models.organisation import Site, User
from services.finance.access import visible_lines
from services.finance.consumption import (
    GrantConsumptionReport,
    LineConsumption,
    build_report,
    consumption,
    grant_summary,
)
from services.finance.fields import spaces_or_none
from services.finance.forecast import Alert, GrantForecast, forecast, load_inputs
from services.platform import audit
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, checked, field_error, messages, raw, refuse_if
from services.platform.money import BASIS_POINTS, parse_amount, ratio, typed_cents
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import site_code_or_national

REASON_MAX = 300


@dataclass(frozen=True)
class ToleranceBreach:
    """A line the transfer takes beyond the convention's tolerance: its amount in the convention, after."""

    line_id: int
    label: str
    convention_cents: int
    after_cents: int
    tolerance_bp: int

    @property
    def change(self) -> Decimal | None:
        """(after − convention) / convention; None for a line the convention planned at 0."""
        return ratio(self.after_cents - self.convention_cents, self.convention_cents)


@dataclass(frozen=True)
class TransferPreview:
    grant_id: int
    from_line: LineConsumption
    to_line: LineConsumption
    amount_cents: int
    before: GrantConsumptionReport
    after: GrantConsumptionReport
    forecast_before: GrantForecast
    forecast_after: GrantForecast
    beyond_tolerance: tuple[ToleranceBreach, ...] = ()

    @property
    def alerts_before(self) -> tuple[Alert, ...]:
        return self.forecast_before.alerts

    @property
    def alerts_after(self) -> tuple[Alert, ...]:
        return self.forecast_after.alerts


@dataclass(frozen=True)
class RevisionRow:
    id: int
    revised_on: date
    created_at: datetime | None
    from_label: str
    to_label: str
    amount_cents: int
    reason: str
    author: str | None


CHOOSE_FROM = N_("Choisissez la ligne d'origine parmi les lignes de ce financement.")
CHOOSE_TO = N_("Choisissez la ligne de destination parmi les lignes de ce financement.")
TWO_LINES = N_("Choisissez deux lignes différentes.")
AMOUNT_POSITIVE = N_("Le montant à transférer doit être supérieur à zéro.")
AMOUNT_UNREADABLE = N_("Montant : {error}.")
REASON_REQUIRED = N_("Indiquez le motif de la révision (il figure dans l'historique).")
REASON_TOO_LONG = N_("Le motif ne peut pas dépasser {max} caractères.")
CONFIRM_BEYOND = "confirm_beyond"  # the field (a tick box) that confirms a transfer beyond the tolerance


class TransferInput(FormInput):
    """What the what-if form sends: two lines, the amount typed (text or euros, services.finance.fields) and,
    to save it, the reason. Context: `saving` (the reason is required to save, not to preview)."""

    from_line_id: int = Field(json_schema_extra=messages(CHOOSE_FROM))
    to_line_id: int = Field(json_schema_extra=messages(CHOOSE_TO))
    amount: int = Field(gt=0, json_schema_extra=messages(AMOUNT_POSITIVE))
    reason: str | None = Field(
        None, max_length=REASON_MAX, validate_default=True, json_schema_extra=messages(REASON_TOO_LONG, max=REASON_MAX)
    )
    confirm_beyond: bool = False

    @field_validator("to_line_id")
    @classmethod
    def _another_line(cls, value: int, info: ValidationInfo) -> int:
        if value == info.data.get("from_line_id"):
            raise field_error(TWO_LINES)
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _typed_amount(cls, value: object) -> int:
        try:
            return _typed_cents(value)
        except ValueError as exc:
            raise field_error(AMOUNT_UNREADABLE, error=str(exc)) from None

    @field_validator("reason", mode="before")
    @classmethod
    def _reason_to_save(cls, value: object, info: ValidationInfo) -> str | None:
        reason = spaces_or_none(value)
        if reason is None and (info.context or {}).get("saving"):
            raise field_error(REASON_REQUIRED)
        return reason


def _typed_cents(value: object) -> int:
    """The amount typed (an empty text is unreadable too, as money.parse_amount says) or the number sent."""
    cents = typed_cents(value)
    return parse_amount("") if cents is None else cents


def _checked(
    report: GrantConsumptionReport, data: TransferInput | Mapping[str, object], *, saving: bool
) -> tuple[LineConsumption, LineConsumption, TransferInput]:
    """The two lines of the report (the reader's lines of this grant) and the transfer, or every message."""
    transfer, errors = checked(TransferInput, data, saving=saving)
    values = raw(data)
    lines = {line.line_id: line for line in report.lines}
    if "from_line_id" not in errors and int(values["from_line_id"]) not in lines:
        errors["from_line_id"] = _(CHOOSE_FROM)
    if values.get("to_line_id") is not None and _as_id(values["to_line_id"]) not in lines:
        errors["to_line_id"] = _(CHOOSE_TO)
    source = lines.get(_as_id(values.get("from_line_id")))
    if "amount" not in errors and source is not None and _typed_cents(values["amount"]) > source.planned_cents:
        errors["amount"] = _(
            "Le montant ne peut pas dépasser le montant prévu de la ligne d'origine ({amount})."
        ).format(amount=formats.euros(source.planned_cents))
    refuse_if(errors)
    return lines[transfer.from_line_id], lines[transfer.to_line_id], transfer


def _as_id(value: object) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def simulate_transfer(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    data: TransferInput | Mapping[str, object],
    today: date | None = None,
) -> TransferPreview:
    """Lines and alerts before and after moving the amount from one line to another (no write)."""
    principal.require(Capability.VIEW_BUDGET)
    today = today or clock.today()
    before = consumption(session, principal, grant_id=grant_id, today=today)
    source, target, transfer = _checked(before, data, saving=False)
    amount = transfer.amount
    planned = {source.line_id: source.planned_cents - amount, target.line_id: target.planned_cents + amount}
    after_lines = [replace(line, planned_cents=planned.get(line.line_id, line.planned_cents)) for line in before.lines]
    after = build_report(before.grant, after_lines, today=today, partial_scope=before.partial_scope)
    inputs = load_inputs(session, principal, grant_id=grant_id, today=today, report=before)
    breaches = beyond_tolerance(session, before.grant.tolerance_bp, source, target, amount)
    return TransferPreview(
        grant_id,
        source,
        target,
        amount,
        before,
        after,
        forecast(inputs),
        forecast(inputs.with_planned(planned)),
        breaches,
    )


def convention_amounts(session: Session, lines: list[LineConsumption]) -> dict[int, int]:
    """Each line's amount in the convention: its planned amount now, less what saved revisions moved in, plus
    what they moved out."""
    ids = [line.line_id for line in lines]
    moved_in = dict(
        session.exec(
            select(BudgetRevision.to_line_id, sa.func.sum(BudgetRevision.amount_cents))
            .where(BudgetRevision.to_line_id.in_(ids))
            .group_by(BudgetRevision.to_line_id)
        ).all()
    )
    moved_out = dict(
        session.exec(
            select(BudgetRevision.from_line_id, sa.func.sum(BudgetRevision.amount_cents))
            .where(BudgetRevision.from_line_id.in_(ids))
            .group_by(BudgetRevision.from_line_id)
        ).all()
    )
    return {
        line.line_id: line.planned_cents - int(moved_in.get(line.line_id) or 0) + int(moved_out.get(line.line_id) or 0)
        for line in lines
    }


def beyond_tolerance(
    session: Session, tolerance_bp: int, source: LineConsumption, target: LineConsumption, amount: int
) -> tuple[ToleranceBreach, ...]:
    """The two lines of the transfer that it takes beyond the tolerance from their amount in the convention:
    |after − convention| × 10 000 > convention × tolerance (a line planned at 0 in the convention: any change)."""
    convention = convention_amounts(session, [source, target])
    breaches = []
    for line, after in ((source, source.planned_cents - amount), (target, target.planned_cents + amount)):
        initial = convention[line.line_id]
        if abs(after - initial) * BASIS_POINTS > initial * tolerance_bp or (initial == 0 and after != 0):
            breaches.append(ToleranceBreach(line.line_id, line.label, initial, after, tolerance_bp))
    return tuple(breaches)


def _percent_text(breach: ToleranceBreach) -> str:
    change = breach.change
    if change is None:
        return _("ligne à 0 € dans la convention")
    return ("+" if change > 0 else "−") + formats.percent(float(abs(change)), 1)


def breach_message(breaches: tuple[ToleranceBreach, ...]) -> str:
    """« Ce transfert dépasse la tolérance de 15 % … : ligne +74,0 % (de … à …) ; … »"""
    bp = breaches[0].tolerance_bp
    tolerance = formats.percent(bp / BASIS_POINTS, 0 if bp % 100 == 0 else 1)
    parts = [
        _("« {line} » {change} (de {before} dans la convention à {after})").format(
            line=b.label,
            change=_percent_text(b),
            before=formats.euros(b.convention_cents),
            after=formats.euros(b.after_cents),
        )
        for b in breaches
    ]
    return _(
        "Ce transfert dépasse la tolérance de {tolerance} entre lignes prévue par la convention : {lines}. "
        "Au-delà, la convention demande l'accord préalable du financeur : cochez la confirmation pour enregistrer."
    ).format(tolerance=tolerance, lines=" ; ".join(parts))


def try_transfer(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    data: TransferInput | Mapping[str, object],
    today: date | None = None,
) -> tuple[TransferPreview | None, dict[str, str]]:
    """simulate_transfer for a page: (the preview, {}) or (None, every field's message). A preview saves
    nothing, so its form is not submitted: the page shows the messages beside the fields and keeps the input."""
    try:
        return simulate_transfer(session, principal, grant_id=grant_id, data=data, today=today), {}
    except ValidationFailed as exc:
        return None, dict(exc.errors)


def save_transfer(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    data: TransferInput | Mapping[str, object],
    expected_versions: dict[int, int],
    today: date | None = None,
) -> int:
    """Save the move as a dated budget revision (EDIT_BUDGET); returns the revision id.

    `expected_versions` maps each of the two line ids to the version the user saw: a line changed in
    the meantime raises StaleRecord and nothing is written.
    """
    principal.require(Capability.EDIT_BUDGET)
    today = today or clock.today()
    report = consumption(session, principal, grant_id=grant_id, today=today)
    source, target, transfer = _checked(report, data, saving=True)
    amount = transfer.amount
    breaches = beyond_tolerance(session, report.grant.tolerance_bp, source, target, amount)
    if breaches and not transfer.confirm_beyond:
        raise ValidationFailed({CONFIRM_BEYOND: breach_message(breaches)})
    revision = BudgetRevision(
        grant_id=grant_id,
        from_line_id=source.line_id,
        to_line_id=target.line_id,
        amount_cents=amount,
        revised_on=today,
        reason=transfer.reason,
        created_by_id=principal.user_id,
    )
    session.add(revision)
    session.flush()
    for line, new_planned in ((source, source.planned_cents - amount), (target, target.planned_cents + amount)):
        seen = expected_versions.get(line.line_id, line.version)
        versioned_update(session, BudgetLine, line.line_id, int(seen), {"planned_cents": new_planned})
    audit.record(
        session,
        actor=principal,
        action=AuditAction.BUDGET_REVISED,
        entity_type="budget_revision",
        entity_id=revision.id,
        detail=";".join(f"beyond_tolerance_confirmed line={b.line_id} change_bp={_change_bp(b)}" for b in breaches)
        or None,
    )
    session.commit()
    return revision.id


def _change_bp(breach: ToleranceBreach) -> str:
    change = breach.change
    return "new" if change is None else str(int((change * BASIS_POINTS).to_integral_value()))


def list_revisions(session: Session, principal: Principal, *, grant_id: int) -> list[RevisionRow]:
    """Past revisions of a visible grant that touch at least one line the reader may see, newest first."""
    principal.require(Capability.VIEW_BUDGET)
    grant_summary(session, principal, grant_id)
    lines = {}
    for line_id, strand, site, category in session.exec(
        select(BudgetLine.id, Strand.name, Site.code, BudgetLine.category)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .outerjoin(Site, Site.id == BudgetLine.site_id)
        # the other side of a revision may be another site's line; a national line is named to its readers only
        .where(BudgetLine.grant_id == grant_id, sa.or_(BudgetLine.site_id.is_not(None), visible_lines(principal)))
    ).all():
        lines[line_id] = f"{strand} · {site_code_or_national(site)} · {label(category)}"
    seen = select(BudgetLine.id).where(BudgetLine.grant_id == grant_id, visible_lines(principal))
    author = aliased(User)
    rows = session.exec(
        select(BudgetRevision, author.display_name)
        .outerjoin(author, author.id == BudgetRevision.created_by_id)
        .where(
            BudgetRevision.grant_id == grant_id,
            sa.or_(BudgetRevision.from_line_id.in_(seen), BudgetRevision.to_line_id.in_(seen)),
        )
        .order_by(BudgetRevision.revised_on.desc(), BudgetRevision.id.desc())
    ).all()
    return [
        RevisionRow(
            r.id,
            r.revised_on,
            r.created_at,
            lines.get(r.from_line_id, "—"),
            lines.get(r.to_line_id, "—"),
            r.amount_cents,
            r.reason,
            name,
        )
        for r, name in rows
    ]
