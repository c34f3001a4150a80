"""« À faire » reads its open files not seen since a day, and one's own workshop sessions, through an index

Revision ID: 0031
Create Date: 2026-12-07 22:00:00

Upgrade:
- person: `ix_person_site_status_contact` (site_id, status, last_contact_on, intake_on) in place of
  `ix_person_site_status` (site_id, status), its first two columns, which it serves as well. « Sans contact »
  (services.worklist, the caseload's « sans contact depuis 3 mois ») asks for a site's open files whose last
  contact, or intake when never contacted, is on or before a day: through (site, last contact) and (site, intake)
  it read every file of the site, closed ones included, and every file ever taken in to find those never
  contacted (Lyon on the large dataset: 3,637 files for 189 listed, 3.3 ms on SQLite); through this one it
  reads the 189 (0.3 ms).
- workshop_facilitator: `ix_workshop_facilitator_user` (user_id, session_id). Its key (session_id, user_id)
  finds a session's facilitators; a facilitator's sessions (« À faire »'s rolls not taken) read the whole table
  (42,564 rows at the large size, 1.4 ms on SQLite).
Downgrade: the former person index is put back and the two indexes dropped.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_person_site_status_contact", "person", ["site_id", "status", "last_contact_on", "intake_on"], unique=False
    )
    op.drop_index("ix_person_site_status", table_name="person")
    op.create_index("ix_workshop_facilitator_user", "workshop_facilitator", ["user_id", "session_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_workshop_facilitator_user", table_name="workshop_facilitator")
    op.create_index("ix_person_site_status", "person", ["site_id", "status"], unique=False)
    op.drop_index("ix_person_site_status_contact", table_name="person")
