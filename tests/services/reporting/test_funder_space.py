"""Espace financeur service: scope, disclosure of every count of persons, figures against SQL."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date

import pytest
from sqlalchemy import text

from models.organisation import Role
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.reporting import funder_space
from services.reporting.disclosure import Suppression
from tests.services import funder_world
from tests.services.funder_world import END, START

TODAY = date(2026, 5, 15)


@pytest.fixture()
def world(session):
    return funder_world.build(session)


def _overview(session, principal, world, threshold=5):
    return funder_space.funder_overview(
        session,
        principal,
        grant_id=world.budget.agrasc.grant.id,
        start=START,
        end=END,
        threshold=threshold,
        today=TODAY,
    )


def test_financeur_opens_only_its_funders_grants(session, world):
    budget = world.budget
    grants = funder_space.funder_grants(session, budget.financeur_agrasc)
    assert [g.id for g in grants] == [budget.agrasc.grant.id]
    with pytest.raises(NotFound):
        funder_space.funder_overview(
            session,
            budget.financeur_agrasc,
            grant_id=budget.region.grant.id,
            start=START,
            end=END,
            threshold=5,
            today=TODAY,
        )
    assert {g.id for g in funder_space.funder_grants(session, budget.direction)} == {
        budget.agrasc.grant.id,
        budget.region.grant.id,
    }
    assert _overview(session, budget.gestion, world).grant.id == budget.agrasc.grant.id


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2025, 12, 1), END), (START, date(2027, 7, 31)), (date(2025, 1, 1), date(2025, 12, 31))],
    ids=["starts-before", "ends-after", "before-the-grant"],
)
def test_a_funder_reads_no_period_outside_its_convention(session, world, start, end):
    """The AGRASC convention runs from 01/01/2026 to 30/06/2027: its sites' activity before or after is
    none of the funder's business."""
    with pytest.raises(ValidationFailed) as refused:
        funder_space.funder_overview(
            session,
            world.budget.financeur_agrasc,
            grant_id=world.budget.agrasc.grant.id,
            start=start,
            end=end,
            threshold=5,
            today=TODAY,
        )
    assert refused.value.errors == {
        "period": "La période doit rester dans celle de la convention (du 01/01/2026 au 30/06/2027)."
    }


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
    overview = _overview(session, world.budget.financeur_agrasc, world)
    lyon, grenoble = world.budget.lyon.id, world.budget.grenoble.id
    intakes = overview.indicator("new_intakes")
    assert intakes.by_site[grenoble].text == "< 5"
    # Lyon's 21 + Grenoble's 2: with the total published, Lyon must be hidden too (or the total).
    assert intakes.by_site[lyon].hidden or intakes.total.hidden
    table = next(m for m in overview.monthly if m.key == "new_intakes").table
    assert table.display(grenoble, date(2026, 2, 1)) == "< 5"
    assert table.entry(grenoble, date(2026, 1, 1)).suppression == Suppression.PRIMARY  # 0 is hidden too
    # Outreach persons met are counts; the number of rounds is not a count of persons: never hidden.
    rounds = overview.indicator("outreach_rounds")
    assert rounds.total.text == "6" and rounds.by_site[grenoble].text == "3"
    assert overview.indicator("persons_met_online").total.value == 18
    street = overview.indicator("persons_met_street")  # Lyon 21, Grenoble 0 (online rounds only)
    assert street.by_site[grenoble].text == "< 5"
    assert street.by_site[lyon].text == "masqué" and street.total.value == 21  # else 21 − 21 gives the 0


def test_no_caller_publishes_below_the_configured_threshold(session, world):
    overview = _overview(session, world.budget.financeur_agrasc, world, threshold=1)
    assert overview.threshold == 5  # PARCOURS_SCREEN_DISCLOSURE_THRESHOLD's default
    assert overview.indicator("new_intakes").by_site[world.budget.grenoble.id].text == "< 5"  # 2 intakes


def test_export_threshold_hides_more(session, world):
    overview = _overview(session, world.budget.financeur_agrasc, world, threshold=11)
    online = overview.indicator("persons_met_online")
    assert online.total.value == 18 and online.by_site[world.budget.lyon.id].text == "< 11"
    assert online.by_site[world.budget.grenoble.id].text == "masqué"
    table = next(m for m in overview.monthly if m.key == "new_intakes").table
    assert table.display(world.budget.lyon.id, date(2026, 3, 1)) == "< 11"  # 9 intakes in March


def test_the_export_hides_everything_the_screen_hides(session, world):
    principal = world.budget.financeur_agrasc
    screen = _overview(session, principal, world, threshold=5)
    export = funder_space.funder_overview(
        session,
        principal,
        grant_id=world.budget.agrasc.grant.id,
        start=START,
        end=END,
        threshold=11,
        today=TODAY,
        screen_threshold=5,
    )
    hidden_on_screen = 0
    for item in screen.indicators:
        pairs = [(item.total, export.indicator(item.key).total)]
        pairs += [(shown, export.indicator(item.key).by_site[site]) for site, shown in item.by_site.items()]
        for on_screen, exported in pairs:
            hidden_on_screen += on_screen.hidden
            assert exported.hidden or not on_screen.hidden, item.key
            assert exported.hidden or exported.value == on_screen.value
    for monthly, exported in zip(screen.monthly, export.monthly, strict=True):
        assert monthly.table.suppressed_keys() <= exported.table.suppressed_keys()
    assert hidden_on_screen > 0  # the world does hide something on screen


def test_figures_match_sql(session, world):
    overview = _overview(session, world.budget.direction, world)
    table = next(m for m in overview.monthly if m.key == "new_intakes").table
    rows = session.execute(
        text(
            "SELECT site_id, strftime('%m', intake_on) AS m, count(*) FROM person "
            "WHERE intake_on BETWEEN :s AND :e GROUP BY site_id, m"
            if session.bind.dialect.name == "sqlite"
            else "SELECT site_id, to_char(intake_on, 'MM') AS m, count(*) FROM person "
            "WHERE intake_on BETWEEN :s AND :e GROUP BY site_id, m"
        ),
        {"s": START, "e": END},
    ).all()
    for site_id, month, count in rows:
        value = table.value(site_id, date(2026, int(month), 1))
        assert value is None or value == count
    assert table.grand_total.value == sum(c for _s, _m, c in rows) == 23
    actual = session.execute(
        text("SELECT coalesce(sum(amount_cents), 0) FROM expense WHERE grant_id = :g AND spent_on <= :d"),
        {"g": world.budget.agrasc.grant.id, "d": END},
    ).scalar()
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


def test_default_period_runs_to_the_end_of_last_month():
    grant = type("G", (), {"starts_on": date(2026, 1, 1), "ends_on": date(2027, 6, 30)})()
    assert funder_space.default_period(grant, date(2026, 11, 29)) == (date(2026, 1, 1), date(2026, 10, 31))
    assert funder_space.default_period(grant, date(2026, 1, 10)) == (date(2026, 1, 1), date(2026, 1, 10))
    assert funder_space.month_periods(date(2026, 1, 15), date(2026, 3, 3)) == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 3)),
    ]
