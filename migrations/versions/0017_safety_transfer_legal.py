"""safety flag, file transfers between sites, legal and victim-status follow-up

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 17:00:00

Three new tables, empty at first: person_safety_change (danger flag and safe-contact instructions,
history), person_transfer (moves of a file between sites, old and new code), legal_event (complaint,
proceedings, victim residence permit, compensation claim). Nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.types

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_event",
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "complaint",
                "proceedings",
                "residence_permit",
                "compensation",
                name="legaleventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("event_on", sa.Date(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "investigation",
                "judicial_inquiry",
                "trial",
                "judgment",
                name="proceedingsstage",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "decision",
            sa.Enum("pending", "granted", "refused", name="legaldecision", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("place", models.types.EncryptedText(), nullable=True),
        sa.Column("notes", models.types.EncryptedText(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("legal_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_event_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_event_site_id"), ["site_id"], unique=False)

    op.create_table(
        "person_safety_change",
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("instructions", models.types.EncryptedText(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("person_safety_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_safety_change_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_safety_change_site_id"), ["site_id"], unique=False)

    op.create_table(
        "person_transfer",
        sa.Column("created_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("from_site_id", sa.Integer(), nullable=False),
        sa.Column("old_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("old_code_year", sa.Integer(), nullable=False),
        sa.Column("old_code_number", sa.Integer(), nullable=False),
        sa.Column("new_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("transferred_on", sa.Date(), nullable=False),
        sa.Column("reason", models.types.EncryptedText(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["from_site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("person_transfer", schema=None) as batch_op:
        batch_op.create_index("ix_person_transfer_from_site_year", ["from_site_id", "old_code_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_transfer_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_transfer_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_transfer_site_id"))
        batch_op.drop_index(batch_op.f("ix_person_transfer_person_id"))
        batch_op.drop_index("ix_person_transfer_from_site_year")

    op.drop_table("person_transfer")
    with op.batch_alter_table("person_safety_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_safety_change_site_id"))
        batch_op.drop_index(batch_op.f("ix_person_safety_change_person_id"))

    op.drop_table("person_safety_change")
    with op.batch_alter_table("legal_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_event_site_id"))
        batch_op.drop_index(batch_op.f("ix_legal_event_person_id"))

    op.drop_table("legal_event")
