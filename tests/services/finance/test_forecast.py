"""End-of-grant forecast and alerts, on hand-computed cases (services.finance.forecast).

The grant of most cases runs 1 January – 30 June 2026 (6 months), tolerance 10 %.
"""

from __future__ import annotations

from datetime import date

import pytest

from models.finance import BudgetCategory
from models.organisation import Role
from models.staffing import PostType
from services.finance import forecast as fc
from services.finance._staff_cost_queries import VacantPost
from services.finance.forecast import AlertKind, ForecastInputs, GrantTerms, LineInput
from tests import factories

START, END = date(2026, 1, 1), date(2026, 6, 30)
OTHER, STAFF = BudgetCategory.EXTERNAL_SERVICES, BudgetCategory.STAFF


def terms(today: date, budget: int = 1_800_000, tolerance_bp: int = 1000) -> GrantTerms:
    return GrantTerms(budget, tolerance_bp, START, END, today)


def other_line(
    line_id: int = 1, *, planned: int = 600_000, actual: int = 0, current: int = 0, recent: tuple[int, ...] = ()
) -> LineInput:
    return LineInput(line_id, f"ligne {line_id}", OTHER, planned, actual, current, recent)


def staff_line(
    line_id: int = 2,
    *,
    planned: int = 1_200_000,
    actual: int = 0,
    current: int = 0,
    committed: int = 0,
    current_staff: int = 0,
) -> LineInput:
    return LineInput(
        line_id,
        f"ligne {line_id}",
        STAFF,
        planned,
        actual,
        current,
        (),
        committed_staff_cents=committed,
        current_month_staff_cents=current_staff,
    )


# --- period arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "after", "in_progress", "complete"),
    [
        (date(2025, 12, 15), 6, False, []),  # before start: the 6 months are all to come, none complete
        (date(2026, 1, 20), 5, True, []),  # first month: Feb–Jun to come, no complete month yet
        (date(2026, 3, 15), 3, True, [date(2026, 1, 1), date(2026, 2, 1)]),  # younger than 3 months
        (date(2026, 5, 2), 1, True, [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]),
        (date(2026, 6, 30), 0, True, [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]),  # last day
        (date(2026, 7, 10), 0, False, [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]),  # after end
    ],
)
def test_months_to_come_and_complete_months(today, after, in_progress, complete):
    assert fc.months_after_current(terms(today)) == after
    assert fc.month_in_progress(terms(today)) is in_progress
    assert fc.complete_months(terms(today)) == complete


# --- forecast ------------------------------------------------------------------------------------


def test_mid_period_forecast_adds_the_month_in_progress_and_the_months_after():
    # 15 March: Jan and Feb complete (100 000 each) → run-rate 100 000; March already has 50 000.
    # Other line: 250 000 + (100 000 − 50 000) + 3 × 100 000 (Apr, May, Jun) = 600 000.
    # Staff line: 400 000 + 200 000 (March, not charged yet) + 600 000 committed (Apr–Jun) = 1 200 000.
    result = fc.forecast(
        ForecastInputs(
            terms(date(2026, 3, 15)),
            (
                other_line(actual=250_000, current=50_000, recent=(100_000, 100_000)),
                staff_line(actual=400_000, committed=600_000, current_staff=200_000),
            ),
        )
    )
    other, staff = result.lines
    assert (other.run_rate_cents, other.still_expected_cents, other.projected_cents) == (100_000, 350_000, 600_000)
    assert (staff.run_rate_cents, staff.still_expected_cents, staff.projected_cents) == (0, 800_000, 1_200_000)
    assert (result.actual_cents, result.projected_cents, result.still_expected_cents) == (650_000, 1_800_000, 1_150_000)
    assert result.alerts == ()


def test_a_month_already_spent_beyond_the_run_rate_adds_nothing_for_the_current_month():
    # Run-rate 100 000, March already 130 000 → the gap is 0 (never negative): 330 000 + 3 × 100 000.
    result = fc.forecast(
        ForecastInputs(
            terms(date(2026, 3, 15)), (other_line(actual=330_000, current=130_000, recent=(100_000, 100_000)),)
        )
    )
    assert result.lines[0].projected_cents == 630_000


