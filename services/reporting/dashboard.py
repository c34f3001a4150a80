"""The director dashboard: "how are we doing?" for a period and a set of sites.

Who may call: principals with VIEW_FIELD_FIGURES, VIEW_COURSE_FIGURES, VIEW_BUDGET and VIEW_STAFFING (the dashboard
puts activity, budget and staffing side by side): direction (every site, or a chosen subset) and
chef_service (its own sites only). Everyone else is refused (deny by default); asking for a site
outside the principal's scope is refused too, never silently narrowed.

Rules:
- the previous period has the same number of days and ends the day before `start`; its figures are
  computed by the same grouped queries (one CASE per period), not by a second pass;
- monthly series cover the 12 months ending with the month of `end` (services.reporting._dashboard_figures),
  and so do the appointments and accompaniments per site and month;
- the funnel follows the cohort of persons whose intake is in the period (cohort_funnel);
- budget and FTE are read on `as_of` = the earlier of `end` and today.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from sqlmodel import Session

import clock
from i18n import _, language
from services.finance.staffing import figures as staffing_figures
from services.finance.staffing.figures import FteFigure
from services.home import GrantConsumption
from services.persons.consent import CONSENT_HISTORY
from services.platform import data_version
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.inputs import PeriodInput
from services.platform.principal import Capability, Principal
from services.platform.sites import SiteChoice, sites_of
from services.reporting._dashboard_figures import (
    AppointmentMonth,
    FunnelStep,
    MonthlyValue,
    appointment_months,
    cohort_funnel,
    grant_progress,
    monthly_series,
    series_window,
)

# What the dashboard's pages draw with, published here (`X as X` marks a re-export): the query modules
# behind them are private to services.reporting, since they check no permission.
from services.reporting._indicators import MAIN_KEYS as MAIN_KEYS
from services.reporting._indicators import OUTCOME_KEYS as OUTCOME_KEYS
from services.reporting._indicators import (
    Indicator,
    IndicatorSet,
    build_set,
    gather,
    raw_by_site,
    total,
)
from services.reporting._indicators import referrals_by_partner_kind as referrals_by_partner_kind

T = TypeVar("T")

REQUIRED = (
    Capability.VIEW_FIELD_FIGURES,
    Capability.VIEW_COURSE_FIGURES,
    Capability.VIEW_BUDGET,
    Capability.VIEW_STAFFING,
)
MAX_DAYS = 3 * 366  # longer periods are refused: the dashboard compares recent activity


@dataclass(frozen=True)
class SiteRow:
    site: SiteChoice
    indicators: IndicatorSet


@dataclass(frozen=True)
class Dashboard:
    start: date
    end: date
    previous_start: date
    previous_end: date
    as_of: date  # day the budget and the FTE are read on
    sites: tuple[SiteChoice, ...]  # the sites included
    current: IndicatorSet
    previous: IndicatorSet
    monthly: tuple[MonthlyValue, ...]
    funnel: tuple[FunnelStep, ...]
    grants: tuple[GrantConsumption, ...]
    fte: tuple[FteFigure, ...]
    site_rows: tuple[SiteRow, ...]  # same indicators per site, current period
    appointments: tuple[AppointmentMonth, ...] = ()  # per site and month of the 12-month window

    def pair(self, key: str) -> tuple[Indicator, Indicator]:
        """(this period, previous period) of one indicator."""
        return self.current.get(key), self.previous.get(key)


def require_dashboard(principal: Principal) -> None:
    for capability in REQUIRED:
        principal.require(capability)


def sites_in_scope(session: Session, principal: Principal) -> list[SiteChoice]:
    """The sites the principal may look at on the dashboard (closed ones too: their history counts)."""
    require_dashboard(principal)
    return sites_of(session, principal, include_closed=True)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """Same length, ending the day before `start`."""
    length = end - start
    previous_end = start - timedelta(days=1)
    return previous_end - length, previous_end


def _resolve_sites(session: Session, principal: Principal, site_ids: Sequence[int] | None) -> list[SiteChoice]:
    scope = sites_in_scope(session, principal)
    if site_ids is None:
        return scope
    wanted = {int(s) for s in site_ids}
    if not wanted:
        raise ValidationFailed({"site_ids": _("Choisissez au moins un site.")})
    allowed = {site.id for site in scope}
    if not wanted <= allowed:
        raise PermissionDenied()
    return [site for site in scope if site.id in wanted]


def _whole_association(session: Session, principal: Principal, sites: Sequence[SiteChoice]) -> bool:
    """The chosen sites are every site of an association-wide principal: its budget figures then count the
    national lines and expenses too (no site: the association's own costs), which belong to no site's share."""
    return principal.all_sites and {site.id for site in sites} >= {
        site.id for site in sites_in_scope(session, principal)
    }


def director_dashboard(
    session: Session,
    principal: Principal,
    *,
    start: date,
    end: date,
    site_ids: Sequence[int] | None = None,
    today: date | None = None,
) -> Dashboard:
    """Indicators of [start, end] and of the previous period, monthly series, cohort funnel, budget and
    FTE for the chosen sites (None: every site of the principal's scope)."""
    PeriodInput.validated({"start": start, "end": end}, longest_days=MAX_DAYS)
    sites = _resolve_sites(session, principal, site_ids)
    as_of = min(end, today or clock.today())
    key = (tuple(site.id for site in sites), start, end, as_of, principal.scope, language())
    return data_version.cached_aggregate(
        session, "dashboard.director_dashboard", key, lambda: _dashboard(session, principal, sites, start, end, as_of)
    )


def _dashboard(
    session: Session, principal: Principal, sites: list[SiteChoice], start: date, end: date, as_of: date
) -> Dashboard:
    """The figures of `director_dashboard` (aggregates only: cached per data version, scope and language).

    Its parts are cached on their own too (the indicator families in `gather`, the funnel, the grants, the
    appointments): after a save, only the parts that read a table it wrote are recomputed."""
    ids = [site.id for site in sites]
    key = (tuple(ids), start, end, as_of, principal.scope, language())

    def part(name: str, compute: Callable[[], T]) -> T:
        return data_version.cached_aggregate(session, f"dashboard.{name}", key, compute)

    previous = previous_period(start, end)
    sums = gather(session, site_ids=ids, periods=[(start, end), previous], series=series_window(end))
    raw = sums.sites
    codes = {site.code for site in sites}
    fte = [f for f in staffing_figures.fte_by_site_and_type(session, principal, today=as_of) if f.site_code in codes]
    return Dashboard(
        start=start,
        end=end,
        previous_start=previous[0],
        previous_end=previous[1],
        as_of=as_of,
        sites=tuple(sites),
        current=build_set(total(raw, 0), site_ids=ids, period=(start, end)),
        previous=build_set(total(raw, 1), site_ids=ids, period=previous),
        monthly=tuple(monthly_series(session, site_ids=ids, end=end, sums=sums)),
        funnel=part("funnel", lambda: tuple(cohort_funnel(session, site_ids=ids, start=start, end=end))),
        grants=part(
            "grants",
            lambda: tuple(
                grant_progress(
                    session,
                    principal,
                    site_ids=ids,
                    start=start,
                    end=end,
                    as_of=as_of,
                    national=_whole_association(session, principal, sites),
                )
            ),
        ),
        fte=tuple(fte),
        site_rows=tuple(
            SiteRow(site, build_set(raw[site.id][0], site_ids=[site.id], period=(start, end))) for site in sites
        ),
        appointments=_appointments(session, ids, end),
    )


def _appointments(session: Session, site_ids: list[int], end: date) -> tuple[AppointmentMonth, ...]:
    """`appointment_months`, cached per site: an appointment saved at Lyon recomputes Lyon's months only."""

    def compute(sites: list[int]) -> dict[int, tuple[AppointmentMonth, ...]]:
        months = appointment_months(session, site_ids=sites, end=end)
        return {site: tuple(month for month in months if month.site_id == site) for site in sites}

    parts = data_version.cached_by_site(
        session, "dashboard.appointments", end, site_ids, compute, scoped=("appointment", CONSENT_HISTORY)
    )
    return tuple(month for site in sorted(parts) for month in parts[site])


def site_comparison(
    session: Session, principal: Principal, *, start: date, end: date, site_ids: Sequence[int] | None = None
) -> list[SiteRow]:
    """Per site of the scope (or of the chosen ones): the same indicators for [start, end], so the
    national project officers can compare practices. Same grouped queries as the dashboard."""
    PeriodInput.validated({"start": start, "end": end}, longest_days=MAX_DAYS)
    sites = _resolve_sites(session, principal, site_ids)
    raw = raw_by_site(session, site_ids=[site.id for site in sites], periods=[(start, end)])
    return [SiteRow(site, build_set(raw[site.id][0], site_ids=[site.id], period=(start, end))) for site in sites]
