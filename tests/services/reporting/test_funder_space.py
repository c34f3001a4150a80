"""Espace financeur service: scope, the publication grid, disclosure of every count of persons, figures against
SQL. The world (tests.services.funder_world): AGRASC grant 01/01/2026 → 30/06/2027, seen on 15/05/2026, so
only the first quarter is over; 12 + 9 intakes in Lyon (February, March), 2 in Grenoble (February)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from models.organisation import Role
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.reporting import funder_space
from services.reporting.publication import Output
from tests.services import funder_world

TODAY = date(2026, 5, 15)


@pytest.fixture()
def world(session):
    return funder_world.build(session)


Q1 = "quarter:2026-01-01:2026-03-31"


def _overview(session, principal, world, period_key=None, output=Output.SCREEN, today=TODAY):
    return funder_space.funder_overview(
        session, principal, grant_id=world.budget.agrasc.grant.id, period_key=period_key, output=output, today=today
    )


def test_financeur_opens_only_its_funders_grants(session, world):
    budget = world.budget
    grants = funder_space.funder_grants(session, budget.financeur_agrasc)
    assert [g.id for g in grants] == [budget.agrasc.grant.id]
    with pytest.raises(NotFound):
        funder_space.funder_overview(session, budget.financeur_agrasc, grant_id=budget.region.grant.id, today=TODAY)
    assert {g.id for g in funder_space.funder_grants(session, budget.direction)} == {
        budget.agrasc.grant.id,
        budget.region.grant.id,
    }
    assert _overview(session, budget.gestion, world).grant.id == budget.agrasc.grant.id


@pytest.mark.parametrize(
    "period_key",
    [
        "month:2026-02-01:2026-02-14",  # a free end day
        "quarter:2026-01-02:2026-03-31",  # a free start day
        "quarter:2026-04-01:2026-06-30",  # the quarter in progress
        "month:2026-04-01:2026-04-30",  # a month of the quarter in progress
        "quarter:2025-10-01:2025-12-31",  # before the convention
        "to_date:2026-01-01:2026-05-14",  # "to date" up to a chosen day
        "2026-01-01/2026-03-31",
    ],
)
def test_only_periods_of_the_grid_are_published(session, world, period_key):
    """No free start or end day (two overlapping periods one day apart would give the day between), nothing
    of a quarter still in progress, nothing outside the convention."""
    with pytest.raises(ValidationFailed) as refused:
        _overview(session, world.budget.financeur_agrasc, world, period_key=period_key)
    assert set(refused.value.errors) == {"period"}


def test_the_grid_offers_the_finished_quarter_and_its_months(session, world):
    overview = _overview(session, world.budget.financeur_agrasc, world)
    assert [(p.grain.value, p.start, p.end) for p in overview.options] == [
        ("to_date", date(2026, 1, 1), date(2026, 3, 31)),
        ("quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("month", date(2026, 3, 1), date(2026, 3, 31)),
        ("month", date(2026, 2, 1), date(2026, 2, 28)),
        ("month", date(2026, 1, 1), date(2026, 1, 31)),
    ]
    assert overview.period.grain.value == "to_date"  # the default
    # Seen on 31/03/2026, the first quarter is not over yet: no activity figure at all.
    early = _overview(session, world.budget.financeur_agrasc, world, today=date(2026, 3, 31))
    assert early.options == () and early.period is None
    assert {i.note for i in early.indicators} == {"aucun trimestre terminé"}


@pytest.mark.parametrize("role", ["chef_lyon", "intervenant"])
def test_other_roles_are_refused(session, world, role):
    with pytest.raises(PermissionDenied):
        _overview(session, getattr(world.budget, role), world)
    with pytest.raises(PermissionDenied):
        funder_space.funder_grants(session, getattr(world.budget, role))
    other = world.budget.who(session, Role.FORMATEUR, world.budget.lyon)
    with pytest.raises(PermissionDenied):
        _overview(session, other, world)


def test_small_counts_are_hidden_and_totals_cannot_reveal_them(session, world):
    overview = _overview(session, world.budget.financeur_agrasc, world, period_key=Q1)
    lyon, grenoble = world.budget.lyon.id, world.budget.grenoble.id
    intakes = overview.indicator("new_intakes")  # Lyon 21, Grenoble 2
    assert intakes.by_site[grenoble].text == "< 5"
    assert intakes.by_site[lyon].text == "masqué" and intakes.total.text == "23"  # else 23 − 21 gives the 2
    # Outreach persons met are counts; the number of rounds is not a count of persons: never hidden.
    rounds = overview.indicator("outreach_rounds")
    assert rounds.total.text == "6" and rounds.by_site[grenoble].text == "3"
    assert overview.indicator("persons_met_online").total.value == 18
    street = overview.indicator("persons_met_street")  # Lyon 21, Grenoble 0 (online rounds only)
    assert street.by_site[grenoble].text == "< 5"  # 0 is hidden too
    assert street.by_site[lyon].text == "masqué" and street.total.value == 21
    # January holds no intake: the quarter is published as one piece, its months are not published alone.
    january = _overview(session, world.budget.financeur_agrasc, world, period_key="month:2026-01-01:2026-01-31")
    assert january.indicator("new_intakes").total.value is None
    assert january.indicator("new_intakes").note == "publié avec T1 2026"
    assert january.indicator("outreach_rounds").total.text == "2"  # not persons: month by month
    # Nothing was referred: no figure until a group of quarters can be published.
    assert overview.indicator("referrals").note == "cumul en cours"


def test_the_export_threshold_hides_more(session, world):
    overview = _overview(session, world.budget.financeur_agrasc, world, period_key=Q1, output=Output.EXPORT)
    assert overview.threshold == 11
    online = overview.indicator("persons_met_online")  # Lyon 0, Grenoble 18
    assert online.total.value == 18 and online.by_site[world.budget.lyon.id].text == "< 11"
    assert online.by_site[world.budget.grenoble.id].text == "masqué"


def test_the_export_hides_everything_the_screen_hides(session, world):
    principal = world.budget.financeur_agrasc
    hidden_on_screen = 0
    for option in _overview(session, principal, world).options:
        screen = _overview(session, principal, world, period_key=option.key)
        export = _overview(session, principal, world, period_key=option.key, output=Output.EXPORT)
        for item in screen.indicators:
            pairs = [(item.total, export.indicator(item.key).total)]
            pairs += [(shown, export.indicator(item.key).by_site[site]) for site, shown in item.by_site.items()]
            for on_screen, exported in pairs:
                hidden_on_screen += on_screen.hidden
                assert exported.hidden or not on_screen.hidden, item.key
                assert exported.hidden or exported.value == on_screen.value
    assert hidden_on_screen > 0  # the world does hide something on screen


def test_hours_and_rates_of_few_persons_are_not_published():
    """10 h of class for 4 learners would tell how many came: hidden like a count (head-count below 5)."""
    from services.reporting.disclosure import TOTAL, protect_measures

    hours = protect_measures(
        {1: Decimal("10"), 2: Decimal("64.5"), 3: Decimal("80")},
        {1: 4, 2: 7, 3: 12},
        total=Decimal("154.5"),
        headcount_total=23,
        threshold=5,
    )
    assert hours.items[1].text == "non publié"
    assert hours.items[2].hidden  # else 154,5 − 64,5 − 80 gives site 1's 10 h
    assert not hours.items[3].hidden and hours.total.value == Decimal("154.5")
    rate = protect_measures({1: Decimal("0.75")}, {1: 3}, total=Decimal("0.75"), headcount_total=3, threshold=5)
    assert rate.items[1].hidden and rate.total.hidden
    assert TOTAL not in rate.items


def test_figures_match_sql(session, world):
    overview = _overview(session, world.budget.direction, world, period_key=Q1)
    rows = session.execute(
        text("SELECT site_id, count(*) FROM person WHERE intake_on BETWEEN :s AND :e GROUP BY site_id"),
        {"s": date(2026, 1, 1), "e": date(2026, 3, 31)},
    ).all()
    intakes = overview.indicator("new_intakes")
    assert intakes.total.value == sum(c for _s, c in rows) == 23
    for site_id, count in rows:
        assert intakes.by_site[site_id].hidden or intakes.by_site[site_id].value == count
    actual = session.execute(
        text("SELECT coalesce(sum(amount_cents), 0) FROM expense WHERE grant_id = :g AND spent_on <= :d"),
        {"g": world.budget.agrasc.grant.id, "d": date(2026, 3, 31)},
    ).scalar()
    assert overview.as_of == date(2026, 3, 31)
    assert overview.consumption.total.actual_cents == actual
    assert overview.burn[-1].cumulative_cents == actual
    assert sum(s.actual_cents for s in overview.by_category) == actual


def _strings(value, seen=None) -> list[str]:
    """Every string reachable from a returned value (dataclasses, tuples, dicts)."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, str):
        return [value]
    if is_dataclass(value):
        return [s for f in fields(value) for s in _strings(getattr(value, f.name), seen)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k, seen) + _strings(v, seen)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for item in value for s in _strings(item, seen)]
    return []


def test_no_person_code_no_line_and_no_ledger_is_returned(session, world):
    overview = _overview(session, world.budget.financeur_agrasc, world)
    everything = " ".join(_strings(overview))
    for code in world.lyon_codes + world.grenoble_codes:
        assert code not in everything
    assert overview.consumption.lines == () and overview.consumption.ledger == {}
    assert overview.outlook.lines == () and overview.outlook.alerts == ()
    assert "AGR-AV-LYO-60" not in everything  # accounting codes of lines stay inside
