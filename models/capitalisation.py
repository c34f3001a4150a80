"""Capitalisation of field practice: practice notes, the published figures they cite, guides and chapters.

The national project officers (role charge_mission) write practice notes and assemble them into guides (one on
outreach, one on socio-professional integration); the teams of a site propose notes from their site. A note
is about a practice, never a person: its text is not personal data (services/capitalisation refuses a person
code in it), so it is stored in clear. The figures a note cites are references to the publication grid of a
grant (services/reporting/publication): grant, grid period, indicator; their values are read, disclosure-
controlled, when the note is shown or exported, never stored.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from i18n import N_
from models.base import Timestamped, Versioned, site_fk
from models.types import enum_type


class PracticeStrand(StrEnum):
    """The strand of a note, and of the guide it may go into."""

    OUTREACH = "outreach"
    INTEGRATION = "integration"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.OUTREACH: N_("Aller-vers"),
            cls.INTEGRATION: N_("Insertion socio-professionnelle"),
        }


class PracticeTheme(StrEnum):
    """What practice a note describes (stored as its value; never delete one)."""

    ONLINE_OUTREACH = "online_outreach"
    STREET_OUTREACH = "street_outreach"
    SELF_ESTEEM_WORKSHOP = "self_esteem_workshop"
    FRENCH_FIRST_STEP = "french_first_step"
    EMPLOYMENT_PARTNERS = "employment_partners"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.ONLINE_OUTREACH: N_("Aller-vers en ligne"),
            cls.STREET_OUTREACH: N_("Maraudes de rue"),
            cls.SELF_ESTEEM_WORKSHOP: N_("Atelier estime de soi"),
            cls.FRENCH_FIRST_STEP: N_("Le français comme premier pas"),
            cls.EMPLOYMENT_PARTNERS: N_("Travail avec les partenaires de l'emploi"),
            cls.OTHER: N_("Autre pratique"),
        }


class NoteStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    VALIDATED = "validated"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.DRAFT: N_("Brouillon"),
            cls.PROPOSED: N_("Proposée"),
            cls.VALIDATED: N_("Validée"),
        }


class PracticeNote(Versioned, table=True):
    __tablename__ = "practice_note"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = site_fk()
    strand: PracticeStrand = Field(sa_type=enum_type(PracticeStrand), nullable=False)
    theme: PracticeTheme = Field(sa_type=enum_type(PracticeTheme), nullable=False)
    title: str = Field(max_length=160, nullable=False)
    body: str = Field(sa_type=sa.Text, nullable=False)
    status: NoteStatus = Field(sa_type=enum_type(NoteStatus), nullable=False)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")


class PracticeNoteFigure(SQLModel, table=True):
    """A published figure a note cites: an indicator of a grant's publication grid, on one grid period, for
    the note's site."""

    __tablename__ = "practice_note_figure"
    __table_args__ = (
        sa.UniqueConstraint("note_id", "grant_id", "period_key", "indicator_key", name="uq_practice_note_figure"),
    )

    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="practice_note.id", index=True, nullable=False, ondelete="CASCADE")
    grant_id: int = Field(foreign_key="grant.id", nullable=False)
    period_key: str = Field(max_length=40, nullable=False)  # publication.GridPeriod.key
    indicator_key: str = Field(max_length=60, nullable=False)  # services.reporting._indicators.SPECS


class PracticeGuide(Timestamped, table=True):
    __tablename__ = "practice_guide"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160, unique=True, nullable=False)
    strand: PracticeStrand = Field(sa_type=enum_type(PracticeStrand), nullable=False)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")


class GuideChapter(Timestamped, table=True):
    __tablename__ = "guide_chapter"

    id: int | None = Field(default=None, primary_key=True)
    guide_id: int = Field(foreign_key="practice_guide.id", index=True, nullable=False, ondelete="CASCADE")
    position: int = Field(nullable=False)
    title: str = Field(max_length=160, nullable=False)


class ChapterNote(SQLModel, table=True):
    """A note placed in a chapter, at its position (a note may serve several guides)."""

    __tablename__ = "chapter_note"

    chapter_id: int = Field(foreign_key="guide_chapter.id", primary_key=True, ondelete="CASCADE")
    note_id: int = Field(foreign_key="practice_note.id", primary_key=True, index=True, ondelete="CASCADE")
    position: int = Field(nullable=False)
