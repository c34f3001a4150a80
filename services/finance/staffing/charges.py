"""Monthly charge of staff costs: each filled post's month cost booked on its grants' 64 lines.

Rule: for a month that has ended, every post filled at least one day of it costs
post_month_cost(monthly cost, days filled, days in the month) (days from the status history); the cost
is split across the post's funding shares with split_exactly (the parts sum to the cost) and each part
becomes an Expense on the grant's "64 – Charges de personnel" line for (share's strand, post's site),
dated the last day of the month, with post_id set. A share whose grant does not run that month, or
that has no such line, is not charged (reported). Running it twice charges nothing more: a (post, line,
month) already charged is skipped, and the unique constraint uq_expense_post_charge backs it.
gestion only (EDIT_BUDGET); one transaction, one audit entry "staff.charged" with counts and total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from sqlmodel import Session, select

from clock import days_in_month, month_end, month_start
from clock import today as paris_today
from i18n import FRENCH, N_, formats, use_language
from models.audit import AuditAction
from models.finance import Expense, Grant
from models.labels import label
from models.staffing import Post, PostType
from services.finance._staff_cost_queries import funding_shares, history_by_post, split_month_cost
from services.finance.staffing.costs import days_within, filled_intervals, post_month_cost
from services.platform import audit, data_version
from services.platform.inputs import FormInput, field_error
from services.platform.principal import Capability, Principal

# The month in the stored expense label: always French (stored text), whatever the reader's language.
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True)
class PlannedCharge:
    post_id: int
    post_type: PostType
    site_id: int
    grant_id: int
    budget_line_id: int
    amount_cents: int
    days_filled: int
    already_charged: bool


@dataclass(frozen=True)
class ChargePlan:
    month: date
    charges: tuple[PlannedCharge, ...]
    unfunded_post_ids: tuple[int, ...]  # filled that month but no funding share
    uncharged_post_ids: tuple[int, ...]  # a share without a 64 line, or whose grant does not run that month

    @property
    def to_charge(self) -> tuple[PlannedCharge, ...]:
        return tuple(c for c in self.charges if not c.already_charged)

    @property
    def total_cents(self) -> int:
        return sum(c.amount_cents for c in self.to_charge)


@dataclass(frozen=True)
class ChargeSummary:
    """What the charge of a month would book, in counts and a total (the button's caption): no post's cost."""

    month: date
    to_charge: int  # charges to create
    posts: int  # posts they are for
    total_cents: int
    already_charged: int  # charges of the month booked before
    unfunded_posts: int  # filled that month but without any funding share


@dataclass(frozen=True)
class ChargeResult:
    month: date
    created: int
    skipped: int
    total_cents: int
    posts: int
    unfunded_post_ids: tuple[int, ...]
    uncharged_post_ids: tuple[int, ...]


def month_label(month: date) -> str:
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def charge_label(post_type: PostType, month: date) -> str:
    """The expense label: the type of post and the month, never the holder's name.

    Stored in the database, so written in French whoever charges the month."""
    with use_language(FRENCH):
        return f"Salaires chargés — {label(PostType(post_type))} — {month_label(month)}"


def last_ended_month(today: date) -> date:
    return month_start(month_start(today), -1)


MONTH_NOT_ENDED = N_("Le mois de {month} n'est pas terminé : les salaires s'imputent une fois le mois écoulé.")


class ChargeInput(FormInput):
    """The month whose salaries are charged (any day of it). Context: `as_of`, the day of reference."""

    month: date

    @field_validator("month")
    @classmethod
    def _ended(cls, value: date, info: ValidationInfo) -> date:
        month = month_start(value)
        if month_end(month) >= ((info.context or {}).get("as_of") or paris_today()):
            raise field_error(MONTH_NOT_ENDED, month=formats.month(month))
        return month


def plan_month(session: Session, principal: Principal, *, month: date, today: date | None = None) -> ChargePlan:
    """What charging `month` books (and what is already booked), without writing. gestion and direction."""
    principal.require(Capability.VIEW_BUDGET)
    month = ChargeInput.validated({"month": month}, as_of=today or paris_today()).month
    last = month_end(month)
    posts = session.exec(
        select(Post)
        .where(
            principal.site_filter(Post.site_id),
            Post.starts_on <= last,
            sa.or_(Post.ends_on.is_(None), Post.ends_on >= month),
        )
        .order_by(Post.id)
    ).all()
    history = history_by_post(session, [p.id for p in posts])
    shares_of = funding_shares(session, posts)
    grants = {g.id: g for g in session.exec(select(Grant)).all()} if posts else {}
    existing = set(
        session.exec(
            select(Expense.post_id, Expense.budget_line_id).where(
                Expense.post_id.is_not(None), Expense.spent_on == last
            )
        ).all()
    )
    charges: list[PlannedCharge] = []
    unfunded: list[int] = []
    uncharged: list[int] = []
    for post in posts:
        days = days_within(filled_intervals(post, history.get(post.id, []), until=last), month, last)
        cost = post_month_cost(post.monthly_cost_cents, days, days_in_month(month))
        if cost == 0:
            continue
        shares = shares_of.get(post.id, [])
        if not shares:
            unfunded.append(post.id)
            continue
        for share, part in zip(shares, split_month_cost(cost, shares), strict=True):
            grant = grants.get(share.grant_id)
            runs = grant is not None and grant.starts_on <= last and grant.ends_on >= month
            if share.budget_line_id is None or not runs:
                if post.id not in uncharged:
                    uncharged.append(post.id)
                continue
            if part:
                charges.append(
                    PlannedCharge(
                        post.id,
                        PostType(post.post_type),
                        post.site_id,
                        share.grant_id,
                        share.budget_line_id,
                        part,
                        days,
                        (post.id, share.budget_line_id) in existing,
                    )
                )
    return ChargePlan(month, tuple(charges), tuple(unfunded), tuple(uncharged))


def charge_summary(session: Session, principal: Principal, *, month: date, today: date | None = None) -> ChargeSummary:
    """`plan_month` in counts and a total, cached per data version (data_version.cached_aggregate): the
    page shows it at every run, and the plan reads every post, its history and its shares (a fifth of the
    gestion's « Postes » run on the large dataset). Counts only, no post's cost, as caches hold."""
    principal.require(Capability.VIEW_BUDGET)
    month = ChargeInput.validated({"month": month}, as_of=today or paris_today()).month

    def summarise() -> ChargeSummary:
        plan = plan_month(session, principal, month=month, today=today)
        to_charge = plan.to_charge
        return ChargeSummary(
            month,
            len(to_charge),
            len({charge.post_id for charge in to_charge}),
            plan.total_cents,
            len(plan.charges) - len(to_charge),
            len(plan.unfunded_post_ids),
        )

    return data_version.cached_aggregate(session, "staffing.charge_summary", (month, principal.scope), summarise)


def charge_month(session: Session, principal: Principal, *, month: date, today: date | None = None) -> ChargeResult:
    """Book the staff costs of an ended month on the grants' 64 lines (idempotent). gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    plan = plan_month(session, principal, month=month, today=today)
    last = month_end(plan.month)
    for charge in plan.to_charge:
        session.add(
            Expense(
                budget_line_id=charge.budget_line_id,
                grant_id=charge.grant_id,
                site_id=charge.site_id,
                spent_on=last,
                amount_cents=charge.amount_cents,
                label=charge_label(charge.post_type, plan.month),
                voucher_ref=f"SAL-{plan.month:%Y%m}-P{charge.post_id}",
                post_id=charge.post_id,
                created_by_id=principal.user_id,
            )
        )
    created = len(plan.to_charge)
    result = ChargeResult(
        plan.month,
        created,
        len(plan.charges) - created,
        plan.total_cents,
        len({c.post_id for c in plan.to_charge}),
        plan.unfunded_post_ids,
        plan.uncharged_post_ids,
    )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.STAFF_CHARGED,
        entity_type="staff_charge",
        entity_id=f"{plan.month:%Y-%m}",
        detail=f"n={created} skip={result.skipped} total_cents={result.total_cents}",
    )
    session.commit()
    return result
