"""The budget-lines table merged with a colleague's save: line by line (strand × site × category), cell by
cell (planned amount, analytic code); a conflict waits for the user's choice, nothing decided by who saved last."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from models.finance import BudgetCategory
from services.finance import lines as budget_lines
from services.finance.line_merge import line_key, merge_lines, merge_sides, rows_of, sent_lines, shown_lines
from services.platform.errors import ValidationFailed
from tests.services import budget_world
from tests.services.budget_world import AV, ISP

# Ids of a grant's strands and sites in the tables below (the merge itself reads no database).
AV_ID, ISP_ID, LYO, GRE, NAT = 1, 2, 10, 20, "national"
P, M, X = BudgetCategory.PURCHASES, BudgetCategory.STAFF, BudgetCategory.INDIRECT


def saved(*lines: tuple) -> list[budget_lines.LineRow]:
    """A grant's lines as read from the database: (strand, site or None, category, cents, code)."""
    return [
        budget_lines.LineRow(i, 1, strand, "", None if site == NAT else site, "", category, cents, code, 0, 1)
        for i, (strand, site, category, cents, code) in enumerate(lines, start=1)
    ]


def typed(*lines: tuple) -> list[dict[str, object]]:
    """The editor's rows as the page sends them: (strand, site, category, amount as typed, code)."""
    return [
        {"strand_id": strand, "site_id": site, "category": category, "planned": planned, "accounting_code": code}
        for strand, site, category, planned, code in lines
    ]


def table(rows: list[dict[str, object]]) -> list[tuple]:
    """The rows sent to the save, their amounts written with plain spaces (French writes a narrow one)."""
    return [
        (r["strand_id"], r["site_id"], r["category"], str(r["planned"]).replace("\u202f", " "), r["accounting_code"])
        for r in rows
    ]


BASE = saved(
    (AV_ID, LYO, P, 40_000_00, "A-LYO"),
    (AV_ID, GRE, P, 30_000_00, "A-GRE"),
    (ISP_ID, LYO, M, 130_000_00, "I-LYO"),
)
AS_SHOWN = [
    (AV_ID, LYO, P, "40 000,00", "A-LYO"),
    (AV_ID, GRE, P, "30 000,00", "A-GRE"),
    (ISP_ID, LYO, M, "130 000,00", "I-LYO"),
]


def test_changes_on_different_lines_and_cells_are_all_kept():
    theirs = saved(
        (AV_ID, LYO, P, 40_000_00, "A-LYO-2"),  # the colleague renames a code
        (AV_ID, GRE, P, 25_000_00, "A-GRE"),  # and moves 5 000 € to a new national line
        (ISP_ID, LYO, M, 130_000_00, "I-LYO"),
        (ISP_ID, None, X, 5_000_00, None),
    )
    mine = typed(
        (AV_ID, LYO, P, "35 000", "A-LYO"),  # the user lowers the same line's amount
        (AV_ID, GRE, P, "30 000,00", "A-GRE"),
        (ISP_ID, LYO, M, "130 000,00", " I-LYO "),
        (ISP_ID, GRE, M, "5 000,00", "I-GRE"),  # and adds a line
    )
    result = merge_lines(shown_lines(BASE), sent_lines(mine), shown_lines(theirs))
    assert result.conflicts == ()
    assert result.kept_theirs == (
        "line:1:10:60:accounting_code",
        "line:1:20:60:planned",
        "line:2:national:indirect",
    )
    assert table(rows_of(result.merged)) == [
        (AV_ID, LYO, P, "35 000,00", "A-LYO-2"),
        (AV_ID, GRE, P, "25 000,00", "A-GRE"),
        (ISP_ID, LYO, M, "130 000,00", "I-LYO"),
        (ISP_ID, GRE, M, "5 000,00", "I-GRE"),
        (ISP_ID, NAT, X, "5 000,00", None),
    ]


def test_the_same_amount_changed_differently_waits_for_a_choice_and_the_choice_is_saved():
    theirs = saved(
        (AV_ID, LYO, P, 38_000_00, "A-LYO"),
        (AV_ID, GRE, P, 32_000_00, "A-GRE"),
        (ISP_ID, LYO, M, 130_000_00, "I-LYO"),
    )
    mine = typed(
        (AV_ID, LYO, P, "45 000,00", "A-LYO"),
        (AV_ID, GRE, P, "25 000,00", "A-GRE"),
        (ISP_ID, LYO, M, "130 000,00", "I-LYO"),
    )
    result = merge_lines(shown_lines(BASE), sent_lines(mine), shown_lines(theirs))
    assert result.conflicts == ("line:1:10:60:planned", "line:1:20:60:planned")
    assert result.kept_theirs == ()
    with pytest.raises(ValueError):
        result.resolved({"line:1:10:60:planned": "mine"}, result_mine(mine, theirs))
    chosen = result.resolved(
        {"line:1:10:60:planned": "mine", "line:1:20:60:planned": "theirs"}, result_mine(mine, theirs)
    )
    assert table(rows_of(chosen)) == [
        (AV_ID, LYO, P, "45 000,00", "A-LYO"),
        (AV_ID, GRE, P, "32 000,00", "A-GRE"),
        (ISP_ID, LYO, M, "130 000,00", "I-LYO"),
    ]


