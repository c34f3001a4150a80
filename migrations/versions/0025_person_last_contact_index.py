"""the caseload across every site in the order of last contact, without sorting every file

Revision ID: 0025
Create Date: 2026-12-05 08:15:00

Upgrade: index `ix_person_last_contact` on person (last_contact_on, id), the caseload's order
(services.persons.files.list_caseload). The per-site index (site_id, last_contact_on) serves one site's
caseload; a direction or national caseload, every site together, sorted all the files of the association at
each page (27 ms on 30,000 files, SQLite); with this index it reads the first page in order (0.1 ms).
Downgrade: the index is dropped.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.create_index("ix_person_last_contact", ["last_contact_on", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("ix_person_last_contact")
