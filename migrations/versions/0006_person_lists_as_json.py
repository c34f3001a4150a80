"""a person's languages and income sources as JSON arrays instead of comma-separated text

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 22:30:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTS = ("languages", "income_sources")
OLD_LENGTH = {"languages": 120, "income_sources": 200}


def _copy(convert, source_suffix: str, source_type, target_suffix: str, target_type) -> None:
    """Rewrite every person's lists from the `source` columns into the `target` ones."""
    connection = op.get_bind()
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        *(sa.column(f"{name}{source_suffix}", source_type) for name in LISTS),
        *(sa.column(f"{name}{target_suffix}", target_type) for name in LISTS),
    )
    rows = connection.execute(
        sa.select(person.c.id, *(person.c[f"{name}{source_suffix}"] for name in LISTS)).order_by(person.c.id)
    ).all()
    for row in rows:
        values = {f"{name}{target_suffix}": convert(row[index + 1]) for index, name in enumerate(LISTS)}
        connection.execute(sa.update(person).where(person.c.id == row[0]).values(**values))


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        for name in LISTS:
            batch_op.add_column(sa.Column(f"{name}_new", sa.JSON(), nullable=True))
    _copy(lambda text: [code for code in (text or "").split(",") if code], "", sa.String(), "_new", sa.JSON())
    with op.batch_alter_table("person", schema=None) as batch_op:
        for name in LISTS:
            batch_op.drop_column(name)
            batch_op.alter_column(f"{name}_new", new_column_name=name, existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        for name in LISTS:
            batch_op.add_column(sa.Column(f"{name}_old", sa.String(length=OLD_LENGTH[name]), nullable=True))
    _copy(lambda value: ",".join(_as_list(value)) or None, "", sa.JSON(), "_old", sa.String())
    with op.batch_alter_table("person", schema=None) as batch_op:
        for name in LISTS:
            batch_op.drop_column(name)
            batch_op.alter_column(f"{name}_old", new_column_name=name, existing_type=sa.String(OLD_LENGTH[name]))


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)
