"""Staff cost of posts: the prorata rule, committed cost of filled posts, vacant posts (hand-computed)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from models.finance import BudgetCategory
from models.organisation import Site
from services.finance._staff_cost_queries import committed_staff_cost_by_line, vacant_posts_of_grant
from services.finance.staffing.costs import filled_intervals, post_month_cost
from tests import factories

TODAY = date(2026, 3, 15)
STAFF = BudgetCategory.STAFF


@pytest.fixture
def world(session: Session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    funder = factories.a_funder(session, "AGRASC")
    agrasc = factories.a_staff_grant(session, funder, lyon, grenoble)
    region = factories.a_staff_grant(session, factories.a_funder(session, "Région"), lyon)
    return lyon, grenoble, agrasc, region


def test_the_one_prorata_rule():
    assert post_month_cost(300_000, 30, 30) == 300_000  # full month
    assert post_month_cost(300_000, 31, 31) == 300_000
    assert post_month_cost(310_000, 15, 31) == 150_000  # 3 100 € × 15 / 31
    assert post_month_cost(200, 1, 3) == 67  # 66,67 cents → 67 (half away from zero)
    assert post_month_cost(100, 1, 3) == 33
    assert post_month_cost(300_000, 0, 30) == 0


def test_full_months_after_today_up_to_the_end(session, world):
    lyon, _grenoble, agrasc, _region = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)])
    line = agrasc.lines[("LYO", STAFF)]
    # April, May, June 2026: 3 × 3 000 €
    assert committed_staff_cost_by_line(session, grant_id=agrasc.grant.id, today=TODAY, until=date(2026, 6, 30)) == {
        line.id: 900_000
    }
    # until mid-June: 2 × 3 000 € + 3 000 € × 15/30 = 7 500 €
    assert committed_staff_cost_by_line(session, grant_id=agrasc.grant.id, today=TODAY, until=date(2026, 6, 15)) == {
        line.id: 750_000
    }
    # nothing left when the end is within today's month
    assert committed_staff_cost_by_line(session, grant_id=agrasc.grant.id, today=TODAY, until=date(2026, 3, 31)) == {}


def test_post_ending_mid_period_is_prorated(session, world):
    _lyon, grenoble, agrasc, _region = world
    factories.a_funded_post(
        session, grenoble, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)], ends_on=date(2026, 5, 10)
    )
    line = agrasc.lines[("GRE", STAFF)]
    # April 3 000 € + May 3 000 € × 10/31 = 967,74 €
    assert committed_staff_cost_by_line(session, grant_id=agrasc.grant.id, today=TODAY, until=date(2026, 12, 31)) == {
        line.id: 300_000 + 96_774
    }


def test_vacant_post_contributes_nothing_and_is_listed_after_60_days(session, world):
    lyon, grenoble, agrasc, _region = world
    long_vacant = factories.a_funded_post(
        session,
        lyon,
        monthly_cost_cents=300_000,
        funding=[(agrasc, 10_000)],
        history=[(date(2025, 1, 1), True), (date(2026, 1, 10), False)],
    )
    factories.a_funded_post(
        session,
        grenoble,
        monthly_cost_cents=300_000,
        funding=[(agrasc, 10_000)],
        history=[(date(2025, 1, 1), True), (date(2026, 1, 14), False)],
    )  # exactly 60 days
    assert committed_staff_cost_by_line(session, grant_id=agrasc.grant.id, today=TODAY, until=date(2026, 12, 31)) == {}
    [vacant] = vacant_posts_of_grant(session, grant_id=agrasc.grant.id, today=TODAY)
    assert (vacant.post_id, vacant.site_code, vacant.vacant_since, vacant.days) == (
        long_vacant.id,
        "LYO",
        date(2026, 1, 10),
        64,
    )
    assert len(vacant_posts_of_grant(session, grant_id=agrasc.grant.id, today=TODAY, longer_than_days=59)) == 2


def test_fifty_fifty_split_across_two_grants_sums_exactly(session, world):
    lyon, _grenoble, agrasc, region = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=100_001, funding=[(agrasc, 5_000), (region, 5_000)])
    until = date(2026, 6, 30)
    first = committed_staff_cost_by_line(session, grant_id=agrasc.grant.id, today=TODAY, until=until)
    second = committed_staff_cost_by_line(session, grant_id=region.grant.id, today=TODAY, until=until)
    # each month 1 000,01 € → 500,01 € (first share: largest remainder, tie to the first) + 500,00 €
    assert first == {agrasc.lines[("LYO", STAFF)].id: 3 * 50_001}
    assert second == {region.lines[("LYO", STAFF)].id: 3 * 50_000}
    assert sum(first.values()) + sum(second.values()) == 3 * 100_001


def test_filled_intervals_follow_the_history(session, world):
    lyon, _grenoble, agrasc, _region = world
    post = factories.a_funded_post(
        session,
        lyon,
        monthly_cost_cents=1,
        funding=[(agrasc, 10_000)],
        starts_on=date(2025, 1, 1),
        ends_on=date(2026, 2, 28),
        history=[(date(2025, 1, 1), True), (date(2025, 6, 1), False), (date(2025, 9, 15), True)],
    )
    from services.finance._staff_cost_queries import history_by_post

    changes = history_by_post(session, [post.id])[post.id]
    assert filled_intervals(post, changes, until=TODAY) == [
        (date(2025, 1, 1), date(2025, 5, 31)),
        (date(2025, 9, 15), date(2026, 2, 28)),
    ]


def test_committed_cost_ignores_other_sites_lines(session, world):
    lyon, grenoble, agrasc, _region = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=100_000, funding=[(agrasc, 10_000)])
    factories.a_funded_post(session, grenoble, monthly_cost_cents=200_000, funding=[(agrasc, 10_000)])
    result = committed_staff_cost_by_line(session, grant_id=agrasc.grant.id, today=TODAY, until=date(2026, 4, 30))
    assert result == {agrasc.lines[("LYO", STAFF)].id: 100_000, agrasc.lines[("GRE", STAFF)].id: 200_000}
    assert isinstance(lyon, Site)