def result_mine(mine: list[dict[str, object]], theirs: list[budget_lines.LineRow]) -> dict[str, object]:
    """The user's side as the merge lays it out (what a choice of « la mienne » takes)."""
    return merge_sides(shown_lines(BASE), sent_lines(mine), shown_lines(theirs))[1]


def test_a_line_removed_on_one_side_and_changed_on_the_other_is_a_conflict_of_the_whole_line():
    theirs = saved(
        (AV_ID, LYO, P, 40_000_00, "A-LYO"),  # the colleague removes the Grenoble line
        (ISP_ID, LYO, M, 160_000_00, "I-LYO"),  # and changes the insertion line
    )
    mine = typed(
        (AV_ID, GRE, P, "60 000,00", "A-GRE"),  # the user removes the Lyon line, changes Grenoble's
        (ISP_ID, LYO, M, "130 000,00", "I-LYO"),
    )
    result = merge_lines(shown_lines(BASE), sent_lines(mine), shown_lines(theirs))
    assert result.conflicts == ("line:1:20:60",)
    assert result.kept_theirs == ("line:2:10:64:planned",)
    assert result.merged["line:1:20:60"] is None  # the colleague's side until the user chooses
    assert table(rows_of(result.merged)) == [(ISP_ID, LYO, M, "160 000,00", "I-LYO")]  # Lyon: removed by the user
    mine_side = result_mine(mine, theirs)
    assert table(rows_of(result.resolved({"line:1:20:60": "mine"}, mine_side))) == [
        (AV_ID, GRE, P, "60 000,00", "A-GRE"),
        (ISP_ID, LYO, M, "160 000,00", "I-LYO"),
    ]


def test_lines_removed_or_added_by_one_side_alone_follow_that_side_and_the_same_addition_agrees():
    theirs = saved(
        (AV_ID, LYO, P, 40_000_00, "A-LYO"),
        (ISP_ID, LYO, M, 130_000_00, "I-LYO"),  # the colleague removes Grenoble
        (ISP_ID, None, X, 1_000_00, None),  # and adds two national lines
        (AV_ID, None, X, 2_000_00, "N-AV"),
    )
    mine = typed(
        (AV_ID, GRE, P, "30 000,00", "A-GRE"),  # the user removes Lyon
        (ISP_ID, LYO, M, "130 000,00", "I-LYO"),
        (ISP_ID, NAT, X, "1 000,00", None),  # adds the same national line as the colleague
        (AV_ID, NAT, X, "2 500,00", "N-AV"),  # and the other one with another amount
    )
    result = merge_lines(shown_lines(BASE), sent_lines(mine), shown_lines(theirs))
    assert result.conflicts == ("line:1:national:indirect",)
    assert result.kept_theirs == ("line:1:20:60",)
    assert table(rows_of(result.resolved({"line:1:national:indirect": "theirs"}, result_mine(mine, theirs)))) == [
        (ISP_ID, LYO, M, "130 000,00", "I-LYO"),
        (ISP_ID, NAT, X, "1 000,00", None),
        (AV_ID, NAT, X, "2 000,00", "N-AV"),
    ]


def test_with_no_colleague_save_the_rows_go_as_sent_even_incomplete_or_repeated():
    mine = typed(
        (AV_ID, LYO, P, "40 000,00", "A-LYO"),
        (AV_ID, LYO, P, "1,00", None),  # the same line twice: the save says so by the row's number
        (None, GRE, P, "12.50", None),  # no strand, an amount the save cannot read
        (ISP_ID, LYO, None, "", ""),  # no category, no amount
    )
    base = shown_lines(BASE)
    result = merge_lines(base, sent_lines(mine), base)
    assert (result.conflicts, result.kept_theirs) == ((), ())
    assert table(rows_of(result.merged)) == [
        (AV_ID, LYO, P, "40 000,00", "A-LYO"),
        (AV_ID, LYO, P, "1,00", None),
        (None, GRE, P, "12.50", None),
        (ISP_ID, LYO, None, "", None),
    ]


# --- the merged table saved against the current version: the service's rules still apply -------------------


@pytest.fixture
def world(session: Session) -> budget_world.BudgetWorld:
    return budget_world.build(session)


