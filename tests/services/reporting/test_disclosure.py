"""Disclosure control: small counts hidden, and no hidden count recomputable from the published totals.

The property tests read only what is published (numbers and labels, as an attacker would) and decide
exactly, with a method of their own (a circulation network for tables, interval sums for lists), whether
an integer table consistent with it can give each hidden value another value: every hidden value must
take at least two values. Every drawn case is checked: none is too large to decide.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.reporting.disclosure import (
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
UNBOUNDED = 10_000  # what « masqué » or « Non publié » tells about an upper bound: nothing


def _bounds(text: str, value: int | None, threshold: int) -> tuple[int, int]:
    """What the label tells the attacker about one entry."""
    if value is not None:
        return value, value
    if text == f"< {threshold}":
        return 0, threshold - 1
    if text == WITHHELD_LABEL:
        return 0, UNBOUNDED
    assert text == HIDDEN_LABEL
    return threshold, UNBOUNDED


def _published_view(table, threshold):
    rows, cols = list(table.rows), list(table.cols)
    cell = {
        (i, j): _bounds(table.display(r, c), table.value(r, c), threshold)
        for i, r in enumerate(rows)
        for j, c in enumerate(cols)
    }
    row_total = [_bounds(table.display(r, TOTAL), table.value(r, TOTAL), threshold) for r in rows]
    col_total = [_bounds(table.display(TOTAL, c), table.value(TOTAL, c), threshold) for c in cols]
    grand = _bounds(table.display(TOTAL, TOTAL), table.value(TOTAL, TOTAL), threshold)
    return len(rows), len(cols), cell, row_total, col_total, grand


def _max_flow(capacity: dict[tuple[str, str], int], source: str, sink: str) -> int:
    """Edmonds-Karp on a small graph given as {(u, v): capacity}."""
    residual: dict[str, dict[str, int]] = {}
    for (u, v), c in capacity.items():
        residual.setdefault(u, {}).setdefault(v, 0)
        residual.setdefault(v, {}).setdefault(u, 0)
        residual[u][v] += c
    flow = 0
    while True:
        parent = {source: source}
        queue = [source]
        for u in queue:
            for v, c in residual[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return flow
        path, v = [], sink
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        pushed = min(residual[u][v] for u, v in path)
        for u, v in path:
            residual[u][v] -= pushed
            residual[v][u] += pushed
        flow += pushed


def _feasible(view, fixed: dict[tuple[int, int], int] | None = None, extra=()) -> bool:
    """Is there an integer table within every bound the view publishes (cells, row totals, column totals,
    grand total), with `fixed` cells and the `extra` bounds (members, (low, high)) on a cell, a row, a
    column or the whole table?

    Exact, and independent of services/reporting/disclosure.py: the bounds form a circulation network (source →
    row i → column j → sink → source, each edge with its lower and upper bound); a circulation with
    bounds exists iff a max flow saturates the lower bounds (Hoffman), and integer bounds give an
    integer table. It takes polynomial time, so no drawn table is too large to check."""
    n_rows, n_cols, cell, row_total, col_total, grand = view
    bounds: dict[tuple[str, str], tuple[int, int]] = {("t", "s"): grand}
    for i in range(n_rows):
        bounds[("s", f"r{i}")] = row_total[i]
    for j in range(n_cols):
        bounds[(f"c{j}", "t")] = col_total[j]
    for (i, j), b in cell.items():
        bounds[(f"r{i}", f"c{j}")] = (fixed[(i, j)],) * 2 if fixed and (i, j) in fixed else b
    everything = sorted(cell)
    for members, (lo, hi) in extra:
        members = sorted(members)
        rows, cols = {i for i, _ in members}, {j for _, j in members}
        if len(members) == 1:
            edge = (f"r{members[0][0]}", f"c{members[0][1]}")
        elif members == everything:
            edge = ("t", "s")
        elif len(rows) == 1 and len(members) == n_cols:
            edge = ("s", f"r{rows.pop()}")
        elif len(cols) == 1 and len(members) == n_rows:
            edge = (f"c{cols.pop()}", "t")
        else:
            raise AssertionError(f"not a line of the table: {members}")
        old_lo, old_hi = bounds[edge]
        bounds[edge] = (max(old_lo, lo), min(old_hi, hi))
    capacity: dict[tuple[str, str], int] = {}
    excess: dict[str, int] = {}
    for (u, v), (lo, hi) in bounds.items():
        if lo > hi:
            return False
        capacity[(u, v)] = capacity.get((u, v), 0) + hi - lo
        excess[v] = excess.get(v, 0) + lo
        excess[u] = excess.get(u, 0) - lo
    for node, e in excess.items():
        if e > 0:
            capacity[("S*", node)] = e
        elif e < 0:
            capacity[(node, "T*")] = -e
    needed = sum(e for e in excess.values() if e > 0)
    return needed == 0 or _max_flow(capacity, "S*", "T*") == needed


def _assert_each_hidden_value_ambiguous(table, cells, threshold):
    texts = [table.display(r, c) for r in (*table.rows, TOTAL) for c in (*table.cols, TOTAL)]
    if WITHHELD_LABEL in texts:  # a table not published at all reveals nothing
        assert set(texts) == {WITHHELD_LABEL}
        return
    _assert_view_ambiguous(_published_view(table, threshold), table, cells)


def _intersect(a, b):
    low, high = max(a[0], b[0]), min(a[1], b[1])
    assert low <= high, "the two outputs contradict each other"
    return low, high


def _combined_view(first, second):
    """What an attacker holding both outputs knows: entry by entry, the intersection of both."""
    n_rows, n_cols, cell, row_total, col_total, grand = first
    _, _, cell2, row_total2, col_total2, grand2 = second
    return (
        n_rows,
        n_cols,
        {k: _intersect(b, cell2[k]) for k, b in cell.items()},
        [_intersect(a, b) for a, b in zip(row_total, row_total2, strict=True)],
        [_intersect(a, b) for a, b in zip(col_total, col_total2, strict=True)],
        _intersect(grand, grand2),
    )


def _leaked_entries(view, table, cells):
    """Entries hidden in `view` (a range, not a value) that every consistent table gives the same value:
    cells as (i, j), margins as (i, None), (None, j) and (None, None)."""
    n_rows, n_cols, cell, row_total, col_total, grand = view
    truth = {(i, j): cells[(r, c)] for i, r in enumerate(table.rows) for j, c in enumerate(table.cols)}
    assert _feasible(view, fixed={k: v for k, v in truth.items() if cell[k][0] != cell[k][1]}), "truth infeasible"
    lines = [([key], bounds) for key, bounds in cell.items()]
    lines += [([(i, j) for j in range(n_cols)], row_total[i]) for i in range(n_rows)]
    lines += [([(i, j) for i in range(n_rows)], col_total[j]) for j in range(n_cols)]
    lines.append((list(cell), grand))
    leaked = []
    for members, (lo, hi) in lines:
        if lo == hi:
            continue
        true_sum = sum(truth[k] for k in members)
        if true_sum > 0 and _feasible(view, extra=[(members, (0, true_sum - 1))]):
            continue
        if _feasible(view, extra=[(members, (true_sum + 1, UNBOUNDED))]):
            continue
        i = members[0][0] if all(k[0] == members[0][0] for k in members) else None
        j = members[0][1] if all(k[1] == members[0][1] for k in members) else None
        leaked.append((i, j))
    return leaked


def _assert_view_ambiguous(view, table, cells):
    """Every entry the view leaves hidden (a range, not a value) takes at least two values."""
    assert _leaked_entries(view, table, cells) == [], "hidden values recomputable"


@st.composite
def tables(draw):
    n_rows, n_cols = draw(st.integers(2, 7)), draw(st.integers(2, 7))
    threshold = draw(st.integers(3, 11))
    small = st.integers(0, threshold - 1)
    big = st.integers(threshold, MAX_VALUE)
    value = st.one_of(big, big, small)  # mostly publishable, as real activity tables are
    cells = {(f"r{i}", f"c{j}"): draw(value) for i in range(n_rows) for j in range(n_cols)}
    return cells, threshold


@given(tables())
def test_no_hidden_cell_of_a_table_can_be_recomputed_from_its_totals(drawn):
    cells, threshold = drawn
    table = protect_table(cells, threshold=threshold)
    for key, count in cells.items():  # primary suppression is exact
        if table.display(*key) == WITHHELD_LABEL:
            continue
        if count < threshold:
            assert table.display(*key) == f"< {threshold}"
        elif not table.is_suppressed(*key):
            assert table.value(*key) == count
    _assert_each_hidden_value_ambiguous(table, cells, threshold)


def _recomputable_in_a_list(bounds: list[tuple[int, int]], total: tuple[int, int]) -> list[int]:
    """Entries of a list (index) a reader can recompute from their bounds and the total's, and -1 for the
    total itself. Exact without enumerating: integer ranges add up to every integer between the sums of
    their ends, so a value v of entry i is possible iff the others can make up the rest of a total within
    its bounds. (Enumerating every combination took minutes on some draws.)"""
    hidden = [i for i, (lo, hi) in enumerate(bounds) if lo != hi]
    ranges = {i: (bounds[i][0], min(bounds[i][1], total[1])) for i in hidden}
    fixed = sum(lo for lo, hi in bounds if lo == hi)
    found = []
    for i in hidden:
        others_lo = fixed + sum(lo for j, (lo, _hi) in ranges.items() if j != i)
        others_hi = fixed + sum(hi for j, (_lo, hi) in ranges.items() if j != i)
        low = max(ranges[i][0], total[0] - others_hi)
        high = min(ranges[i][1], total[1] - others_lo)
        if high - low < 1:
            found.append(i)
    if total[0] != total[1]:
        sums_lo = fixed + sum(lo for lo, _hi in ranges.values())
        sums_hi = fixed + sum(hi for _lo, hi in ranges.values())
        if min(total[1], sums_hi) - max(total[0], sums_lo) < 1:
            found.append(-1)
    return found


def test_the_list_check_finds_a_recomputable_entry():
    # 40 published, total 43, the other entry « < 5 »: it is 3.
    assert _recomputable_in_a_list([(40, 40), (0, 4)], (43, 43)) == [1]
    assert _recomputable_in_a_list([(40, 40), (0, 4), (5, UNBOUNDED)], (50, 50)) == []
    assert _recomputable_in_a_list([(0, 4), (0, 4)], (0, 4)) == []
    assert _recomputable_in_a_list([(30, 30), (5, UNBOUNDED)], (5, UNBOUNDED)) == []


def test_the_table_check_finds_a_recomputable_cell():
    # Row a: 3 hidden, 40 published, row total 43 published: the 3 follows.
    view = (
        2,
        2,
        {(0, 0): (0, 4), (0, 1): (40, 40), (1, 0): (30, 30), (1, 1): (50, 50)},
        [(43, 43), (80, 80)],
        [(33, 33), (90, 90)],
        (123, 123),
    )
    table = type("T", (), {"rows": ["a", "b"], "cols": ["x", "y"]})
    assert (0, 0) in _leaked_entries(view, table, {("a", "x"): 3, ("a", "y"): 40, ("b", "x"): 30, ("b", "y"): 50})
    hidden = (
        2,
        2,
        {(0, 0): (0, 4), (0, 1): (5, UNBOUNDED), (1, 0): (5, UNBOUNDED), (1, 1): (5, UNBOUNDED)},
        [(43, 43), (80, 80)],
        [(33, 33), (90, 90)],
        (123, 123),
    )
    assert _leaked_entries(hidden, table, {("a", "x"): 3, ("a", "y"): 40, ("b", "x"): 30, ("b", "y"): 50}) == []


@given(st.lists(st.integers(0, MAX_VALUE), min_size=1, max_size=12), st.integers(3, 11))
def test_no_hidden_count_of_a_list_can_be_recomputed_from_its_total(values, threshold):
    counts = {f"k{i}": v for i, v in enumerate(values)}
    protected = protect_counts(counts, threshold=threshold)
    if protected.total.text == WITHHELD_LABEL:
        assert {protected.display(k) for k in counts} == {WITHHELD_LABEL}
        return
    bounds = [_bounds(protected.display(k), protected.items[k].value, threshold) for k in counts]
    total = _bounds(protected.total.text, protected.total.value, threshold)
    assert _recomputable_in_a_list(bounds, total) == [], "hidden counts recomputable"


def _texts(table):
    return [table.display(r, c) for r in (*table.rows, TOTAL) for c in (*table.cols, TOTAL)]


def _keys(table):
    return [(r, c) for r in (*table.rows, TOTAL) for c in (*table.cols, TOTAL)]


@st.composite
def screen_and_export(draw):
    n_rows, n_cols = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    screen = draw(st.integers(3, 6))
    export = draw(st.integers(screen + 1, 12))
    value = st.one_of(st.integers(0, MAX_VALUE), st.integers(0, 12))  # small counts are where it matters
    cells = {(f"r{i}", f"c{j}"): draw(value) for i in range(n_rows) for j in range(n_cols)}
    return cells, screen, export


@given(screen_and_export())
def test_a_funder_holding_screen_and_export_cannot_recompute_a_hidden_value(drawn):
    cells, screen_threshold, export_threshold = drawn
    screen = protect_table(cells, threshold=screen_threshold)
    export = protect_table(cells, threshold=export_threshold, consistent_with=screen)
    for key in _keys(screen):  # the export publishes nothing the screen hides
        assert export.is_suppressed(*key) or not screen.is_suppressed(*key)
    for key, count in cells.items():  # the export's own primary suppression is exact
        if export.display(*key) != WITHHELD_LABEL and count < export_threshold:
            assert export.display(*key) == f"< {export_threshold}"
    screen_view = _published_view(screen, screen_threshold)
    if WITHHELD_LABEL in _texts(export):
        assert set(_texts(export)) == {WITHHELD_LABEL}  # then both together say what the screen says
        return
    # Both together: published values and margins, and every label's range intersected entry by entry.
    both = _combined_view(screen_view, _published_view(export, export_threshold))
    _assert_view_ambiguous(both, screen, cells)
    _assert_each_hidden_value_ambiguous(export, cells, export_threshold)  # the export alone (a pack passed on)


def test_without_consistency_the_export_narrows_a_screen_hidden_value_and_with_it_is_withheld():
    # Found by hypothesis. Screen (5): the 11 is « masqué » (≥ 5) and the grand total 11 is published, so the
    # 11 could be 5…11. Export (11) computed alone: the same 11 is « masqué », meaning ≥ 11 → it is 11 and
    # every « < 5 » is 0. Nothing hidden on screen is published by the export: the labels alone leak.
    cells = {("a", "x"): 0, ("a", "y"): 0, ("b", "x"): 0, ("b", "y"): 11}
    screen = protect_table(cells, threshold=5)
    assert screen.display("b", "y") == HIDDEN_LABEL and screen.grand_total.value == 11
    alone = protect_table(cells, threshold=11)
    assert alone.display("b", "y") == HIDDEN_LABEL
    leaked = _leaked_entries(_combined_view(_published_view(screen, 5), _published_view(alone, 11)), screen, cells)
    assert (1, 1) in leaked and (0, 0) in leaked
    consistent = protect_table(cells, threshold=11, consistent_with=screen)
    assert set(_texts(consistent)) == {WITHHELD_LABEL}  # hiding more in the export cannot help here
    assert _leaked_entries(_published_view(screen, 5), screen, cells) == []


def test_without_consistency_the_export_publishes_a_screen_hidden_margin_and_with_it_does_not():
    # Found by hypothesis. Screen (5) hides the column total 17 of « y » (5 + 12)… export (11) computed alone
    # publishes it (12 is not small at 11): with the screen's grand total 17, the screen's hidden 5 follows.
    cells = {("a", "x"): 0, ("a", "y"): 0, ("a", "z"): 0, ("b", "x"): 0, ("b", "y"): 5, ("b", "z"): 12}
    screen = protect_table(cells, threshold=5)
    assert screen.col_total("z").text == HIDDEN_LABEL and screen.grand_total.value == 17
    alone = protect_table(cells, threshold=11)
    assert alone.col_total("z").value == 12
    leaked = _leaked_entries(_combined_view(_published_view(screen, 5), _published_view(alone, 11)), screen, cells)
    assert (1, 1) in leaked  # the 5
    consistent = protect_table(cells, threshold=11, consistent_with=screen)
    assert consistent.col_total("z").text == HIDDEN_LABEL and consistent.grand_total.value == 17
    assert consistent.display("b", "y") == "< 11" and consistent.display("b", "z") == HIDDEN_LABEL
    both = _combined_view(_published_view(screen, 5), _published_view(consistent, 11))
    assert both[2][(1, 1)] == (5, 10)  # « masqué » on screen and « < 11 » in the export
    assert _leaked_entries(both, screen, cells) == []
    _assert_each_hidden_value_ambiguous(consistent, cells, 11)


def test_consistent_with_must_protect_the_same_figures():
    screen = protect_table({("a", "x"): 20, ("a", "y"): 30}, threshold=5)
    with pytest.raises(ValueError):
        protect_table({("a", "x"): 21, ("a", "y"): 30}, threshold=11, consistent_with=screen)
    with pytest.raises(ValueError):
        protect_table({("b", "x"): 20, ("b", "y"): 30}, threshold=11, consistent_with=screen)
    counts = protect_counts({"a": 20, "b": 30}, threshold=5)
    with pytest.raises(ValueError):
        protect_counts({"a": 20, "b": 31}, threshold=11, consistent_with=counts)
    with pytest.raises(ValueError):
        protect_counts({"a": 20, "b": 30}, threshold=11, publish_total=False, consistent_with=counts)


def test_without_consistent_with_nothing_changes():
    cells = {("a", "x"): 3, ("a", "y"): 40, ("b", "x"): 30, ("b", "y"): 50}
    screen = protect_table(cells, threshold=5)
    same = protect_table(cells, threshold=5, consistent_with=screen)
    assert _texts(same) == _texts(screen)  # consistent with itself: the same protection


@given(
    st.lists(st.one_of(st.integers(0, MAX_VALUE), st.integers(0, 12)), min_size=1, max_size=12),
    st.integers(3, 6),
    st.data(),
)
def test_a_funder_holding_both_lists_cannot_recompute_a_hidden_count(values, screen_threshold, data):
    export_threshold = data.draw(st.integers(screen_threshold + 1, 12))
    counts = {f"k{i}": v for i, v in enumerate(values)}
    screen = protect_counts(counts, threshold=screen_threshold)
    export = protect_counts(counts, threshold=export_threshold, consistent_with=screen)
    outputs = [(screen, screen_threshold)]
    if export.total.text == WITHHELD_LABEL:
        assert {export.display(k) for k in counts} == {WITHHELD_LABEL}
    else:
        outputs.append((export, export_threshold))
        for k in counts:
            assert export.is_suppressed(k) or not screen.is_suppressed(k)
        assert export.total.hidden or not screen.total.hidden
    if screen.total.text == WITHHELD_LABEL:
        return
    bounds = [(0, 10_000)] * len(values)
    total = (0, 10_000)
    for protected, threshold in outputs:
        bounds = [
            _intersect(b, _bounds(protected.display(k), protected.items[k].value, threshold))
            for b, k in zip(bounds, counts, strict=True)
        ]
        total = _intersect(total, _bounds(protected.total.text, protected.total.value, threshold))
    assert _recomputable_in_a_list(bounds, total) == [], "hidden counts recomputable from both outputs"


def test_a_single_small_cell_in_a_row_gets_a_partner_and_shows_below_5():
    cells = {
        ("Lyon", "janv."): 3,
        ("Lyon", "févr."): 40,
        ("Lyon", "mars"): 25,
        ("Grenoble", "janv."): 30,
        ("Grenoble", "févr."): 50,
        ("Grenoble", "mars"): 20,
    }
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
