"""Persons in workshops: enrolment in a site's cycle, leaving it, and the modules each person validated.

Who may call: the workshop team (RUN_FIELD_ACTIVITIES: intervenant, chef_service), for
files of its sites; first names are decrypted only for roles with VIEW_IDENTITY. A person is enrolled
on the site of their file; only files being accompanied (status active) can join a cycle.
Completions appear on the person's timeline (services/persons/timeline.py reads WorkshopCompletion).
The forms send a `CycleInput`, `CycleEndInput` or `CompletionInput` (services.platform.inputs); what needs the
file (its code, its intake day, an open cycle, a module already validated) is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _, message
from models.attendance import AttendanceStatus
from models.audit import AuditAction
from models.organisation import Site
from models.persons import Person, PersonStatus
from models.workshops import (
    WorkshopAttendance,
    WorkshopCompletion,
    WorkshopEnrolment,
    WorkshopModule,
    WorkshopSession,
    WorkshopTheme,
)
from services.activities.workshops.modules import require_workshop_team
from services.persons import roster
from services.persons.access import NOT_FOUND_MESSAGE, person_by_code, person_in_scope
from services.platform import audit
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound
from services.platform.inputs import (
    FUTURE_DATE,
    FormInput,
    as_of,
    checked,
    context,
    field_error,
    messages,
    raw,
    raw_id,
    refuse_if,
    required_day,
)
from services.platform.principal import Capability, Principal

START_AHEAD_DAYS = 90
NO_SUCH_FILE = NOT_FOUND_MESSAGE  # what a search by code finds nothing with (a marked French id)
NOT_ACCOMPANIED = N_("Seules les personnes en cours d'accompagnement peuvent être inscrites à un cycle.")
MESSAGES = {
    "open_cycle": N_(
        "Cette personne est déjà inscrite dans un cycle (depuis le {day}) : indiquez d'abord sa date de sortie."
    ),
    "cycle_start_on": N_("La date de début du cycle est obligatoire."),
    "start_before_intake": N_("Le cycle ne peut pas commencer avant l'accueil de la personne."),
    "start_too_far": N_("Un cycle s'inscrit au plus {days} jours à l'avance."),
    "left_on": N_("La date de sortie est obligatoire."),
    "left_before_start": N_("La sortie ne peut pas précéder le début du cycle."),
    "module": N_("Choisissez un module."),
    "module_site": N_("Choisissez un module du site de la personne."),
    "module_done": N_("Ce module est déjà validé pour cette personne."),
    "anonymised": N_("Ce dossier est anonymisé : il ne peut plus être modifié."),
    "completed_on": N_("La date de validation est obligatoire."),
    "completed_before_intake": N_("La validation ne peut pas précéder l'accueil de la personne."),
}
CycleStart = required_day(MESSAGES["cycle_start_on"])
CycleEnd = required_day(MESSAGES["left_on"])
CompletionDay = required_day(MESSAGES["completed_on"])


def _first_name(principal: Principal, cipher: FieldCipher | None, token: str | None) -> str | None:
    if cipher is None or not principal.can(Capability.VIEW_IDENTITY):
        return None
    return cipher.decrypt(token)


# --- cycles -------------------------------------------------------------------------------------


class CycleInput(FormInput):
    """What the enrolment form sends: the file's code (looked up in the service) and the cycle's first day.
    Context: `as_of` (today) and `intake_on`, the intake day of the file (when the code was found)."""

    code: str = ""
    cycle_start_on: CycleStart

    @field_validator("code", mode="before")
    @classmethod
    def _no_code(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("cycle_start_on")
    @classmethod
    def _after_intake_and_soon(cls, value: date, info: ValidationInfo) -> date:
        intake_on = context(info, "intake_on")
        if intake_on is not None and value < intake_on:
            raise field_error(MESSAGES["start_before_intake"])
        if value > as_of(info) + timedelta(days=START_AHEAD_DAYS):
            raise field_error(MESSAGES["start_too_far"], days=START_AHEAD_DAYS)
        return value


class CycleEndInput(FormInput):
    """What the leaving form sends; context: `as_of` (today) and `cycle_start_on`, the first day of the cycle."""

    left_on: CycleEnd

    @field_validator("left_on")
    @classmethod
    def _past_and_after_the_start(cls, value: date, info: ValidationInfo) -> date:
        if value > as_of(info):
            raise field_error(FUTURE_DATE)
        started = context(info, "cycle_start_on")
        if started is not None and value < started:
            raise field_error(MESSAGES["left_before_start"])
        return value


def _accompanied_person(session: Session, principal: Principal, code: object) -> tuple[Person | None, dict[str, str]]:
    """The file of the principal's sites with this code, being accompanied; else the message of the code."""
    try:
        person = person_by_code(session, principal, "" if code is None else str(code))
    except NotFound as exc:
        return None, {"code": str(exc)}
    if person.status != PersonStatus.ACTIVE:
        return person, {"code": _(NOT_ACCOMPANIED)}
    return person, {}


