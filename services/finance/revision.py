"""What-if and budget revisions: move planned money between two lines of one grant.

- `simulate_transfer` (budget readers with VIEW_BUDGET, within their lines): the lines and alerts
  before and after the move; nothing is written;
- `save_transfer` (EDIT_BUDGET: gestion): one BudgetRevision row, both lines' planned amounts changed
  by versioned updates, one audit entry "budget.revised", one commit. The grant's total never changes;
- `list_revisions` (VIEW_BUDGET): past revisions of a grant touching a line the reader may see.

Validation (in the session's language, by field): two different lines of the same grant, visible to the
caller; an amount above zero and at most the origin line's planned amount; a reason (≤ 300 characters) to save.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

import clock
from i18n import _, formats
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
from services.finance.forecast import Alert, GrantForecast, forecast, load_inputs
from services.platform import audit
from services.platform.errors import ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

REASON_MAX = 300


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


def _validate(
    report: GrantConsumptionReport, from_line_id: int | None, to_line_id: int | None, amount_cents: int | None
) -> tuple[LineConsumption, LineConsumption, int]:
    lines = {line.line_id: line for line in report.lines}
    errors: dict[str, str] = {}
    if from_line_id not in lines:
        errors["from_line_id"] = _("Choisissez la ligne d'origine parmi les lignes de ce financement.")
    if to_line_id not in lines:
        errors["to_line_id"] = _("Choisissez la ligne de destination parmi les lignes de ce financement.")
    elif from_line_id == to_line_id:
        errors["to_line_id"] = _("Choisissez deux lignes différentes.")
    if amount_cents is None or amount_cents <= 0:
        errors["amount_cents"] = _("Le montant à transférer doit être supérieur à zéro.")
    elif from_line_id in lines and amount_cents > lines[from_line_id].planned_cents:
        errors["amount_cents"] = _(
            "Le montant ne peut pas dépasser le montant prévu de la ligne d'origine ({amount})."
        ).format(amount=formats.euros(lines[from_line_id].planned_cents))
    if errors:
        raise ValidationFailed(errors)
    return lines[from_line_id], lines[to_line_id], int(amount_cents)


def simulate_transfer(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    from_line_id: int | None,
    to_line_id: int | None,
    amount_cents: int | None,
    today: date | None = None,
) -> TransferPreview:
    """Lines and alerts before and after moving `amount_cents` from one line to another (no write)."""
    principal.require(Capability.VIEW_BUDGET)
    today = today or clock.today()
    before = consumption(session, principal, grant_id=grant_id, today=today)
    source, target, amount = _validate(before, from_line_id, to_line_id, amount_cents)
    planned = {source.line_id: source.planned_cents - amount, target.line_id: target.planned_cents + amount}
    after_lines = [replace(line, planned_cents=planned.get(line.line_id, line.planned_cents)) for line in before.lines]
    after = build_report(before.grant, after_lines, today=today, partial_scope=before.partial_scope)
    inputs = load_inputs(session, principal, grant_id=grant_id, today=today, report=before)
    return TransferPreview(
        grant_id, source, target, amount, before, after, forecast(inputs), forecast(inputs.with_planned(planned))
    )


def save_transfer(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    from_line_id: int | None,
    to_line_id: int | None,
    amount_cents: int | None,
    reason: str | None,
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
    reason_text = " ".join((reason or "").split())
    try:
        source, target, amount = _validate(report, from_line_id, to_line_id, amount_cents)
    except ValidationFailed as exc:
        errors = dict(exc.errors)
        if not reason_text:
            errors["reason"] = _("Indiquez le motif de la révision (il figure dans l'historique).")
        raise ValidationFailed(errors) from None
    if not reason_text:
        raise ValidationFailed({"reason": _("Indiquez le motif de la révision (il figure dans l'historique).")})
    if len(reason_text) > REASON_MAX:
        raise ValidationFailed({"reason": _("Le motif ne peut pas dépasser {max} caractères.").format(max=REASON_MAX)})
    revision = BudgetRevision(
        grant_id=grant_id,
        from_line_id=source.line_id,
        to_line_id=target.line_id,
        amount_cents=amount,
        revised_on=today,
        reason=reason_text,
        created_by_id=principal.user_id,
    )
    session.add(revision)
    session.flush()
    for line, new_planned in ((source, source.planned_cents - amount), (target, target.planned_cents + amount)):
        seen = expected_versions.get(line.line_id, line.version)
        versioned_update(session, BudgetLine, line.line_id, int(seen), {"planned_cents": new_planned})
    audit.record(
        session, actor=principal, action="budget.revised", entity_type="budget_revision", entity_id=revision.id
    )
    session.commit()
    return revision.id


def list_revisions(session: Session, principal: Principal, *, grant_id: int) -> list[RevisionRow]:
    """Past revisions of a visible grant that touch at least one line the reader may see, newest first."""
    principal.require(Capability.VIEW_BUDGET)
    grant_summary(session, principal, grant_id)
    lines = {}
    for line_id, strand, site, category in session.exec(
        select(BudgetLine.id, Strand.name, Site.code, BudgetLine.category)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .join(Site, Site.id == BudgetLine.site_id)
        .where(BudgetLine.grant_id == grant_id)
    ).all():
        lines[line_id] = f"{strand} · {site} · {label(category)}"
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
