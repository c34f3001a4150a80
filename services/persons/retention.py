"""Retention of person files (CNIL référentiel « accompagnement social »): 2 years without contact.

A file whose last contact (else its intake) is 2 years old or more is due. Anonymising it is
irreversible and keeps only what the anonymous statistics count, made too coarse to find someone:

- destroyed: the identity (alias, phone), the notes and every free text (goal wording and actions,
  referral, closing and transfer reasons, course comments and destinations, employer sectors, the
  place and notes of the legal follow-up, appointment notes), the danger flag with its safe-contact
  instructions and their history, and the languages spoken (an appointment's interpreter language becomes
  « und », undetermined: that an interpreter was there still counts);
- generalised: every date of the person's file and of its records becomes the first day of its month
  (statistics are published by whole months and quarters, so their counts do not move); the birth
  year becomes a 5-year band of the age at intake, and site × age band × gender × nationality follow
  the k-anonymity rule of `services.persons.generalisation` (each kept combination shared by 5
  anonymised files, else the nationality becomes its region, then unknown, then all three unknown);
- kept: the code, the site, the categories (status, origin, situation, barriers, goal axes, partners,
  outcomes, PSP decisions, levels) and attendance.

On SQLite the engine deletes securely (`PRAGMA secure_delete`, zeroes over what is deleted or
rewritten) and the write-ahead log is checkpointed and truncated after the commit, so the previous
bytes (encrypted identity and texts) leave the database file and its -wal file.

Who may call: MANAGE_RETENTION (admin: all sites, chef_service: own sites), or the command line
(SYSTEM_ACTOR, all sites).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

import clock
from i18n import _
from models.appointments import Appointment
from models.audit import AuditAction
from models.courses import CertificationAttempt, LanguageAssessment, MainstreamTransition
from models.legal import LegalEvent
from models.organisation import Site
from models.partners import Outcome, Referral
from models.pathway import ActionGoal, BarrierAssessment, PspEpisode, PspPeriod
from models.persons import (
    ConsentChange,
    Gender,
    Person,
    PersonCorrection,
    PersonNote,
    PersonStatus,
    PersonStatusChange,
)
from models.safety import PersonSafetyChange, PersonTransfer
from models.types import utcnow
from models.workshops import WorkshopCompletion
from services.persons import generalisation
from services.persons.access import last_contact_on_or_before
from services.persons.alias_index import forget_aliases
from services.persons.generalisation import QuasiIdentifiers
from services.persons.safety import flag_expression
from services.platform import audit
from services.platform.db import checkpoint_sqlite_wal
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import SYSTEM_ACTOR, Capability, Principal

RETENTION_YEARS = 2
ANONYMISED_GOAL = "Objectif anonymisé"  # stored in the goal row: stays French
UNDETERMINED_LANGUAGE = "und"  # ISO 639-2 « undetermined »: an interpreter was there, the language is gone
Actor = Principal | str  # a Principal from the app, SYSTEM_ACTOR from the command line


@dataclass(frozen=True)
class RetentionRow:
    person_id: int
    code: str
    site_code: str
    last_contact_on: date
    status: PersonStatus
    safety_flag: bool = False  # the file's team only (chef_service; never admin): services.persons.safety


@dataclass(frozen=True)
class AnonymisedFile:
    person_id: int
    code: str


def retention_cutoff(today: date) -> date:
    """The same day 2 years earlier (29 February → 28 February): a last contact on or before it is due."""
    try:
        return today.replace(year=today.year - RETENTION_YEARS)
    except ValueError:
        return today.replace(year=today.year - RETENTION_YEARS, day=28)


def _site_scope(actor: Actor, column) -> sa.ColumnElement[bool]:
    if isinstance(actor, Principal):
        actor.require(Capability.MANAGE_RETENTION)
        return actor.site_filter(column)
    if actor != SYSTEM_ACTOR:
        raise PermissionDenied()
    return sa.true()


def _last_contact():
    return sa.func.coalesce(Person.last_contact_on, Person.intake_on)


def files_due_for_retention(session: Session, actor: Actor, *, today: date | None = None) -> list[RetentionRow]:
    """Files of the actor's sites with no contact for 2 years, not yet anonymised, oldest contact first."""
    today = today or clock.today()
    scope = _site_scope(actor, Person.site_id)
    last_contact = _last_contact()
    flagged = flag_expression(actor) if isinstance(actor, Principal) else sa.false()
    rows = session.exec(
        select(Person.id, Person.code, Site.code, last_contact, Person.status, flagged)
        .join(Site, Site.id == Person.site_id)
        .where(scope, Person.status != PersonStatus.ANONYMISED, last_contact_on_or_before(retention_cutoff(today)))
        .order_by(last_contact, Person.code)
    ).all()
    return [
        RetentionRow(person_id, code, site_code, on, status, bool(flag))
        for person_id, code, site_code, on, status, flag in rows
    ]


