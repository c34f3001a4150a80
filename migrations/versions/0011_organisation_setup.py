"""organisation setup: the association row (name, demo marker) and the association's strands

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:15:00

A database seeded before this revision is recognised by its demo accounts and marked as demo data,
so an existing demo install keeps its banner and its accounts list.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UtcDateTime, utcnow

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    association = op.create_table(
        "association",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=True),
        sa.Column("holds_demo_data", sa.Boolean(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_association_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "organisation_strand",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    connection = op.get_bind()
    app_user = sa.table("app_user", sa.column("is_demo", sa.Boolean))
    seeded = connection.execute(sa.select(sa.literal(1)).where(app_user.c.is_demo == sa.true()).limit(1)).first()
    if seeded is not None:
        now = utcnow()
        op.execute(association.insert().values(id=1, name=None, holds_demo_data=True, created_at=now, updated_at=now))


def downgrade() -> None:
    op.drop_table("organisation_strand")
    op.drop_table("association")
