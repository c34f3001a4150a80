"""Per-site counters: a save at one site moves that site's counters, and figures cached per site follow them.

Each test works on its own database with real commits, through two engines (two app processes). The
expected counters are written out by hand: which `table@site` rows a save must move, read back in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.finance import BudgetCategory, BudgetLine, Funder, FunderKind, Grant, GrantSite, Strand
from models.organisation import Site
from models.outreach import OutreachArea, OutreachMode, OutreachRound
from services.platform import data_version
from services.platform.db import unit_of_work
from tests.conftest import backends, two_engines


@pytest.fixture(params=backends())
def database(request) -> Iterator[tuple[Engine, Engine, dict[str, int]]]:
    """Two engines on one migrated database, with the sites Lyon and Grenoble (code → id)."""
    with two_engines(request.param, "parcours_version_sites") as (first, second):
        with unit_of_work(first) as session:
            session.add_all(
                [Site(code="LYO", name="Lyon", city="Lyon"), Site(code="GRE", name="Grenoble", city="Grenoble")]
            )
            session.commit()
            sites = {site.code: site.id for site in session.exec(select(Site)).all()}
        yield first, second, sites


def counters(engine: Engine, table: str) -> dict[str, int]:
    """The counters of `table`: its own and its per-site ones, as stored."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT table_name, version FROM data_version WHERE table_name = :t OR table_name LIKE :sites"),
            {"t": table, "sites": f"{table}@%"},
        ).all()
    return dict(rows)


def a_round(site_id: int, day: date = date(2026, 3, 2), met: int = 4) -> OutreachRound:
    return OutreachRound(
        site_id=site_id,
        round_on=day,
        duration_minutes=120,
        mode=OutreachMode.STREET,
        area=OutreachArea.CITY_CENTRE,
        persons_met=met,
    )


def test_a_save_moves_the_counters_of_the_sites_whose_rows_it_wrote(database):
    engine, _, sites = database
    lyon, grenoble = sites["LYO"], sites["GRE"]
    with unit_of_work(engine) as session:
        session.add_all([a_round(lyon), a_round(lyon, met=2)])
        session.commit()
    assert counters(engine, "outreach_round") == {"outreach_round": 1, f"outreach_round@{lyon}": 1}

    with unit_of_work(engine) as session:  # an edit through the ORM (one row of Grenoble, none of Lyon)
        session.add(a_round(grenoble))
        session.commit()
    with unit_of_work(engine) as session:
        row = session.exec(select(OutreachRound).where(OutreachRound.site_id == grenoble)).one()
        row.persons_met = 9
        session.commit()
    assert counters(engine, "outreach_round") == {
        "outreach_round": 3,
        f"outreach_round@{lyon}": 1,
        f"outreach_round@{grenoble}": 2,
    }

    with unit_of_work(engine) as session:  # a statement of its own, on the rows its WHERE matches
        session.execute(
            sa.update(OutreachRound)
            .where(OutreachRound.persons_met < 5, OutreachRound.id.in_(list(range(1, 100))))
            .values(new_contacts=1)
        )
        session.commit()
    assert counters(engine, "outreach_round")[f"outreach_round@{lyon}"] == 2
    assert counters(engine, "outreach_round")[f"outreach_round@{grenoble}"] == 2  # 9 met: not matched

    with unit_of_work(engine) as session:  # a delete through the ORM
        session.delete(session.exec(select(OutreachRound).where(OutreachRound.site_id == grenoble)).one())
        session.commit()
    assert counters(engine, "outreach_round") == {
        "outreach_round": 5,
        f"outreach_round@{lyon}": 2,
        f"outreach_round@{grenoble}": 3,
    }


def test_rows_moved_to_another_site_move_the_counters_of_the_site_they_leave_and_of_the_one_they_reach(database):
    engine, _, sites = database
    lyon, grenoble = sites["LYO"], sites["GRE"]
    with unit_of_work(engine) as session:
        session.add_all([a_round(lyon), a_round(lyon, met=1)])
        session.commit()
    with unit_of_work(engine) as session:  # a transfer: a statement of its own
        session.execute(
            sa.update(OutreachRound)
            .where(OutreachRound.site_id == lyon, OutreachRound.persons_met == 1)
            .values(site_id=grenoble)
        )
        session.commit()
    assert counters(engine, "outreach_round") == {
        "outreach_round": 2,
        f"outreach_round@{lyon}": 2,
        f"outreach_round@{grenoble}": 1,
    }
    with unit_of_work(engine) as session:  # through the ORM, back to Lyon
        row = session.exec(select(OutreachRound).where(OutreachRound.site_id == grenoble)).one()
        row.site_id = lyon
        session.commit()
    assert counters(engine, "outreach_round") == {
        "outreach_round": 3,
        f"outreach_round@{lyon}": 3,
        f"outreach_round@{grenoble}": 2,
    }
    with unit_of_work(engine) as session:  # matching no row: it moves nothing to Grenoble
        session.execute(sa.update(OutreachRound).where(OutreachRound.persons_met == 99).values(site_id=grenoble))
        session.commit()
    assert counters(engine, "outreach_round")[f"outreach_round@{grenoble}"] == 2


