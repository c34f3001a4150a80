"""0024 (the blind index of the aliases): the files already there get their tokens, keyed with the engine's
key, so the caseload finds them by alias at once; an anonymised file (no alias) gets none; going down drops
the table."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from models.persons import Person
from services.persons import alias_index
from services.platform.crypto import FieldCipher
from services.platform.db import alembic_config, downgrade_to, upgrade_to_head
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.migrations.rows import BACKENDS, STAMP

CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])  # the engine's key (the configured one)


def _before_0024() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_revision("0024").down_revision


def _matching(engine, query: str) -> set[int]:
    with Session(engine) as session:
        return set(session.exec(select(Person.id).where(alias_index.alias_condition(query, CIPHER))).all())


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_the_files_already_there_are_indexed_and_found(scratch_engine):
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, _before_0024())
    assert "person_alias_token" not in inspect(scratch_engine).get_table_names()
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
                f"VALUES (1, 'LYO', 'Lyon', 'Lyon', true, {STAMP}, {STAMP})"
            )
        )
        for person_id, alias, status in ((1, "Hélène", "active"), (2, "Blessing", "closed"), (3, None, "anonymised")):
            connection.execute(
                text(
                    "INSERT INTO person (id, code, code_year, code_number, site_id, first_contact_on, intake_on, "
                    "origin, gender, consent_on, consent_processing, consent_partner_sharing, consent_statistics, "
                    "status, version, created_at, updated_at, languages, income_sources, alias_encrypted) VALUES "
                    "(:id, :code, 2026, :id, 1, '2026-01-05', '2026-01-05', 'self', 'undisclosed', '2026-01-05', "
                    "true, false, true, :status, 1, '2026-01-05', '2026-01-05', '[]', '[]', :alias)"
                ),
                {"id": person_id, "code": f"LYO-2026-000{person_id}", "status": status, "alias": CIPHER.encrypt(alias)},
            )

    upgrade_to_head(scratch_engine)

    with scratch_engine.connect() as connection:
        counts = connection.execute(
            text("SELECT person_id, count(*) FROM person_alias_token GROUP BY person_id ORDER BY person_id")
        ).all()
    assert [tuple(row) for row in counts] == [(1, 16), (2, 16)]
    assert _matching(scratch_engine, "helene") == {1}
    assert _matching(scratch_engine, "Elène") == {1}
    assert _matching(scratch_engine, "bless") == {2}
    downgrade_to(scratch_engine, _before_0024())
    assert "person_alias_token" not in inspect(scratch_engine).get_table_names()
