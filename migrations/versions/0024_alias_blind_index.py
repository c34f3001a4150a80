"""the blind index of the aliases: the caseload's search by alias without decrypting the scope

Revision ID: 0024
Create Date: 2026-12-04 15:10:00

Upgrade: the table `person_alias_token` (keyed HMAC tokens of each alias: services/persons/alias_index.py),
filled for every file that has an alias, with the engine's key (services.platform.db.make_engine puts the
cipher on the engine, as for migration 0007; else the configured keys). Downgrade: the table is dropped.
If the rules of the tokens change later, `python -m ops.cli rotate-keys` computes them all again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.persons.alias_index import alias_tokens
from services.platform.config import get_settings
from services.platform.crypto import FieldCipher

# revision identifiers, used by Alembic.
revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _cipher() -> FieldCipher:
    """The engine's cipher (services.platform.db.make_engine), else the configured keys."""
    return getattr(op.get_bind().dialect, "field_cipher", None) or FieldCipher(get_settings().encryption_keys())


def _fill() -> None:
    connection = op.get_bind()
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("alias_encrypted", sa.Text))
    token = sa.table("person_alias_token", sa.column("token", sa.LargeBinary), sa.column("person_id", sa.Integer))
    rows = connection.execute(
        sa.select(person.c.id, person.c.alias_encrypted).where(person.c.alias_encrypted.is_not(None))
    ).all()
    if not rows:
        return
    cipher = _cipher()
    values = [
        {"token": value, "person_id": person_id}
        for person_id, alias in rows
        for value in alias_tokens(cipher.decrypt(alias), cipher)
    ]
    if values:
        connection.execute(sa.insert(token), values)


def upgrade() -> None:
    op.create_table(
        "person_alias_token",
        sa.Column("token", sa.LargeBinary(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("token", "person_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_person_alias_token_person_id", "person_alias_token", ["person_id"], unique=False)
    _fill()


def downgrade() -> None:
    op.drop_index("ix_person_alias_token_person_id", table_name="person_alias_token")
    op.drop_table("person_alias_token")
