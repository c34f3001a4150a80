"""Appointments and accompaniments of a person: the interviews, physical accompaniments to an office or
a service (préfecture, CAF, CPAM, France Travail, health, justice…), home visits and calls the team has
with or for the person, with their worker, duration and interpreter language.

Who may call: recording needs EDIT_PERSON_FILES and VIEW_IDENTITY (the roles that write notes:
chef_service, intervenant) on a file of their sites that is not anonymised; the list needs
VIEW_PERSON_FILES (direction reads kinds, days, workers and durations by code, never the note). A file
outside the principal's sites is "not found". A recording is one transaction with one audit entry (no
values) and moves the person's last contact forward to its day if later.

An appointment recorded wrongly is corrected or deleted by the same roles, on a file of their sites that
is not anonymised (the appointment's own site: after a transfer the old site's appointments stay with it
and the destination's team reads them only). Both are versioned (StaleRecord when a colleague changed it
since it was shown), audited as appointment.update / appointment.delete, and move the dashboard's counts
at once (they are computed from the rows). A correction never moves the last contact back.

The worker is an active social worker or head of service of the person's site (the one recording, by
default). The interpreter language is an ISO 639 code, empty when there was no interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, Field
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.appointments import ACCOMPANIMENT_KINDS, Appointment, AppointmentKind
from models.audit import AuditAction
from models.organisation import User
from services.persons.access import _require_writable, readable_text, rows_in_scope, touch_last_contact
from services.persons.files import _is_site_staff
from services.persons.records import _owned_row, _save_sub_record, _writable_person
from services.platform import audit
from services.platform.errors import StaleRecord, ValidationFailed
from services.platform.inputs import FormInput, PastDayOrAsOf, field_error, messages, optional_text
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

MIN_MINUTES, MAX_MINUTES = 5, 720  # a call of a few minutes to a whole day at the préfecture
NOTE_MAX = 500
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

MESSAGES = {
    "kind": N_("Choisissez le type de rendez-vous."),
    "worker": N_("Choisissez l'intervenant·e."),
    "worker_not_of_site": N_(
        "Cette personne n'est pas intervenant·e ou chef·fe de service actif·ve du site du dossier."
    ),
    "language": N_("Langue invalide : choisissez-la dans la liste."),
    "duration": N_("La durée doit être comprise entre {minimum} et {maximum} minutes."),
    "note_too_long": N_("La note ne peut dépasser {max} caractères."),
    "confirm_delete": N_("Cochez la case pour confirmer la suppression."),
}


AppointmentNote = optional_text(NOTE_MAX, MESSAGES["note_too_long"])


def _language_code(value: str | None) -> str | None:
    if value and not _LANGUAGE.match(value):
        raise field_error(MESSAGES["language"])
    return value or None


class AppointmentInput(FormInput):
    """What the appointment form sends: its day (empty: the day of reference, never after it), kind,
    worker, interpreter language (empty: none), duration in minutes and a short note."""

    appointment_on: PastDayOrAsOf = Field(None, validate_default=True)
    kind: AppointmentKind = Field(json_schema_extra=messages(MESSAGES["kind"]))
    worker_id: int = Field(json_schema_extra=messages(MESSAGES["worker"]))
    interpreter_language: Annotated[str | None, AfterValidator(_language_code)] = Field(
        None, max_length=3, json_schema_extra=messages(MESSAGES["language"])
    )
    duration_minutes: int = Field(
        ge=MIN_MINUTES,
        le=MAX_MINUTES,
        json_schema_extra=messages(MESSAGES["duration"], minimum=MIN_MINUTES, maximum=MAX_MINUTES),
    )
    note: AppointmentNote = None


def record_appointment(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: AppointmentInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Record an appointment or accompaniment of the person; returns its id. The worker must be an
    active social worker or head of service of the file's site."""
    principal.require(Capability.VIEW_IDENTITY)
    person = _writable_person(session, principal, person_id)
    checked = AppointmentInput.validated(data, as_of=today or clock.today())
    if not _is_site_staff(session, checked.worker_id, person.site_id):
        raise ValidationFailed({"worker_id": _(MESSAGES["worker_not_of_site"])})
    row = Appointment(person_id=person.id, site_id=person.site_id, **checked.model_dump())
    return _save_sub_record(
        session, principal, person, row, contact_on=checked.appointment_on, action=AuditAction.APPOINTMENT_CREATE
    )


def _editable(session: Session, principal: Principal, appointment_id: int) -> tuple[Appointment, object]:
    """The appointment and its file, both of the principal's sites, the file writable (else NotFound /
    PermissionDenied)."""
    principal.require(Capability.VIEW_IDENTITY)
    row, person = _owned_row(session, principal, Appointment, appointment_id)
    _require_writable(principal, person)
    return row, person


def update_appointment(
    session: Session,
    principal: Principal,
    appointment_id: int,
    *,
    expected_version: int,
    data: AppointmentInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Correct an appointment (every field, checked as when recording it); returns its new version.
    StaleRecord if it changed since `expected_version`."""
    row, person = _editable(session, principal, appointment_id)
    checked = AppointmentInput.validated(data, as_of=today or clock.today())
    if not _is_site_staff(session, checked.worker_id, row.site_id):
        raise ValidationFailed({"worker_id": _(MESSAGES["worker_not_of_site"])})
    versioned_update(session, Appointment, row.id, int(expected_version), checked.model_dump())
    touch_last_contact(session, person, checked.appointment_on)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.APPOINTMENT_UPDATE,
        entity_type="appointment",
        entity_id=row.id,
        site_id=row.site_id,
    )
    session.commit()
    return int(expected_version) + 1


def delete_appointment(
    session: Session, principal: Principal, appointment_id: int, *, expected_version: int, confirmed: bool
) -> None:
    """Delete an appointment recorded by mistake, once `confirmed` (else ValidationFailed, nothing
    deleted). StaleRecord if it changed since `expected_version`: the user sees it again before deleting."""
    row, _person = _editable(session, principal, appointment_id)
    if not confirmed:
        raise ValidationFailed({"confirmed": _(MESSAGES["confirm_delete"])})
    result = session.execute(
        sa.delete(Appointment).where(Appointment.id == row.id, Appointment.version == int(expected_version))
    )
    if result.rowcount != 1:
        session.rollback()
        raise StaleRecord()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.APPOINTMENT_DELETE,
        entity_type="appointment",
        entity_id=appointment_id,
        site_id=row.site_id,
    )
    session.commit()


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    appointment_on: date
    kind: AppointmentKind
    is_accompaniment: bool
    worker_name: str | None
    interpreter_language: str | None
    duration_minutes: int
    note: str | None  # None without VIEW_IDENTITY (services.persons.access.readable_text)
    worker_id: int | None = None
    version: int = 1
    site_id: int | None = None  # the site that held it (after a transfer, the old site's stay read-only)


def list_appointments(session: Session, principal: Principal, person_id: int) -> list[AppointmentRow]:
    """The person's appointments, latest first; the note only for roles that read what is written about
    persons."""
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(Appointment, User.display_name)
        .outerjoin(User, User.id == Appointment.worker_id)
        .where(Appointment.person_id == person_id)
        .order_by(Appointment.appointment_on.desc(), Appointment.id.desc()),
    )
    return [
        AppointmentRow(
            a.id,
            a.appointment_on,
            a.kind,
            a.kind in ACCOMPANIMENT_KINDS,
            worker,
            a.interpreter_language,
            a.duration_minutes,
            readable_text(principal, a.note),
            a.worker_id,
            a.version,
            a.site_id,
        )
        for a, worker in rows
    ]