def test_a_save_whose_sites_cannot_be_told_moves_the_counter_of_every_site(database):
    engine, _, sites = database
    lyon = sites["LYO"]
    with unit_of_work(engine) as session:
        session.add(a_round(lyon))
        session.commit()
    with unit_of_work(engine) as session:  # rows moved to a site the database computes
        session.execute(
            sa.update(OutreachRound).where(OutreachRound.site_id == lyon).values(site_id=OutreachRound.site_id + 1)
        )
        session.commit()
    with unit_of_work(engine) as session:  # plain SQL
        session.execute(sa.text("UPDATE outreach_round SET persons_met = persons_met + 1"))
        session.commit()
    assert counters(engine, "outreach_round") == {
        "outreach_round": 3,
        f"outreach_round@{lyon}": 1,
        "outreach_round@*": 2,
    }


def test_national_rows_and_rows_deleted_by_a_cascade_have_their_own_counters(database):
    engine, _, sites = database
    with unit_of_work(engine) as session:
        funder = Funder(name="AGRASC", kind=FunderKind.STATE)
        session.add(funder)
        session.flush()
        grant = Grant(
            funder_id=funder.id,
            name="Sortie",
            convention_ref="C-1",
            amount_cents=100_000,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        session.add(grant)
        session.flush()
        strand = Strand(grant_id=grant.id, name="Insertion")
        session.add_all([strand, GrantSite(grant_id=grant.id, site_id=sites["GRE"])])
        session.flush()
        session.add(
            BudgetLine(grant_id=grant.id, strand_id=strand.id, category=BudgetCategory.PURCHASES, planned_cents=1)
        )
        session.commit()
        grant_id = grant.id
    assert counters(engine, "budget_line") == {"budget_line": 1, "budget_line@national": 1}
    assert counters(engine, "grant_site") == {"grant_site": 1, f"grant_site@{sites['GRE']}": 1}
    with unit_of_work(engine) as session:  # a line of Grenoble, then made national
        line = BudgetLine(
            grant_id=grant_id,
            strand_id=strand.id,
            site_id=sites["GRE"],
            category=BudgetCategory.EXTERNAL_SERVICES,
            planned_cents=2,
        )
        session.add(line)
        session.commit()
        session.execute(sa.update(BudgetLine).where(BudgetLine.id == line.id).values(site_id=None))
        session.commit()
    assert counters(engine, "budget_line") == {
        "budget_line": 3,
        f"budget_line@{sites['GRE']}": 2,
        "budget_line@national": 2,
    }
    with unit_of_work(engine) as session:
        session.execute(sa.delete(BudgetLine))
        session.execute(sa.delete(Strand))
        session.execute(sa.delete(Grant).where(Grant.id == grant_id))  # the database deletes its grant_site rows
        session.commit()
    assert counters(engine, "grant_site") == {"grant_site": 2, f"grant_site@{sites['GRE']}": 1, "grant_site@*": 1}


def persons_met_by_site(session: Session, site_ids: list[int]) -> dict[int, int]:
    rows = session.exec(
        select(OutreachRound.site_id, sa.func.sum(OutreachRound.persons_met))
        .where(OutreachRound.site_id.in_(site_ids))
        .group_by(OutreachRound.site_id)
    ).all()
    found = dict(rows)
    return {site: int(found.get(site) or 0) for site in site_ids}


def test_a_figure_cached_per_site_recomputes_only_the_site_a_save_wrote_and_is_never_stale(database):
    mine, other, sites = database
    lyon, grenoble = sites["LYO"], sites["GRE"]
    computed: list[list[int]] = []

    def figure() -> dict[int, int]:
        def compute(chosen):
            computed.append(sorted(chosen))
            return persons_met_by_site(session, chosen)

        with unit_of_work(mine) as session:
            return data_version.cached_by_site(
                session, "test.met", (), [lyon, grenoble], compute, scoped=["outreach_round"]
            )

    assert figure() == {lyon: 0, grenoble: 0}
    assert figure() == {lyon: 0, grenoble: 0}
    assert computed == [sorted([lyon, grenoble])]  # one computation for both, then served

    with unit_of_work(other) as session:  # another process saves a round at Lyon
        session.add(a_round(lyon, met=5))
        session.commit()
    assert figure() == {lyon: 5, grenoble: 0}
    assert computed[1:] == [[lyon]]

    with unit_of_work(other) as session:  # a write it cannot place: every site again
        session.execute(sa.text("UPDATE outreach_round SET persons_met = 7"))
        session.commit()
    assert figure() == {lyon: 7, grenoble: 0}
    assert computed[2:] == [sorted([lyon, grenoble])]

    with unit_of_work(other) as session:  # a table the figure does not read
        session.add(Funder(name="Fondation", kind=FunderKind.FOUNDATION))
        session.commit()
    assert figure() == {lyon: 7, grenoble: 0}
    assert computed[3:] == []


def test_a_figure_made_of_per_site_parts_follows_a_save_at_one_site(database):
    """The enclosing figure depends on the tables its parts read, as a whole: a save at Grenoble moves it."""
    mine, other, sites = database
    lyon, grenoble = sites["LYO"], sites["GRE"]

    def total() -> int:
        with unit_of_work(mine) as session:

            def add_up() -> int:
                parts = data_version.cached_by_site(
                    session,
                    "test.parts",
                    (),
                    [lyon, grenoble],
                    lambda chosen: persons_met_by_site(session, chosen),
                    scoped=["outreach_round"],
                )
                return sum(parts.values())

            return data_version.cached_aggregate(session, "test.total", (), add_up)

    assert total() == 0
    with unit_of_work(other) as session:
        session.add(a_round(grenoble, met=3))
        session.commit()
    assert total() == 3
    with unit_of_work(other) as session:
        session.add(a_round(lyon, met=2))
        session.commit()
    assert total() == 5
