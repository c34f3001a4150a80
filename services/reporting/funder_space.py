"""Espace financeur: what a funder is shown about a grant it funds, disclosure-controlled.

Who may call: financeur (the grants of its own funder), direction and gestion (every grant: they prepare
the pack or preview what the funder sees). chef_service and every other role are refused.

What it returns, and nothing else: grant facts (funder, name, reference, dates, amount), the activity
indicators of the grant's sites over the period (services.reporting._indicators; every count of persons through
services.reporting.disclosure with the given threshold), site × month tables of flow indicators, budget consumption
aggregated by strand and by category (no line, no expense, no label typed by staff) and the monthly
burn series. Never a person code, a name, a free-text field or a person-level row.

Consistency of the published figures (so one protection cannot undo another):
- an indicator shown by month (MONTHLY_KEYS) takes its per-site values and its total from the margins of
  its protected site × month table;
- every other count of persons is protected as a list over the sites with its total; the tile shows that
  protected total;
- referrals are shown in total only (their breakdown by partner kind would link a second table to the
  same margins);
- the report pack (export threshold) is protected consistently with the screen (`screen_threshold`): a
  funder holds both, so the export hides everything the screen hides and is checked against what the two
  say together (services.reporting.disclosure, `consistent_with`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, select

import clock
from i18n import _, formats
from models.finance import BudgetLine, GrantSite
from models.organisation import Site
from services.finance import funded
from services.finance.consumption import GrantConsumptionReport, GrantSummary, MonthlyActual, Subtotal
from services.finance.forecast import GrantForecast
from services.platform.config import get_settings
from services.platform.errors import ValidationFailed
from services.platform.principal import Principal
from services.reporting import _indicators as indicators
from services.reporting.disclosure import (
    ProtectedTable,
    Shown,
    Suppression,
    check_breakdown,
    protect_counts,
    protect_table,
)

MONTHLY_KEYS: tuple[str, ...] = ("new_intakes", "referrals")
FUNDER_KEYS: tuple[str, ...] = indicators.MAIN_KEYS + indicators.OUTCOME_KEYS


@dataclass(frozen=True)
class SiteRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ShownIndicator:
    key: str
    label: str  # label and help in the active language
    unit: str
    help: str
    is_person_count: bool
    total: Shown  # all the grant's sites together
    by_site: dict[int, Shown]  # site id → value


@dataclass(frozen=True)
class MonthlyTable:
    key: str
    label: str  # in the active language
    months: tuple[date, ...]  # first day of each month (the first and last may be partial)
    table: ProtectedTable  # rows: site ids, columns: months


@dataclass(frozen=True)
class FunderOverview:
    grant: GrantSummary
    start: date
    end: date
    as_of: date  # budget figures: expenses dated on or before this day
    threshold: int
    sites: tuple[SiteRef, ...]
    indicators: tuple[ShownIndicator, ...]
    monthly: tuple[MonthlyTable, ...]
    consumption: GrantConsumptionReport  # aggregates only: no line, no ledger
    by_strand: tuple[Subtotal, ...]
    by_category: tuple[Subtotal, ...]
    burn: tuple[MonthlyActual, ...]
    outlook: GrantForecast  # grant-level projection only: no line, no alert

    def indicator(self, key: str) -> ShownIndicator:
        return next(i for i in self.indicators if i.key == key)


def require_funder_space(principal: Principal) -> None:
    funded.require_funded_reader(principal)


def funder_grants(session: Session, principal: Principal) -> list[GrantSummary]:
    """Grants the principal may open in the funder space (financeur: its funder's only)."""
    return funded.funded_grants(session, principal)


def default_period(grant: GrantSummary, today: date) -> tuple[date, date]:
    """Grant start → end of last month (clipped to the grant; the whole first month if none is over yet)."""
    end = min(grant.ends_on, clock.month_start(today) - timedelta(days=1))
    if end < grant.starts_on:
        end = min(grant.ends_on, today)
    return grant.starts_on, max(end, grant.starts_on)


def grant_sites(session: Session, grant_id: int) -> tuple[SiteRef, ...]:
    """Sites of a grant: those named in the convention and those its budget lines are on."""
    ids = set(session.exec(select(GrantSite.site_id).where(GrantSite.grant_id == grant_id)).all())
    ids |= set(session.exec(select(BudgetLine.site_id).where(BudgetLine.grant_id == grant_id).distinct()).all())
    if not ids:
        return ()
    rows = session.exec(select(Site.id, Site.code, Site.name).where(Site.id.in_(sorted(ids))).order_by(Site.code)).all()
    return tuple(SiteRef(int(i), code, name) for i, code, name in rows)


def month_periods(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar months of [start, end], the first and last clipped to the period."""
    periods, month = [], clock.month_start(start)
    while month <= end:
        following = clock.month_start(month, 1)
        periods.append((max(month, start), min(end, following - timedelta(days=1))))
        month = following
    return periods


def check_period(grant: GrantSummary, start: date, end: date) -> None:
    """A period inside the convention: a funder reads its grant's activity, not its sites' activity
    before or after it."""
    if start is None or end is None or end < start:
        raise ValidationFailed({"period": _("La fin de la période doit suivre son début.")})
    if start < grant.starts_on or end > grant.ends_on:
        raise ValidationFailed(
            {
                "period": _("La période doit rester dans celle de la convention (du {start} au {end}).").format(
                    start=f"{grant.starts_on:%d/%m/%Y}", end=f"{grant.ends_on:%d/%m/%Y}"
                )
            }
        )


def protected_indicators(
    session: Session,
    *,
    sites: tuple[SiteRef, ...],
    start: date,
    end: date,
    threshold: int,
    screen_threshold: int | None = None,
) -> tuple[tuple[ShownIndicator, ...], tuple[MonthlyTable, ...]]:
    """Indicators of the sites over the period, by site and by month, protected with `threshold`.

    `screen_threshold` (for an export): the same figures are also shown on screen with that threshold;
    each table and list is then protected consistently with its screen protection."""
    consistent = screen_threshold is not None and screen_threshold != threshold
    site_ids = [s.id for s in sites]
    months = month_periods(start, end)
    check_breakdown(["site", "month"])
    raw = indicators.raw_by_site(session, site_ids=site_ids, periods=[(start, end), *months])
    per_site = {
        site: indicators.build_set(values[0], site_ids=[site], period=(start, end)) for site, values in raw.items()
    }
    overall = indicators.build_set(indicators.total(raw, 0), site_ids=site_ids, period=(start, end))
    monthly: list[MonthlyTable] = []
    margins: dict[str, tuple[Shown, dict[int, Shown]]] = {}
    month_keys = tuple(m[0].replace(day=1) for m in months)
    for key in MONTHLY_KEYS:
        cells = {
            (site, month_keys[index]): int(values[index + 1][key])
            for site, values in raw.items()
            for index in range(len(months))
        }
        screen = (
            protect_table(cells, threshold=screen_threshold, rows=site_ids, cols=month_keys) if consistent else None
        )
        table = protect_table(cells, threshold=threshold, rows=site_ids, cols=month_keys, consistent_with=screen)
        monthly.append(MonthlyTable(key, indicators.SPECS[key].label, month_keys, table))
        margins[key] = (table.grand_total, {site: table.row_total(site) for site in site_ids})
    shown: list[ShownIndicator] = []
    for key in FUNDER_KEYS:
        spec = indicators.SPECS[key]
        total_value = overall.get(key).value
        if key in margins:
            total, by_site = margins[key]
        elif spec.is_person_count and total_value is not None:
            values = {site: int(per_site[site].get(key).value or 0) for site in site_ids}
            screen = protect_counts(values, threshold=screen_threshold) if consistent else None
            counts = protect_counts(values, threshold=threshold, consistent_with=screen)
            total, by_site = counts.total, dict(counts.items)
        else:
            total = _not_a_person_count(total_value, spec.unit)
            by_site = {site: _not_a_person_count(per_site[site].get(key).value, spec.unit) for site in site_ids}
        shown.append(ShownIndicator(key, spec.label, spec.unit, spec.help, spec.is_person_count, total, by_site))
    return tuple(shown), tuple(monthly)


def _not_a_person_count(value: int | Decimal | None, unit: str) -> Shown:
    """Rounds, sessions, hours, rates: published as they are (never suppressed), in the active language."""
    if value is None:
        return Shown(None, Suppression.NONE, _("indisponible"))
    if unit == "rate":
        return Shown(value, Suppression.NONE, formats.percent(value))
    if unit == "hours":
        return Shown(value, Suppression.NONE, _("{hours} h").format(hours=formats.decimal(value)))
    return Shown(value, Suppression.NONE, formats.number(value))


def funder_overview(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    start: date,
    end: date,
    threshold: int,
    today: date | None = None,
    screen_threshold: int | None = None,
) -> FunderOverview:
    """Everything the Espace financeur shows for one grant and period (see the module docstring).

    `screen_threshold`: when this overview is exported while the screen shows the same figures with that
    threshold, the protection is made consistent with the screen's. A threshold below the configured screen
    threshold is raised to it: no caller publishes smaller counts than the settings allow."""
    require_funder_space(principal)
    threshold = max(threshold, get_settings().screen_disclosure_threshold)
    today = today or clock.today()
    grant = funded.funded_grant(session, principal, grant_id)  # NotFound outside its scope
    check_period(grant, start, end)
    sites = grant_sites(session, grant.id)
    shown, monthly = protected_indicators(
        session, sites=sites, start=start, end=end, threshold=threshold, screen_threshold=screen_threshold
    )
    as_of = min(end, today)
    money = funded.funded_consumption(session, principal, grant_id=grant.id, today=as_of)
    return FunderOverview(
        grant=grant,
        start=start,
        end=end,
        as_of=as_of,
        threshold=threshold,
        sites=sites,
        indicators=shown,
        monthly=monthly,
        consumption=money.report,
        by_strand=money.by_strand,
        by_category=money.by_category,
        burn=money.burn,
        outlook=money.outlook,
    )
