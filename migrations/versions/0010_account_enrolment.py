"""enrolment codes: the holder of an account sets its password (or links a single sign-on identity) with
a single-use code

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.types

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "created",
                "reactivated",
                "reset",
                name="enrolmentreason",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", models.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_digest"),
    )
    with op.batch_alter_table("account_enrolment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_enrolment_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_identity", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_app_user_sso_identity"), ["sso_identity"])


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_app_user_sso_identity"), type_="unique")
        batch_op.drop_column("sso_identity")
    with op.batch_alter_table("account_enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_enrolment_user_id"))
    op.drop_table("account_enrolment")
