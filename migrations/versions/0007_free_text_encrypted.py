"""free text about a person encrypted at rest; anonymised files keep an age band and a region

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:30:00

Upgrade: the free-text columns become TEXT holding Fernet tokens (models.types.EncryptedText), and
their rows are encrypted with the engine's key; the person gets `age_band` and `nationality_region`,
and the files anonymised before get what anonymisation now destroys and generalises (see
services/persons/retention.py): free text cleared, languages dropped, birth year turned into an age
band, site × age band × gender × nationality made k-anonymous, dates turned into months.
Downgrade: the texts are decrypted back into their former VARCHAR columns (what anonymisation
destroyed or generalised stays so).
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from services.persons import generalisation
from services.platform.config import get_settings
from services.platform.crypto import FieldCipher

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → column → (former length, former NOT NULL)
FREE_TEXTS: dict[str, dict[str, tuple[int, bool]]] = {
    "person": {"closed_reason": (200, False)},
    "person_status_change": {"reason": (200, False)},
    "action_goal": {"goal": (200, True), "actions": (1000, False)},
    "referral": {"reason": (200, False)},
    "outcome": {"employer_sector": (120, False)},
    "language_assessment": {"comment": (500, False)},
    "mainstream_transition": {"destination": (160, True)},
}
ANONYMISED_GOAL = "Objectif anonymisé"
ANONYMISED_DESTINATION = "Destination anonymisée"  # only for the NOT NULL column of a downgrade

# Dates of an anonymised file's records made months (services/persons/retention.py, DATED_RECORDS).
DATED: dict[str, tuple[str, ...]] = {
    "person_status_change": ("changed_on",),
    "barrier_assessment": ("assessed_on",),
    "action_goal": ("due_on", "closed_on"),
    "psp_episode": (
        "requested_on",
        "commission_on",
        "decided_on",
        "aps_start_on",
        "aps_end_on",
        "afis_start_on",
        "afis_end_on",
        "ended_on",
    ),
    "referral": ("referred_on", "result_on"),
    "outcome": ("outcome_on",),
    "language_assessment": ("assessed_on",),
    "certification_attempt": ("attempted_on",),
    "mainstream_transition": ("moved_on",),
    "workshop_completion": ("completed_on",),
}
PERSON_DATES = ("first_contact_on", "intake_on", "consent_on", "last_contact_on", "closed_on")


def _cipher() -> FieldCipher:
    """The engine's cipher (services.platform.db.make_engine), else the configured keys."""
    return getattr(op.get_bind().dialect, "field_cipher", None) or FieldCipher(get_settings().encryption_keys())


def _table(name: str, *columns: str, kind=sa.Text) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Integer), *(sa.column(column, kind) for column in columns))


def _rewrite(convert) -> None:
    """Every free-text value through `convert` (raw column values, no type processing)."""
    connection = op.get_bind()
    for name, columns in FREE_TEXTS.items():
        table = _table(name, *columns)
        updates = []
        for row in connection.execute(sa.select(table.c.id, *(table.c[c] for c in columns))).all():
            values = dict(zip(columns, row[1:], strict=True))
            if any(value is not None for value in values.values()):
                updates.append({"_id": row[0], **{f"_{c}": convert(v) for c, v in values.items()}})
        if updates:
            statement = sa.update(table).where(table.c.id == sa.bindparam("_id"))
            connection.execute(statement.values({c: sa.bindparam(f"_{c}") for c in columns}), updates)


def _anonymised_ids(connection) -> list[int]:
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("status", sa.String))
    return list(connection.execute(sa.select(person.c.id).where(person.c.status == "anonymised")).scalars())


def _finish_anonymised_files() -> None:
    """Files anonymised before this revision: destroy and generalise what anonymisation now does."""
    connection = op.get_bind()
    ids = _anonymised_ids(connection)
    if not ids:
        return
    for name, columns in FREE_TEXTS.items():
        if name == "person":
            continue
        table = sa.table(name, sa.column("person_id", sa.Integer), *(sa.column(c, sa.Text) for c in columns))
        cleared = {c: (ANONYMISED_GOAL if c == "goal" else None) for c in columns}
        connection.execute(sa.update(table).where(table.c.person_id.in_(ids)).values(**cleared))
    for name, columns in DATED.items():
        _months(connection, name, columns, ids)
    _generalise_persons(connection, ids)


