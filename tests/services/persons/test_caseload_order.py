"""The caseload of every site comes in the order of last contact without sorting every file: the database
walks the (last_contact_on, id) index and stops after the page (migration 0025; on 30,000 files, SQLite:
27 ms → 0.1 ms)."""

from __future__ import annotations

from sqlalchemy import event

from services.persons.files import CaseloadFilter, list_caseload
from tests.services.person_world import CIPHER, TODAY


def test_the_direction_caseload_page_is_read_in_index_order(session, person_world, engine) -> None:
    seen: list[tuple[str, object]] = []

    def keep(_connection, _cursor, statement, parameters, *_args) -> None:
        if "ORDER BY person.last_contact_on DESC" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        list_caseload(session, person_world.direction, CaseloadFilter(), cipher=CIPHER, today=TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [(statement, parameters)] = seen
    connection = session.connection()
    if engine.dialect.name == "postgresql":
        # On a handful of rows PostgreSQL sorts them anyway; told that sorting is costly, it shows whether an
        # index gives the order (this test's transaction is rolled back, the setting with it).
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        plan = " / ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
        assert "ix_person_last_contact" in plan and "Sort" not in plan, plan
    else:
        plan = " / ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
        assert "ix_person_last_contact" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
