"""The data version moves with every committed write and cached aggregates follow it, across engines.

Each test works on its own database with real commits (the shared `session` fixture rolls back, which is
exactly what a version must survive)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.audit import AuditEvent
from models.finance import BudgetLine, Funder, FunderKind
from models.organisation import Role, Site, User, UserSite
from services.platform import data_version
from services.platform.db import unit_of_work, upgrade_to_head
from tests.conftest import backends, two_engines


@pytest.fixture(params=backends())
def database(request) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one migrated database: two app processes."""
    with two_engines(request.param, "parcours_version") as both:
        yield both


def version_in_sql(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT version FROM data_version WHERE table_name = :t"), {"t": table}
        ).scalar()
        return found or 0


def all_versions_in_sql(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text("SELECT table_name, version FROM data_version")).all())


def sites_count(session: Session) -> int:
    return session.execute(sa.text("SELECT count(*) FROM site")).scalar_one()


def cached_sites_count(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return data_version.cached_aggregate(session, "test.sites", (), lambda: sites_count(session))


def test_a_committed_transaction_moves_the_version_once_whatever_it_writes(database):
    engine, _ = database
    assert version_in_sql(engine, "site") == 0  # never written
    with unit_of_work(engine) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.flush()
        session.add(Site(code="GRE", name="Grenoble", city="Grenoble"))
        session.flush()
        session.execute(sa.update(Site).where(Site.code == "GRE").values(name="Grenoble Centre"))
        session.commit()
    assert version_in_sql(engine, "site") == 1
    with unit_of_work(engine) as session:
        session.execute(sa.delete(Site).where(Site.code == "GRE"))
        session.commit()
    assert version_in_sql(engine, "site") == 2
    assert version_in_sql(engine, "person") == 0


def test_rolled_back_writes_and_bookkeeping_leave_the_version_alone(database):
    engine, _ = database
    before = all_versions_in_sql(engine)
    with unit_of_work(engine) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.flush()  # never committed: unit_of_work rolls back
    with unit_of_work(engine) as session:
        session.add(AuditEvent(actor_username="admin", action="login.success"))
        session.commit()  # the audit log is read by no figure
    assert all_versions_in_sql(engine) == before


def test_a_figure_after_a_save_includes_it_in_this_process_and_in_another(database):
    mine, other = database
    assert cached_sites_count(mine) == 0
    assert cached_sites_count(mine) == 0  # served from the cache
    with unit_of_work(mine) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.commit()
    assert cached_sites_count(mine) == 1
    with unit_of_work(other) as session:  # another process on the same database
        session.add(Site(code="GRE", name="Grenoble", city="Grenoble"))
        session.commit()
    assert cached_sites_count(mine) == 2
    assert cached_sites_count(other) == 2


def test_the_cache_answers_without_recomputing_while_nothing_is_written(database):
    engine, _ = database
    computed = []

    def count() -> int:
        computed.append(1)
        return 7

    for _ in range(3):
        with unit_of_work(engine) as session:
            assert data_version.cached_aggregate(session, "test.calls", ("a",), count) == 7
    with unit_of_work(engine) as session:
        assert data_version.cached_aggregate(session, "test.calls", ("b",), count) == 7  # another key
    assert len(computed) == 2


def test_a_transaction_that_wrote_computes_its_own_figures_and_caches_nothing(database):
    engine, _ = database
    assert cached_sites_count(engine) == 0
    with unit_of_work(engine) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.flush()
        inside = data_version.cached_aggregate(session, "test.sites", (), lambda: sites_count(session))
        assert inside == 1  # sees its own write, not the cached 0
        # rolled back: the version it would have had is never committed
    assert cached_sites_count(engine) == 0


def reads_of_every_counter(engine: Engine) -> list[str]:
    """The statements of `engine` that read the whole counters' table, as they run."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _note(_connection, _cursor, statement, *_args) -> None:
        if "FROM data_version" in statement and "WHERE" not in statement:
            seen.append(statement)

    return seen


def test_after_a_save_the_figures_of_one_transaction_read_every_counter_once(database):
    mine, other = database
    names = [f"test.part{index}" for index in range(5)]

    def figures() -> list[int]:
        with unit_of_work(mine) as session:

            def count() -> int:  # a statement that names its table: the figure depends on that table only
                return session.execute(sa.select(sa.func.count()).select_from(Site.__table__)).scalar_one()

            return [data_version.cached_aggregate(session, name, (), count) for name in names]

    assert figures() == [0] * 5
    with unit_of_work(other) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.commit()
    full_reads = reads_of_every_counter(mine)
    assert figures() == [1] * 5  # each one stale, computed again
    assert len(full_reads) == 1  # the counters they are stored under: read once, before the first computation
    assert figures() == [1] * 5
    assert len(full_reads) == 1  # served: each reads its own few counters


def test_a_save_committed_while_a_transaction_computes_its_figures_shows_at_the_next_run(database):
    mine, other = database
    with unit_of_work(mine) as session:
        assert data_version.cached_aggregate(session, "test.first", (), lambda: sites_count(session)) == 0
        with unit_of_work(other) as saving:  # another process saves meanwhile
            saving.add(Site(code="LYO", name="Lyon", city="Lyon"))
            saving.commit()
        # Computed after the save (PostgreSQL reads it; SQLite keeps the transaction's snapshot), stored under the
        # counters read before it either way.
        data_version.cached_aggregate(session, "test.second", (), lambda: sites_count(session))
    with unit_of_work(mine) as session:  # the next run: both include the save
        assert data_version.cached_aggregate(session, "test.first", (), lambda: sites_count(session)) == 1
        assert data_version.cached_aggregate(session, "test.second", (), lambda: sites_count(session)) == 1


def test_a_save_of_a_table_the_figure_does_not_read_keeps_it_and_plain_sql_depends_on_everything(database):
    mine, other = database
    computed = []

    def count_sites(session) -> int:
        computed.append("sites")
        return sites_count(session)  # plain SQL text: depends on every table

    def count_sites_orm(session) -> int:
        computed.append("orm")
        return session.execute(sa.select(sa.func.count()).select_from(Site)).scalar_one()

    def both() -> tuple[int, int]:
        with unit_of_work(mine) as session:
            return (
                data_version.cached_aggregate(session, "test.text", (), lambda: count_sites(session)),
                data_version.cached_aggregate(session, "test.orm", (), lambda: count_sites_orm(session)),
            )

    assert both() == (0, 0)
    assert computed == ["sites", "orm"]
    with unit_of_work(other) as session:  # a table neither figure reads through the ORM
        session.add(Funder(name="Fondation", kind=FunderKind.FOUNDATION))
        session.commit()
    assert both() == (0, 0)
    assert computed == ["sites", "orm", "sites"]  # the plain-SQL figure was recomputed, the other kept
    with unit_of_work(other) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.commit()
    assert both() == (1, 1)
    assert computed == ["sites", "orm", "sites", "sites", "orm"]


def test_a_figure_made_of_cached_parts_recomputes_only_the_part_a_save_touched_and_is_never_stale(database):
    """The outer figure depends on the tables of its parts even when a part was served from the cache: after
    a funder is saved, the sites part is reused; a site saved afterwards still moves the outer figure."""
    mine, other = database
    computed: list[str] = []

    def part(session, name: str, model) -> int:
        def count() -> int:
            computed.append(name)
            return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()

        return data_version.cached_aggregate(session, f"test.part.{name}", (), count)

    def figure() -> tuple[int, int]:
        with unit_of_work(mine) as session:

            def both() -> tuple[int, int]:
                computed.append("figure")
                return part(session, "sites", Site), part(session, "funders", Funder)

            return data_version.cached_aggregate(session, "test.figure", (), both)

    assert figure() == (0, 0)
    assert computed == ["figure", "sites", "funders"]
    with unit_of_work(other) as session:
        session.add(Funder(name="Fondation", kind=FunderKind.FOUNDATION))
        session.commit()
    computed.clear()
    assert figure() == (0, 1)
    assert computed == ["figure", "funders"]  # the sites part came from the cache
    with unit_of_work(other) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.commit()
    computed.clear()
    assert figure() == (1, 1)  # the figure read sites through a cached part: the save still reaches it
    assert computed == ["figure", "sites"]
    computed.clear()
    assert figure() == (1, 1)
    assert computed == []


def test_a_delete_moves_the_tables_the_database_deletes_with_it(database):
    """A user's site rows go with the user (ON DELETE CASCADE) without a statement of their own: a figure
    reading only those rows, cached in this process, follows a delete made in another."""
    mine, other = database
    with unit_of_work(other) as session:
        site = Site(code="LYO", name="Lyon", city="Lyon")
        user = User(username="ts.lyon", display_name="Inès Garnier", password_hash="x", role=Role.INTERVENANT)
        session.add_all([site, user])
        session.flush()
        session.add(UserSite(user_id=user.id, site_id=site.id))
        session.commit()

    def site_links() -> int:
        with unit_of_work(mine) as session:
            return data_version.cached_aggregate(
                session,
                "test.user_sites",
                (),
                lambda: session.execute(sa.select(sa.func.count()).select_from(UserSite)).scalar_one(),
            )

    assert site_links() == 1
    with unit_of_work(other) as session:
        session.execute(sa.delete(User).where(User.username == "ts.lyon"))
        session.commit()
    with other.connect() as connection:  # the database did delete the row: the figure must say so
        assert connection.execute(sa.text("SELECT count(*) FROM user_site")).scalar_one() == 0
    assert site_links() == 0


@pytest.mark.parametrize(
    ("statement", "tables"),
    [
        ('DELETE FROM "grant" WHERE id = 1', {"grant", "grant_site"}),
        ("delete from practice_note where id = 1", {"practice_note", "practice_note_figure", "chapter_note"}),
        ("UPDATE outreach_round SET persons_met = 3", {"outreach_round"}),
        ("DELETE FROM expense WHERE id = 1", {"expense"}),
    ],
)
def test_a_delete_also_writes_the_tables_of_its_cascading_foreign_keys(statement, tables):
    assert data_version.written_tables(statement) == tables


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ('INSERT INTO "site" (code) VALUES (?)', "site"),
        ("INSERT OR REPLACE INTO person_note (id) VALUES (1)", "person_note"),
        ("UPDATE app_user SET name = %(name)s", "app_user"),
        ("  delete from expense where id = 1", "expense"),
        ("SELECT * FROM site", None),
        ("WITH x AS (SELECT 1) SELECT * FROM x", None),
    ],
)
def test_the_written_table_is_read_from_the_statement(statement, table):
    assert data_version.written_tables(statement) == ({table} if table else set())


def figure(overview, key: str) -> int:
    return next(f.value for f in overview.figures if f.key == key)


def test_the_directors_home_after_another_process_saves_shows_the_save(database):
    """Home figures (outreach, budget) are cached; a round and an expense saved through another engine
    appear at the next page run of this one. Expected values are the literal world built here."""
    from datetime import date

    import clock
    from models.organisation import Role
    from services import home
    from tests import factories

    mine, other = database
    today = clock.today()
    with unit_of_work(other) as session:
        lyon = factories.a_site(session, "LYO", "Lyon")
        director = factories.a_user(session, Role.DIRECTION, username="dir")
        factories.an_outreach_round(session, lyon, round_on=today, persons_met=4)
        grant = factories.a_grant_with_lines(
            session,
            factories.a_funder(session),
            name="AGRASC 2026",
            starts_on=date(today.year, 1, 1),
            ends_on=date(today.year + 1, 12, 31),
            planned=[(lyon, 1_000_000)],
            spent=[(lyon, today, 250_000)],
        )
        session.commit()
        line_id, director_id = grant.lines["LYO"].id, director.id

    def shown() -> tuple[int, int, int]:
        with unit_of_work(mine) as session:
            principal = factories.principal(session, session.get(User, director_id))
            overview = home.overview_for(session, principal, today=today)
            return figure(overview, "outreach_rounds"), figure(overview, "persons_met"), overview.grants[0].spent_cents

    assert shown() == (1, 4, 250_000)
    assert shown() == (1, 4, 250_000)
    with unit_of_work(other) as session:
        lyon = session.get(Site, lyon.id)
        factories.an_outreach_round(session, lyon, round_on=today, persons_met=2)
        factories.an_expense(session, session.get(BudgetLine, line_id), spent_on=today, amount_cents=5_000)
        session.commit()
    assert shown() == (2, 6, 255_000)


def test_a_start_that_migrates_nothing_keeps_the_caches_of_the_other_processes(database):
    engine, _ = database
    epoch = version_in_sql(engine, "#epoch")
    upgrade_to_head(engine)  # every app start runs it; the schema is already at head
    assert version_in_sql(engine, "#epoch") == epoch


def test_sessions_asking_for_the_same_cold_figure_at_once_compute_it_once(database):
    """The first users of a process (or everyone after a save) open the same page: the first session computes the
    figure, the others wait for it and take its result."""
    engine, _ = database
    computed, results = [], []
    started = threading.Event()

    def slow_count() -> int:
        computed.append(1)
        started.set()
        time.sleep(0.3)
        return 7

    def page() -> None:
        with unit_of_work(engine) as session:
            results.append(data_version.cached_aggregate(session, "test.slow", (), slow_count))

    first = threading.Thread(target=page)
    first.start()
    started.wait(timeout=5)
    others = [threading.Thread(target=page) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert results == [7, 7, 7, 7]
    assert len(computed) == 1


@pytest.mark.skipif(
    "faketime" in os.environ.get("LD_PRELOAD", ""), reason="libfaketime breaks the timed waits this test is about"
)
def test_a_session_waits_for_another_computation_a_bounded_time(database, monkeypatch):
    """A computation longer than the wait does not hold the other pages: after WAIT_FOR_ANOTHER_S they compute."""
    engine, _ = database
    monkeypatch.setattr(data_version, "WAIT_FOR_ANOTHER_S", 0.05)
    computed = []
    started, finish = threading.Event(), threading.Event()

    def count() -> int:
        computed.append(1)
        if len(computed) == 1:  # the first computation lasts until the test lets it finish
            started.set()
            finish.wait(timeout=10)
        return 7

    def page() -> None:
        with unit_of_work(engine) as session:
            data_version.cached_aggregate(session, "test.slower", (), count)

    first = threading.Thread(target=page)
    first.start()
    started.wait(timeout=5)
    second = threading.Thread(target=page)
    second.start()
    second.join(timeout=5)
    waited_for_the_first = second.is_alive() or not first.is_alive()
    finish.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert not waited_for_the_first  # the second page was done while the first computation went on
    assert len(computed) == 2
