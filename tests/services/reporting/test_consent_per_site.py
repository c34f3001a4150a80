"""A consent written for one person recomputes the figures of the sites where that person has facts (the
file's site, and the sites it was transferred from), and of no other site; a figure is never stale.

Two engines on one migrated database (two app processes), real commits. The world, built by hand: Lyon,
Grenoble and Marseille; Amina taken in at Lyon, referred there on 10 April, her file since moved to
Marseille; Bintou at Grenoble, referred there on 10 April. The referrals of the second quarter per site are
written out below, not recomputed by the code under test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.organisation import Role, User
from models.partners import PartnerKind
from models.persons import ConsentScope
from services.persons import consent, transfer
from services.platform import data_version
from services.platform.db import make_engine, unit_of_work
from services.platform.principal import Principal
from services.reporting import _indicators as indicators
from tests import factories
from tests.conftest import backends, migrated_database_url

TODAY = date(2026, 5, 15)
QUARTER = (date(2026, 4, 1), date(2026, 6, 30))


@dataclass
class World:
    mine: Engine  # the process that shows the figures
    other: Engine  # the process where the consents are saved
    lyon: int
    grenoble: int
    marseille: int
    amina: int  # file at Marseille now, referred at Lyon before the move
    bintou: int  # file at Grenoble, never moved
    chef: Principal  # chef_service of the three sites


@pytest.fixture(params=backends())
def world(request) -> Iterator[World]:
    with migrated_database_url(request.param, "parcours_consent_sites") as url:
        mine, other = make_engine(url), make_engine(url)
        with unit_of_work(other) as session:
            lyon, grenoble = factories.lyon_and_grenoble(session)
            marseille = factories.a_site(session, "MRS", "Marseille")
            chef_user = factories.a_user(session, Role.CHEF_SERVICE, lyon, grenoble, marseille)
            amina = factories.a_person_in_file_active(session, lyon, intake_on=date(2026, 1, 5))
            bintou = factories.a_person_in_file_active(session, grenoble, intake_on=date(2026, 1, 5))
            factories.a_referral_to(
                session, amina, factories.a_partner_of_kind(session, lyon, PartnerKind.HEALTH), on=date(2026, 4, 10)
            )
            factories.a_referral_to(
                session,
                bintou,
                factories.a_partner_of_kind(session, grenoble, PartnerKind.HEALTH),
                on=date(2026, 4, 10),
            )
            session.commit()
            ids = (lyon.id, grenoble.id, marseille.id, amina.id, bintou.id, chef_user.id)
        lyon_id, grenoble_id, marseille_id, amina_id, bintou_id, chef_id = ids
        with unit_of_work(other) as session:
            chef = factories.principal(session, session.get(User, chef_id))
            version = session.execute(sa.text("SELECT version FROM person WHERE id = :id"), {"id": amina_id}).scalar()
            transfer.transfer_file(
                session,
                chef,
                amina_id,
                expected_version=version,
                data={"to_site_id": marseille_id, "reason": "Mise à l'abri", "referent_id": None},
                today=date(2026, 4, 20),
            )
        yield World(mine, other, lyon_id, grenoble_id, marseille_id, amina_id, bintou_id, chef)
        mine.dispose()
        other.dispose()


@pytest.fixture
def recomputed(monkeypatch) -> list[tuple[str, list[int]]]:
    """(figure, sites) of every computation of a figure cached per site, as it happens."""
    seen: list[tuple[str, list[int]]] = []
    cached_by_site = data_version.cached_by_site

    def spying(session, name, key, sites, compute, **options):
        def computing(chosen):
            seen.append((name, sorted(chosen)))
            return compute(chosen)

        return cached_by_site(session, name, key, sites, computing, **options)

    monkeypatch.setattr(data_version, "cached_by_site", spying)
    return seen


def referrals(world: World) -> dict[int, int]:
    sites = [world.lyon, world.grenoble, world.marseille]
    with unit_of_work(world.mine) as session:
        raw = indicators.raw_by_site(session, site_ids=sites, periods=[QUARTER], keys=["referrals"])
    return {site: raw[site][0].get("referrals", 0) for site in sites}


def withdraw_statistics(world: World, person_id: int) -> None:
    with unit_of_work(world.other) as session:
        consent.record_consent_change(
            session,
            world.chef,
            person_id,
            data={"scope": ConsentScope.STATISTICS, "given": False, "effective_on": date(2026, 4, 1)},
            today=TODAY,
        )


def counters(engine: Engine, table: str) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT table_name, version FROM data_version WHERE table_name LIKE :sites"),
            {"sites": f"{table}@%"},
        ).all()
    return dict(rows)


def test_a_consent_moves_the_counter_of_the_files_site_and_of_the_sites_it_came_from(world):
    before = counters(world.mine, "consent_change")
    withdraw_statistics(world, world.amina)
    after = counters(world.mine, "consent_change")
    moved = {name for name in after if after[name] != before.get(name, 0)}
    assert moved == {f"consent_change@{world.marseille}", f"consent_change@{world.lyon}"}

    before = after
    withdraw_statistics(world, world.bintou)
    after = counters(world.mine, "consent_change")
    assert {name for name in after if after[name] != before.get(name, 0)} == {f"consent_change@{world.grenoble}"}


def test_a_withdrawal_for_a_moved_file_leaves_the_figures_of_the_site_it_left_at_once(world, recomputed):
    assert referrals(world) == {world.lyon: 1, world.grenoble: 1, world.marseille: 0}
    recomputed.clear()
    assert referrals(world) == {world.lyon: 1, world.grenoble: 1, world.marseille: 0}
    assert recomputed == []  # served

    withdraw_statistics(world, world.amina)  # saved in the other process, her file now at Marseille
    assert referrals(world) == {world.lyon: 0, world.grenoble: 1, world.marseille: 0}
    assert ("indicators._referrals", sorted([world.lyon, world.marseille])) in recomputed
    assert not [sites for _name, sites in recomputed if world.grenoble in sites]


def test_a_withdrawal_at_one_site_recomputes_that_sites_figures_only(world, recomputed):
    assert referrals(world) == {world.lyon: 1, world.grenoble: 1, world.marseille: 0}
    recomputed.clear()

    withdraw_statistics(world, world.bintou)
    assert referrals(world) == {world.lyon: 1, world.grenoble: 0, world.marseille: 0}
    assert recomputed == [("indicators._referrals", [world.grenoble])]


def test_the_tables_that_follow_the_person_are_moved_by_a_transfer_and_hold_the_consent_history():
    """The counters' rule holds only for tables whose rows a transfer moves to the file's new site."""
    assert consent.CONSENT_HISTORY in data_version.FOLLOWS_THE_PERSON
    assert {model.__tablename__ for model in transfer.FOLLOWING_RECORDS} >= data_version.FOLLOWS_THE_PERSON


def active_files(world: World) -> dict[int, int]:
    sites = [world.lyon, world.grenoble, world.marseille]
    with unit_of_work(world.mine) as session:
        raw = indicators.raw_by_site(session, site_ids=sites, periods=[QUARTER], keys=["active_files"])
    return {site: raw[site][0].get("active_files", 0) for site in sites}


def every_site_counter(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT table_name, version FROM data_version WHERE table_name LIKE '%@%'"))
        return dict(rows.all())


def test_a_transfer_recomputes_the_figures_of_the_site_the_file_leaves_and_of_the_one_it_reaches(world, recomputed):
    assert active_files(world) == {world.lyon: 0, world.grenoble: 1, world.marseille: 1}
    recomputed.clear()
    before = every_site_counter(world.mine)

    with unit_of_work(world.other) as session:  # Bintou's file moves from Grenoble to Lyon, in the other process
        version = session.execute(sa.text("SELECT version FROM person WHERE id = :id"), {"id": world.bintou}).scalar()
        transfer.transfer_file(
            session,
            world.chef,
            world.bintou,
            expected_version=version,
            data={"to_site_id": world.lyon, "reason": "Rapprochement", "referent_id": None},
            today=date(2026, 5, 2),
        )

    after = every_site_counter(world.mine)
    moved = {name for name in after if after[name] != before.get(name, 0)}
    assert {f"person@{world.grenoble}", f"person@{world.lyon}"} <= moved
    assert {name.split("@")[1] for name in moved} <= {str(world.grenoble), str(world.lyon)}  # no "*", no Marseille
    assert active_files(world) == {world.lyon: 1, world.grenoble: 0, world.marseille: 1}
    assert recomputed == [("indicators._persons", sorted([world.lyon, world.grenoble]))]
