"""End-of-grant forecast and alerts: pure functions on already-summed figures, plus one loader.

Method (METHOD_TEXT says it to the users, translated where shown):
- forecast of a line = actual to date
  + for the month in progress: what is still expected this month minus what is already booked this
    month (never below zero);
  + for each whole month after the current one up to the end date:
      "64 – Charges de personnel" lines: the cost of the posts filled today and funded by the grant
      (services.finance.staffing.costs, split by their funding shares, post end dates respected);
      other lines: the run-rate = average monthly actual over the last 3 complete months of the
      grant (fewer when the grant is younger, 0 before its first complete month), rounded to the cent;
- the grant's forecast is the sum of its lines' forecasts (integer cents: it always adds up);
- alerts: (a) a line whose forecast exceeds its planned amount beyond the convention's tolerance
  (forecast > planned × (1 + tolerance)); (b) the grant whose forecast falls short of its amount by
  more than the tolerance (forecast < amount × (1 − tolerance)): money that may have to be returned;
  (c) a post funded by the grant vacant for more than 60 days.

Who may call the loader: the readers of services.finance.consumption (same scope); a chef_service's
forecast covers its own sites' lines only and is compared with their planned total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from sqlmodel import Session

import clock
from i18n import N_
from models.finance import BudgetCategory
from services.finance import _staff_cost_queries
from services.finance._staff_cost_queries import VacantPost
from services.finance.consumption import GrantConsumptionReport, _report, require_line_reader
from services.platform.money import BASIS_POINTS, prorata
from services.platform.principal import Principal

RUN_RATE_MONTHS = 3
VACANCY_ALERT_DAYS = 60

METHOD_TEXT = N_(
    "**Comment la prévision est calculée.** Prévision en fin de convention = dépenses déjà "
    "enregistrées + pour le mois en cours, ce qui reste attendu ce mois-ci (au-delà de ce qui est déjà "
    "enregistré) + pour chaque mois restant jusqu'à la date de fin : sur les lignes « 64 – Charges de "
    "personnel », le coût chargé des postes pourvus aujourd'hui et financés par la convention (selon "
    "leur part de financement, jusqu'à la fin de chaque poste) ; sur les autres lignes, la moyenne "
    "mensuelle des dépenses des 3 derniers mois complets (moins si la convention est plus récente, "
    "zéro avant son premier mois complet). Les montants sont arrondis au centime ; la prévision du "
    "financement est la somme de celles des lignes. Alertes : une ligne dont la prévision dépasse le "
    "montant prévu au-delà de la tolérance de la convention ; une sous-consommation prévue supérieure à "
    "la tolérance (somme qui pourrait devoir être reversée au financeur) ; un poste financé vacant "
    "depuis plus de 60 jours."
)


class AlertKind(StrEnum):
    LINE_OVERRUN = "line_overrun"
    UNDER_CONSUMPTION = "under_consumption"
    VACANT_POST = "vacant_post"


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    amount_cents: int = 0  # overrun beyond planned, shortfall below the amount, or 0
    line_id: int | None = None
    line_label: str | None = None
    planned_cents: int = 0
    projected_cents: int = 0
    post: VacantPost | None = None


@dataclass(frozen=True)
class GrantTerms:
    budget_cents: int  # grant amount (or the planned total of the lines seen, for a partial scope)
    tolerance_bp: int
    starts_on: date
    ends_on: date
    today: date


@dataclass(frozen=True)
class LineInput:
    line_id: int
    label: str
    category: BudgetCategory
    planned_cents: int
    actual_cents: int  # to date
    current_month_actual_cents: int = 0
    recent_month_actuals: tuple[int, ...] = ()  # last complete months of the grant (≤ 3), any order
    committed_staff_cents: int = 0  # whole months after the current one (staff lines)
    current_month_staff_cents: int = 0  # expected staff cost of the month in progress (staff lines)


@dataclass(frozen=True)
class LineForecast:
    line_id: int
    label: str
    category: BudgetCategory
    planned_cents: int
    actual_cents: int
    run_rate_cents: int  # per month (0 on staff lines)
    still_expected_cents: int  # month in progress + months after
    projected_cents: int  # actual + still expected

    @property
    def overrun_cents(self) -> int:
        return self.projected_cents - self.planned_cents


@dataclass(frozen=True)
class GrantForecast:
    terms: GrantTerms
    lines: tuple[LineForecast, ...]
    projected_cents: int
    actual_cents: int
    months_after_current: int
    month_in_progress: bool
    alerts: tuple[Alert, ...]

    @property
    def still_expected_cents(self) -> int:
        return self.projected_cents - self.actual_cents


@dataclass(frozen=True)
class ForecastInputs:
    terms: GrantTerms
    lines: tuple[LineInput, ...]
    vacant_posts: tuple[VacantPost, ...] = ()

    def with_planned(self, planned: dict[int, int]) -> ForecastInputs:
        """Same figures with some planned amounts changed (a what-if)."""
        return replace(
            self,
            lines=tuple(
                replace(line, planned_cents=planned.get(line.line_id, line.planned_cents)) for line in self.lines
            ),
        )


# --- pure functions ------------------------------------------------------------------------------


def month_in_progress(terms: GrantTerms) -> bool:
    """Today falls within the grant period: its month is partly still to come."""
    return terms.starts_on <= terms.today <= terms.ends_on


def months_after_current(terms: GrantTerms) -> int:
    """Whole months after today's month up to the end date's month (0 when the end month is reached)."""
    current = clock.month_start(terms.today)
    last = clock.month_start(terms.ends_on)
    first = max(clock.month_start(current, 1), clock.month_start(terms.starts_on))
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def complete_months(terms: GrantTerms, count: int = RUN_RATE_MONTHS) -> list[date]:
    """The last `count` complete months of the grant before today's month (fewer if younger; none before start)."""
    current = clock.month_start(terms.today)
    first = clock.month_start(terms.starts_on)
    last = min(clock.month_start(current, -1), clock.month_start(terms.ends_on))
    months = []
    month = last
    while month >= first and len(months) < count:
        months.append(month)
        month = clock.month_start(month, -1)
    return sorted(months)


