"""Legal and victim-status follow-up of a person: complaint, proceedings, victim residence permit
(art. L425-1 CESEDA), compensation claim (CIVI / SARVI).

Each step is a dated entry (`LegalEvent`), only ever added: the list of a person's entries is its
history. What was written (the place of a complaint, the notes) is free text about the person:
`EncryptedText`, read with VIEW_IDENTITY only, destroyed by anonymisation; never in any funder output.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from i18n import N_
from models.base import Timestamped, site_fk
from models.types import EncryptedText, enum_type


class LegalEventKind(StrEnum):
    COMPLAINT = "complaint"
    PROCEEDINGS = "proceedings"
    RESIDENCE_PERMIT = "residence_permit"
    COMPENSATION = "compensation"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.COMPLAINT: N_("Plainte déposée"),
            cls.PROCEEDINGS: N_("Procédure judiciaire"),
            cls.RESIDENCE_PERMIT: N_("Titre de séjour victime (L425-1 CESEDA)"),
            cls.COMPENSATION: N_("Demande d'indemnisation (CIVI / SARVI)"),
        }


class ProceedingsStage(StrEnum):
    INVESTIGATION = "investigation"
    JUDICIAL_INQUIRY = "judicial_inquiry"
    TRIAL = "trial"
    JUDGMENT = "judgment"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.INVESTIGATION: N_("Enquête"),
            cls.JUDICIAL_INQUIRY: N_("Instruction"),
            cls.TRIAL: N_("Procès"),
            cls.JUDGMENT: N_("Jugement"),
        }


class LegalDecision(StrEnum):
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


class LegalEvent(Timestamped, table=True):
    """One step of a person's legal follow-up. `event_on`: the complaint's day, the proceedings stage's
    day, the permit request's day, the claim's filing day. `decision` (permit, compensation),
    `valid_until` (permit granted until), `amount_cents` (compensation granted, optional), `stage`
    (proceedings), `place` (complaint: where it was filed)."""

    __tablename__ = "legal_event"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    kind: LegalEventKind = Field(sa_type=enum_type(LegalEventKind), nullable=False)
    event_on: date = Field(nullable=False)
    stage: ProceedingsStage | None = Field(default=None, sa_type=enum_type(ProceedingsStage))
    decision: LegalDecision | None = Field(default=None, sa_type=enum_type(LegalDecision))
    decided_on: date | None = Field(default=None)
    valid_until: date | None = Field(default=None)
    amount_cents: int | None = Field(default=None)
    place: str | None = Field(default=None, sa_type=EncryptedText)
    notes: str | None = Field(default=None, sa_type=EncryptedText)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
