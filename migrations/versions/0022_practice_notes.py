"""practice notes: capitalisation of field practice (notes, cited figures, guides, chapters)

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-03 20:12:57

New tables only (the role charge_mission is a value of a VARCHAR column: no change there).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_guide",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column(
            "strand",
            sa.Enum("outreach", "integration", name="practicestrand", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("title"),
    )
    op.create_table(
        "practice_note",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column(
            "strand",
            sa.Enum("outreach", "integration", name="practicestrand", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "theme",
            sa.Enum(
                "online_outreach",
                "street_outreach",
                "self_esteem_workshop",
                "french_first_step",
                "employment_partners",
                "other",
                name="practicetheme",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "proposed", "validated", name="notestatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("practice_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_note_site_id"), ["site_id"], unique=False)

    op.create_table(
        "guide_chapter",
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guide_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(["guide_id"], ["practice_guide.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("guide_chapter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guide_chapter_guide_id"), ["guide_id"], unique=False)

    op.create_table(
        "practice_note_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=False),
        sa.Column("indicator_key", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grant.id"],
        ),
        sa.ForeignKeyConstraint(["note_id"], ["practice_note.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("note_id", "grant_id", "period_key", "indicator_key", name="uq_practice_note_figure"),
    )
    with op.batch_alter_table("practice_note_figure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_note_figure_note_id"), ["note_id"], unique=False)

    op.create_table(
        "chapter_note",
        sa.Column("chapter_id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["guide_chapter.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["note_id"], ["practice_note.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chapter_id", "note_id"),
    )
    with op.batch_alter_table("chapter_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chapter_note_note_id"), ["note_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chapter_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chapter_note_note_id"))

    op.drop_table("chapter_note")
    with op.batch_alter_table("practice_note_figure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_note_figure_note_id"))

    op.drop_table("practice_note_figure")
    with op.batch_alter_table("guide_chapter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guide_chapter_guide_id"))

    op.drop_table("guide_chapter")
    with op.batch_alter_table("practice_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_note_site_id"))

    op.drop_table("practice_note")
    op.drop_table("practice_guide")
