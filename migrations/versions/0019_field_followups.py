"""field follow-ups: appointments can be edited (a version for the optimistic lock)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 20:30:00

appointment.version: every existing appointment starts at version 1, like a new one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    # The default only filled the existing rows: the model gives the version.
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("version")
