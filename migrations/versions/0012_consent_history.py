"""consent history: withdrawals and new consents of statistics and partner sharing, with their day

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00

Every existing file whose statistics or partner-sharing consent is false is carried over as a refusal
at intake: it applies to every day, as the single column did before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UtcDateTime, utcnow

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = {"statistics": "consent_statistics", "partner_sharing": "consent_partner_sharing"}


def upgrade() -> None:
    consent_change = op.create_table(
        "consent_change",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("statistics", "partner_sharing", name="consentscope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("at_intake", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_change_person_scope_day", ["person_id", "scope", "effective_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consent_change_site_id"), ["site_id"], unique=False)
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("site_id", sa.Integer),
        sa.column("intake_on", sa.Date),
        sa.column("consent_statistics", sa.Boolean),
        sa.column("consent_partner_sharing", sa.Boolean),
    )
    connection = op.get_bind()
    now = utcnow()
    for scope, column in SCOPES.items():
        refused = connection.execute(
            sa.select(person.c.id, person.c.site_id, person.c.intake_on)
            .where(person.c[column] == sa.false())
            .order_by(person.c.id)
        ).all()
        if refused:
            op.bulk_insert(
                consent_change,
                [
                    {
                        "created_at": now,
                        "updated_at": now,
                        "person_id": person_id,
                        "site_id": site_id,
                        "scope": scope,
                        "given": False,
                        "effective_on": intake_on,
                        "at_intake": True,
                        "author_id": None,
                    }
                    for person_id, site_id, intake_on in refused
                ],
            )


def downgrade() -> None:
    with op.batch_alter_table("consent_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_change_site_id"))
        batch_op.drop_index("ix_consent_change_person_scope_day")
    op.drop_table("consent_change")
