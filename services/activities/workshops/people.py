"""Persons in workshops: enrolment in a site's cycle, leaving it, and the modules each person validated.

Who may call: the workshop team (RUN_FIELD_ACTIVITIES: intervenant, chef_service), for
files of its sites; first names are decrypted only for roles with VIEW_IDENTITY. A person is enrolled
on the site of their file; only files being accompanied (status active) can join a cycle.
Completions appear on the person's timeline (services/persons/timeline.py reads WorkshopCompletion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.attendance import AttendanceStatus
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
from services.persons.access import person_by_code, person_in_scope
from services.platform import audit
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import FUTURE_DATE

START_AHEAD_DAYS = 90
NOT_ACCOMPANIED = N_("Seules les personnes en cours d'accompagnement peuvent être inscrites à un cycle.")


def _first_name(principal: Principal, cipher: FieldCipher | None, token: str | None) -> str | None:
    if cipher is None or not principal.can(Capability.VIEW_IDENTITY):
        return None
    return cipher.decrypt(token)


# --- cycles -------------------------------------------------------------------------------------


def enrol_person(
    session: Session, principal: Principal, *, code: str, cycle_start_on: date | None, today: date | None = None
) -> int:
    """Enrol the person with pseudonymous `code` (a file of the principal's sites, being accompanied)
    in the workshop cycle of their site from `cycle_start_on`. Refused while another cycle of theirs is
    open. Returns the enrolment id."""
    require_workshop_team(principal)
    today = today or clock.today()
    try:
        person = person_by_code(session, principal, code)
    except NotFound as exc:
        raise ValidationFailed({"code": str(exc)}) from exc
    errors: dict[str, str] = {}
    if person.status != PersonStatus.ACTIVE:
        errors["code"] = _(NOT_ACCOMPANIED)
    if cycle_start_on is None:
        errors["cycle_start_on"] = _("La date de début du cycle est obligatoire.")
    elif cycle_start_on < person.intake_on:
        errors["cycle_start_on"] = _("Le cycle ne peut pas commencer avant l'accueil de la personne.")
    elif cycle_start_on > today + timedelta(days=START_AHEAD_DAYS):
        errors["cycle_start_on"] = _("Un cycle s'inscrit au plus {days} jours à l'avance.").format(
            days=START_AHEAD_DAYS
        )
    if not errors:
        open_since = session.exec(
            select(WorkshopEnrolment.cycle_start_on).where(
                WorkshopEnrolment.person_id == person.id,
                sa.or_(WorkshopEnrolment.left_on.is_(None), WorkshopEnrolment.left_on >= cycle_start_on),
            )
        ).first()
        if open_since is not None:
            errors["code"] = _(
                "Cette personne est déjà inscrite dans un cycle (depuis le {day}) : indiquez d'abord sa date de sortie."
            ).format(day=f"{open_since:%d/%m/%Y}")
    if errors:
        raise ValidationFailed(errors)
    enrolment = WorkshopEnrolment(person_id=person.id, site_id=person.site_id, cycle_start_on=cycle_start_on)
    session.add(enrolment)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action="workshop.enrol",
        entity_type="workshop_enrolment",
        entity_id=enrolment.id,
        site_id=person.site_id,
    )
    session.commit()
    return enrolment.id


def end_cycle(
    session: Session, principal: Principal, enrolment_id: int, *, left_on: date | None, today: date | None = None
) -> None:
    """Record the day a person left (or finished) their cycle; rolls taken before stay."""
    require_workshop_team(principal)
    today = today or clock.today()
    enrolment = session.exec(
        select(WorkshopEnrolment).where(
            WorkshopEnrolment.id == enrolment_id, principal.site_filter(WorkshopEnrolment.site_id)
        )
    ).first()
    if enrolment is None:
        raise NotFound(_("Inscription introuvable."))
    if left_on is None:
        raise ValidationFailed({"left_on": _("La date de sortie est obligatoire.")})
    if left_on > today:
        raise ValidationFailed({"left_on": _(FUTURE_DATE)})
    if left_on < enrolment.cycle_start_on:
        raise ValidationFailed({"left_on": _("La sortie ne peut pas précéder le début du cycle.")})
    enrolment.left_on = left_on
    session.add(enrolment)
    audit.record(
        session,
        actor=principal,
        action="workshop.leave",
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
        select(WorkshopEnrolment.id, Person.id, Person.code, token, Site.code, WorkshopEnrolment.cycle_start_on)
        .join(Person, Person.id == WorkshopEnrolment.person_id)
        .join(Site, Site.id == WorkshopEnrolment.site_id)
        .where(*conditions)
        .order_by(Site.code, Person.code)
    ).all()
    if not rows:
        return []
    in_cycles = select(WorkshopEnrolment.person_id).where(*conditions)
    presents: dict[int, int] = dict(
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
    done: dict[int, int] = dict(
        session.exec(
            select(WorkshopCompletion.person_id, sa.func.count())
            .where(WorkshopCompletion.person_id.in_(in_cycles))
            .group_by(WorkshopCompletion.person_id)
        ).all()
    )
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
        )
        for enrolment_id, person_id, code, alias, site_code, start in rows
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


def mark_completed(
    session: Session,
    principal: Principal,
    *,
    person_id: int,
    module_id: int | None,
    completed_on: date | None,
    today: date | None = None,
) -> int:
    """Record that the person validated a module of their site on `completed_on` (once per module)."""
    require_workshop_team(principal)
    today = today or clock.today()
    person = person_in_scope(session, principal, person_id)
    errors: dict[str, str] = {}
    if person.status == PersonStatus.ANONYMISED:
        errors["module_id"] = _("Ce dossier est anonymisé : il ne peut plus être modifié.")
    module = session.get(WorkshopModule, module_id) if module_id else None
    if module is None or module.site_id != person.site_id:
        errors["module_id"] = _("Choisissez un module du site de la personne.")
    elif session.exec(
        select(WorkshopCompletion.id).where(
            WorkshopCompletion.person_id == person.id, WorkshopCompletion.module_id == module.id
        )
    ).first():
        errors["module_id"] = _("Ce module est déjà validé pour cette personne.")
    if completed_on is None:
        errors["completed_on"] = _("La date de validation est obligatoire.")
    elif completed_on > today:
        errors["completed_on"] = _(FUTURE_DATE)
    elif completed_on < person.intake_on:
        errors["completed_on"] = _("La validation ne peut pas précéder l'accueil de la personne.")
    if errors:
        raise ValidationFailed(errors)
    completion = WorkshopCompletion(
        person_id=person.id, module_id=module.id, site_id=module.site_id, completed_on=completed_on
    )
    session.add(completion)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action="workshop.completion",
        entity_type="workshop_completion",
        entity_id=completion.id,
        site_id=module.site_id,
    )
    session.commit()
    return completion.id
