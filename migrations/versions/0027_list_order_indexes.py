"""the lists of every site's outreach rounds and workshop sessions read a page in order

Revision ID: 0027
Create Date: 2026-12-07 05:40:00

Upgrade: `ix_outreach_round_list_order` on outreach_round (round_on, start_time, id) and
`ix_workshop_session_list_order` on workshop_session (session_on, start_time, id), the order of the lists
« Aller-vers » and « Ateliers » (newest first, a page at a time: services.activities.outreach.list_rounds,
services.activities.workshops.sessions.list_sessions). The per-site indexes (site_id, day) serve one site's
list; a direction's list, every site together, sorted every round or past session of the association at each
page (large dataset, SQLite: 12 ms for the rounds, 7 ms for the sessions); with these indexes it reads the
first page in order (0.04 ms).
Downgrade: the two indexes are dropped.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outreach_round") as batch_op:
        batch_op.create_index("ix_outreach_round_list_order", ["round_on", "start_time", "id"], unique=False)
    with op.batch_alter_table("workshop_session") as batch_op:
        batch_op.create_index("ix_workshop_session_list_order", ["session_on", "start_time", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workshop_session") as batch_op:
        batch_op.drop_index("ix_workshop_session_list_order")
    with op.batch_alter_table("outreach_round") as batch_op:
        batch_op.drop_index("ix_outreach_round_list_order")
