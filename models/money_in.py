"""Money coming in: the payment schedule of a grant (tranches expected and received), its reports due, its
co-financing plan, and the recruitment follow-up of the posts grants fund. Money is integer cents."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from i18n import N_
from models.base import Versioned
from models.types import enum_type


class TrancheCondition(StrEnum):
    """What releases a tranche, as the convention words it."""

    SIGNATURE = "signature"
    INTERIM_REPORT = "interim_report"
    FINAL_REPORT = "final_report"
    ON_RECEIPTS = "on_receipts"
    SCHEDULED = "scheduled"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.SIGNATURE: N_("À la signature"),
            cls.INTERIM_REPORT: N_("Après le rapport intermédiaire"),
            cls.FINAL_REPORT: N_("Après le rapport final"),
            cls.ON_RECEIPTS: N_("Sur justificatif"),
            cls.SCHEDULED: N_("À échéance fixe"),
        }


class ReportKind(StrEnum):
    INTERIM = "interim"
    FINAL = "final"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {cls.INTERIM: N_("Rapport intermédiaire"), cls.FINAL: N_("Rapport final")}


class RecruitmentStage(StrEnum):
    """Where the recruitment of a funded post stands (each later stage has its date)."""

    TO_OPEN = "to_open"
    ADVERTISED = "advertised"
    INTERVIEWS = "interviews"
    HIRED = "hired"
    STARTED = "started"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.TO_OPEN: N_("À ouvrir"),
            cls.ADVERTISED: N_("Annonce publiée"),
            cls.INTERVIEWS: N_("Entretiens"),
            cls.HIRED: N_("Recruté·e"),
            cls.STARTED: N_("En poste"),
        }


class GrantTranche(Versioned, table=True):
    """One payment the convention schedules, and what was actually received for it (date, amount)."""

    __tablename__ = "grant_tranche"

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    expected_on: date = Field(nullable=False)
    expected_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    condition: TrancheCondition = Field(sa_type=enum_type(TrancheCondition), nullable=False)
    received_on: date | None = Field(default=None)
    received_cents: int | None = Field(default=None, sa_type=sa.BigInteger)


class GrantReport(Versioned, table=True):
    """A report the convention asks for: its due date and the day it was sent."""

    __tablename__ = "grant_report"

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    kind: ReportKind = Field(sa_type=enum_type(ReportKind), nullable=False)
    due_on: date = Field(nullable=False)
    submitted_on: date | None = Field(default=None)


class GrantCofunding(Versioned, table=True):
    """Another funder expected for the same action (its amount; confirmed or still requested)."""

    __tablename__ = "grant_cofunding"
    __table_args__ = (sa.UniqueConstraint("grant_id", "funder_id", name="uq_grant_cofunding"),)

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    funder_id: int = Field(foreign_key="funder.id", nullable=False)
    amount_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    is_confirmed: bool = Field(default=False, nullable=False)


class PostRecruitment(Versioned, table=True):
    """The recruitment plan of a funded post: its planned start, and the date each stage was reached."""

    __tablename__ = "post_recruitment"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", unique=True, nullable=False)
    planned_start_on: date = Field(nullable=False)
    advertised_on: date | None = Field(default=None)
    interviews_on: date | None = Field(default=None)
    hired_on: date | None = Field(default=None)
    started_on: date | None = Field(default=None)
