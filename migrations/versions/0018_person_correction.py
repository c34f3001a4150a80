"""person correction: history of the fields of a file corrected on request (GDPR art. 16)

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-03 17:00:00

A new table only: existing files have no correction yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_correction",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("field_name", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("moves_published", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("person_correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_correction_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_correction_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_correction_site_id"))
        batch_op.drop_index(batch_op.f("ix_person_correction_person_id"))
    op.drop_table("person_correction")
