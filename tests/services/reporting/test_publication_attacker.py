"""A hostile funder against the publication grid (services.reporting.publication, .disclosure).

The attacker holds every table the funder space and the report pack give for a grant: every period it may
choose (the grant to date, each quarter, pool and month), on screen and in the export, on two days a few
months apart (it comes back), each figure per site and in total. Every published number is a known sum of
unknown monthly counts per site; every hidden one is a sum the attacker wants. A hidden figure is
recovered exactly when its sum is a combination of published ones (linear algebra, exact fractions): the
attack of the review (two overlapping periods one day apart) is one such combination. The worlds are
random monthly counts, mostly small, on random grants and days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import clock
from services.reporting import publication
from services.reporting.publication import Grain, GridPeriod, Indicator, Kind, Observed, Output

SCREEN, EXPORT = 5, 11
SMALL_OR_NOT = st.sampled_from([0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 10, 11, 13, 20, 35])


def _month_cells(start: date, end: date) -> list[tuple[date, date]]:
    cells, month = [], clock.month_start(start)
    while month <= end:
        following = clock.month_start(month, 1)
        cells.append((max(month, start), min(end, following - timedelta(days=1))))
        month = following
    return cells


class World:
    """Monthly figures per site of one grant: counts (a flow) and hours with their head-counts."""

    def __init__(self, sites, start, end, counts, hours, heads):
        self.sites, self.start, self.end = sites, start, end
        self.cells = _month_cells(start, end)
        self.counts, self.hours, self.heads = counts, hours, heads  # (site, cell index) → value

    def cover(self, period: tuple[date, date]) -> list[int]:
        inside = [i for i, (a, b) in enumerate(self.cells) if period[0] <= a and b <= period[1]]
        assert inside and self.cells[inside[0]][0] == period[0] and self.cells[inside[-1]][1] == period[1], period
        return inside

    def load(self, periods, keys=None):
        result = {}
        for period in periods:
            cells = self.cover(period)
            flow = {s: sum(self.counts[s, i] for i in cells) for s in self.sites}
            hours = {s: sum(self.hours[s, i] for i in cells) for s in self.sites}
            heads = {s: sum(self.heads[s, i] for i in cells) for s in self.sites}
            figures = {
                "flow": Observed(flow, sum(flow.values())),
                "hours": Observed(hours, sum(hours.values()), heads, sum(heads.values())),
            }
            result[period] = {k: v for k, v in figures.items() if keys is None or k in keys}  # as the loader
        return result

    def publish(self, today: date) -> publication.Publication:
        return publication.publish(
            [Indicator("flow", Kind.FLOW, "count"), Indicator("hours", Kind.HOURS, "hours")],
            sites=self.sites,
            grant_start=self.start,
            grant_end=self.end,
            today=today,
            load=self.load,
            screen_threshold=SCREEN,
            export_threshold=EXPORT,
        )


@st.composite
def worlds(draw):
    sites = list(range(1, draw(st.integers(1, 3)) + 1))
    start = date(2025, draw(st.integers(1, 12)), draw(st.sampled_from([1, 1, 15])))
    end = clock.add_months(start, draw(st.integers(6, 24))) - timedelta(days=1)
    cells = _month_cells(start, end)
    counts = {(s, i): draw(SMALL_OR_NOT) for s in sites for i in range(len(cells))}
    heads = {(s, i): draw(SMALL_OR_NOT) for s in sites for i in range(len(cells))}
    hours = {key: Decimal(heads[key] * draw(st.integers(0, 9))) / 2 for key in heads}
    first = start + timedelta(days=draw(st.integers(60, 700)))
    second = first + timedelta(days=draw(st.integers(28, 200)))
    return World(sites, start, end, counts, hours, heads), first, second


def _collect(
    world: World, key: str, publications, outputs: tuple[Output, ...], secret: Output
) -> tuple[list[list[int]], list[tuple[list[int], str]]]:
    """Every figure of `key` the attacker obtains from `outputs`: (published sums), (sums hidden in `secret`,
    with where they were seen)."""
    width = len(world.sites) * len(world.cells)

    def vector(period: GridPeriod, site: int | None) -> list[int]:
        row = [0] * width
        for i in world.cover(period.span):
            for s in world.sites if site is None else [site]:
                row[world.sites.index(s) * len(world.cells) + i] = 1
        return row

    published, hidden = [], []
    for pub in publications:
        series = pub.series[key]
        for option in pub.options():
            for output in outputs:
                figure = series.figure(option, output)
                if figure is None:
                    continue
                for site, item in [*figure.by_site.items(), (None, figure.total)]:
                    row = vector(figure.period, site)
                    if item.hidden and output == secret:
                        hidden.append((row, f"{output} {figure.period.key} site={site}"))
                    elif not item.hidden and item.value is not None:
                        published.append(row)
    return published, hidden


class Span:
    """The combinations of published sums (row echelon form, exact fractions: no float tolerance decides a
    disclosure)."""

    def __init__(self, rows: list[list[int]]) -> None:
        self.pivots: list[tuple[int, list[Fraction]]] = []
        for row in rows:
            rest = self.reduce(row)
            col = next((c for c, x in enumerate(rest) if x != 0), None)
            if col is not None:
                self.pivots.append((col, [x / rest[col] for x in rest]))

    def reduce(self, row: list[int]) -> list[Fraction]:
        rest = [Fraction(x) for x in row]
        for col, pivot in self.pivots:
            if rest[col] != 0:
                factor = rest[col]
                rest = [a - factor * b for a, b in zip(rest, pivot, strict=True)]
        return rest

    def contains(self, row: list[int]) -> bool:
        return not any(self.reduce(row))


# Who holds what: the funder holds the screen and every pack (what the screen hides must stay hidden; what
# only the export hides is on its screen anyway); whoever receives a pack alone holds exports only.
ATTACKERS = {
    "funder": ((Output.SCREEN, Output.EXPORT), Output.SCREEN),
    "pack reader": ((Output.EXPORT,), Output.EXPORT),
}


@settings(max_examples=40, deadline=None)
@given(worlds())
def test_no_combination_of_published_figures_gives_back_a_hidden_one(case):
    world, first, second = case
    publications = [world.publish(first), world.publish(second)]
    for key, (outputs, secret) in [(k, a) for k in ("flow", "hours") for a in ATTACKERS.values()]:
        published, hidden = _collect(world, key, publications, outputs, secret)
        span = Span(published)
        for row, where in hidden:
            assert not span.contains(row), f"{key}: hidden figure recovered ({where})"


def test_the_attack_of_the_review_is_refused_by_the_grid():
    """Two periods one day apart are not on the grid: only whole months, quarters, pools and the grant to
    date are offered, and the quarter in progress never is."""
    world = World(
        [1, 2],
        date(2026, 1, 1),
        date(2026, 12, 31),
        {(s, i): 3 if i == 4 else 12 for s in (1, 2) for i in range(12)},
        {(s, i): Decimal(10) for s in (1, 2) for i in range(12)},
        {(s, i): 6 for s in (1, 2) for i in range(12)},
    )
    published = world.publish(date(2026, 11, 18))
    offered = {(p.start, p.end, p.grain) for p in published.options()}
    assert (date(2026, 10, 1), date(2026, 10, 31), Grain.MONTH) not in offered  # Q4 is not over
    assert (date(2026, 7, 1), date(2026, 9, 30), Grain.QUARTER) in offered
    assert all(p.start.day == 1 and (p.end + timedelta(days=1)).day == 1 for p in published.options())
    flow = published.series["flow"]
    # May (3 per site) is hidden on screen: the second quarter is published as one quarter (its months would
    # hide May), the grant to date runs to the end of September.
    assert [s.period.label() for s in flow.slots][:4] == ["janvier 2026", "février 2026", "mars 2026", "T2 2026"]
    assert flow.to_date == GridPeriod(date(2026, 1, 1), date(2026, 9, 30), Grain.TO_DATE)
    may = GridPeriod(date(2026, 5, 1), date(2026, 5, 31), Grain.MONTH)
    assert flow.figure(may, Output.SCREEN) is None
    assert flow.figure(flow.to_date, Output.SCREEN).total.value == 12 * 2 * 8 + 3 * 2
