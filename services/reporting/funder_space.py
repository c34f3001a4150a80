"""Espace financeur: what a funder is shown about a grant it funds, disclosure-controlled.

Who may call: financeur (the grants of its own funder), direction and gestion (every grant: they prepare
the pack or preview what the funder sees). chef_service and every other role are refused.

What it returns, and nothing else: grant facts (funder, name, reference, dates, amount), the activity
indicators of the grant's sites on one period of the publication grid (services.reporting.publication:
the grant to date, a finished quarter or pool of quarters, a month — never a free start or end day),
by site and in total, every figure protected by services.reporting.disclosure for the chosen output
(screen or export, whose thresholds come from the settings), the published series of the flow
indicators (for the charts), budget consumption aggregated by strand and by category (no line, no
expense, no label typed by staff) and the monthly burn series. Never a person code, a name, a
free-text field or a person-level row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

import clock
from i18n import _, language
from models.finance import BudgetLine, GrantSite
from models.organisation import Site
from services.finance import funded
from services.finance.consumption import GrantConsumptionReport, GrantSummary, MonthlyActual, Subtotal
from services.finance.forecast import GrantForecast
from services.platform import data_version
from services.platform.config import get_settings
from services.platform.errors import ValidationFailed
from services.platform.principal import Principal
from services.reporting import _indicators as indicators
from services.reporting import publication
from services.reporting.disclosure import Shown, Suppression, check_breakdown
from services.reporting.publication import GridPeriod, Kind, Observed, Output, Publication, PublishedList

# How each indicator may be cut and added (services.reporting.publication).
KINDS: dict[str, Kind] = {
    "active_files": Kind.STOCK,
    "new_intakes": Kind.FLOW,
    "outreach_rounds": Kind.ACTIVITY,
    "persons_met_street": Kind.FLOW,
    "persons_met_online": Kind.FLOW,
    "workshop_sessions": Kind.ACTIVITY,
    "workshop_attendance_rate": Kind.RATE,
    "course_hours": Kind.HOURS,
    "level_gains": Kind.DISTINCT,
    "mainstream_transitions": Kind.FLOW,
    "referrals": Kind.FLOW,
    "psp_in_progress": Kind.STOCK,
    **dict.fromkeys(indicators.OUTCOME_KEYS, Kind.DISTINCT),
}
FUNDER_KEYS: tuple[str, ...] = indicators.MAIN_KEYS + indicators.OUTCOME_KEYS
SERIES_KEYS: tuple[str, ...] = ("new_intakes", "referrals")  # drawn over time on the page and in the pack


@dataclass(frozen=True)
class SiteRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ShownIndicator:
    key: str
    label: str  # label, help and note in the active language
    unit: str
    help: str
    is_person_count: bool
    period: GridPeriod | None  # the period the figures are for (the grant to date ends at its own last slot)
    total: Shown  # all the grant's sites together
    by_site: dict[int, Shown]  # site id → value
    note: str = ""  # why there is no figure for the chosen period, if there is none


@dataclass(frozen=True)
class SeriesShown:
    """A flow indicator over time: its published slots (months, quarters or pools, all sites together and
    per site) for one output."""

    key: str
    label: str
    slots: tuple[PublishedList, ...]
    pending_from: date | None  # start of a pool still too small to be published


@dataclass(frozen=True)
class FunderOverview:
    grant: GrantSummary
    period: GridPeriod | None  # None before the first quarter of the grant is over
    options: tuple[GridPeriod, ...]  # every period the reader may choose
    output: Output
    as_of: date  # budget figures: expenses dated on or before this day
    threshold: int
    sites: tuple[SiteRef, ...]
    indicators: tuple[ShownIndicator, ...]
    series: tuple[SeriesShown, ...]
    consumption: GrantConsumptionReport  # aggregates only: no line, no ledger
    by_strand: tuple[Subtotal, ...]
    by_category: tuple[Subtotal, ...]
    burn: tuple[MonthlyActual, ...]
    outlook: GrantForecast  # grant-level projection only: no line, no alert

    def indicator(self, key: str) -> ShownIndicator:
        return next(i for i in self.indicators if i.key == key)

    @property
    def start(self) -> date:
        return self.period.start if self.period else self.grant.starts_on

    @property
    def end(self) -> date:
        return self.period.end if self.period else self.as_of


def require_funder_space(principal: Principal) -> None:
    funded.require_funded_reader(principal)


def funder_grants(session: Session, principal: Principal) -> list[GrantSummary]:
    """Grants the principal may open in the funder space (financeur: its funder's only)."""
    return funded.funded_grants(session, principal)


def grant_sites(session: Session, grant_id: int) -> tuple[SiteRef, ...]:
    """Sites of a grant: those named in the convention and those its budget lines are on."""
    ids = set(session.exec(select(GrantSite.site_id).where(GrantSite.grant_id == grant_id)).all())
    ids |= set(
        session.exec(
            select(BudgetLine.site_id)
            .where(BudgetLine.grant_id == grant_id, BudgetLine.site_id.is_not(None))  # a national line: no site
            .distinct()
        ).all()
    )
    if not ids:
        return ()
    rows = session.exec(select(Site.id, Site.code, Site.name).where(Site.id.in_(sorted(ids))).order_by(Site.code)).all()
    return tuple(SiteRef(int(i), code, name) for i, code, name in rows)


def thresholds() -> tuple[int, int]:
    """(screen, export) thresholds of the settings; the export is never below the screen."""
    settings = get_settings()
    screen = settings.screen_disclosure_threshold
    return screen, max(screen, settings.export_disclosure_threshold)


def _loader(session: Session, site_ids: list[int]) -> publication.Loader:
    def load(periods, keys=None):
        wanted = FUNDER_KEYS if keys is None else tuple(k for k in FUNDER_KEYS if k in keys)
        raw = indicators.raw_by_site(session, site_ids=site_ids, periods=periods, keys=wanted)
        result = {}
        for index, period in enumerate(periods):
            per_site = {
                site: indicators.build_set(values[index], site_ids=[site], period=period)
                for site, values in raw.items()
            }
            summed = indicators.total(raw, index)
            overall = indicators.build_set(summed, site_ids=site_ids, period=period)
            observed = {}
            for key in wanted:
                head_key = indicators.HEADCOUNT_KEYS.get(key)
                observed[key] = Observed(
                    {site: per_site[site].get(key).value for site in site_ids},
                    overall.get(key).value,
                    {site: int(raw[site][index][head_key]) for site in site_ids} if head_key else None,
                    int(summed[head_key]) if head_key else None,
                )
            result[period] = observed
        return result

    return load


def grant_publication(session: Session, grant: GrantSummary, sites: tuple[SiteRef, ...], today: date) -> Publication:
    """What the grid publishes for the grant's sites on `today` (screen and export).

    Cached per data version (services.platform.data_version): the same grant, sites, day, thresholds and
    language give the same publication until something is written; it holds aggregates only."""
    check_breakdown(["site", "month"])
    screen, export = thresholds()
    site_ids = tuple(s.id for s in sites)

    def publish() -> Publication:
        return publication.publish(
            [publication.Indicator(key, KINDS[key], indicators.SPECS[key].unit) for key in FUNDER_KEYS],
            sites=list(site_ids),
            grant_start=grant.starts_on,
            grant_end=grant.ends_on,
            today=today,
            load=_loader(session, list(site_ids)),
            screen_threshold=screen,
            export_threshold=export,
        )

    key = (grant.id, grant.starts_on, grant.ends_on, site_ids, today, screen, export, language())
    return data_version.cached_aggregate(session, "funder_space.grant_publication", key, publish)


def _choose(published: Publication, period_key: str | None) -> GridPeriod | None:
    options = published.options()
    if period_key is None:
        return options[0] if options else None
    chosen = next((p for p in options if p.key == period_key), None)
    if chosen is None:
        raise ValidationFailed(
            {
                "period": _(
                    "Cette période n'est pas publiée : choisissez la convention depuis son début, un trimestre "
                    "terminé ou un mois proposé."
                )
            }
        )
    return chosen


def _unpublished_note(series: publication.Series, period: GridPeriod) -> str:
    if period.grain == publication.Grain.TO_DATE or (
        not series.kind.additive
        and any(
            period.start <= s.period.start and s.period.end <= period.end and s.period != period for s in series.slots
        )
    ):
        if not series.slots:
            return _("cumul en cours")
        return _("par trimestre seulement")
    covering = next(
        (s.period for s in series.slots if s.period.start <= period.start and period.end <= s.period.end), None
    )
    if covering is not None:
        return _("publié avec {period}").format(period=covering.label())
    if series.pending_from is not None and period.start >= series.pending_from:
        return _("cumul en cours")
    return _("non publié")


def _shown_indicators(
    published: Publication, period: GridPeriod | None, output: Output, sites: tuple[SiteRef, ...]
) -> tuple[ShownIndicator, ...]:
    result = []
    for key in FUNDER_KEYS:
        spec, series = indicators.SPECS[key], published.series[key]
        figure = series.figure(period, output) if period is not None else None
        if figure is None:
            note = _unpublished_note(series, period) if period is not None else _("aucun trimestre terminé")
            empty = Shown(None, Suppression.NONE, note)
            result.append(
                ShownIndicator(
                    key,
                    spec.label,
                    spec.unit,
                    spec.help,
                    spec.is_person_count,
                    None,
                    empty,
                    {s.id: empty for s in sites},
                    note,
                )
            )
            continue
        result.append(
            ShownIndicator(
                key,
                spec.label,
                spec.unit,
                spec.help,
                spec.is_person_count,
                figure.period,
                figure.total,
                dict(figure.by_site),
            )
        )
    return tuple(result)


def funder_overview(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    period_key: str | None = None,
    output: Output = Output.SCREEN,
    today: date | None = None,
) -> FunderOverview:
    """Everything the Espace financeur shows for one grant and one period of the grid (None: the grant to
    date); `output` EXPORT gives the report pack's protection. Any other period is refused."""
    require_funder_space(principal)
    today = today or clock.today()
    grant = funded.funded_grant(session, principal, grant_id)  # NotFound outside its scope
    sites = grant_sites(session, grant.id)
    published = grant_publication(session, grant, sites, today)
    period = _choose(published, period_key)
    screen, export = thresholds()
    shown = _shown_indicators(published, period, output, sites)
    series = tuple(
        SeriesShown(
            key,
            indicators.SPECS[key].label,
            tuple(slot.output(output) for slot in published.series[key].slots),
            published.series[key].pending_from,
        )
        for key in SERIES_KEYS
    )
    as_of = min(period.end, today) if period else min(grant.ends_on, today)
    money = funded.funded_consumption(session, principal, grant_id=grant.id, today=as_of)
    return FunderOverview(
        grant=grant,
        period=period,
        options=tuple(published.options()),
        output=output,
        as_of=as_of,
        threshold=screen if output == Output.SCREEN else export,
        sites=sites,
        indicators=shown,
        series=series,
        consumption=money.report,
        by_strand=money.by_strand,
        by_category=money.by_category,
        burn=money.burn,
        outlook=money.outlook,
    )
