"""Statistical disclosure control: the one place where figures shown to a funder or exported are protected.

Who calls it: every output leaving the association (Espace financeur, report pack), through
services.reporting.publication, which decides on which periods figures are published. Pure functions.

Threat model — what a reader may combine. A funder (or anyone who receives an export) may hold, and put
together: every period the publication grid offers for its grants (each month, quarter, pool of quarters
and the grant to date, services.reporting.publication), on every day it comes back (the grid of a later
day contains the earlier one), on screen (threshold 5) and in every report pack (threshold 11), and every
table of a page (tiles, per-site table, monthly tables, chart tooltips). It knows how the tables are built
(cells add up to their totals; « < t » means 0 to t − 1, « masqué » at least t, « non publié » nothing).
It does not see the database, and cannot choose a free start or end day.

Why the published figures stay safe together:
1. No free period: figures are only computed on slots of the grid (publication docstring). Slots of one
   indicator never overlap, a slot is published only once it is over and then never changes (given the
   same data), and its protection depends on its own figures only. So the only linear relations between
   published figures are, inside one slot, that the sites add up to the total — which is what the
   protection of that slot's list handles exactly (below) — and the longer periods (a quarter shown month
   by month, the grant to date), which are sums of slots published only when every part is published:
   they add nothing the reader could not add itself.
2. Screen and export protect the same lists; the export hides everything the screen hides and is checked
   against what the two say together (`consistent_with`, below); the slots are decided once, at the
   export threshold, so screen and export cut time the same way.
3. Counts of persons below the threshold are hidden (primary), zero included; when a total is published,
   more is hidden (secondary) until no hidden count can be recomputed (exact check below).
4. Figures that are not counts but derive from few persons (hours of French, attendance rates) are hidden
   when fewer than `threshold` distinct persons are behind them (`protect_measures`), with the same rule
   that a list never hides exactly one entry; rates are never added.
5. No breakdown crosses more than two of (site, nationality, age band, month): `check_breakdown`.
6. A breakdown of counts another table publishes (the activity report's profile of the new files of each site)
   is protected with those totals known (`protect_table(known_row_totals=True)`): they are never hidden there and
   the cells are protected as if the reader had them, so « published total minus published parts » gives nothing.
Not covered, on purpose: figures published before data of a finished period was corrected change with the
correction (the difference tells how many late entries were made, not about whom); what the slot
structure says (a quarter pooled with the next one had small figures) is coarse and says no value.

Attacker model used to check protection (exact, not a heuristic): the attacker knows every published
value, the structure (cells add up to their row and column totals, totals to the grand total) and,
from the labels, that a « < t » value lies in [0, t−1] and a « masqué » value is at least t. A hidden
value is protected when at least two integer tables consistent with all of this give it different
values.

Algorithm for a 2-D table with margins: (1) primary suppression of cells and margins below the
threshold; (2) in every row and column (margins included) holding exactly one hidden entry, hide the
smallest published cell of that line (or its total when no cell is left), until stable; (3) check each
hidden entry exactly and, while one is still determined (e.g. by its bounds: two hidden zeros in a row
with a published total), hide the smallest published cell of its row or column (else that line's total,
else the smallest published entry anywhere) and go back to (2). When everything is hidden and the labels
alone still pin a value down (e.g. [[1, 1], [2, 2]] with threshold 3: the « masqué » totals say ≥ 3),
the table is not published at all (« non publié »).

The exact check: write the table with its margins negated, so every row and column of the augmented
(R+1)×(C+1) matrix sums to zero. Two consistent tables differ by a circulation supported on the hidden
entries, which decomposes into alternating cycles each feasible on its own (the matrix is a network
matrix). So a hidden entry can change iff an alternating cycle through it respects the bounds: a path
search in the residual bipartite graph (rows → columns for +1, columns → rows for −1).

Two protections of the same figures (screen at 5, export at 11; a funder holds both): the export is
computed with `consistent_with=<the screen protection>`. Everything hidden on screen is hidden in the
export too (so the export publishes nothing the screen hides), and the attacker holding both knows, for
each entry hidden in both, the intersection of what the two labels say (screen « masqué » ≥ 5 and export
« < 11 » give [5, 10]; export « masqué » gives ≥ 11). Those intersected bounds are checked exactly, by the
same cycle search; the export is first checked on its own like any table. An entry hidden in the export
but published on screen is known to that funder anyway: nothing protects it beyond the screen's threshold.
The combined knowledge only depends on the screen protection and the export labels of the entries hidden
on screen (which follow from their values), so hiding more in the export cannot help it: when it pins a
screen-hidden value down, the export table (or list) is not published at all (« non publié »).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from i18n import N_, _, formats

TOTAL = "__total__"  # the row/column key of margins in ProtectedTable.entry(...)
# French message ids of the suppression marks: a Shown's text carries them in the active language
# (`hidden_label()`, `withheld_label()`), like its numbers.
HIDDEN_LABEL = N_("masqué")
WITHHELD_LABEL = N_("non publié")
DISCLOSURE_DIMENSIONS = frozenset({"site", "nationality", "age_band", "month"})
MAX_CROSSED_DIMENSIONS = 2


class Suppression(StrEnum):
    NONE = "none"
    PRIMARY = "primary"  # below the threshold
    SECONDARY = "secondary"  # hidden so that a primary one cannot be recomputed
    WITHHELD = "withheld"  # the whole table/list is not published (no pattern could protect it)


class BreakdownRefused(ValueError):
    """A breakdown crossing more than two of site, nationality, age band, month was requested."""


def check_breakdown(dimensions: Iterable[str]) -> None:
    """Refuse a breakdown crossing more than two sensitive dimensions (site, nationality, age band, month)."""
    sensitive = sorted({d for d in dimensions if d in DISCLOSURE_DIMENSIONS})
    if len(sensitive) > MAX_CROSSED_DIMENSIONS:
        raise BreakdownRefused(
            _(
                "Ventilation refusée : elle croise plus de deux dimensions parmi site, nationalité, tranche d'âge "
                "et mois ({dimensions})."
            ).format(dimensions=", ".join(sensitive))
        )


def _check_threshold(threshold: int) -> None:
    if threshold < 2:  # "< 1" would print a hidden 0 exactly
        raise ValueError("the disclosure threshold must be at least 2")


def below_label(threshold: int) -> str:
    return f"< {threshold}"


def hidden_label() -> str:
    """« masqué » in the active language."""
    return _(HIDDEN_LABEL)


def withheld_label() -> str:
    """« non publié » in the active language."""
    return _(WITHHELD_LABEL)


def format_count(value: int) -> str:
    return formats.number(value)


@dataclass(frozen=True)
class Shown:
    """One value as published: the number, or None with the reason it is hidden (`text`: in the language
    active when it was protected)."""

    value: int | Decimal | None  # Decimal only for values that are not counts (hours, rates)
    suppression: Suppression
    text: str

    @property
    def hidden(self) -> bool:
        return self.suppression != Suppression.NONE


def shown(value: int | None, suppression: Suppression, threshold: int) -> Shown:
    if value is None:
        return Shown(None, Suppression.NONE, "—")
    if suppression == Suppression.PRIMARY:
        return Shown(None, suppression, below_label(threshold))
    if suppression == Suppression.SECONDARY:
        return Shown(None, suppression, hidden_label())
    if suppression == Suppression.WITHHELD:
        return Shown(None, suppression, withheld_label())
    return Shown(value, suppression, format_count(value))


def protect_value(value: int | None, *, threshold: int, is_person_count: bool = True) -> Shown:
    """A single figure published alone (no total links it to other figures)."""
    if value is None or not is_person_count or value >= threshold:
        return shown(value, Suppression.NONE, threshold)
    return shown(value, Suppression.PRIMARY, threshold)


Bounds = tuple[int, int | None]  # what an attacker knows about one entry: low, high (None: no upper bound)


def label_bounds(item: Shown, threshold: int) -> Bounds:
    """What one published entry tells the attacker: its value, or the range its label states."""
    if item.suppression == Suppression.NONE:
        return int(item.value), int(item.value)
    return _suppression_bounds(item.suppression, threshold)


def _suppression_bounds(suppression: Suppression, threshold: int) -> Bounds:
    """« < t »: [0, t − 1]; « masqué »: at least t; « non publié » (and a published entry's label) says nothing."""
    if suppression == Suppression.PRIMARY:
        return 0, threshold - 1
    if suppression == Suppression.SECONDARY:
        return threshold, None
    return 0, None


def _intersect(a: Bounds, b: Bounds | None) -> Bounds:
    if b is None:
        return a
    highs = [h for h in (a[1], b[1]) if h is not None]
    return max(a[0], b[0]), (min(highs) if highs else None)


def _inside(value: int, box: Bounds) -> bool:
    return value >= box[0] and (box[1] is None or value <= box[1])


# --- 2-D tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedTable:
    """A table of counts with its row, column and grand totals, as it may be published."""

    rows: tuple[Hashable, ...]
    cols: tuple[Hashable, ...]
    threshold: int
    _entries: Mapping[tuple[Hashable, Hashable], Shown]

    def entry(self, row: Hashable, col: Hashable) -> Shown:
        """A cell, or a margin with TOTAL as row and/or column key."""
        return self._entries[(row, col)]

    def display(self, row: Hashable, col: Hashable) -> str:
        return self.entry(row, col).text

    def value(self, row: Hashable, col: Hashable) -> int | None:
        return self.entry(row, col).value

    def is_suppressed(self, row: Hashable, col: Hashable) -> bool:
        return self.entry(row, col).hidden

    def row_total(self, row: Hashable) -> Shown:
        return self.entry(row, TOTAL)

    def col_total(self, col: Hashable) -> Shown:
        return self.entry(TOTAL, col)

    @property
    def grand_total(self) -> Shown:
        return self.entry(TOTAL, TOTAL)

    def suppressed_keys(self) -> frozenset[tuple[Hashable, Hashable]]:
        return frozenset(key for key, item in self._entries.items() if item.hidden)


class _Grid:
    """The augmented (R+1)×(C+1) matrix: index R is the totals row, C the totals column."""

    def __init__(self, values: list[list[int]], threshold: int) -> None:
        self.prior: list[list[Bounds]] | None = None  # what another output of the same table says (combined check)
        self.fixed: set[tuple[int, int]] = set()  # published elsewhere: known exactly, never hidden here
        self.n_rows = len(values)
        self.n_cols = len(values[0]) if values else 0
        self.threshold = threshold
        r, c = self.n_rows, self.n_cols
        self.value = [[*row, sum(row)] for row in values]
        self.value.append([sum(values[i][j] for i in range(r)) for j in range(c)] + [sum(map(sum, values))])
        self.state = [[Suppression.NONE] * (c + 1) for _ in range(r + 1)]
        for i in range(r + 1):
            for j in range(c + 1):
                if self.value[i][j] < threshold:
                    self.state[i][j] = Suppression.PRIMARY

    def entries(self) -> Iterable[tuple[int, int]]:
        for i in range(self.n_rows + 1):
            for j in range(self.n_cols + 1):
                yield i, j

    def hidden(self, i: int, j: int) -> bool:
        return self.state[i][j] != Suppression.NONE

    def is_margin(self, i: int, j: int) -> bool:
        return i == self.n_rows or j == self.n_cols

    def line(self, axis: str, index: int) -> list[tuple[int, int]]:
        if axis == "row":
            return [(index, j) for j in range(self.n_cols + 1)]
        return [(i, index) for i in range(self.n_rows + 1)]

    def hide(self, i: int, j: int) -> None:
        if not self.hidden(i, j):
            self.state[i][j] = Suppression.SECONDARY

    def hide_in(self, lines: Sequence[list[tuple[int, int]]], exclude: tuple[int, int] | None = None) -> bool:
        """Hide the smallest published cell of the given lines, else their smallest published margin."""
        candidates = {e for line in lines for e in line if e != exclude and not self.hidden(*e) and e not in self.fixed}
        for pool in ([e for e in candidates if not self.is_margin(*e)], list(candidates)):
            if pool:
                self.hide(*min(pool, key=lambda e: (self.value[e[0]][e[1]], e)))
                return True
        return False

    def pair_lines(self) -> None:
        """Step (2): no line with exactly one hidden entry."""
        changed = True
        while changed:
            changed = False
            lines = [self.line("row", i) for i in range(self.n_rows + 1)]
            lines += [self.line("col", j) for j in range(self.n_cols + 1)]
            for line in lines:
                if sum(self.hidden(*e) for e in line) == 1 and self.hide_in([line]):
                    changed = True

    # Moves allowed in the attacker's box, in the negated (z) coordinates.
    def _can_move_x(self, i: int, j: int, step: int, combined: bool) -> bool:
        box = _suppression_bounds(self.state[i][j], self.threshold)
        if combined and self.prior is not None:
            box = _intersect(box, self.prior[i][j])
        return _inside(self.value[i][j] + step, box)

    def _can_move_z(self, i: int, j: int, step: int, combined: bool = False) -> bool:
        negated = self.is_margin(i, j) and not (i == self.n_rows and j == self.n_cols)
        return self._can_move_x(i, j, -step if negated else step, combined)

    def determined(self, i: int, j: int, combined: bool = False) -> bool:
        """True when every consistent table gives entry (i, j) the same value (no alternating cycle).

        `combined`: the attacker also holds the other output (`prior`), so each box is intersected with it."""
        up = self._can_move_z(i, j, +1, combined) and self._path(("c", j), ("r", i), (i, j), combined)
        if up:
            return False
        return not (self._can_move_z(i, j, -1, combined) and self._path(("r", i), ("c", j), (i, j), combined))

    def _path(self, start: tuple[str, int], goal: tuple[str, int], skip: tuple[int, int], combined: bool) -> bool:
        """Residual path: row i → col j when (i, j) may take +1, col j → row i when it may take −1."""
        seen, queue = {start}, deque([start])
        while queue:
            kind, index = queue.popleft()
            if (kind, index) == goal:
                return True
            if kind == "r":
                steps = [(("c", j), (index, j), +1) for j in range(self.n_cols + 1)]
            else:
                steps = [(("r", i), (i, index), -1) for i in range(self.n_rows + 1)]
            for node, (i, j), step in steps:
                if node in seen or (i, j) == skip or not self.hidden(i, j):
                    continue
                if not self._can_move_z(i, j, step, combined):
                    continue
                seen.add(node)
                queue.append(node)
        return False

    def withhold(self) -> None:
        for a, b in self.entries():
            self.state[a][b] = Suppression.WITHHELD

    def protect(self) -> None:
        while True:
            self.pair_lines()
            weak = next((e for e in self.entries() if self.hidden(*e) and self.determined(*e)), None)
            if weak is None:
                return
            i, j = weak
            if self.hide_in([self.line("row", i), self.line("col", j)], exclude=weak):
                continue
            if self.hide_in([list(self.entries())]):
                continue
            # Everything is hidden and the labels alone (« < t » is below t, « masqué » at least t)
            # still pin a value down: the table is not published at all.
            self.withhold()
            return

    def protect_consistently(self, prior: list[list[Bounds]]) -> None:
        """Protect, knowing that `prior` (another output of the same table) is published too: hide what it
        hides, withhold when the two together pin a value down, then protect this output on its own."""
        self.prior = prior
        hidden_there = [(i, j) for i, j in self.entries() if prior[i][j][0] != prior[i][j][1]]
        for i, j in hidden_there:
            self.hide(i, j)
        # The entries published there are known exactly, so hiding more here cannot help the combined check.
        if any(self.determined(i, j, combined=True) for i, j in hidden_there):
            self.withhold()
            return
        self.protect()


def protect_table(
    cells: Mapping[tuple[Hashable, Hashable], int],
    *,
    threshold: int,
    rows: Sequence[Hashable] | None = None,
    cols: Sequence[Hashable] | None = None,
    consistent_with: ProtectedTable | None = None,
    known_row_totals: bool = False,
) -> ProtectedTable:
    """Protect a table of person counts published with its row, column and grand totals.

    `cells` maps (row, col) to a count (missing cells count 0); `rows` / `cols` fix the order (default:
    order of first appearance). `consistent_with`: another protection of the SAME cells that is published
    too (the screen's, when this is the export): see the module docstring. `known_row_totals`: the row
    totals and the grand total are published by another table (a breakdown of counts already published,
    e.g. the new files of each site by origin): the reader knows them exactly, so they are never hidden
    here (whatever their size) and the cells are protected against them."""
    _check_threshold(threshold)
    rows = tuple(rows) if rows is not None else tuple(dict.fromkeys(r for r, _ in cells))
    cols = tuple(cols) if cols is not None else tuple(dict.fromkeys(c for _, c in cells))
    for (row, col), count in cells.items():
        if row not in rows or col not in cols:
            raise ValueError(f"cell {(row, col)!r} outside the given rows/columns")
        if int(count) < 0:
            raise ValueError("counts cannot be negative")
    values = [[int(cells.get((row, col), 0)) for col in cols] for row in rows]
    grid = _Grid(values, threshold)
    row_keys, col_keys = (*rows, TOTAL), (*cols, TOTAL)
    if known_row_totals:
        if consistent_with is not None:
            raise ValueError("known_row_totals and consistent_with cannot be combined")
        grid.fixed = {(i, grid.n_cols) for i in range(grid.n_rows + 1)}
        for i, j in grid.fixed:
            grid.state[i][j] = Suppression.NONE
    if consistent_with is not None:
        prior = _table_prior(consistent_with, grid, row_keys, col_keys)
        if rows and cols:
            grid.protect_consistently(prior)
    elif rows and cols:
        grid.protect()
    entries = {
        (row_keys[i], col_keys[j]): shown(grid.value[i][j], grid.state[i][j], threshold) for i, j in grid.entries()
    }
    return ProtectedTable(rows, cols, threshold, entries)


def _table_prior(other: ProtectedTable, grid: _Grid, row_keys: tuple, col_keys: tuple) -> list[list[Bounds]]:
    """What `other` (published too) says about each entry; it must protect the same cells."""
    if set(other.rows) != set(row_keys[:-1]) or set(other.cols) != set(col_keys[:-1]):
        raise ValueError("consistent_with protects a table with other rows or columns")
    prior = [
        [label_bounds(other.entry(row_keys[i], col_keys[j]), other.threshold) for j in range(len(col_keys))]
        for i in range(len(row_keys))
    ]
    for i, j in grid.entries():
        if not _inside(grid.value[i][j], prior[i][j]):
            raise ValueError("consistent_with protects other figures")
    return prior


# --- 1-D lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedCounts:
    """A list of person counts (e.g. per site) with, optionally, its published total."""

    keys: tuple[Hashable, ...]
    threshold: int
    items: Mapping[Hashable, Shown]
    total: Shown | None  # None when the total is not published

    def display(self, key: Hashable) -> str:
        return self.items[key].text

    def is_suppressed(self, key: Hashable) -> bool:
        return self.items[key].hidden


def _list_determined(
    values: list[int],
    state: list[Suppression],
    k: int,
    threshold: int,
    equation: bool,
    prior: list[Bounds] | None = None,
) -> bool:
    """Entry k (the last one is the total when `equation`) is determined unless another hidden entry
    can compensate a ±1 move: a cell moving the other way, or the total moving the same way. With
    `prior` (what another published output says), each box is intersected with it."""

    def can(index: int, step: int) -> bool:
        box = _suppression_bounds(state[index], threshold)
        return _inside(values[index] + step, _intersect(box, prior[index] if prior else None))

    if not equation:
        return not (can(k, +1) or can(k, -1))
    total = len(values) - 1

    def sign(index: int) -> int:  # cells count +, the total − in "cells − total = 0"
        return -1 if index == total else 1

    for step in (+1, -1):
        if not can(k, step):
            continue
        for other in range(len(values)):
            if other == k or state[other] == Suppression.NONE:
                continue
            if can(other, -step * sign(k) * sign(other)):
                return False
    return True


def protect_counts(
    values: Mapping[Hashable, int],
    *,
    threshold: int,
    publish_total: bool = True,
    consistent_with: ProtectedCounts | None = None,
) -> ProtectedCounts:
    """Protect a list of person counts; with `publish_total`, the total is published and protected too.

    `consistent_with`: another protection of the SAME counts that is published too (the screen's, when
    this is the export): everything it hides is hidden here, and the two together must still leave every
    value it hides ambiguous, else this list is not published (module docstring)."""
    _check_threshold(threshold)
    keys = tuple(values)
    numbers = [int(values[k]) for k in keys]
    if any(n < 0 for n in numbers):
        raise ValueError("counts cannot be negative")
    if publish_total:
        numbers.append(sum(numbers))
    state = [Suppression.PRIMARY if n < threshold else Suppression.NONE for n in numbers]
    if consistent_with is not None:
        prior = _counts_prior(consistent_with, keys, numbers, publish_total)
        for k, box in enumerate(prior):
            if box[0] != box[1] and state[k] == Suppression.NONE:
                state[k] = Suppression.SECONDARY
        if any(
            box[0] != box[1] and _list_determined(numbers, state, k, threshold, publish_total, prior)
            for k, box in enumerate(prior)
        ):
            state = [Suppression.WITHHELD] * len(numbers)  # the other output publishes what hiding more would hide
    while publish_total and Suppression.WITHHELD not in state:
        weak = next(
            (
                k
                for k in range(len(numbers))
                if state[k] != Suppression.NONE and _list_determined(numbers, state, k, threshold, True)
            ),
            None,
        )
        if weak is None:
            break
        cells = [k for k in range(len(keys)) if state[k] == Suppression.NONE]
        if cells:
            state[min(cells, key=lambda k: (numbers[k], k))] = Suppression.SECONDARY
        elif state[-1] == Suppression.NONE:
            state[-1] = Suppression.SECONDARY
        else:  # everything hidden and still pinned down by the labels: not published at all
            state = [Suppression.WITHHELD] * len(numbers)
            break
    items = {key: shown(numbers[k], state[k], threshold) for k, key in enumerate(keys)}
    total = shown(numbers[-1], state[-1], threshold) if publish_total else None
    return ProtectedCounts(keys, threshold, items, total)


def _counts_prior(other: ProtectedCounts, keys: tuple, numbers: list[int], publish_total: bool) -> list[Bounds]:
    """What `other` (published too) says about each count (and the total last); same counts required."""
    if set(other.keys) != set(keys) or (other.total is not None) != publish_total:
        raise ValueError("consistent_with protects other counts or publishes its total differently")
    items = [other.items[k] for k in keys] + ([other.total] if publish_total else [])
    prior = [label_bounds(item, other.threshold) for item in items]
    if not all(_inside(n, box) for n, box in zip(numbers, prior, strict=True)):
        raise ValueError("consistent_with protects other figures")
    return prior


# --- measures derived from few persons -----------------------------------------------------------


def protect_measures(
    values: Mapping[Hashable, int | Decimal | None],
    headcounts: Mapping[Hashable, int],
    *,
    total: int | Decimal | None,
    headcount_total: int,
    threshold: int,
    consistent_with: ProtectedCounts | None = None,
) -> ProtectedCounts:
    """Protect figures that are not counts of persons but are computed from few of them (hours, rates),
    per key with the figure of all keys together: an entry whose head-count is below the threshold is not
    published (« non publié »: the label says nothing about the value), and a list never hides exactly one
    entry (the total and the others would give it back): the published entry with the fewest persons is
    hidden with it, else the total. `consistent_with`: the screen's protection of the same figures (this
    one hides everything it hides)."""
    _check_threshold(threshold)
    keys = tuple(values)
    entries = [*keys, TOTAL]
    heads = {**{k: int(headcounts.get(k, 0)) for k in keys}, TOTAL: int(headcount_total)}
    figures = {**dict(values), TOTAL: total}
    hidden = {k for k in entries if figures[k] is not None and heads[k] < threshold}
    if consistent_with is not None:
        hidden |= {k for k in keys if consistent_with.items[k].hidden}
        if consistent_with.total is not None and consistent_with.total.hidden:
            hidden.add(TOTAL)
    if len(hidden) == 1:
        others = [k for k in keys if k not in hidden and figures[k] is not None]
        hidden.add(min(others, key=lambda k: (heads[k], str(k))) if others else TOTAL)

    def item(key: Hashable) -> Shown:
        if key in hidden:
            return Shown(None, Suppression.WITHHELD, withheld_label())
        value = figures[key]
        return Shown(value, Suppression.NONE, "—" if value is None else str(value))

    return ProtectedCounts(keys, threshold, {k: item(k) for k in keys}, item(TOTAL))