def test_before_the_start_only_the_committed_staff_costs_are_forecast_and_under_consumption_alerts():
    # 15 December 2025: no complete month → run-rate 0; staff committed over the 6 months = 1 200 000.
    # Forecast 1 200 000 < 1 800 000 × 90 % = 1 620 000 → under-consumption of 600 000.
    result = fc.forecast(
        ForecastInputs(
            terms(date(2025, 12, 15)), (other_line(recent=()), staff_line(committed=1_200_000, current_staff=999_999))
        )
    )
    assert [line.projected_cents for line in result.lines] == [0, 1_200_000]  # no month in progress
    assert [(a.kind, a.amount_cents) for a in result.alerts] == [(AlertKind.UNDER_CONSUMPTION, 600_000)]


def test_after_the_end_the_forecast_is_the_actual():
    result = fc.forecast(
        ForecastInputs(
            terms(date(2026, 7, 10)),
            (
                other_line(actual=610_000, recent=(100_000, 110_000, 120_000)),
                staff_line(actual=1_190_000, committed=0, current_staff=50_000),
            ),
        )
    )
    assert [line.projected_cents for line in result.lines] == [610_000, 1_190_000]
    assert result.projected_cents == 1_800_000


def test_line_overrun_alerts_only_beyond_the_tolerance():
    # planned 100 000, tolerance 10 % → up to 110 000 is tolerated.
    at_limit = fc.forecast(
        ForecastInputs(terms(date(2026, 7, 1), budget=100_000), (other_line(planned=100_000, actual=110_000),))
    )
    beyond = fc.forecast(
        ForecastInputs(terms(date(2026, 7, 1), budget=100_000), (other_line(planned=100_000, actual=110_001),))
    )
    assert at_limit.alerts == ()
    assert [(a.kind, a.line_id, a.amount_cents, a.projected_cents) for a in beyond.alerts] == [
        (AlertKind.LINE_OVERRUN, 1, 10_001, 110_001)
    ]


def test_under_consumption_alerts_only_beyond_the_tolerance():
    # budget 1 000 000, tolerance 15 %: 850 000 is tolerated, 849 999 alerts (shortfall 150 001).
    ok = fc.forecast(
        ForecastInputs(terms(date(2026, 7, 1), 1_000_000, 1500), (other_line(planned=1_000_000, actual=850_000),))
    )
    short = fc.forecast(
        ForecastInputs(terms(date(2026, 7, 1), 1_000_000, 1500), (other_line(planned=1_000_000, actual=849_999),))
    )
    assert ok.alerts == ()
    assert [(a.kind, a.amount_cents) for a in short.alerts] == [(AlertKind.UNDER_CONSUMPTION, 150_001)]


def test_a_zero_budget_line_alerts_on_any_spending_and_not_otherwise():
    quiet = fc.forecast(ForecastInputs(terms(date(2026, 3, 15), budget=0), (other_line(planned=0),)))
    spent = fc.forecast(
        ForecastInputs(terms(date(2026, 3, 15), budget=0), (other_line(planned=0, actual=1, recent=(1,)),))
    )
    assert quiet.alerts == () and quiet.projected_cents == 0
    # 1 spent in Jan, run-rate 1: + 1 for March (nothing booked yet) + 3 for Apr–Jun = 5.
    assert [(a.kind, a.amount_cents) for a in spent.alerts] == [(AlertKind.LINE_OVERRUN, 5)]


def test_a_post_vacant_for_more_than_60_days_alerts():
    posts = (
        VacantPost(7, PostType.CIP, "MRS", date(2026, 1, 13), 61),
        VacantPost(8, PostType.CIP, "MRS", date(2026, 1, 14), 60),
    )
    result = fc.forecast(ForecastInputs(terms(date(2026, 3, 15), budget=0), (), posts))
    assert [(a.kind, a.post.post_id) for a in result.alerts] == [(AlertKind.VACANT_POST, 7)]


def test_rounding_each_line_to_the_cent_and_the_grant_is_their_sum():
    # run-rates: 301/3 = 100,33 → 100 ; 5/3 = 1,67 → 2 ; 3/2 = 1,5 → 2 (halves away from zero).
    # 15 March, nothing booked in March: each line adds 1 + 3 months of its run-rate.
    result = fc.forecast(
        ForecastInputs(
            terms(date(2026, 3, 15)),
            (
                other_line(1, actual=301, recent=(100, 100, 101)),
                other_line(2, actual=5, recent=(1, 2, 2)),
                other_line(3, actual=3, recent=(1, 2)),
            ),
        )
    )
    assert [line.run_rate_cents for line in result.lines] == [100, 2, 2]
    assert [line.projected_cents for line in result.lines] == [301 + 400, 5 + 8, 3 + 8]
    assert result.projected_cents == sum(line.projected_cents for line in result.lines) == 725


