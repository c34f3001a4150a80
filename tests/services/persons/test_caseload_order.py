"""The caseload of every site comes in the order of last contact without sorting every file: SQLite walks
the (last_contact_on, id) index and stops after the page (migration 0025; 27 ms → 0.1 ms on 30,000 files)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from services.persons.files import CaseloadFilter, list_caseload
from tests.services.person_world import CIPHER, TODAY


def test_the_direction_caseload_page_is_read_in_index_order(session, person_world, engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's")
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
    plan = " / ".join(
        row[-1] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    )
    assert "ix_person_last_contact" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