def _open_cycle_since(session: Session, person_id: int, start: date) -> date | None:
    """The start of a cycle of the person still open on `start` (or left after it), if any."""
    return session.exec(
        select(WorkshopEnrolment.cycle_start_on).where(
            WorkshopEnrolment.person_id == person_id,
            sa.or_(WorkshopEnrolment.left_on.is_(None), WorkshopEnrolment.left_on >= start),
        )
    ).first()


def enrol_person(
    session: Session,
    principal: Principal,
    *,
    data: CycleInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Enrol the person whose pseudonymous code is given (a file of the principal's sites, being
    accompanied) in the workshop cycle of their site from the day given. Refused while another cycle of
    theirs is open. Returns the enrolment id."""
    require_workshop_team(principal)
    person, found_errors = _accompanied_person(session, principal, raw(data).get("code"))
    intake_on = person.intake_on if person is not None else None
    cycle, errors = checked(CycleInput, data, as_of=today or clock.today(), intake_on=intake_on)
    errors = found_errors | errors  # the model's message first, if both
    if not errors:
        open_since = _open_cycle_since(session, person.id, cycle.cycle_start_on)
        if open_since is not None:
            errors["code"] = message(MESSAGES, "open_cycle", day=f"{open_since:%d/%m/%Y}")
    refuse_if(errors)
    enrolment = WorkshopEnrolment(person_id=person.id, site_id=person.site_id, cycle_start_on=cycle.cycle_start_on)
    session.add(enrolment)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_ENROL,
        entity_type="workshop_enrolment",
        entity_id=enrolment.id,
        site_id=person.site_id,
    )
    session.commit()
    return enrolment.id


def end_cycle(
    session: Session,
    principal: Principal,
    enrolment_id: int,
    *,
    data: CycleEndInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Record the day a person left (or finished) their cycle; rolls taken before stay."""
    require_workshop_team(principal)
    enrolment = session.exec(
        select(WorkshopEnrolment).where(
            WorkshopEnrolment.id == enrolment_id, principal.site_filter(WorkshopEnrolment.site_id)
        )
    ).first()
    if enrolment is None:
        raise NotFound(_("Inscription introuvable."))
    leaving = CycleEndInput.validated(data, as_of=today or clock.today(), cycle_start_on=enrolment.cycle_start_on)
    enrolment.left_on = leaving.left_on
    session.add(enrolment)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_LEAVE,
        entity_type="workshop_enrolment",
        entity_id=enrolment.id,
        site_id=enrolment.site_id,
    )
    session.commit()


@dataclass(frozen=True)
class CycleRow:
    enrolment_id: int
    person_id: int
    code: str
    first_name: str | None  # only with VIEW_IDENTITY
    site_code: str
    cycle_start_on: date
    sessions_present: int  # workshop sessions attended since the cycle started
    modules_done: int
    safety_flag: bool = False  # the file's team only (services.persons.safety), never in an export


