"""worklist: end of the residence permit, days without contact per site, indexes of « À faire »

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:00:00

Existing files have no permit end recorded (NULL: nothing listed until a worker enters it); every
existing site gets the default of 45 days without contact.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site") as batch:
        # The default fills existing rows and stays: a site written by SQL (an operator's script, a
        # restore from an older dump) gets the 45 days too.
        batch.add_column(sa.Column("no_contact_days", sa.Integer(), nullable=False, server_default="45"))
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("permit_ends_on", sa.Date(), nullable=True))
        batch.create_index("ix_person_site_permit_end", ["site_id", "permit_ends_on"], unique=False)
    with op.batch_alter_table("psp_period") as batch:
        batch.create_index("ix_psp_period_site_end", ["site_id", "end_on"], unique=False)
    with op.batch_alter_table("referral") as batch:
        batch.create_index("ix_referral_site_result_date", ["site_id", "result", "referred_on"], unique=False)
    with op.batch_alter_table("course_session") as batch:
        batch.create_index("ix_course_session_group_date", ["group_id", "session_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("course_session") as batch:
        batch.drop_index("ix_course_session_group_date")
    with op.batch_alter_table("referral") as batch:
        batch.drop_index("ix_referral_site_result_date")
    with op.batch_alter_table("psp_period") as batch:
        batch.drop_index("ix_psp_period_site_end")
    with op.batch_alter_table("person") as batch:
        batch.drop_index("ix_person_site_permit_end")
        batch.drop_column("permit_ends_on")
    with op.batch_alter_table("site") as batch:
        batch.drop_column("no_contact_days")
