"""Legal and victim-status follow-up of a person: complaint filed (day, where), proceedings (stage:
enquête, instruction, procès, jugement; day), victim residence permit (art. L425-1 CESEDA: requested
on, decision, granted until), compensation claim (CIVI / SARVI: filed on, result, amount optional).

Each step is an entry added to the file (`legal_event`); the entries are the history, latest first.
Who: the same roles as the notes. Read with VIEW_IDENTITY (chef_service, intervenant of the file's
site): the place of a complaint and the notes are free text about the person (encrypted), and even
the categories say more about a victim than direction's figures need. Write with EDIT_PERSON_FILES as
well, on a file not anonymised. Audited (`legal_event.create`), never the values. Never in any funder
output or aggregate. Anonymisation clears the texts and makes the dates months
(services.persons.retention).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_
from models.audit import AuditAction
from models.legal import LegalDecision, LegalEvent, LegalEventKind, ProceedingsStage
from models.organisation import User
from services.persons.access import rows_in_scope
from services.persons.records import _writable_person
from services.platform import audit
from services.platform.inputs import (
    FormInput,
    OptionalPastDay,
    field_error,
    messages,
    not_after_as_of,
    optional_text,
)
from services.platform.money import typed_cents
from services.platform.principal import Capability, Principal

PLACE_MAX = 200
NOTES_MAX = 2000
# A victim residence permit is given for one year at first, renewed; ten years is past any real one.
PERMIT_LONGEST_DAYS = 3660
LARGEST_AMOUNT_CENTS = 10_000_000_00  # 10 million euros: past it, a typing error

MESSAGES = {
    "event_on": N_("La date est obligatoire."),
    "event_future": N_("La date ne peut pas être dans le futur."),
    "stage": N_("Indiquez le stade de la procédure."),
    "decided_before": N_("La décision ne peut précéder la demande."),
    "decision_missing": N_("Une date de décision suppose une décision : accordé ou refusé."),
    "valid_until_not_granted": N_("Une date de fin de validité suppose un titre accordé."),
    "valid_until_before": N_("La fin de validité doit suivre la demande et la décision."),
    "valid_until_far": N_("Fin de validité invraisemblable : plus de dix ans après la demande."),
    "amount": N_("Montant invalide : un nombre positif, par exemple 1 500,00."),
    "amount_not_granted": N_("Un montant suppose une indemnisation accordée."),
    "place_long": N_("Le lieu ne doit pas dépasser {max} caractères."),
    "notes_long": N_("Les notes ne doivent pas dépasser {max} caractères."),
}

# Which fields each kind of step has (the others are not kept, whatever the form sent).
FIELDS_OF_KIND: dict[LegalEventKind, frozenset[str]] = {
    LegalEventKind.COMPLAINT: frozenset({"place"}),
    LegalEventKind.PROCEEDINGS: frozenset({"stage"}),
    LegalEventKind.RESIDENCE_PERMIT: frozenset({"decision", "decided_on", "valid_until"}),
    LegalEventKind.COMPENSATION: frozenset({"decision", "decided_on", "amount_cents"}),
}


def _euros_typed(value: object) -> object:
    """An amount as typed (services.platform.money.typed_cents) → cents; already cents: kept."""
    if not isinstance(value, str | float):
        return value
    try:
        return typed_cents(value)
    except ValueError:
        raise field_error(MESSAGES["amount"]) from None


def _kind_has(info: ValidationInfo, name: str) -> bool:
    kind = info.data.get("kind")
    return kind is not None and name in FIELDS_OF_KIND[kind]


class LegalEventInput(FormInput):
    """What the legal follow-up form sends. Fields another kind of step has are dropped (None).
    Context: `as_of` (no date after it)."""

    kind: LegalEventKind
    event_on: Annotated[date, not_after_as_of(MESSAGES["event_future"])] = Field(
        json_schema_extra=messages(MESSAGES["event_on"])
    )
    stage: ProceedingsStage | None = Field(None, validate_default=True)
    decision: LegalDecision | None = Field(None, validate_default=True)
    decided_on: OptionalPastDay = Field(None, validate_default=True)
    valid_until: date | None = Field(None, validate_default=True)
    amount_cents: Annotated[int | None, BeforeValidator(_euros_typed)] = Field(
        None, ge=0, le=LARGEST_AMOUNT_CENTS, validate_default=True, json_schema_extra=messages(MESSAGES["amount"])
    )
    place: optional_text(PLACE_MAX, MESSAGES["place_long"], on_one_line=True) = Field(None, validate_default=True)
    notes: optional_text(NOTES_MAX, MESSAGES["notes_long"]) = None

    @field_validator("stage")
    @classmethod
    def _stage_of_proceedings(cls, value: ProceedingsStage | None, info: ValidationInfo) -> ProceedingsStage | None:
        if not _kind_has(info, "stage"):
            return None
        if value is None:
            raise field_error(MESSAGES["stage"])
        return value

    @field_validator("decision")
    @classmethod
    def _decision_of_a_request(cls, value: LegalDecision | None, info: ValidationInfo) -> LegalDecision | None:
        return value if _kind_has(info, "decision") else None

    @field_validator("decided_on")
    @classmethod
    def _decided_after_the_request(cls, value: date | None, info: ValidationInfo) -> date | None:
        if not _kind_has(info, "decided_on") or value is None:
            return None
        decision = info.data.get("decision")
        if decision in (None, LegalDecision.PENDING) and "decision" in info.data:
            raise field_error(MESSAGES["decision_missing"])
        event_on = info.data.get("event_on")
        if event_on is not None and value < event_on:
            raise field_error(MESSAGES["decided_before"])
        return value

    @field_validator("valid_until")
    @classmethod
    def _valid_after_the_decision(cls, value: date | None, info: ValidationInfo) -> date | None:
        if not _kind_has(info, "valid_until") or value is None:
            return None
        if info.data.get("decision") != LegalDecision.GRANTED and "decision" in info.data:
            raise field_error(MESSAGES["valid_until_not_granted"])
        earliest = max(day for day in (info.data.get("event_on"), info.data.get("decided_on"), date.min) if day)
        if value <= earliest:
            raise field_error(MESSAGES["valid_until_before"])
        event_on = info.data.get("event_on")
        if event_on is not None and (value - event_on).days > PERMIT_LONGEST_DAYS:
            raise field_error(MESSAGES["valid_until_far"])
        return value

    @field_validator("amount_cents")
    @classmethod
    def _amount_of_a_granted_claim(cls, value: int | None, info: ValidationInfo) -> int | None:
        if not _kind_has(info, "amount_cents") or value is None:
            return None
        if info.data.get("decision") != LegalDecision.GRANTED and "decision" in info.data:
            raise field_error(MESSAGES["amount_not_granted"])
        return value

    @field_validator("place")
    @classmethod
    def _place_of_a_complaint(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if _kind_has(info, "place") else None


@dataclass(frozen=True)
class LegalEventRow:
    id: int
    kind: LegalEventKind
    event_on: date
    stage: ProceedingsStage | None
    decision: LegalDecision | None
    decided_on: date | None
    valid_until: date | None
    amount_cents: int | None
    place: str | None
    notes: str | None
    author: str | None
    recorded_at: datetime


def add_legal_event(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: LegalEventInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Add a step of the legal follow-up to a file of the principal's sites (roles of the notes:
    VIEW_IDENTITY and EDIT_PERSON_FILES); ValidationFailed by field; audited without the values."""
    principal.require(Capability.VIEW_IDENTITY)
    person = _writable_person(session, principal, person_id)
    checked = LegalEventInput.validated(data, as_of=today or clock.today())
    row = LegalEvent(
        person_id=person.id,
        site_id=person.site_id,
        author_id=principal.user_id,
        **checked.model_dump(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.LEGAL_EVENT_CREATE,
        entity_type="legal_event",
        entity_id=row.id,
        site_id=person.site_id,
    )
    session.commit()
    return row.id


def list_legal_events(session: Session, principal: Principal, person_id: int) -> list[LegalEventRow]:
    """The legal follow-up of a file of the principal's sites, latest step first (VIEW_IDENTITY)."""
    principal.require(Capability.VIEW_IDENTITY)
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(LegalEvent, User.display_name)
        .outerjoin(User, User.id == LegalEvent.author_id)
        .where(LegalEvent.person_id == person_id)
        .order_by(LegalEvent.event_on.desc(), LegalEvent.id.desc()),
    )
    return [
        LegalEventRow(
            id=row.id,
            kind=row.kind,
            event_on=row.event_on,
            stage=row.stage,
            decision=row.decision,
            decided_on=row.decided_on,
            valid_until=row.valid_until,
            amount_cents=row.amount_cents,
            place=row.place,
            notes=row.notes,
            author=author,
            recorded_at=row.created_at,
        )
        for row, author in rows
    ]


def permit_valid_until(events: list[LegalEventRow]) -> date | None:
    """The end of validity of the latest victim residence permit granted, if any."""
    granted = [e for e in events if e.kind == LegalEventKind.RESIDENCE_PERMIT and e.valid_until is not None]
    return max(granted, key=lambda e: (e.event_on, e.id)).valid_until if granted else None