def test_the_merged_lines_are_saved_over_the_colleagues_version_with_the_tables_rules(session, world):
    grant_id = world.agrasc.grant.id
    strand_av, strand_isp = world.agrasc.strands[AV].id, world.agrasc.strands[ISP].id
    lyon, grenoble = world.lyon.id, world.grenoble.id
    grenoble_purchases = line_key(strand_av, grenoble, P)

    def lines_now() -> dict[str, int]:
        return {r.accounting_code: r.planned_cents for r in budget_lines.budget_lines(session, world.gestion, grant_id)}

    base = shown_lines(budget_lines.budget_lines(session, world.gestion, grant_id))
    colleague = typed(
        (strand_av, lyon, P, "35 000,00", "AGR-AV-LYO-60"),
        (strand_av, grenoble, P, "35 000,00", "AGR-AV-GRE-60"),
        (strand_isp, lyon, M, "130 000,00", "AGR-ISP-LYO-64"),
    )
    budget_lines.save_budget_lines(session, world.gestion, grant_id=grant_id, lines=colleague, expected_version=1)
    theirs = shown_lines(budget_lines.budget_lines(session, world.gestion, grant_id))

    # The user had removed the Grenoble line, which has expenses, and kept that choice: refused, as
    # without a colleague.
    removed = typed(
        (strand_av, lyon, P, "70 000,00", "AGR-AV-LYO-60"), (strand_isp, lyon, M, "130 000,00", "AGR-ISP-LYO-64")
    )
    result = merge_lines(base, sent_lines(removed), theirs)
    lyon_amount = f"{line_key(strand_av, lyon, P)}:planned"
    # Lyon's amount changed on both sides; Grenoble removed by the user, changed by the colleague
    assert result.conflicts == (lyon_amount, grenoble_purchases)
    assert result.kept_theirs == ()
    mine_side = merge_sides(base, sent_lines(removed), theirs)[1]
    with pytest.raises(ValidationFailed) as caught:
        budget_lines.save_budget_lines(
            session,
            world.gestion,
            grant_id=grant_id,
            lines=rows_of(result.resolved({lyon_amount: "mine", grenoble_purchases: "mine"}, mine_side)),
            expected_version=2,
        )
    assert caught.value.errors == {
        "lines": "Des dépenses ou des révisions sont rattachées à la ligne AGR-AV-GRE-60 : "
        "elle ne peut être supprimée (mettez son montant prévu à 0)."
    }

    # The user had moved 10 000 € from insertion to a new Grenoble line: merged, the sum is the grant's,
    # saved over version 2.
    mine = typed(
        (strand_av, lyon, P, "40 000,00", "AGR-AV-LYO-60"),
        (strand_av, grenoble, P, "30 000,00", "AGR-AV-GRE-60"),
        (strand_isp, lyon, M, "120 000,00", "AGR-ISP-LYO-64"),
        (strand_isp, grenoble, P, "10 000,00", "AGR-ISP-GRE-60"),
    )
    result = merge_lines(base, sent_lines(mine), theirs)
    assert result.conflicts == ()
    budget_lines.save_budget_lines(
        session, world.gestion, grant_id=grant_id, lines=rows_of(result.merged), expected_version=2
    )
    assert lines_now() == {
        "AGR-AV-LYO-60": 35_000_00,
        "AGR-AV-GRE-60": 35_000_00,
        "AGR-ISP-LYO-64": 120_000_00,
        "AGR-ISP-GRE-60": 10_000_00,
    }

    # Each side balanced its own moves, but the two together exceed the grant: refused with the sum's
    # message, nothing saved.
    base = shown_lines(budget_lines.budget_lines(session, world.gestion, grant_id))
    colleague = typed(
        (strand_av, lyon, P, "40 000,00", "AGR-AV-LYO-60"),
        (strand_av, grenoble, P, "35 000,00", "AGR-AV-GRE-60"),
        (strand_isp, lyon, M, "115 000,00", "AGR-ISP-LYO-64"),
        (strand_isp, grenoble, P, "10 000,00", "AGR-ISP-GRE-60"),
    )
    budget_lines.save_budget_lines(session, world.gestion, grant_id=grant_id, lines=colleague, expected_version=3)
    theirs = shown_lines(budget_lines.budget_lines(session, world.gestion, grant_id))
    mine = typed(
        (strand_av, lyon, P, "35 000,00", "AGR-AV-LYO-60"),
        (strand_av, grenoble, P, "40 000,00", "AGR-AV-GRE-60"),
        (strand_isp, lyon, M, "115 000,00", "AGR-ISP-LYO-64"),
        (strand_isp, grenoble, P, "10 000,00", "AGR-ISP-GRE-60"),
    )
    result = merge_lines(base, sent_lines(mine), theirs)
    assert result.conflicts == ()
    with pytest.raises(ValidationFailed) as caught:
        budget_lines.save_budget_lines(
            session, world.gestion, grant_id=grant_id, lines=rows_of(result.merged), expected_version=4
        )
    assert caught.value.errors == {
        budget_lines.TOTAL: "La somme des lignes (205\u202f000,00\xa0€) doit être égale au montant de la "
        "convention (200\u202f000,00\xa0€) : elle le dépasse de 5\u202f000,00\xa0€."
    }
    assert lines_now() == {  # the colleague's version, as it was
        "AGR-AV-LYO-60": 40_000_00,
        "AGR-AV-GRE-60": 35_000_00,
        "AGR-ISP-LYO-64": 115_000_00,
        "AGR-ISP-GRE-60": 10_000_00,
    }