def test_a_what_if_changes_alerts_but_not_the_forecast():
    inputs = ForecastInputs(
        terms(date(2026, 7, 1), budget=200_000),
        (other_line(1, planned=100_000, actual=130_000), other_line(2, planned=100_000, actual=70_000)),
    )
    after = fc.forecast(inputs.with_planned({1: 125_000, 2: 75_000}))
    assert [a.line_id for a in fc.forecast(inputs).alerts] == [1]
    assert after.alerts == ()  # 130 000 ≤ 125 000 × 110 % = 137 500
    assert after.projected_cents == fc.forecast(inputs).projected_cents == 200_000


# --- loader: split funding and the month in progress, on a database ------------------------------


def test_split_funding_a_post_half_on_each_grant_commits_half_its_cost_to_each(session):
    lyon = factories.a_site(session, "LYO", "Lyon")
    funder = factories.a_funder(session)
    first = factories.a_staff_grant(
        session, funder, lyon, starts_on=START, ends_on=END, planned={STAFF: 1_500_000, OTHER: 300_000}
    )
    second = factories.a_staff_grant(
        session, funder, lyon, starts_on=START, ends_on=date(2026, 5, 31), planned={STAFF: 1_000_000}
    )
    # 4 200,01 € a month: split 2 100,01 € (first grant, lower id) / 2 100,00 € (largest remainder).
    factories.a_funded_post(
        session, lyon, monthly_cost_cents=420_001, funding=[(first, 5000), (second, 5000)], starts_on=date(2025, 6, 1)
    )
    staff_line, other = first.lines[("LYO", STAFF)], first.lines[("LYO", OTHER)]
    for month in (date(2026, 1, 31), date(2026, 2, 28)):
        factories.an_expense(session, staff_line, spent_on=month, amount_cents=210_001)
    for day, cents in ((date(2026, 1, 10), 40_000), (date(2026, 2, 10), 50_000), (date(2026, 3, 3), 10_000)):
        factories.an_expense(session, other, spent_on=day, amount_cents=cents)
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))

    result = fc.grant_forecast(session, direction, grant_id=first.grant.id, today=date(2026, 3, 15))
    by_line = {line.line_id: line for line in result.lines}
    # staff: 420 002 charged + March 210 001 + Apr–Jun 3 × 210 001 = 1 260 006
    assert by_line[staff_line.id].projected_cents == 420_002 + 210_001 + 3 * 210_001
    # other: run-rate (40 000 + 50 000) / 2 = 45 000; March 10 000 booked → + 35 000; + 3 × 45 000
    assert by_line[other.id].projected_cents == 100_000 + 35_000 + 135_000
    assert result.projected_cents == 1_260_006 + 270_000
    second_result = fc.grant_forecast(session, direction, grant_id=second.grant.id, today=date(2026, 3, 15))
    # nothing charged yet on the second grant: March + April + May at 2 100,00 €
    assert second_result.projected_cents == 3 * 210_000


def test_a_vacant_post_of_the_grant_is_an_alert_and_adds_no_committed_cost(session):
    lyon = factories.a_site(session, "LYO", "Lyon")
    grant = factories.a_staff_grant(
        session, factories.a_funder(session), lyon, starts_on=START, ends_on=END, planned={STAFF: 1_000_000}
    )
    factories.a_funded_post(
        session,
        lyon,
        monthly_cost_cents=300_000,
        funding=[(grant, 10_000)],
        history=[(date(2025, 6, 1), True), (date(2026, 1, 2), False)],
        starts_on=date(2025, 6, 1),
    )
    gestion = factories.principal(session, factories.a_user(session, Role.GESTION))
    result = fc.grant_forecast(session, gestion, grant_id=grant.grant.id, today=date(2026, 3, 15))
    assert result.projected_cents == 0
    kinds = [(a.kind, a.post.days if a.post else None) for a in result.alerts]
    assert kinds == [(AlertKind.UNDER_CONSUMPTION, None), (AlertKind.VACANT_POST, 72)]  # 2 Jan → 15 Mar
