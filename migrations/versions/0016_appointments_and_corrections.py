"""appointments and accompaniments of a person; corrections of barrier ratings

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 17:00:00

- appointment: one row per interview, accompaniment, home visit or call (its note encrypted).
- barrier_assessment: a version (optimistic lock of a correction; existing rows start at 1), and the level
  first entered, when and by whom a rating was corrected (empty for every existing row: none was).

The new outcome categories and types, partner kinds and barriers need no schema change: enums are stored
by value in VARCHAR(32) columns without a CHECK constraint (models.types.enum_type); the existing rows keep
their values.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import EncryptedText, UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "interview",
    "accompaniment_prefecture",
    "accompaniment_caf",
    "accompaniment_cpam",
    "accompaniment_france_travail",
    "accompaniment_health",
    "accompaniment_justice",
    "accompaniment_housing",
    "accompaniment_other",
    "home_visit",
    "phone_call",
)
SEVERITIES = ("none", "partial", "major")


def upgrade() -> None:
    op.create_table(
        "appointment",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("appointment_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="appointmentkind", native_enum=False, length=32), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("interpreter_language", sa.String(length=3), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("note", EncryptedText(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.ForeignKeyConstraint(["worker_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_site_date", ["site_id", "appointment_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("barrier_assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column(
                "entered_severity",
                sa.Enum(*SEVERITIES, name="barrierseverity", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("corrected_at", UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("corrected_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_barrier_assessment_corrected_by_id_app_user", "app_user", ["corrected_by_id"], ["id"]
        )
    # The default only filled the existing rows: the model gives the version.
    with op.batch_alter_table("barrier_assessment", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("barrier_assessment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_barrier_assessment_corrected_by_id_app_user", type_="foreignkey")
        batch_op.drop_column("corrected_by_id")
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("entered_severity")
        batch_op.drop_column("version")

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_person_id"))
        batch_op.drop_index("ix_appointment_site_date")
    op.drop_table("appointment")
