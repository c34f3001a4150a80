"""grant payments and recruitment: payment schedule (tranches expected and received), reports due,
co-financing plan of each grant, recruitment follow-up of funded posts

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-03 20:30:00

New tables only: existing grants and posts have no schedule nor recruitment plan yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "grant_tranche",
        *_stamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("expected_cents", sa.BigInteger(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "signature",
                "interim_report",
                "final_report",
                "on_receipts",
                "scheduled",
                name="tranchecondition",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("received_cents", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["grant_id"], ["grant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grant_tranche", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_tranche_grant_id"), ["grant_id"], unique=False)

    op.create_table(
        "grant_report",
        *_stamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("interim", "final", name="reportkind", native_enum=False, create_constraint=False, length=32),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["grant_id"], ["grant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grant_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_report_grant_id"), ["grant_id"], unique=False)

    op.create_table(
        "grant_cofunding",
        *_stamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("funder_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("is_confirmed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["funder_id"], ["funder.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("grant_id", "funder_id", name="uq_grant_cofunding"),
    )
    with op.batch_alter_table("grant_cofunding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_cofunding_grant_id"), ["grant_id"], unique=False)

    op.create_table(
        "post_recruitment",
        *_stamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("planned_start_on", sa.Date(), nullable=False),
        sa.Column("advertised_on", sa.Date(), nullable=True),
        sa.Column("interviews_on", sa.Date(), nullable=True),
        sa.Column("hired_on", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id"),
    )


def downgrade() -> None:
    op.drop_table("post_recruitment")
    with op.batch_alter_table("grant_cofunding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_cofunding_grant_id"))
    op.drop_table("grant_cofunding")
    with op.batch_alter_table("grant_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_report_grant_id"))
    op.drop_table("grant_report")
    with op.batch_alter_table("grant_tranche", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_tranche_grant_id"))
    op.drop_table("grant_tranche")