def run_rate(recent: Sequence[int]) -> int:
    """Average monthly actual, rounded to the cent (halves away from zero); 0 without a complete month."""
    return prorata(sum(recent), 1, len(recent)) if recent else 0


def line_forecast(line: LineInput, *, in_progress: bool, months_after: int) -> LineForecast:
    if line.category == BudgetCategory.STAFF:
        rate = 0
        current = line.current_month_staff_cents if in_progress else 0
        future = line.committed_staff_cents
    else:
        rate = run_rate(line.recent_month_actuals)
        current = rate if in_progress else 0
        future = rate * months_after
    current_gap = max(0, current - line.current_month_actual_cents) if in_progress else 0
    expected = current_gap + future
    return LineForecast(
        line.line_id,
        line.label,
        line.category,
        line.planned_cents,
        line.actual_cents,
        rate,
        expected,
        line.actual_cents + expected,
    )


def exceeds_tolerance(projected: int, planned: int, tolerance_bp: int) -> bool:
    """projected > planned × (1 + tolerance), in integers (a zero line alerts on any spending)."""
    return projected * BASIS_POINTS > planned * (BASIS_POINTS + tolerance_bp)


def under_consumed(projected: int, budget: int, tolerance_bp: int) -> bool:
    """projected < budget × (1 − tolerance), in integers."""
    return projected * BASIS_POINTS < budget * (BASIS_POINTS - tolerance_bp)


def alerts_for(
    terms: GrantTerms, lines: Sequence[LineForecast], projected: int, vacant_posts: Sequence[VacantPost]
) -> list[Alert]:
    alerts = [
        Alert(
            AlertKind.LINE_OVERRUN,
            line.overrun_cents,
            line.line_id,
            line.label,
            line.planned_cents,
            line.projected_cents,
        )
        for line in lines
        if exceeds_tolerance(line.projected_cents, line.planned_cents, terms.tolerance_bp)
    ]
    if under_consumed(projected, terms.budget_cents, terms.tolerance_bp):
        alerts.append(
            Alert(
                AlertKind.UNDER_CONSUMPTION,
                terms.budget_cents - projected,
                planned_cents=terms.budget_cents,
                projected_cents=projected,
            )
        )
    alerts += [Alert(AlertKind.VACANT_POST, post=post) for post in vacant_posts if post.days > VACANCY_ALERT_DAYS]
    return alerts


