"""national posts: a post, budget line or expense may belong to no site (NULL site_id: « National »)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 15:00:00

- post.site_id, budget_line.site_id, expense.site_id become nullable: NULL is the association as a whole
  (the national project officers, the national coordination of a project), which only association-wide
  roles see;
- uq_budget_line (grant, strand, site, category) lets two NULL sites through: a partial unique index on
  (grant, strand, category) WHERE site_id IS NULL refuses a second national line of a category.
Down: refused while a national row exists (there is no site to give it back); move or delete them first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("post", "budget_line", "expense")
NATIONAL = sa.text("site_id IS NULL")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("site_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("budget_line", schema=None) as batch_op:
        batch_op.create_index(
            "uq_budget_line_national",
            ["grant_id", "strand_id", "category"],
            unique=True,
            sqlite_where=NATIONAL,
            postgresql_where=NATIONAL,
        )


def downgrade() -> None:
    bind = op.get_bind()
    national = {
        table: bind.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE site_id IS NULL")).scalar_one()
        for table in TABLES
    }
    if any(national.values()):
        counts = ", ".join(f"{table}: {count}" for table, count in national.items() if count)
        raise RuntimeError(
            f"Cannot downgrade below 0023: national rows (no site) exist ({counts}). "
            "Give them a site or delete them first; revision 0022 requires a site on every post, budget line "
            "and expense."
        )
    with op.batch_alter_table("budget_line", schema=None) as batch_op:
        batch_op.drop_index("uq_budget_line_national", sqlite_where=NATIONAL, postgresql_where=NATIONAL)
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("site_id", existing_type=sa.Integer(), nullable=False)
