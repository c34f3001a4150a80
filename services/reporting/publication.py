"""The publication grid: which periods a funder (or any export leaving the association) may read, and
which figure of each indicator is published for each of them.

Why a grid: with a free start and end day, two overlapping periods one day apart are each protected but
their difference is the exact count of the day between. So nothing leaving the association is computed
on a period chosen by the reader. Figures are published per **slot**; slots are fixed pieces of time,
decided once, from the data of the slot itself, when the slot is over:

- the time of a grant is cut into calendar quarters (the first and last clipped to the grant); a quarter
  is published only once it is over (the quarter in progress, and so the current month, never is);
- per indicator, each finished quarter is published either month by month (when the total of every
  month survives the export's protection, threshold 11), or as one quarter, or — when even the quarter's
  total would be hidden — pooled with the following quarters into one slot that closes as soon as its
  total can be published (or at the grant's end): month → quarter → pooled quarters up to grant-to-date.
  So a chart always has bars once anything can be published;
  A pool not yet closed is not published at all (« cumul en cours »);
- a figure for a longer grid period (a quarter shown month by month, the grant to date) is the sum of
  the published slots it covers, and is itself published only when every one of them is (otherwise
  « non publié », which says nothing about its size). Only additive figures are summed (flows of
  persons or events, hours, activity counts); persons counted distinctly in a period (learners
  progressing, outcomes) and rates are published per slot only; stocks (files open, PSP in progress)
  are published per month end, each on its own.

The protection of each slot (a list over the grant's sites with its total, screen and export) is in
services.reporting.disclosure; its docstring states the threat model and why everything published
stays safe together. Pure functions: the caller loads the figures (`Loader`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import clock
from i18n import _, formats
from services.reporting.disclosure import (
    ProtectedCounts,
    Shown,
    Suppression,
    protect_counts,
    protect_measures,
    withheld_label,
)

Period = tuple[date, date]


class Grain(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    POOLED = "pooled"  # consecutive quarters published together
    TO_DATE = "to_date"  # from the grant's start to the end of the last published slot


class Kind(StrEnum):
    """How an indicator may be cut and added (see the module docstring)."""

    FLOW = "flow"  # persons or events dated in the period, additive: month → quarter → pooled
    DISTINCT = "distinct"  # distinct persons of the period, not additive: quarter → pooled
    STOCK = "stock"  # persons counted on the period's last day: each month end on its own
    ACTIVITY = "activity"  # not persons (rounds, sessions): never hidden, additive
    HOURS = "hours"  # additive measure, hidden when few persons are behind it (head-count)
    RATE = "rate"  # ratio, hidden when few persons are behind it, never added

    @property
    def additive(self) -> bool:
        return self in (Kind.FLOW, Kind.ACTIVITY, Kind.HOURS)

    @property
    def protected_by_headcount(self) -> bool:
        return self in (Kind.HOURS, Kind.RATE)


class Output(StrEnum):
    SCREEN = "screen"
    EXPORT = "export"


@dataclass(frozen=True, order=True)
class GridPeriod:
    start: date
    end: date
    grain: Grain

    @property
    def key(self) -> str:
        return f"{self.grain.value}:{self.start.isoformat()}:{self.end.isoformat()}"

    @property
    def span(self) -> Period:
        return self.start, self.end

    def label(self) -> str:
        """In the active language: « nov. 2026 », « T3 2026 », « T1 2026 – T3 2026 », « depuis le début… »."""
        if self.grain == Grain.MONTH:
            return formats.month(self.start)
        if self.grain == Grain.QUARTER:
            return quarter_label(self.start)
        if self.grain == Grain.POOLED:
            return f"{quarter_label(self.start)} – {quarter_label(self.end)}"
        return _("Depuis le début de la convention (au {day})").format(day=formats.day(self.end))


def quarter_label(day: date) -> str:
    return _("T{number} {year}").format(number=(day.month - 1) // 3 + 1, year=day.year)


@dataclass(frozen=True)
class Observed:
    """What the database says about one indicator over one period: per site and for all the sites
    (the total of a rate is not the sum of the sites'), and, for hours and rates, how many distinct
    persons are behind each figure."""

    by_site: Mapping[int, int | Decimal | None]
    total: int | Decimal | None
    headcount_by_site: Mapping[int, int] | None = None
    headcount_total: int | None = None


class Loader(Protocol):
    """Loads the figures of the given periods (all indicators, or only `keys`)."""

    def __call__(
        self, periods: Sequence[Period], keys: Collection[str] | None = None
    ) -> Mapping[Period, Mapping[str, Observed]]: ...


@dataclass(frozen=True)
class PublishedList:
    """One indicator over one grid period, as published to one output: per site and the total."""

    period: GridPeriod
    by_site: Mapping[int, Shown]
    total: Shown


@dataclass(frozen=True)
class Slot:
    period: GridPeriod
    observed: Observed
    screen: PublishedList
    export: PublishedList

    def output(self, output: Output) -> PublishedList:
        return self.screen if output == Output.SCREEN else self.export


@dataclass(frozen=True)
class Series:
    """Everything published about one indicator of one grant: its slots in time order, and where a
    pool not yet publishable starts."""

    key: str
    kind: Kind
    slots: tuple[Slot, ...]
    pending_from: date | None
    sites: tuple[int, ...]
    unit: str = "count"
    _index: dict[GridPeriod, Slot] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({slot.period: slot for slot in self.slots})

    @property
    def to_date(self) -> GridPeriod | None:
        """From the grant's start to the end of the last published slot (None before the first)."""
        if not self.slots:
            return None
        return GridPeriod(self.slots[0].period.start, self.slots[-1].period.end, Grain.TO_DATE)

    def figure(self, period: GridPeriod, output: Output) -> PublishedList | None:
        """The published figures of `period`: its slot, or the sum of the slots covering it exactly when the
        indicator is additive (each entry published only if all its parts are), or a stock's slot ending on
        its last day. None when the period is not published for this indicator (pooled, or not additive)."""
        if period.grain == Grain.TO_DATE:
            if self.to_date is None:
                return None
            period = self.to_date  # each indicator up to its own last published slot
        slot = self._index.get(period)
        if slot is not None:
            return _relabel(slot.output(output), period)
        if self.kind == Kind.STOCK:
            ending = next(
                (s for s in self.slots if s.period.end == period.end and s.period.start >= period.start), None
            )
            return _relabel(ending.output(output), period) if ending else None
        if not self.kind.additive:
            return None
        parts = [s for s in self.slots if period.start <= s.period.start and s.period.end <= period.end]
        if not parts or parts[0].period.start != period.start or parts[-1].period.end != period.end:
            return None
        if any(b.period.start != a.period.end + timedelta(days=1) for a, b in itertools.pairwise(parts)):
            return None
        lists = [p.output(output) for p in parts]
        return PublishedList(
            period,
            {site: _sum([lst.by_site[site] for lst in lists], self.unit) for site in self.sites},
            _sum([lst.total for lst in lists], self.unit),
        )


def _relabel(published: PublishedList, period: GridPeriod) -> PublishedList:
    return published if published.period == period else PublishedList(period, published.by_site, published.total)


def _sum(items: Sequence[Shown], unit: str) -> Shown:
    """A derived figure: published only when every part is ("non publié" otherwise: it says nothing)."""
    if any(item.hidden for item in items):
        return Shown(None, Suppression.WITHHELD, withheld_label())
    if all(item.value is None for item in items):
        return Shown(None, Suppression.NONE, "—")
    value = sum((item.value or 0) for item in items)
    return Shown(value, Suppression.NONE, value_text(value, unit))


def value_text(value: int | Decimal | None, unit: str) -> str:
    """A published value in the active language."""
    if value is None:
        return _("indisponible")
    if unit == "rate":
        return formats.percent(value)
    if unit == "hours":
        return _("{hours} h").format(hours=formats.decimal(value))
    return formats.number(value)


# --- the grid -----------------------------------------------------------------------------------------


def quarters(grant_start: date, grant_end: date, today: date) -> list[Period]:
    """Calendar quarters of the grant that are over on `today` (the first and last clipped to the grant)."""
    result = []
    start = date(grant_start.year, (grant_start.month - 1) // 3 * 3 + 1, 1)
    while start <= grant_end:
        following = clock.month_start(start, 3)
        period = (max(start, grant_start), min(grant_end, following - timedelta(days=1)))
        if period[1] >= today:
            break
        result.append(period)
        start = following
    return result


def months_of(period: Period) -> list[Period]:
    result, month = [], clock.month_start(period[0])
    while month <= period[1]:
        following = clock.month_start(month, 1)
        result.append((max(month, period[0]), min(period[1], following - timedelta(days=1))))
        month = following
    return result


def _decision_values(kind: Kind, observed: Observed) -> dict[int, int]:
    if kind.protected_by_headcount:
        return {site: int(v or 0) for site, v in (observed.headcount_by_site or {}).items()}
    return {site: int(value or 0) for site, value in observed.by_site.items()}


def _publishable(kind: Kind, observed: Observed, export_threshold: int) -> bool:
    """A slot is worth publishing when its total survives the export's protection: the chart has a bar, on
    screen and in the pack (sites are shown or hidden by the slot's own protection)."""
    values = _decision_values(kind, observed)
    return not protect_counts(values, threshold=export_threshold).total.hidden


def _added(a: Observed, b: Observed) -> Observed:
    """Two periods' figures added: exact for additive figures; for distinct persons and head-counts an upper
    bound (a person of two quarters counts twice), used only to decide when a pool closes (what a pool of them
    publishes is loaded and protected on its real figures)."""

    def plus(x, y):
        return None if x is None and y is None else (x or 0) + (y or 0)

    sites = set(a.by_site) | set(b.by_site)
    heads_a, heads_b = a.headcount_by_site or {}, b.headcount_by_site or {}
    return Observed(
        {s: plus(a.by_site.get(s), b.by_site.get(s)) for s in sites},
        plus(a.total, b.total),
        {s: heads_a.get(s, 0) + heads_b.get(s, 0) for s in sites},
        (a.headcount_total or 0) + (b.headcount_total or 0),
    )


def slot_periods(
    kind: Kind,
    key: str,
    quarter_list: Sequence[Period],
    figures: Mapping[Period, Mapping[str, Observed]],
    *,
    export_threshold: int,
    grant_over: bool,
) -> tuple[list[GridPeriod], date | None]:
    """The slots of one indicator (time order) and the start of a pool not yet closed."""
    if kind in (Kind.ACTIVITY, Kind.STOCK):
        return [GridPeriod(*m, Grain.MONTH) for q in quarter_list for m in months_of(q)], None
    slots: list[GridPeriod] = []
    pool: list[Period] = []
    pooled: Observed | None = None
    for index, quarter in enumerate(quarter_list):
        observed = figures[quarter][key]
        last = grant_over and index == len(quarter_list) - 1
        if not pool:
            if _publishable(kind, observed, export_threshold) or last:
                months = months_of(quarter)
                monthly = kind.additive and all(_publishable(kind, figures[m][key], export_threshold) for m in months)
                slots += (
                    [GridPeriod(*m, Grain.MONTH) for m in months] if monthly else [GridPeriod(*quarter, Grain.QUARTER)]
                )
                continue
            pool, pooled = [quarter], observed
            continue
        pool.append(quarter)
        pooled = _added(pooled, observed)
        if _publishable(kind, pooled, export_threshold) or last:
            slots.append(GridPeriod(pool[0][0], pool[-1][1], Grain.POOLED))
            pool, pooled = [], None
    return slots, (pool[0][0] if pool else None)


# --- publication ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    kind: Kind
    unit: str


@dataclass(frozen=True)
class Publication:
    """Everything published about a grant on one day: the finished quarters and each indicator's series."""

    quarters: tuple[Period, ...]
    series: Mapping[str, Series]

    def options(self) -> list[GridPeriod]:
        """The periods a reader may choose, newest first: the grant to date, every finished quarter and pool,
        then every month published on its own; no other period is ever computed."""
        latest = max((s.to_date for s in self.series.values() if s.to_date), key=lambda p: p.end, default=None)
        coarse = {GridPeriod(*q, Grain.QUARTER) for q in self.quarters}
        months: set[GridPeriod] = set()
        for one in self.series.values():
            for slot in one.slots:
                (months if slot.period.grain == Grain.MONTH else coarse).add(slot.period)
        newest_first = sorted(coarse, key=lambda p: (p.end, p.start), reverse=True)
        months_first = sorted(months, key=lambda p: p.start, reverse=True)
        return ([latest] if latest else []) + newest_first + months_first


def publish(
    indicators: Sequence[Indicator],
    *,
    sites: Sequence[int],
    grant_start: date,
    grant_end: date,
    today: date,
    load: Loader,
    screen_threshold: int,
    export_threshold: int,
) -> Publication:
    """Every indicator's published series for a grant on `today` (screen and export protections). Screen and
    export cut time alike: the slots are decided once, at the export threshold (`_publishable`)."""
    quarter_list = quarters(grant_start, grant_end, today)
    grant_over = bool(quarter_list) and quarter_list[-1][1] == grant_end
    base = [p for q in quarter_list for p in (q, *months_of(q))]
    figures: dict[Period, Mapping[str, Observed]] = dict(load(list(dict.fromkeys(base)))) if base else {}
    decided = {
        i.key: slot_periods(
            i.kind,
            i.key,
            quarter_list,
            figures,
            export_threshold=export_threshold,
            grant_over=grant_over,
        )
        for i in indicators
    }
    observed = _pooled_figures(indicators, decided, figures, quarter_list, load)
    result = {}
    for indicator in indicators:
        periods, pending = decided[indicator.key]
        slots = tuple(
            _protect(indicator, period, observed(indicator, period.span), sites, screen_threshold, export_threshold)
            for period in periods
        )
        result[indicator.key] = Series(indicator.key, indicator.kind, slots, pending, tuple(sites), indicator.unit)
    return Publication(tuple(quarter_list), result)


def _pooled_figures(indicators, decided, figures, quarter_list, load) -> Callable[[Indicator, Period], Observed]:
    """The figures of every slot: those already loaded; a pool of an additive count is the exact sum of its
    quarters; only distinct persons (and the head-counts behind hours and rates) of a pool are loaded, in one
    more call for those indicators only."""
    to_load: dict[Period, set[str]] = {}
    for indicator in indicators:
        for period in decided[indicator.key][0]:
            if period.span not in figures and (
                indicator.kind == Kind.DISTINCT or indicator.kind.protected_by_headcount
            ):
                to_load.setdefault(period.span, set()).add(indicator.key)
    loaded = dict(load(sorted(to_load), keys=set().union(*to_load.values()))) if to_load else {}

    def observed(indicator: Indicator, span: Period) -> Observed:
        if span in figures:
            return figures[span][indicator.key]
        if indicator.key in loaded.get(span, {}):
            return loaded[span][indicator.key]
        parts = [figures[q][indicator.key] for q in quarter_list if span[0] <= q[0] and q[1] <= span[1]]
        total = parts[0]
        for part in parts[1:]:
            total = _added(total, part)
        return total

    return observed


def _protect(
    indicator: Indicator,
    period: GridPeriod,
    observed: Observed,
    sites: Sequence[int],
    screen: int,
    export: int,
) -> Slot:
    unit = indicator.unit
    if indicator.kind == Kind.ACTIVITY:
        plain = PublishedList(
            period,
            {s: _plain(observed.by_site.get(s), unit) for s in sites},
            _plain(observed.total, unit),
        )
        return Slot(period, observed, plain, plain)
    if indicator.kind.protected_by_headcount:
        values = {s: observed.by_site.get(s) for s in sites}
        heads = {s: int((observed.headcount_by_site or {}).get(s, 0)) for s in sites}
        on_screen = protect_measures(
            values, heads, total=observed.total, headcount_total=observed.headcount_total or 0, threshold=screen
        )
        exported = protect_measures(
            values,
            heads,
            total=observed.total,
            headcount_total=observed.headcount_total or 0,
            threshold=export,
            consistent_with=on_screen,
        )
        return Slot(period, observed, _as_list(on_screen, period, unit), _as_list(exported, period, unit))
    counts = {s: int(observed.by_site.get(s) or 0) for s in sites}
    on_screen = protect_counts(counts, threshold=screen)
    exported = protect_counts(counts, threshold=export, consistent_with=on_screen)
    return Slot(period, observed, _as_list(on_screen, period, unit), _as_list(exported, period, unit))


def _plain(value: int | Decimal | None, unit: str) -> Shown:
    return Shown(value, Suppression.NONE, value_text(value, unit))


def _as_list(protected: ProtectedCounts, period: GridPeriod, unit: str) -> PublishedList:
    def text(item: Shown) -> Shown:
        return item if item.hidden else Shown(item.value, item.suppression, value_text(item.value, unit))

    return PublishedList(period, {k: text(v) for k, v in protected.items.items()}, text(protected.total))
