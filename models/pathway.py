"""A person's pathway: barriers, action-plan goals and the legal exit pathway (PSP)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from i18n import N_
from models.base import Timestamped, Versioned, site_fk
from models.types import EncryptedText, UtcDateTime, enum_type


class Barrier(StrEnum):
    HOUSING = "housing"
    HEALTH = "health"
    FAMILY = "family"
    MOBILITY = "mobility"
    FRENCH = "french"
    ADMINISTRATIVE = "administrative"
    FINANCES = "finances"
    DIGITAL = "digital"
    SAFETY = "safety"  # danger from the network, violence, threats
    LEGAL = "legal"  # proceedings, complaint, victim status

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.HOUSING: N_("Logement"),
            cls.HEALTH: N_("Santé"),
            cls.FAMILY: N_("Famille / garde d'enfants"),
            cls.MOBILITY: N_("Mobilité"),
            cls.FRENCH: N_("Français"),
            cls.ADMINISTRATIVE: N_("Situation administrative"),
            cls.FINANCES: N_("Ressources / dettes"),
            cls.DIGITAL: N_("Accès au numérique"),
            cls.SAFETY: N_("Sécurité (menaces, réseau, violences)"),
            cls.LEGAL: N_("Situation juridique (plainte, procédures)"),
        }


class BarrierSeverity(StrEnum):
    NONE = "none"
    PARTIAL = "partial"
    MAJOR = "major"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.NONE: N_("Aucun"),
            cls.PARTIAL: N_("Partiel"),
            cls.MAJOR: N_("Majeur"),
        }


class GoalAxis(StrEnum):
    EMPLOYMENT = "employment"
    TRAINING = "training"
    FRENCH = "french"
    HOUSING = "housing"
    HEALTH = "health"
    ADMINISTRATIVE = "administrative"
    SOCIAL = "social"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.EMPLOYMENT: N_("Emploi"),
            cls.TRAINING: N_("Formation"),
            cls.FRENCH: N_("Français"),
            cls.HOUSING: N_("Logement"),
            cls.HEALTH: N_("Santé"),
            cls.ADMINISTRATIVE: N_("Administratif"),
            cls.SOCIAL: N_("Vie sociale"),
        }


class GoalStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    ABANDONED = "abandoned"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.OPEN: N_("À démarrer"),
            cls.IN_PROGRESS: N_("En cours"),
            cls.ACHIEVED: N_("Atteint"),
            cls.ABANDONED: N_("Abandonné"),
        }


class CommissionOpinion(StrEnum):
    PENDING = "pending"
    FAVOURABLE = "favourable"
    UNFAVOURABLE = "unfavourable"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PENDING: N_("En attente"),
            cls.FAVOURABLE: N_("Avis favorable"),
            cls.UNFAVOURABLE: N_("Avis défavorable"),
        }


class PrefectDecision(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PENDING: N_("En attente"),
            cls.GRANTED: N_("Accordé"),
            cls.REFUSED: N_("Refusé"),
        }


class BarrierAssessment(Versioned, table=True):
    """One rating of one barrier on one date; history is kept, the latest row is current.

    A rating entered by mistake is corrected in place, and only the latest of its barrier (an older one
    was already followed by a new assessment: what happened next is the new one's): `severity` is then
    the corrected level, `entered_severity` the level first entered, `corrected_at` / `corrected_by_id`
    when and by whom (the audit log has every correction). The history shows the correction as such."""

    __tablename__ = "barrier_assessment"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    assessed_on: date = Field(nullable=False)
    barrier: Barrier = Field(sa_type=enum_type(Barrier), nullable=False)
    severity: BarrierSeverity = Field(sa_type=enum_type(BarrierSeverity), nullable=False)
    assessor_id: int | None = Field(default=None, foreign_key="app_user.id")
    entered_severity: BarrierSeverity | None = Field(default=None, sa_type=enum_type(BarrierSeverity))
    corrected_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    corrected_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class ActionGoal(Versioned, table=True):
    __tablename__ = "action_goal"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    axis: GoalAxis = Field(sa_type=enum_type(GoalAxis), nullable=False)
    goal: str = Field(sa_type=EncryptedText, nullable=False)  # free text: encrypted at rest
    actions: str | None = Field(default=None, sa_type=EncryptedText)
    due_on: date | None = Field(default=None)
    status: GoalStatus = Field(default=GoalStatus.OPEN, sa_type=enum_type(GoalStatus), nullable=False)
    closed_on: date | None = Field(default=None)


class PspEpisode(Versioned, table=True):
    """A parcours de sortie de la prostitution (loi 2016-444), with its APS and AFIS."""

    __tablename__ = "psp_episode"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    requested_on: date = Field(nullable=False)
    commission_on: date | None = Field(default=None)
    commission_opinion: CommissionOpinion = Field(
        default=CommissionOpinion.PENDING, sa_type=enum_type(CommissionOpinion), nullable=False
    )
    prefect_decision: PrefectDecision = Field(
        default=PrefectDecision.PENDING, sa_type=enum_type(PrefectDecision), nullable=False
    )
    decided_on: date | None = Field(default=None)
    aps_start_on: date | None = Field(default=None)
    aps_end_on: date | None = Field(default=None)
    afis_start_on: date | None = Field(default=None)
    afis_end_on: date | None = Field(default=None)
    afis_monthly_cents: int | None = Field(default=None)
    ended_on: date | None = Field(default=None)


class PspPeriod(Timestamped, table=True):
    """A 6-month authorisation period; renewals may not take the episode past 24 months."""

    __tablename__ = "psp_period"
    # « À faire »: the periods of a site ending soon.
    __table_args__ = (sa.Index("ix_psp_period_site_end", "site_id", "end_on"),)

    id: int | None = Field(default=None, primary_key=True)
    episode_id: int = Field(foreign_key="psp_episode.id", index=True, nullable=False)
    site_id: int = site_fk()
    start_on: date = Field(nullable=False)
    end_on: date = Field(nullable=False)
    is_renewal: bool = Field(default=False, nullable=False)
