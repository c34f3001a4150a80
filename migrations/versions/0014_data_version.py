"""data versions: one counter per table that every committed write moves, for exact caches of aggregates

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 14:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name"),
    )
    op.bulk_insert(table, [{"table_name": "#epoch", "version": secrets.randbelow(2**62)}])


def downgrade() -> None:
    op.drop_table("data_version")
