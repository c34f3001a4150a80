"""Cerfa 15059 complete: produits and contributions volontaires of a grant, 65 to 68 kept apart

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-03 20:30:00

- grant_resource: a new table (existing grants have no other produit yet; the grant's own subsidy is not
  stored there);
- budget lines and deviation notes of the old merged category "65-68" become "65" (autres charges de
  gestion courante; 66, 67, 68 are new). Down: the lines of 65 to 68 of one strand × site are merged back
  into one "65-68" line (their planned amounts added, their expenses and revisions moved to it), and their
  deviation notes into the first one (the others' explanations are lost going down).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPLIT = ("65", "66", "67", "68")


def upgrade() -> None:
    op.create_table(
        "grant_resource",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column(
            "account",
            sa.Enum(
                "70",
                "73",
                "74",
                "75",
                "756",
                "758",
                "76",
                "77",
                "78",
                "860",
                "861",
                "862",
                "864",
                "870",
                "871",
                "875",
                name="resourceaccount",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("funder_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("planned_cents", sa.BigInteger(), nullable=False),
        sa.Column("actual_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["funder_id"], ["funder.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grant_resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_resource_grant_id"), ["grant_id"], unique=False)
    op.execute("UPDATE budget_line SET category = '65' WHERE category = '65-68'")
    op.execute("UPDATE budget_deviation_note SET category = '65' WHERE category = '65-68'")


def downgrade() -> None:
    bind = op.get_bind()
    split = ", ".join(f"'{code}'" for code in SPLIT)
    groups = bind.execute(
        sa.text(
            f"SELECT grant_id, strand_id, site_id, MIN(id), SUM(planned_cents) FROM budget_line "
            f"WHERE category IN ({split}) GROUP BY grant_id, strand_id, site_id"
        )
    ).all()
    for grant_id, strand_id, site_id, keep, planned in groups:
        others = [
            row[0]
            for row in bind.execute(
                sa.text(
                    f"SELECT id FROM budget_line WHERE grant_id = :g AND strand_id = :s AND site_id = :site "
                    f"AND category IN ({split}) AND id <> :keep"
                ),
                {"g": grant_id, "s": strand_id, "site": site_id, "keep": keep},
            ).all()
        ]
        for other in others:
            for table, column in (
                ("expense", "budget_line_id"),
                ("budget_revision", "from_line_id"),
                ("budget_revision", "to_line_id"),
            ):
                bind.execute(
                    sa.text(f"UPDATE {table} SET {column} = :keep WHERE {column} = :other"),
                    {"keep": keep, "other": other},
                )
            bind.execute(sa.text("DELETE FROM budget_line WHERE id = :other"), {"other": other})
        bind.execute(
            sa.text("UPDATE budget_line SET category = '65-68', planned_cents = :p WHERE id = :keep"),
            {"p": planned, "keep": keep},
        )
    notes = bind.execute(
        sa.text(f"SELECT grant_id, MIN(id) FROM budget_deviation_note WHERE category IN ({split}) GROUP BY grant_id")
    ).all()
    for grant_id, keep in notes:
        bind.execute(
            sa.text(f"DELETE FROM budget_deviation_note WHERE grant_id = :g AND category IN ({split}) AND id <> :k"),
            {"g": grant_id, "k": keep},
        )
        bind.execute(sa.text("UPDATE budget_deviation_note SET category = '65-68' WHERE id = :k"), {"k": keep})
    with op.batch_alter_table("grant_resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_resource_grant_id"))
    op.drop_table("grant_resource")
