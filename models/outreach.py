"""Outreach rounds (maraudes): counts only, nobody is identified in a round."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from i18n import N_
from models.base import Versioned, site_fk
from models.types import enum_type


class OutreachMode(StrEnum):
    STREET = "street"  # présentielle
    ONLINE = "online"  # dématérialisée

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.STREET: N_("Présentielle"),
            cls.ONLINE: N_("Dématérialisée"),
        }


class OutreachArea(StrEnum):
    """Coarse categories only: never an address or a profile name."""

    CITY_CENTRE = "city_centre"
    OUTSKIRTS = "outskirts"
    ROADSIDE_VANS = "roadside_vans"
    SALONS = "salons"
    CLASSIFIED_ADS = "classified_ads"
    ESCORT_SITES = "escort_sites"
    SOCIAL_NETWORKS = "social_networks"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.CITY_CENTRE: N_("Centre-ville"),
            cls.OUTSKIRTS: N_("Périphérie"),
            cls.ROADSIDE_VANS: N_("Camionnettes / bords de route"),
            cls.SALONS: N_("Salons de massage"),
            cls.CLASSIFIED_ADS: N_("Sites d'annonces"),
            cls.ESCORT_SITES: N_("Sites d'escorting"),
            cls.SOCIAL_NETWORKS: N_("Réseaux sociaux"),
            cls.OTHER: N_("Autre"),
        }


class OutreachRound(Versioned, table=True):
    __tablename__ = "outreach_round"
    __table_args__ = (
        sa.Index("ix_outreach_round_site_date", "site_id", "round_on"),
        # The list of every site's rounds, newest first (a page at a time), read in this order.
        sa.Index("ix_outreach_round_list_order", "round_on", "start_time", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = site_fk(index=False)
    round_on: date = Field(nullable=False)
    start_time: time | None = Field(default=None)
    duration_minutes: int = Field(nullable=False)
    mode: OutreachMode = Field(sa_type=enum_type(OutreachMode), nullable=False)
    area: OutreachArea = Field(sa_type=enum_type(OutreachArea), nullable=False)
    persons_met: int = Field(default=0, nullable=False)
    new_contacts: int = Field(default=0, nullable=False)
    conversations: int = Field(default=0, nullable=False)
    referred_to_intake: int = Field(default=0, nullable=False)
    condoms_given: int = Field(default=0, nullable=False)
    leaflets_given: int = Field(default=0, nullable=False)
    hygiene_kits_given: int = Field(default=0, nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class OutreachRoundStaff(SQLModel, table=True):
    __tablename__ = "outreach_round_staff"

    round_id: int = Field(foreign_key="outreach_round.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