def _refusal(person: Person, confirm_code: str | None, today: date) -> str | None:
    """Why the file cannot be anonymised with this confirmation (None: it can)."""
    if person.status == PersonStatus.ANONYMISED:
        return _("Ce dossier est déjà anonymisé.")
    if (confirm_code or "").strip().upper() != person.code:
        return _("Le code saisi ne correspond pas au dossier : rien n'a été modifié.")
    if (person.last_contact_on or person.intake_on) > retention_cutoff(today):
        return _("Ce dossier a eu un contact il y a moins de 2 ans : il n'est pas à anonymiser.")
    return None


def _erase_free_texts(session: Session, person_ids: list[int]) -> None:
    """Notes, the history of corrections (old values of identity fields) and the danger flag's history
    deleted; goal wording and actions, referral, closing and transfer reasons, course comments and
    destinations, employer sectors, the place and notes of the legal follow-up, appointment notes cleared;
    interpreter languages undetermined."""
    for deleted in (PersonNote, PersonCorrection, PersonSafetyChange):
        session.exec(sa.delete(deleted).where(deleted.person_id.in_(person_ids)))  # type: ignore[call-overload]
    cleared: tuple[tuple[type, dict], ...] = (
        (ActionGoal, {"goal": ANONYMISED_GOAL, "actions": None, "version": ActionGoal.version + 1}),
        (Referral, {"reason": None, "version": Referral.version + 1}),
        (Outcome, {"employer_sector": None, "version": Outcome.version + 1}),
        (PersonStatusChange, {"reason": None}),
        (LanguageAssessment, {"comment": None}),
        (MainstreamTransition, {"destination": None}),
        (LegalEvent, {"place": None, "notes": None}),
        (PersonTransfer, {"reason": None}),
        (Appointment, {"note": None}),
    )
    for model, values in cleared:
        session.exec(sa.update(model).where(model.person_id.in_(person_ids)).values(**values))  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        sa.update(Appointment)
        .where(Appointment.person_id.in_(person_ids), Appointment.interpreter_language.is_not(None))
        .values(interpreter_language=UNDETERMINED_LANGUAGE)
    )


# The dates of a person's records, made the first day of their month, and so is each row's creation
# time (`updated_at` becomes the anonymisation's). Dates of what the person shares with others (course
# and workshop sessions and their rolls, a workshop cycle) stay: they are the group's, not hers.
DATED_RECORDS: tuple[tuple[type, tuple[str, ...]], ...] = (
    (PersonStatusChange, ("changed_on",)),
    (ConsentChange, ("effective_on",)),
    (BarrierAssessment, ("assessed_on", "corrected_at")),
    (Appointment, ("appointment_on",)),
    (ActionGoal, ("due_on", "closed_on")),
    (
        PspEpisode,
        (
            "requested_on",
            "commission_on",
            "decided_on",
            "aps_start_on",
            "aps_end_on",
            "afis_start_on",
            "afis_end_on",
            "ended_on",
        ),
    ),
    (Referral, ("referred_on", "result_on")),
    (Outcome, ("outcome_on",)),
    (LanguageAssessment, ("assessed_on",)),
    (CertificationAttempt, ("attempted_on",)),
    (MainstreamTransition, ("moved_on",)),
    (WorkshopCompletion, ("completed_on",)),
    (LegalEvent, ("event_on", "decided_on", "valid_until")),
    (PersonTransfer, ("transferred_on",)),
)
PERSON_DATES = ("first_contact_on", "intake_on", "consent_on", "last_contact_on", "closed_on", "permit_ends_on")


def _month(day: date | datetime | None) -> date | datetime | None:
    """The first day of the month (a timestamp: its first instant, UTC)."""
    if isinstance(day, datetime):
        return day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return None if day is None else day.replace(day=1)


def _to_months(row, names: tuple[str, ...]) -> None:
    """The dates `names` and the row's creation time (written the day it happened) made months."""
    for name in (*names, "created_at"):
        setattr(row, name, _month(getattr(row, name)))


def _generalise_dates(session: Session, person_ids: list[int]) -> None:
    for model, names in DATED_RECORDS:
        for row in session.exec(select(model).where(model.person_id.in_(person_ids))).all():
            _to_months(row, names)
            session.add(row)
    periods = select(PspPeriod).join(PspEpisode, PspEpisode.id == PspPeriod.episode_id)
    for period in session.exec(periods.where(PspEpisode.person_id.in_(person_ids))).all():
        _to_months(period, ("start_on", "end_on"))
        session.add(period)


