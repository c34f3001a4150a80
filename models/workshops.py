"""Professional-integration workshops: modules, sessions, enrolment, attendance, completion."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from i18n import N_
from models.attendance import AttendanceStatus
from models.base import KeptPerSiteDay, Timestamped, Versioned, kept_count, site_fk
from models.types import enum_type


class WorkshopTheme(StrEnum):
    SELF_ESTEEM = "self_esteem"
    MONEY = "money"
    WORKPLACE_BEHAVIOUR = "workplace_behaviour"
    MOBILITY = "mobility"
    KNOWING_TRADES = "knowing_trades"
    REALISTIC_PROJECT = "realistic_project"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.SELF_ESTEEM: N_("Estime de soi"),
            cls.MONEY: N_("Rapport à l'argent"),
            cls.WORKPLACE_BEHAVIOUR: N_("Savoir-être au travail"),
            cls.MOBILITY: N_("Mobilité"),
            cls.KNOWING_TRADES: N_("Connaissance des métiers"),
            cls.REALISTIC_PROJECT: N_("Construction d'un projet réaliste et réalisable"),
            cls.OTHER: N_("Autre"),
        }


class WorkshopModule(Versioned, table=True):
    """A module offered on a site (configurable per site by its chef·fe de service)."""

    __tablename__ = "workshop_module"
    __table_args__ = (sa.UniqueConstraint("site_id", "name", name="uq_workshop_module_site_name"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = site_fk()
    theme: WorkshopTheme = Field(sa_type=enum_type(WorkshopTheme), nullable=False)
    name: str = Field(max_length=120, nullable=False)
    sort_order: int = Field(default=0, nullable=False)
    is_active: bool = Field(default=True, nullable=False)


class WorkshopSession(Versioned, table=True):
    __tablename__ = "workshop_session"
    __table_args__ = (
        sa.Index("ix_workshop_session_site_date", "site_id", "session_on"),
        # The list of every site's sessions, newest first (a page at a time), read in this order.
        sa.Index("ix_workshop_session_list_order", "session_on", "start_time", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = site_fk(index=False)
    module_id: int = Field(foreign_key="workshop_module.id", index=True, nullable=False)
    session_on: date = Field(nullable=False)
    start_time: time | None = Field(default=None)
    duration_minutes: int = Field(default=120, nullable=False)
    partner_id: int | None = Field(default=None, foreign_key="partner.id")
    planned_places: int = Field(default=8, nullable=False)


class WorkshopFacilitator(SQLModel, table=True):
    __tablename__ = "workshop_facilitator"
    __table_args__ = (sa.Index("ix_workshop_facilitator_user", "user_id", "session_id"),)  # one's own sessions

    session_id: int = Field(foreign_key="workshop_session.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)


class WorkshopEnrolment(Timestamped, table=True):
    """A person enrolled in a site's workshop cycle."""

    __tablename__ = "workshop_enrolment"
    __table_args__ = (sa.UniqueConstraint("person_id", "cycle_start_on", name="uq_workshop_enrolment"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    cycle_start_on: date = Field(nullable=False)
    left_on: date | None = Field(default=None)


class WorkshopAttendance(Versioned, table=True):
    __tablename__ = "workshop_attendance"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "person_id", name="uq_workshop_attendance"),
        # The sites' figures (a session's marks, their persons' consent) read this index only.
        sa.Index("ix_workshop_attendance_session_figures", "session_id", "status", "person_id", "site_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="workshop_session.id", nullable=False)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    status: AttendanceStatus = Field(sa_type=enum_type(AttendanceStatus), nullable=False)


class WorkshopSiteDay(KeptPerSiteDay, table=True):
    """Per site × day, over the workshop marks that count in statistics (services.persons.consent.counted): the
    sessions with at least one mark, the marks « présent » and the marks recorded. The site is the session's."""

    __tablename__ = "workshop_site_day"

    sessions: int = kept_count()
    present: int = kept_count()
    recorded: int = kept_count()


class WorkshopCompletion(Timestamped, table=True):
    __tablename__ = "workshop_completion"
    __table_args__ = (sa.UniqueConstraint("person_id", "module_id", name="uq_workshop_completion"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    module_id: int = Field(foreign_key="workshop_module.id", nullable=False)
    site_id: int = site_fk()
    completed_on: date = Field(nullable=False)