def _presences_in_cycle(session: Session, conditions: list) -> dict[int, int]:
    """Person id → workshop sessions attended since their cycle (of `conditions`) started."""
    return dict(
        session.exec(
            select(WorkshopAttendance.person_id, sa.func.count())
            .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
            .join(WorkshopEnrolment, sa.and_(WorkshopEnrolment.person_id == WorkshopAttendance.person_id, *conditions))
            .where(
                WorkshopAttendance.status == AttendanceStatus.PRESENT,
                WorkshopSession.session_on >= WorkshopEnrolment.cycle_start_on,
            )
            .group_by(WorkshopAttendance.person_id)
        ).all()
    )


def _completions_of(session: Session, person_ids: sa.Select) -> dict[int, int]:
    """Person id → modules validated, for the persons of `person_ids`."""
    return dict(
        session.exec(
            select(WorkshopCompletion.person_id, sa.func.count())
            .where(WorkshopCompletion.person_id.in_(person_ids))
            .group_by(WorkshopCompletion.person_id)
        ).all()
    )


def current_cycles(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None = None,
    cipher: FieldCipher | None = None,
    today: date | None = None,
) -> list[CycleRow]:
    """Persons whose cycle is open today (or starts later), by site then code, with what they did.
    Three statements: cycles, presences (GROUP BY person), completions (GROUP BY person)."""
    require_workshop_team(principal)
    today = today or clock.today()
    conditions = [
        principal.site_filter(WorkshopEnrolment.site_id),
        sa.or_(WorkshopEnrolment.left_on.is_(None), WorkshopEnrolment.left_on >= today),
    ]
    if site_id is not None:
        conditions.append(WorkshopEnrolment.site_id == site_id)
    see_names = principal.can(Capability.VIEW_IDENTITY) and cipher is not None
    token = Person.alias_encrypted if see_names else sa.null()
    rows = session.exec(
        select(
            WorkshopEnrolment.id,
            Person.id,
            Person.code,
            token,
            Site.code,
            WorkshopEnrolment.cycle_start_on,
            roster.listed_flag(principal, WorkshopEnrolment.site_id),
        )
        .join(Person, Person.id == WorkshopEnrolment.person_id)
        .join(Site, Site.id == WorkshopEnrolment.site_id)
        # A file moved to another site left its open cycles (services.persons.transfer); said again here.
        .where(*conditions, ~roster.moved_away(WorkshopEnrolment.site_id))
        .order_by(Site.code, Person.code)
    ).all()
    if not rows:
        return []
    presents = _presences_in_cycle(session, conditions)
    done = _completions_of(session, select(WorkshopEnrolment.person_id).where(*conditions))
    return [
        CycleRow(
            enrolment_id,
            person_id,
            code,
            cipher.decrypt(alias) if see_names else None,
            site_code,
            start,
            presents.get(person_id, 0),
            done.get(person_id, 0),
            bool(flagged),
        )
        for enrolment_id, person_id, code, alias, site_code, start, flagged in rows
    ]


# --- completions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleProgress:
    module_id: int
    module_name: str
    theme: WorkshopTheme
    is_active: bool
    sessions_present: int  # sessions of this module the person attended
    completed_on: date | None


@dataclass(frozen=True)
class PersonProgress:
    person_id: int
    code: str
    first_name: str | None  # only with VIEW_IDENTITY
    status: PersonStatus
    modules: list[ModuleProgress]

    @property
    def done(self) -> int:
        return sum(module.completed_on is not None for module in self.modules)