def _stored_identifiers(session: Session, site_ids: set[int]) -> list[QuasiIdentifiers]:
    """What the files already anonymised on these sites keep (never changed again)."""
    rows = session.exec(
        select(Person.site_id, Person.age_band, Person.gender, Person.nationality, Person.nationality_region).where(
            Person.status == PersonStatus.ANONYMISED, Person.site_id.in_(site_ids)
        )
    ).all()
    return [QuasiIdentifiers(site, band, str(gender), country, region) for site, band, gender, country, region in rows]


def _generalise_identifiers(session: Session, persons: list[Person]) -> None:
    """Birth year → age band; site × age band × gender × nationality made k-anonymous; languages dropped."""
    kept = _stored_identifiers(session, {person.site_id for person in persons})
    precise = {
        person.id: generalisation.precise(
            person.site_id, person.birth_year, str(person.gender), person.nationality, person.intake_on
        )
        for person in persons
    }
    chosen = generalisation.generalise(kept, precise)
    for person in persons:
        identifiers = chosen[person.id]
        person.birth_year = None
        person.age_band = identifiers.age_band
        person.gender = Gender(identifiers.gender)
        person.nationality = identifiers.nationality
        person.nationality_region = identifiers.nationality_region
        person.languages = []


def _anonymise(session: Session, actor: Actor, persons: list[Person], *, today: date, now: datetime) -> None:
    """Anonymise `persons` (checked by the caller) in the caller's unit of work, one audit entry each."""
    ids = [person.id for person in persons]
    if session.get_bind().dialect.name == "sqlite":
        # Also set by the engine on every connection: said here too, since it is what makes this work.
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    _erase_free_texts(session, ids)
    forget_aliases(session, ids)  # the blind index of the alias goes with it
    _generalise_dates(session, ids)
    _generalise_identifiers(session, persons)
    for person in persons:
        person.alias_encrypted = None
        person.phone_encrypted = None
        person.closed_reason = None
        _to_months(person, PERSON_DATES)
        person.status = PersonStatus.ANONYMISED
        person.retention_flagged_on = person.retention_flagged_on or today
        person.anonymised_at = now
        person.version += 1
        session.add(person)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.PERSON_ANONYMISE,
            entity_type="person",
            entity_id=person.id,
            site_id=person.site_id,
        )


def _commit_and_shred(session: Session) -> None:
    """Commit, then push the log's old page versions out of the SQLite files. A session joined to a
    transaction it does not own (a caller's, the tests') has written nothing to disk yet: no checkpoint."""
    session.commit()
    bind = session.get_bind()
    if isinstance(bind, Connection) and bind.in_transaction():
        return
    checkpoint_sqlite_wal(getattr(bind, "engine", bind))


def anonymise_file(
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    confirm_code: str,
    today: date | None = None,
    now: datetime | None = None,
) -> AnonymisedFile:
    """Irreversibly anonymise a file due for retention; `confirm_code` must be its code, typed again.

    The confirmation is one typed value whose only rules need the file (its code, status and last
    contact): no input model, the refusal is the {"confirm_code": message} of ValidationFailed."""
    today = today or clock.today()
    scope = _site_scope(actor, Person.site_id)
    person = session.exec(select(Person).where(Person.id == person_id, scope)).first()
    if person is None:
        raise NotFound(_("Dossier introuvable."))
    refusal = _refusal(person, confirm_code, today)
    if refusal:
        raise ValidationFailed({"confirm_code": refusal})
    _anonymise(session, actor, [person], today=today, now=now or utcnow())
    _commit_and_shred(session)
    return AnonymisedFile(person.id, person.code)


def anonymise_due_files(
    session: Session, actor: Actor, *, today: date | None = None, now: datetime | None = None
) -> list[AnonymisedFile]:
    """Anonymise together every file of the actor's sites due for retention, in one unit of work.

    Together, their age bands, genders and nationalities count for each other in the k-anonymity
    rule, so more of them are kept than when the same files are anonymised one by one."""
    today = today or clock.today()
    due = [row.person_id for row in files_due_for_retention(session, actor, today=today)]
    if not due:
        return []
    persons = session.exec(select(Person).where(Person.id.in_(due)).order_by(Person.code)).all()
    _anonymise(session, actor, list(persons), today=today, now=now or utcnow())
    _commit_and_shred(session)
    return [AnonymisedFile(person.id, person.code) for person in persons]
