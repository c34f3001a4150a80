"""Free text about a person is encrypted at rest: no raw column value and no byte of the SQLite files
holds it in clear; the services read it back (decrypted in models.types.EncryptedText) for the roles
that see identities only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, text
from sqlmodel import Session

from models.organisation import Role
from services.activities.courses import assessments
from services.persons import partners, pathway, timeline
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work, upgrade_to_head
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY, backends, demo_data_engine
from tests.services.persons.free_text_world import FREE_TEXT_COLUMNS, a_file_with_free_texts

ON = date(2026, 11, 2)
MARKER = "Zqwx-Adaeze-Okonkwo"
KEY = FieldCipher([TEST_ENCRYPTION_KEY])  # the key the test engines are made with (tests/conftest.py)


def raw_values(connection, table: str, column: str, person_id: int) -> list[str | None]:
    where = "id" if table == "person" else "person_id"
    return list(
        connection.execute(text(f"SELECT {column} FROM {table} WHERE {where} = :id"), {"id": person_id}).scalars()
    )


def every_raw_text(connection) -> str:
    """Every value of every column of every table, as the database returns it, in one string."""
    parts = []
    for table in inspect(connection).get_table_names():
        parts += [repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(parts)


def test_every_free_text_is_a_token_of_the_configured_key_and_no_raw_value_holds_it(session):
    lyon, _ = factories.lyon_and_grenoble(session)
    person = a_file_with_free_texts(session, lyon, MARKER, on=ON, partner_name="Foyer Zqwx-Control")
    connection = session.connection()

    for table, column, suffix in FREE_TEXT_COLUMNS:
        [stored] = raw_values(connection, table, column, person.id)
        assert stored.startswith("gAAAAA"), (table, column)  # a Fernet token (version byte 0x80)
        assert KEY.decrypt(stored) == f"{MARKER}-{suffix}", (table, column)
    everything = every_raw_text(connection)
    assert "Zqwx-Control" in everything  # the scan does see text stored in clear (a partner's name)
    assert MARKER not in everything and MARKER.lower() not in everything.lower()


def test_services_read_the_texts_back_for_identity_readers_only(session):
    lyon, _ = factories.lyon_and_grenoble(session)
    person = a_file_with_free_texts(session, lyon, MARKER, on=ON, partner_name="Foyer")
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon))
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))

    [goal] = pathway.list_goals(session, chef, person.id)
    assert (goal.goal, goal.actions) == (f"{MARKER}-goal", f"{MARKER}-actions")
    assert [r.reason for r in partners.list_referrals(session, chef, person.id)] == [f"{MARKER}-referral"]
    assert [o.employer_sector for o in partners.list_outcomes(session, chef, person.id)] == [f"{MARKER}-sector"]
    assert [a.comment for a in assessments.list_assessments(session, chef, person.id)] == [f"{MARKER}-comment"]
    assert [t.destination for t in assessments.list_transitions(session, chef, person.id)] == [f"{MARKER}-destination"]
    details = [event.detail for event in timeline.person_timeline(session, chef, person.id, cipher=KEY)]
    assert f"{MARKER}-closing" in details and f"{MARKER}-referral" in details

    [goal] = pathway.list_goals(session, direction, person.id)
    assert (goal.axis, goal.goal, goal.actions) == ("housing", None, None)
    assert [r.reason for r in partners.list_referrals(session, direction, person.id)] == [None]
    shown = repr(timeline.person_timeline(session, direction, person.id, cipher=KEY))
    assert MARKER not in shown


def sqlite_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as on disk."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_no_byte_of_the_sqlite_files_holds_a_free_text(tmp_path):
    path = tmp_path / "at-rest.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade_to_head(engine)
        with unit_of_work(engine) as session:
            lyon, _ = factories.lyon_and_grenoble(session)
            a_file_with_free_texts(session, lyon, MARKER, on=ON, partner_name="Foyer Zqwx-Control")
            session.commit()
        on_disk = sqlite_bytes(path)
        assert b"Zqwx-Control" in on_disk  # the scan sees what is written in clear
        assert MARKER.encode() not in on_disk and b"Zqwx" not in on_disk.replace(b"Zqwx-Control", b"")
    finally:
        engine.dispose()


def test_an_engine_without_a_cipher_refuses_to_store_free_text(tmp_path):
    path = tmp_path / "bare.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    del engine.dialect.field_cipher
    try:
        with Session(engine) as session, pytest.raises(sa.exc.StatementError, match="no field cipher"):
            lyon, _ = factories.lyon_and_grenoble(session)
            a_file_with_free_texts(session, lyon, MARKER, on=ON, partner_name="Foyer")
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", backends())
def test_the_demo_data_stores_its_free_texts_encrypted(backend):
    """The seed writes in bulk (COPY on PostgreSQL, which skips SQLAlchemy's types): still tokens."""
    values = []
    with (
        demo_data_engine(backend, "freetext", as_of=date(2026, 11, 18), cipher=KEY) as engine,
        engine.connect() as connection,
    ):
        for table, column, _suffix in FREE_TEXT_COLUMNS:
            values += connection.execute(text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")).scalars()
    assert len(values) > 100
    assert [value for value in values if not value.startswith("gAAAAA")] == []
