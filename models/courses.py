"""Adapted French courses: groups, sessions, attendance, CECRL assessments, certifications."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from i18n import N_
from models.attendance import AttendanceStatus
from models.base import KeptPerSiteDay, Timestamped, Versioned, kept_count, site_fk
from models.types import EncryptedText, enum_type


class LearnerProfile(StrEnum):
    ALPHA = "alpha"
    POST_ALPHA = "post_alpha"
    FLE = "fle"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.ALPHA: N_("Alphabétisation"),
            cls.POST_ALPHA: N_("Post-alphabétisation"),
            cls.FLE: N_("FLE"),
        }


class CefrLevel(StrEnum):
    """CECRL levels in ascending order: compare with `rank`, never with the string."""

    PRE_A1 = "pre_a1"
    A1_1 = "a1_1"
    A1 = "a1"
    A2 = "a2"
    B1 = "b1"
    B2 = "b2"
    C1 = "c1"
    C2 = "c2"

    @property
    def rank(self) -> int:
        return list(CefrLevel).index(self)

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PRE_A1: N_("Pré-A1"),
            cls.A1_1: N_("A1.1"),
            cls.A1: N_("A1"),
            cls.A2: N_("A2"),
            cls.B1: N_("B1"),
            cls.B2: N_("B2"),
            cls.C1: N_("C1"),
            cls.C2: N_("C2"),
        }


class LanguageSkill(StrEnum):
    LISTENING = "listening"  # compréhension orale
    READING = "reading"  # compréhension écrite
    SPEAKING = "speaking"  # expression orale
    WRITING = "writing"  # expression écrite

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.LISTENING: N_("Compréhension orale"),
            cls.READING: N_("Compréhension écrite"),
            cls.SPEAKING: N_("Expression orale"),
            cls.WRITING: N_("Expression écrite"),
        }


class Certification(StrEnum):
    DILF_A1_1 = "dilf_a1_1"
    DELF_A1 = "delf_a1"
    DELF_A2 = "delf_a2"
    DELF_B1 = "delf_b1"
    DELF_B2 = "delf_b2"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.DILF_A1_1: N_("DILF (A1.1)"),
            cls.DELF_A1: N_("DELF A1"),
            cls.DELF_A2: N_("DELF A2"),
            cls.DELF_B1: N_("DELF B1"),
            cls.DELF_B2: N_("DELF B2"),
        }


class CertificationResult(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PENDING: N_("En attente"),
            cls.PASSED: N_("Obtenu"),
            cls.FAILED: N_("Non obtenu"),
        }


class CourseGroup(Versioned, table=True):
    __tablename__ = "course_group"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = site_fk()
    name: str = Field(max_length=120, nullable=False)
    profile: LearnerProfile = Field(sa_type=enum_type(LearnerProfile), nullable=False)
    target_level: CefrLevel = Field(sa_type=enum_type(CefrLevel), nullable=False)
    schedule: str | None = Field(default=None, max_length=200)  # e.g. "mardi et jeudi 9h30–12h"
    starts_on: date = Field(nullable=False)
    ends_on: date | None = Field(default=None)


class CourseTeacher(SQLModel, table=True):
    __tablename__ = "course_teacher"

    group_id: int = Field(foreign_key="course_group.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)


class CourseEnrolment(Timestamped, table=True):
    __tablename__ = "course_enrolment"
    __table_args__ = (sa.UniqueConstraint("group_id", "person_id", name="uq_course_enrolment"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="course_group.id", nullable=False)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    enrolled_on: date = Field(nullable=False)
    left_on: date | None = Field(default=None)


class CourseSession(Versioned, table=True):
    __tablename__ = "course_session"
    __table_args__ = (
        sa.Index("ix_course_session_site_date", "site_id", "session_on"),
        sa.Index("ix_course_session_group_date", "group_id", "session_on"),  # « À faire »: last sessions
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="course_group.id", index=True, nullable=False)
    site_id: int = site_fk(index=False)
    session_on: date = Field(nullable=False)
    start_time: time | None = Field(default=None)
    duration_minutes: int = Field(default=150, nullable=False)


class CourseAttendance(Versioned, table=True):
    __tablename__ = "course_attendance"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "person_id", name="uq_course_attendance"),
        # Hours attended per learner (present rows joined to their sessions) read this index only.
        sa.Index("ix_course_attendance_person_status_session", "person_id", "status", "session_id"),
        # The sites' figures (a session's present marks, their persons' consent) read this index only.
        sa.Index("ix_course_attendance_session_figures", "session_id", "status", "person_id", "site_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="course_session.id", nullable=False)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    status: AttendanceStatus = Field(sa_type=enum_type(AttendanceStatus), nullable=False)


class CoursePresenceDay(SQLModel, table=True):
    """Per person × day with a class where the person was marked present (any group): the minutes of those classes.

    Kept by the database, never written by the app: triggers on course_attendance and course_session compute
    the rows of the persons and days a mark or a class's day or length changes, in the write's transaction
    (migration 0029, which says how to keep them when a migration recreates either table). A read of it
    depends on those two tables (services.platform.data_version.DERIVED_FROM)."""

    __tablename__ = "course_presence_day"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    day: date = Field(primary_key=True)
    minutes: int = Field(nullable=False)


class CourseSiteDay(KeptPerSiteDay, table=True):
    """Per site × day, over the French-class marks « présent » that count in statistics
    (services.persons.consent.counted): the minutes of their classes (a class's length once per mark). The site is
    the class's."""

    __tablename__ = "course_site_day"

    minutes: int = kept_count()


class LanguageAssessment(Timestamped, table=True):
    """A positioning (first) or re-assessment of one skill on the CECRL scale."""

    __tablename__ = "language_assessment"
    __table_args__ = (sa.Index("ix_language_assessment_person_skill", "person_id", "skill", "assessed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", nullable=False)
    site_id: int = site_fk()
    group_id: int | None = Field(default=None, foreign_key="course_group.id")
    assessed_on: date = Field(nullable=False)
    skill: LanguageSkill = Field(sa_type=enum_type(LanguageSkill), nullable=False)
    level: CefrLevel = Field(sa_type=enum_type(CefrLevel), nullable=False)
    is_positioning: bool = Field(default=False, nullable=False)
    comment: str | None = Field(default=None, sa_type=EncryptedText)  # free text: encrypted at rest
    assessor_id: int | None = Field(default=None, foreign_key="app_user.id")


class LanguageLevelSummary(SQLModel, table=True):
    """Per person × skill, over the assessments that count in statistics (services.persons.consent.counted):
    the first one, the first above its level on a later day (the first level gain), and the latest one's rank.

    Kept by the database, never written by the app: triggers on language_assessment and consent_change
    compute a person's rows again in the transaction of each write of theirs (migration 0028, which says how
    to keep them when a migration recreates either table). A read of it depends on those two tables
    (services.platform.data_version.DERIVED_FROM). Ranks are CefrLevel.rank."""

    __tablename__ = "language_level_summary"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    skill: LanguageSkill = Field(sa_type=enum_type(LanguageSkill), primary_key=True)
    first_on: date = Field(nullable=False)
    first_rank: int = Field(nullable=False)
    gain_on: date | None = Field(default=None)
    gain_rank: int | None = Field(default=None)
    latest_rank: int = Field(nullable=False)


class CertificationAttempt(Timestamped, table=True):
    __tablename__ = "certification_attempt"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    certification: Certification = Field(sa_type=enum_type(Certification), nullable=False)
    attempted_on: date = Field(nullable=False)
    result: CertificationResult = Field(
        default=CertificationResult.PENDING, sa_type=enum_type(CertificationResult), nullable=False
    )


class MainstreamTransition(Timestamped, table=True):
    """A learner moves on to a mainstream (droit commun) French course."""

    __tablename__ = "mainstream_transition"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    moved_on: date = Field(nullable=False)
    # Free text, encrypted at rest; None once the file is anonymised.
    destination: str | None = Field(default=None, sa_type=EncryptedText)
