"""Three-way merge of a grant's budget-lines table: the lines the user first saw (base), the table the user
sent (mine) and the lines as a colleague saved them meanwhile (theirs), line by line and cell by cell.

A line is known by its natural identity, strand × site × Cerfa category (models.finance.BudgetLine's unique
keys; a national line has no site): key "line:<strand id>:<site id or national>:<category>". Its editable
cells are the planned amount and the analytic code. A line present on all three sides is merged cell by
cell ("line:…:planned", "line:…:accounting_code"): the colleague's new amount and the user's new code both
stay. A line missing from a side (added, or removed) is merged whole under its key, None standing for
« absent »: a line only one side added, changed or removed takes that side by itself, a line removed by one
side and changed by the other, or added by both differently, is a conflict. services.platform.merge does
the merging; this module lays the table out for it (merge_sides) and reads the result back (rows_of).

The amounts are compared in cents (what the user typed, read in the session's notation; an unreadable
amount stays as typed, for the save to refuse by its row number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from i18n import formats
from models.finance import BudgetCategory
from services.finance.fields import spaces_or_none
from services.finance.lines import LineRow
from services.platform.merge import MergeResult, three_way_merge
from services.platform.money import typed_cents
from services.platform.sites import NATIONAL_SITE

CELLS = ("planned", "accounting_code")  # the editable cells of a line, besides its identity
Line = dict[str, object]  # strand_id, site_id (NATIONAL_SITE for a national line), category, planned, accounting_code


def line_key(strand_id: int, site_id: int | str | None, category: BudgetCategory | str) -> str:
    """The key of a line in the merge: "line:<strand id>:<site id or national>:<category>"."""
    site = NATIONAL_SITE if site_id in (None, NATIONAL_SITE) else site_id
    return f"line:{strand_id}:{site}:{BudgetCategory(category).value}"


def _identity(key: str) -> Line:
    _, strand, site, category = key.split(":")
    return {
        "strand_id": int(strand),
        "site_id": NATIONAL_SITE if site == NATIONAL_SITE else int(site),
        "category": BudgetCategory(category),
    }


def shown_lines(rows: Sequence[LineRow]) -> dict[str, Line]:
    """A grant's lines as the editor shows them, by key, in their order (the base, and the colleague's side)."""
    return {
        line_key(r.strand_id, r.site_id, r.category): _identity(line_key(r.strand_id, r.site_id, r.category))
        | {"planned": r.planned_cents, "accounting_code": r.accounting_code}
        for r in rows
    }


def _cents_or_typed(value: object) -> object:
    try:
        cents = typed_cents(value)
    except ValueError:
        return value
    return value if cents is None else cents


def _category(value: object) -> BudgetCategory | None:
    try:
        return BudgetCategory(value)
    except ValueError:
        return None


def sent_lines(rows: Sequence[Mapping[str, object]]) -> dict[str, Line]:
    """The editor's rows (as save_budget_lines reads them) by key, in their order: the user's side. A row
    whose strand, site or category is missing, or that repeats an earlier row's, is keyed "row:<number>",
    a line of the user's alone, so that the save refuses it by its number."""
    lines: dict[str, Line] = {}
    for number, row in enumerate(rows, start=1):
        line = {
            "strand_id": row.get("strand_id"),
            "site_id": row.get("site_id"),
            "category": row.get("category"),
            "planned": _cents_or_typed(row.get("planned")),
            "accounting_code": spaces_or_none(row.get("accounting_code")),
        }
        category = _category(line["category"])
        complete = line["strand_id"] is not None and line["site_id"] is not None and category is not None
        key = line_key(line["strand_id"], line["site_id"], category) if complete else None
        lines[key if key and key not in lines else f"row:{number}"] = line
    return lines


def merge_sides(
    base: Mapping[str, Line | None], mine: Mapping[str, Line | None], theirs: Mapping[str, Line | None]
) -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    """The three tables as the fields of services.platform.merge (see the module), the user's lines first in
    their order, then the lines only the base or the colleague has."""
    laid_out: tuple[dict[str, object], dict[str, object], dict[str, object]] = ({}, {}, {})
    keys = [*mine, *(key for key in {**base, **theirs} if key not in mine)]
    for key in keys:
        sides = (base.get(key), mine.get(key), theirs.get(key))
        if all(side is not None for side in sides):
            for cell in CELLS:
                for fields, side in zip(laid_out, sides, strict=True):
                    fields[f"{key}:{cell}"] = side[cell]
        else:
            for fields, side in zip(laid_out, sides, strict=True):
                fields[key] = side
    return laid_out


def merge_lines(
    base: Mapping[str, Line | None], mine: Mapping[str, Line | None], theirs: Mapping[str, Line | None]
) -> MergeResult:
    """The merge of the three tables, by line and by cell (see the module); rows_of reads its values."""
    return three_way_merge(*merge_sides(base, mine, theirs))


def rows_of(values: Mapping[str, object]) -> list[dict[str, object]]:
    """Merged (or resolved) values back to the rows save_budget_lines reads, in their order; a line left
    out (None) is not sent, so the save deletes it (unless expenses point to it)."""
    lines: dict[str, Line | None] = {}
    for name, value in values.items():
        key, _, cell = name.rpartition(":")
        if cell in CELLS:
            lines.setdefault(key, _identity(key))[cell] = value
        else:
            lines[name] = value
    return [
        line | {"planned": formats.amount(line["planned"]) if isinstance(line["planned"], int) else line["planned"]}
        for line in lines.values()
        if line is not None
    ]