def _month(day):
    if day is None:
        return None
    if isinstance(day, str):  # SQLite without type processing
        day = date.fromisoformat(day[:10])
    return day.replace(day=1)


def _months(connection, name: str, columns: tuple[str, ...], person_ids: list[int]) -> None:
    table = sa.table(
        name, sa.column("id", sa.Integer), sa.column("person_id", sa.Integer), *(sa.column(c, sa.Date) for c in columns)
    )
    rows = connection.execute(
        sa.select(table.c.id, *(table.c[c] for c in columns)).where(table.c.person_id.in_(person_ids))
    ).all()
    for row in rows:
        values = {c: _month(v) for c, v in zip(columns, row[1:], strict=True)}
        connection.execute(sa.update(table).where(table.c.id == row[0]).values(**values))


def _generalise_persons(connection, ids: list[int]) -> None:
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("site_id", sa.Integer),
        sa.column("birth_year", sa.Integer),
        sa.column("gender", sa.String),
        sa.column("nationality", sa.String),
        sa.column("intake_on", sa.Date),
        sa.column("closed_reason", sa.Text),
        sa.column("languages", sa.JSON),
        sa.column("age_band", sa.Integer),
        sa.column("nationality_region", sa.String),
    )
    rows = connection.execute(
        sa.select(
            person.c.id,
            person.c.site_id,
            person.c.birth_year,
            person.c.gender,
            person.c.nationality,
            person.c.intake_on,
        ).where(person.c.id.in_(ids))
    ).all()
    precise = {
        row.id: generalisation.precise(row.site_id, row.birth_year, row.gender, row.nationality, row.intake_on)
        for row in rows
    }
    chosen = generalisation.generalise([], precise)
    for person_id, identifiers in chosen.items():
        connection.execute(
            sa.update(person)
            .where(person.c.id == person_id)
            .values(
                birth_year=None,
                age_band=identifiers.age_band,
                gender=identifiers.gender,
                nationality=identifiers.nationality,
                nationality_region=identifiers.nationality_region,
                closed_reason=None,
                languages=[],
            )
        )
    dates = sa.table("person", sa.column("id", sa.Integer), *(sa.column(c, sa.Date) for c in PERSON_DATES))
    for row in connection.execute(
        sa.select(dates.c.id, *(dates.c[c] for c in PERSON_DATES)).where(dates.c.id.in_(ids))
    ).all():
        values = {c: _month(v) for c, v in zip(PERSON_DATES, row[1:], strict=True)}
        connection.execute(sa.update(dates).where(dates.c.id == row[0]).values(**values))


def _retype(name: str, column: str, old_type, new_type, *, nullable: bool) -> None:
    """Change a column's type. SQLite rebuilds the table for that, and rebuilding `person` (which
    every record references) fails its foreign keys inside the migration's transaction: there the
    column is added anew, copied, dropped and renamed instead (native since SQLite 3.35)."""
    if name != "person" or op.get_bind().dialect.name != "sqlite":
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old_type, type_=new_type, nullable=nullable)
        return
    op.add_column(name, sa.Column(f"{column}_retyped", new_type, nullable=nullable))
    op.execute(f"UPDATE {name} SET {column}_retyped = {column}")
    op.execute(f"ALTER TABLE {name} DROP COLUMN {column}")
    op.execute(f"ALTER TABLE {name} RENAME COLUMN {column}_retyped TO {column}")


def upgrade() -> None:
    for name, columns in FREE_TEXTS.items():
        for column, (length, _required) in columns.items():
            _retype(name, column, sa.String(length=length), sa.Text(), nullable=(column != "goal"))
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_band", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("nationality_region", sa.String(length=3), nullable=True))
    _finish_anonymised_files()
    cipher = _cipher()
    _rewrite(cipher.encrypt)


def downgrade() -> None:
    cipher = _cipher()
    _rewrite(cipher.decrypt)
    connection = op.get_bind()
    transition = _table("mainstream_transition", "destination")
    connection.execute(
        sa.update(transition).where(transition.c.destination.is_(None)).values(destination=ANONYMISED_DESTINATION)
    )
    op.drop_column("person", "nationality_region")  # not in batch: SQLite drops it without a rebuild
    op.drop_column("person", "age_band")
    for name, columns in FREE_TEXTS.items():
        for column, (length, required) in columns.items():
            _retype(name, column, sa.Text(), sa.String(length=length), nullable=not required)