def person_progress(
    session: Session, principal: Principal, *, code: str, cipher: FieldCipher | None = None
) -> PersonProgress:
    """The modules of the person's site (active ones, and any other they attended or validated), with
    the sessions attended and the validation date. NotFound outside the principal's sites."""
    require_workshop_team(principal)
    person = person_by_code(session, principal, code)
    present = sa.func.sum(sa.case((WorkshopAttendance.status == AttendanceStatus.PRESENT, 1), else_=0))
    attended = dict(
        session.exec(
            select(WorkshopSession.module_id, present)
            .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
            .where(WorkshopAttendance.person_id == person.id)
            .group_by(WorkshopSession.module_id)
        ).all()
    )
    completed = dict(
        session.exec(
            select(WorkshopCompletion.module_id, WorkshopCompletion.completed_on).where(
                WorkshopCompletion.person_id == person.id
            )
        ).all()
    )
    modules = session.exec(
        select(WorkshopModule)
        .where(
            sa.or_(
                sa.and_(WorkshopModule.site_id == person.site_id, WorkshopModule.is_active == sa.true()),
                WorkshopModule.id.in_(sorted(set(attended) | set(completed))),
            )
        )
        .order_by(WorkshopModule.sort_order, WorkshopModule.name)
    ).all()
    return PersonProgress(
        person_id=person.id,
        code=person.code,
        first_name=_first_name(principal, cipher, person.alias_encrypted),
        status=person.status,
        modules=[
            ModuleProgress(m.id, m.name, m.theme, m.is_active, int(attended.get(m.id) or 0), completed.get(m.id))
            for m in modules
        ],
    )


class CompletionInput(FormInput):
    """What the form of a validated module sends; context: `as_of` (today) and `intake_on`, the intake day of
    the person's file."""

    module_id: int = Field(json_schema_extra=messages(MESSAGES["module"]))
    completed_on: CompletionDay

    @field_validator("completed_on")
    @classmethod
    def _past_and_after_intake(cls, value: date, info: ValidationInfo) -> date:
        if value > as_of(info):
            raise field_error(FUTURE_DATE)
        intake_on = context(info, "intake_on")
        if intake_on is not None and value < intake_on:
            raise field_error(MESSAGES["completed_before_intake"])
        return value


def _completable_module(
    session: Session, errors: dict[str, str], person: Person, module_id: int | None
) -> WorkshopModule | None:
    """A module of the person's site not yet validated by them, on a file still open to edits (else the
    message of the module field)."""
    module = session.get(WorkshopModule, module_id) if module_id else None
    if module is None or module.site_id != person.site_id:
        errors["module_id"] = message(MESSAGES, "module_site")
    elif session.exec(
        select(WorkshopCompletion.id).where(
            WorkshopCompletion.person_id == person.id, WorkshopCompletion.module_id == module.id
        )
    ).first():
        errors["module_id"] = message(MESSAGES, "module_done")
    elif person.status == PersonStatus.ANONYMISED:
        errors["module_id"] = message(MESSAGES, "anonymised")
    return module


def find_progress(
    session: Session, principal: Principal, *, code: str, cipher: FieldCipher | None = None
) -> PersonProgress | None:
    """`person_progress` of the file with this code, None when the principal has no file with it (a search
    typed in a form: nothing found is an answer, NO_SUCH_FILE)."""
    try:
        return person_progress(session, principal, code=code, cipher=cipher)
    except NotFound:
        return None


def mark_completed(
    session: Session,
    principal: Principal,
    *,
    person_id: int,
    data: CompletionInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Record that the person validated a module of their site on the day given (once per module)."""
    require_workshop_team(principal)
    person = person_in_scope(session, principal, person_id)
    completion_input, errors = checked(CompletionInput, data, as_of=today or clock.today(), intake_on=person.intake_on)
    module = None
    if "module_id" not in errors:
        module = _completable_module(session, errors, person, raw_id(data, "module_id"))
    refuse_if(errors)
    completion = WorkshopCompletion(
        person_id=person.id, module_id=module.id, site_id=module.site_id, completed_on=completion_input.completed_on
    )
    session.add(completion)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_COMPLETION,
        entity_type="workshop_completion",
        entity_id=completion.id,
        site_id=module.site_id,
    )
    session.commit()
    return completion.id
