"""Disclosure control: small counts hidden, and no hidden count recomputable from the published totals.

The property tests read only what is published (numbers and labels, as an attacker would) and search by
brute force the integer tables consistent with it: every hidden value must take at least two values.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services.disclosure import (
    HIDDEN_LABEL,
    TOTAL,
    WITHHELD_LABEL,
    BreakdownRefused,
    Suppression,
    check_breakdown,
    protect_counts,
    protect_table,
    protect_value,
)

MAX_VALUE = 30  # the generators never draw more
SEARCH_CAP = 3 * MAX_VALUE  # a hidden value is searched up to its published totals, at most this


def _bounds(text: str, value: int | None, threshold: int) -> tuple[int, int]:
    """What the label tells the attacker about one entry."""
    if value is not None:
        return value, value
    if text == f"< {threshold}":
        return 0, threshold - 1
    assert text == HIDDEN_LABEL
    return threshold, 10_000


def _published_view(table, threshold):
    rows, cols = list(table.rows), list(table.cols)
    cell = {(i, j): _bounds(table.display(r, c), table.value(r, c), threshold)
            for i, r in enumerate(rows) for j, c in enumerate(cols)}
    row_total = [_bounds(table.display(r, TOTAL), table.value(r, TOTAL), threshold) for r in rows]
    col_total = [_bounds(table.display(TOTAL, c), table.value(TOTAL, c), threshold) for c in cols]
    grand = _bounds(table.display(TOTAL, TOTAL), table.value(TOTAL, TOTAL), threshold)
    return len(rows), len(cols), cell, row_total, col_total, grand


def _solutions(view, fixed: dict[tuple[int, int], int] | None = None, limit: int = 1, extra=()):
    """Brute force: integer tables consistent with the published view (depth-first, pruned by margins);
    `extra` adds constraints (members, (low, high)) on sums of cells."""
    n_rows, n_cols, cell, row_total, col_total, grand = view
    fixed = fixed or {}
    unknown = [(i, j) for (i, j), (lo, hi) in cell.items() if lo != hi]
    ranges = {}
    for key in unknown:
        lo, hi = cell[key]
        if key in fixed:
            lo = hi = fixed[key]
        i, j = key
        ranges[key] = (lo, min(hi, row_total[i][1], col_total[j][1], grand[1], SEARCH_CAP))
    values = {k: lo for k, (lo, hi) in cell.items() if lo == hi}
    found = []

    def line_ok(members, bounds, complete):
        total = sum(values[m] for m in members if m in values)
        missing = [m for m in members if m not in values]
        low = total + sum(ranges[m][0] for m in missing)
        high = total + sum(ranges[m][1] for m in missing)
        lo, hi = bounds
        if complete:
            return lo <= total <= hi
        return high >= lo and low <= hi

    def consistent():
        for i in range(n_rows):
            members = [(i, j) for j in range(n_cols)]
            if not line_ok(members, row_total[i], all(m in values for m in members)):
                return False
        for j in range(n_cols):
            members = [(i, j) for i in range(n_rows)]
            if not line_ok(members, col_total[j], all(m in values for m in members)):
                return False
        everything = list(cell)
        if not line_ok(everything, grand, all(m in values for m in everything)):
            return False
        return all(line_ok(members, bounds, all(m in values for m in members)) for members, bounds in extra)

    def search(index):
        if len(found) >= limit:
            return
        if not consistent():
            return
        if index == len(unknown):
            found.append(dict(values))
            return
        key = unknown[index]
        lo, hi = ranges[key]
        for v in range(lo, hi + 1):
            values[key] = v
            search(index + 1)
            del values[key]
            if len(found) >= limit:
                return

    search(0)
    return found


def _assert_each_hidden_value_ambiguous(table, cells, threshold):
    texts = [table.display(r, c) for r in (*table.rows, TOTAL) for c in (*table.cols, TOTAL)]
    if WITHHELD_LABEL in texts:  # a table not published at all reveals nothing
        assert set(texts) == {WITHHELD_LABEL}
        return
    view = _published_view(table, threshold)
    n_rows, n_cols, cell, row_total, col_total, grand = view
    truth = {(i, j): cells[(r, c)] for i, r in enumerate(table.rows) for j, c in enumerate(table.cols)}
    assert _solutions(view, fixed={k: v for k, v in truth.items() if cell[k][0] != cell[k][1]}), "truth infeasible"
    for key, (lo, hi) in cell.items():
        if lo == hi:
            continue
        top = min(hi, row_total[key[0]][1], col_total[key[1]][1], grand[1], SEARCH_CAP)
        others = [v for v in range(lo, top + 1) if v != truth[key]]
        assert any(_solutions(view, fixed={key: v}) for v in others), f"hidden cell {key} is recomputable"
    # Hidden margins: a different value of the margin must be reachable too.
    margins = [((i, None), row_total[i]) for i in range(n_rows)] + [((None, j), col_total[j]) for j in range(n_cols)]
    margins.append(((None, None), grand))
    for (i, j), (lo, hi) in margins:
        if lo == hi:
            continue
        members = [k for k in cell if (i is None or k[0] == i) and (j is None or k[1] == j)]
        true_sum = sum(truth[k] for k in members)
        below = _solutions(view, extra=[(members, (0, true_sum - 1))]) if true_sum > 0 else []
        above = below or _solutions(view, extra=[(members, (true_sum + 1, 10_000))])
        assert below or above, f"hidden margin {(i, j)} is recomputable"


@st.composite
def tables(draw):
    n_rows, n_cols = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    threshold = draw(st.integers(3, 11))
    small = st.integers(0, threshold - 1)
    big = st.integers(threshold, MAX_VALUE)
    value = st.one_of(big, big, small)  # mostly publishable, as real activity tables are
    cells = {(f"r{i}", f"c{j}"): draw(value) for i in range(n_rows) for j in range(n_cols)}
    return cells, threshold


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(tables())
def test_no_hidden_cell_of_a_table_can_be_recomputed_from_its_totals(drawn):
    cells, threshold = drawn
    table = protect_table(cells, threshold=threshold)
    hidden_cells = [k for k in cells if table.is_suppressed(*k)]
    assume(len(hidden_cells) <= 7)  # keeps the brute force fast
    for key, count in cells.items():  # primary suppression is exact
        if table.display(*key) == WITHHELD_LABEL:
            continue
        if count < threshold:
            assert table.display(*key) == f"< {threshold}"
        elif not table.is_suppressed(*key):
            assert table.value(*key) == count
    _assert_each_hidden_value_ambiguous(table, cells, threshold)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, MAX_VALUE), min_size=1, max_size=7), st.integers(3, 11))
def test_no_hidden_count_of_a_list_can_be_recomputed_from_its_total(values, threshold):
    counts = {f"k{i}": v for i, v in enumerate(values)}
    protected = protect_counts(counts, threshold=threshold)
    if protected.total.text == WITHHELD_LABEL:
        assert {protected.display(k) for k in counts} == {WITHHELD_LABEL}
        return
    bounds = [_bounds(protected.display(k), protected.items[k].value, threshold) for k in counts]
    total = _bounds(protected.total.text, protected.total.value, threshold)
    # Exhaustive: every combination of the hidden values within their published bounds.
    hidden = [i for i, (lo, hi) in enumerate(bounds) if lo != hi]
    seen: dict[int, set[int]] = {i: set() for i in hidden}
    sums: set[int] = set()
    ranges = [range(bounds[i][0], min(bounds[i][1], total[1], SEARCH_CAP) + 1) for i in hidden]
    fixed = sum(lo for lo, hi in bounds if lo == hi)
    for combo in itertools.product(*ranges):
        s = fixed + sum(combo)
        if total[0] <= s <= total[1]:
            sums.add(s)
            for i, v in zip(hidden, combo, strict=True):
                seen[i].add(v)
    for i in hidden:
        assert len(seen[i]) >= 2, f"hidden count {i} is recomputable"
    if protected.total.hidden:
        assert len(sums) >= 2


def test_a_single_small_cell_in_a_row_gets_a_partner_and_shows_below_5():
    cells = {("Lyon", "janv."): 3, ("Lyon", "févr."): 40, ("Lyon", "mars"): 25,
             ("Grenoble", "janv."): 30, ("Grenoble", "févr."): 50, ("Grenoble", "mars"): 20}
    table = protect_table(cells, threshold=5)
    assert table.display("Lyon", "janv.") == "< 5"
    assert table.entry("Lyon", "janv.").suppression == Suppression.PRIMARY
    lyon_hidden = [c for c in table.cols if table.is_suppressed("Lyon", c)]
    assert len(lyon_hidden) >= 2  # the row total (68) would otherwise give the 3 back
    assert "mars" in lyon_hidden  # the smallest other cell of the row
    january_hidden = [r for r in table.rows if table.is_suppressed(r, "janv.")]
    assert len(january_hidden) >= 2  # and the column total too
    assert table.display("Lyon", "mars") == HIDDEN_LABEL
    assert table.row_total("Lyon").value == 68
    assert table.grand_total.value == 168


def test_exports_use_their_own_threshold_and_zero_is_hidden():
    counts = {"Lyon": 8, "Grenoble": 0, "Paris": 40}
    screen = protect_counts(counts, threshold=5)
    export = protect_counts(counts, threshold=11)
    assert screen.display("Grenoble") == "< 5"
    assert export.display("Lyon") == "< 11" and export.display("Grenoble") == "< 11"
    assert screen.is_suppressed("Lyon")  # partner of the hidden 0 (Grenoble), else total − others gives it
    assert export.display("Paris") == "40" and export.total.value == 48


def test_two_hidden_zeros_are_not_enough_when_the_total_is_published():
    # 0 + 0 with a published total: both are recomputable (sum 0, bounds ≥ 0), so a third is hidden.
    counts = {"a": 0, "b": 0, "c": 20, "d": 30}
    protected = protect_counts(counts, threshold=5)
    assert protected.is_suppressed("c")
    assert not protected.is_suppressed("d")


def test_a_list_without_published_total_needs_only_primary_suppression():
    protected = protect_counts({"a": 2, "b": 20}, threshold=5, publish_total=False)
    assert protected.display("a") == "< 5" and protected.display("b") == "20" and protected.total is None


def test_a_table_the_labels_alone_would_reveal_is_not_published():
    # All hidden: row 1 total "masqué" (≥ 3) with two cells "< 3" forces 2 + 2, then everything follows.
    table = protect_table({("a", "x"): 1, ("a", "y"): 1, ("b", "x"): 2, ("b", "y"): 2}, threshold=3)
    assert {table.display(r, c) for r in ("a", "b", TOTAL) for c in ("x", "y", TOTAL)} == {WITHHELD_LABEL}


def test_small_totals_are_hidden_too():
    table = protect_table({("a", "x"): 1, ("a", "y"): 2, ("b", "x"): 10, ("b", "y"): 12}, threshold=5)
    assert table.row_total("a").text == "< 5"
    assert table.grand_total.value == 25


def test_non_person_values_are_never_suppressed():
    assert protect_value(3, threshold=5, is_person_count=False).text == "3"
    assert protect_value(3, threshold=5).text == "< 5"
    assert protect_value(1234, threshold=5).text == "1\u202f234"
    assert protect_value(None, threshold=5).text == "—"


def test_a_breakdown_crossing_three_sensitive_dimensions_is_refused():
    check_breakdown(["site", "month"])
    check_breakdown(["site", "nationality", "strand"])  # strand is not a sensitive dimension
    with pytest.raises(BreakdownRefused, match="plus de deux dimensions"):
        check_breakdown(["site", "nationality", "month"])
    with pytest.raises(BreakdownRefused):
        check_breakdown(["age_band", "nationality", "site", "month"])


def test_thresholds_below_two_are_refused():
    with pytest.raises(ValueError):
        protect_counts({"a": 0}, threshold=1)
