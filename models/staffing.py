"""Funded posts per site and how each is split across grants."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from i18n import N_
from models.base import Timestamped, Versioned, national_or_site_fk
from models.types import enum_type


class PostType(StrEnum):
    CIP = "cip"
    SOCIAL_WORKER = "social_worker"
    HEALTH_PROFESSIONAL = "health_professional"
    FLE_TRAINER = "fle_trainer"
    NATIONAL_PROJECT_OFFICER = "national_project_officer"
    COORDINATION = "coordination"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.CIP: N_("Conseiller·ère en insertion professionnelle (CIP)"),
            cls.SOCIAL_WORKER: N_("Travailleur·se social·e"),
            cls.HEALTH_PROFESSIONAL: N_("Professionnel·le de santé"),
            cls.FLE_TRAINER: N_("Formateur·rice FLE"),
            cls.NATIONAL_PROJECT_OFFICER: N_("Chargé·e de mission national·e"),
            cls.COORDINATION: N_("Coordination"),
        }


class Post(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = national_or_site_fk()  # None: a national post (no site)
    post_type: PostType = Field(sa_type=enum_type(PostType), nullable=False)
    # Full-time equivalent in hundredths (80 = 0,8 ETP) to stay exact.
    fte_hundredths: int = Field(nullable=False)
    monthly_cost_cents: int = Field(nullable=False)  # loaded cost (salaire chargé)
    starts_on: date = Field(nullable=False)
    ends_on: date | None = Field(default=None)
    is_filled: bool = Field(default=True, nullable=False)
    # Date the post became filled or vacant, for vacancy durations.
    status_since: date = Field(nullable=False)
    holder_name: str | None = Field(default=None, max_length=120)  # staff member, not a beneficiary


class PostFunding(Timestamped, table=True):
    """Share of a post charged to a grant, in basis points; a post's shares sum to 10 000."""

    __tablename__ = "post_funding"
    __table_args__ = (sa.UniqueConstraint("post_id", "grant_id", name="uq_post_funding"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, nullable=False)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    share_bp: int = Field(nullable=False)
    # The strand whose "64 – Charges de personnel" line (on the post's site) receives the cost.
    strand_id: int | None = Field(default=None, foreign_key="strand.id")


class PostStatusChange(Timestamped, table=True):
    """History of a post: each date it became filled (with its holder) or vacant.

    Vacancy durations, FTE filled over time and the months whose salary is charged are read here;
    Post.is_filled / status_since keep the current state for the quick figures.
    """

    __tablename__ = "post_status_change"
    __table_args__ = (sa.Index("ix_post_status_change_post_date", "post_id", "changed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", nullable=False)
    changed_on: date = Field(nullable=False)
    is_filled: bool = Field(nullable=False)
    holder_name: str | None = Field(default=None, max_length=120)  # staff member, not a beneficiary