def forecast(inputs: ForecastInputs) -> GrantForecast:
    """Forecast of each line and of the grant, and its alerts (see the module docstring)."""
    terms = inputs.terms
    in_progress = month_in_progress(terms)
    months_after = months_after_current(terms)
    lines = [line_forecast(line, in_progress=in_progress, months_after=months_after) for line in inputs.lines]
    projected = sum(line.projected_cents for line in lines)
    actual = sum(line.actual_cents for line in lines)
    return GrantForecast(
        terms,
        tuple(lines),
        projected,
        actual,
        months_after,
        in_progress,
        tuple(alerts_for(terms, lines, projected, inputs.vacant_posts)),
    )


# --- loader --------------------------------------------------------------------------------------


def _recent_by_line(
    report: GrantConsumptionReport, terms: GrantTerms
) -> tuple[dict[int, dict[date, int]], dict[int, int]]:
    """Per line: actual of each of the last complete months, and actual of the month in progress
    (read from the report's per-line, per-month SQL sums)."""
    wanted = set(complete_months(terms))
    current = clock.month_start(terms.today)
    recent: dict[int, dict[date, int]] = {}
    this_month: dict[int, int] = {}
    for (line_id, month), cents in report.ledger.items():
        if month == current:
            this_month[line_id] = this_month.get(line_id, 0) + cents
        elif month in wanted:
            recent.setdefault(line_id, {})[month] = cents
    return recent, this_month


def load_inputs(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    today: date | None = None,
    report: GrantConsumptionReport | None = None,
) -> ForecastInputs:
    """The figures a forecast needs, read within the principal's scope (a few grouped queries). Budget staff."""
    require_line_reader(principal)
    return _inputs(session, principal, grant_id, today or clock.today(), report)


def _inputs(
    session: Session, principal: Principal, grant_id: int, today: date, report: GrantConsumptionReport | None
) -> ForecastInputs:
    report = report or _report(session, principal, grant_id, today)
    grant = report.grant
    terms = GrantTerms(
        report.total.planned_cents if report.partial_scope else grant.amount_cents,
        grant.tolerance_bp,
        grant.starts_on,
        grant.ends_on,
        today,
    )
    months = complete_months(terms)
    recent, this_month = _recent_by_line(report, terms)
    # Staff still to come: months after today's (from the grant's start month at the earliest) …
    committed_from = max(today, grant.starts_on - timedelta(days=1))
    committed = _staff_cost_queries.committed_staff_cost_by_line(
        session, grant_id=grant.id, today=committed_from, until=grant.ends_on
    )
    # … and the month in progress: posts filled at the end of last month, for this whole month.
    current_staff: dict[int, int] = {}
    if month_in_progress(terms):
        current_staff = _staff_cost_queries.committed_staff_cost_by_line(
            session,
            grant_id=grant.id,
            today=clock.month_start(today) - timedelta(days=1),
            until=min(grant.ends_on, clock.month_end(today)),
        )
    lines = tuple(
        LineInput(
            line_id=line.line_id,
            label=line.label,
            category=line.category,
            planned_cents=line.planned_cents,
            actual_cents=line.actual_cents,
            current_month_actual_cents=this_month.get(line.line_id, 0),
            recent_month_actuals=tuple(recent.get(line.line_id, {}).get(month, 0) for month in months),
            committed_staff_cents=committed.get(line.line_id, 0),
            current_month_staff_cents=current_staff.get(line.line_id, 0),
        )
        for line in report.lines
    )
    site_codes = {line.site_code for line in report.lines}
    vacant = tuple(
        post
        for post in _staff_cost_queries.vacant_posts_of_grant(
            session, grant_id=grant.id, today=today, longer_than_days=VACANCY_ALERT_DAYS
        )
        if post.site_code in site_codes
    )
    return ForecastInputs(terms, lines, vacant)


def grant_forecast(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    today: date | None = None,
    report: GrantConsumptionReport | None = None,
) -> GrantForecast:
    """Forecast and alerts of a visible grant (see the module docstring for the method). Budget staff."""
    return forecast(load_inputs(session, principal, grant_id=grant_id, today=today, report=report))


def _projected(session: Session, principal: Principal, report: GrantConsumptionReport) -> GrantForecast:
    """The forecast of a grant whose report is already read (services.finance.funded checked the caller)."""
    return forecast(_inputs(session, principal, report.grant.id, report.today, report))
