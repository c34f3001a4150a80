"""« À faire » reads what is due through indexes, on SQLite (planned without statistics, as the app runs):
« sans contact » through person's (site, status, last contact, intake) index, one statement per site, never by
reading every file of a site (migration 0031: Lyon on the large dataset, 3.3 → 0.3 ms); one's own workshop
sessions through (user, session) of workshop_facilitator, not the whole table; the danger flags of the page's
codes through the code index, not every file of the site."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from models.organisation import Role
from services import worklist
from services.platform.db import make_engine, upgrade_to_head
from tests import factories
from tests.conftest import _sqlite_real_transactions

TODAY = date(2026, 5, 15)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """SQLite only, in place of the shared engine of both databases: PostgreSQL plans on its statistics (the
    service tests of test_worklist.py run on both)."""
    db_engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('worklist_plans') / 'plans.db'}")
    _sqlite_real_transactions(db_engine)
    upgrade_to_head(db_engine)
    yield db_engine
    db_engine.dispose()


def plans(session, engine, call) -> list[str]:
    """The SQLite plan of every statement `call` runs, one text per statement."""
    seen: list[tuple[str, object]] = []

    def keep(_connection, _cursor, statement, parameters, *_args) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    connection = session.connection()
    return [
        " / ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
        for statement, parameters in seen
        if statement.lstrip().upper().startswith("SELECT")
    ]


@pytest.mark.parametrize("sites", [1, 2])
def test_what_is_due_is_read_through_indexes(session, engine, sites):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    role = Role.INTERVENANT if sites == 1 else Role.CHEF_SERVICE  # an intervenant's rolls: the sessions it runs
    principal = factories.principal(session, factories.a_user(session, role, *(lyon, grenoble)[:sites]))
    for site in (lyon, grenoble):  # a full page of codes to look up the flags of
        for _ in range(25):
            factories.a_person_in_file_active(
                session, site, intake_on=date(2025, 1, 6), last_contact_on=date(2026, 1, 5)
            )

    found = plans(session, engine, lambda: worklist.worklist_page(session, principal, today=TODAY))

    due = [plan for plan in found if "COMPOUND QUERY" in plan]
    assert len(due) == 2, found  # the counts (this transaction has written: not cached) and the page
    for plan in due:  # each site: files last seen before the day, files never seen taken in before it
        assert plan.count("ix_person_site_status_contact (site_id=? AND status=? AND last_contact_on<?)") == sites
        assert plan.count("(site_id=? AND status=? AND last_contact_on=? AND intake_on<?)") == sites
        if role == Role.INTERVENANT:
            assert "workshop_facilitator USING COVERING INDEX ix_workshop_facilitator_user (user_id=?)" in plan
    for plan in found:
        assert "SCAN person" not in plan and "SCAN workshop_facilitator" not in plan, plan
        assert "ix_person_site_intake" not in plan and "ix_person_site_last_contact" not in plan, plan
    [flags] = [plan for plan in found if "person_safety_change" in plan]
    first = flags.split(" / ")[0]
    assert first.startswith("SEARCH person USING") and first.endswith("(code=?)"), flags
