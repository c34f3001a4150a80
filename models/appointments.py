"""Appointments and accompaniments of a person: interviews, physical accompaniments to an office or a
service, home visits, calls — what associations count in their activity reports.

Kind, day, worker, duration and interpreter language are categories (read by code, counted on the
director dashboard); the short note is free text about the person: encrypted, read with VIEW_IDENTITY,
destroyed by anonymisation (services.persons.retention).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from i18n import N_
from models.base import KeptPerSiteDay, Versioned, kept_count, site_fk
from models.types import EncryptedText, enum_type


class AppointmentKind(StrEnum):
    """Closed list, as associations report them: an interview, a physical accompaniment (by destination),
    a home visit, a call. Whether an interpreter was there is the interpreter language, for any kind."""

    INTERVIEW = "interview"
    ACCOMPANIMENT_PREFECTURE = "accompaniment_prefecture"
    ACCOMPANIMENT_CAF = "accompaniment_caf"
    ACCOMPANIMENT_CPAM = "accompaniment_cpam"
    ACCOMPANIMENT_FRANCE_TRAVAIL = "accompaniment_france_travail"
    ACCOMPANIMENT_HEALTH = "accompaniment_health"
    ACCOMPANIMENT_JUSTICE = "accompaniment_justice"
    ACCOMPANIMENT_HOUSING = "accompaniment_housing"
    ACCOMPANIMENT_OTHER = "accompaniment_other"
    HOME_VISIT = "home_visit"
    PHONE_CALL = "phone_call"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.INTERVIEW: N_("Entretien individuel"),
            cls.ACCOMPANIMENT_PREFECTURE: N_("Accompagnement : préfecture"),
            cls.ACCOMPANIMENT_CAF: N_("Accompagnement : CAF"),
            cls.ACCOMPANIMENT_CPAM: N_("Accompagnement : CPAM"),
            cls.ACCOMPANIMENT_FRANCE_TRAVAIL: N_("Accompagnement : France Travail"),
            cls.ACCOMPANIMENT_HEALTH: N_("Accompagnement : santé (hôpital, PASS, médecin)"),
            cls.ACCOMPANIMENT_JUSTICE: N_("Accompagnement : justice (police, tribunal, avocat·e)"),
            cls.ACCOMPANIMENT_HOUSING: N_("Accompagnement : logement, hébergement"),
            cls.ACCOMPANIMENT_OTHER: N_("Accompagnement : autre administration ou service"),
            cls.HOME_VISIT: N_("Visite à domicile ou en hébergement"),
            cls.PHONE_CALL: N_("Entretien téléphonique ou en visio"),
        }


ACCOMPANIMENT_KINDS: tuple[AppointmentKind, ...] = tuple(
    kind for kind in AppointmentKind if kind.value.startswith("accompaniment_")
)


class Appointment(Versioned, table=True):
    # The figures per site and month (dashboard, director's answers) read this index only.
    __table_args__ = (
        sa.Index(
            "ix_appointment_site_day_figures",
            "site_id",
            "appointment_on",
            "person_id",
            "kind",
            "duration_minutes",
            "interpreter_language",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk(index=False)
    appointment_on: date = Field(nullable=False)
    kind: AppointmentKind = Field(sa_type=enum_type(AppointmentKind), nullable=False)
    worker_id: int | None = Field(default=None, foreign_key="app_user.id")
    interpreter_language: str | None = Field(default=None, max_length=3)  # ISO 639-1 (or 639-3), None: none
    duration_minutes: int = Field(nullable=False)
    note: str | None = Field(default=None, sa_type=EncryptedText)  # free text: encrypted at rest


class AppointmentSiteDay(KeptPerSiteDay, table=True):
    """Per site × day, over the appointments that count in statistics (services.persons.consent.counted): how
    many, the accompaniments among them (ACCOMPANIMENT_KINDS), their minutes and those with an interpreter."""

    __tablename__ = "appointment_site_day"

    appointments: int = kept_count()
    accompaniments: int = kept_count()
    minutes: int = kept_count()
    with_interpreter: int = kept_count()
