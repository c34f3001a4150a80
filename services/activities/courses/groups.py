"""French-course groups and their learners.

Who may call:
- read: any role `services.activities.courses.access.visible_groups` lets see a group (formateur: the groups it
  teaches; chef_service and direction: the groups of their sites);
- create or edit a group, enrol a learner: chef_service of the group's site (a role that may see
  the site's person files, teach and edit activities);
- record that a learner left: whoever teaches the group (formateur of the group, chef_service of the
  site).
A group outside the principal's scope is answered like a group that does not exist (`NotFound`).
Learners are shown by code; their first name (encrypted identity) only to roles with VIEW_LEARNERS
(formateur, chef_service), never to direction. Every write: one transaction, one audit entry, no values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import N_, _, message
from models.courses import CefrLevel, CourseEnrolment, CourseGroup, CourseTeacher, LearnerProfile
from models.organisation import Role, Site, User, UserSite
from models.persons import Person, PersonStatus
from services.activities.courses.access import visible_groups
from services.platform import audit
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice

NAME_MAX = 120
SCHEDULE_MAX = 200
TEACHER_ROLES = (Role.FORMATEUR, Role.CHEF_SERVICE)
GROUP_NOT_FOUND = N_("Groupe introuvable.")
LEARNER_NOT_FOUND = N_("Apprenant·e introuvable.")
ANONYMISED = N_("Ce dossier est anonymisé : plus aucune saisie n'est possible.")

MESSAGES = {
    "site": N_("Choisissez un de vos sites."),
    "name": N_("Le nom du groupe est obligatoire."),
    "name_long": N_("Le nom du groupe ne peut dépasser {max} caractères."),
    "name_taken": N_("Un groupe porte déjà ce nom sur ce site."),
    "profile": N_("Choisissez un profil d'apprenant·es."),
    "target_level": N_("Choisissez un niveau visé."),
    "schedule_long": N_("Les horaires ne peuvent dépasser {max} caractères."),
    "starts_on": N_("La date de début est obligatoire."),
    "ends_on": N_("La date de fin ne peut pas précéder la date de début."),
    "teachers": N_("Choisissez au moins un·e formateur·rice du site."),
    "teacher_other": N_("Un·e des formateur·rices choisi·es n'intervient pas sur ce site."),
    "code": N_("Saisissez le code du dossier (par exemple LYO-2026-0042)."),
    "code_unknown": N_("Aucun dossier en cours d'accompagnement sur le site du groupe ne porte ce code."),
    "already": N_("Cette personne est déjà inscrite dans ce groupe."),
    "enrolled_on": N_("La date d'inscription est obligatoire."),
    "return_before": N_("Cette personne a quitté ce groupe le {left} : la nouvelle inscription doit être postérieure."),
    "enrolled_future": N_("La date d'inscription ne peut pas être dans le futur."),
    "enrolled_before_group": N_("La date d'inscription ne peut pas précéder le début du groupe."),
    "left_on": N_("La date de sortie est obligatoire."),
    "left_before": N_("La date de sortie ne peut pas précéder la date d'inscription."),
    "left_future": N_("La date de sortie ne peut pas être dans le futur."),
    "left_already": N_("Cette sortie est déjà enregistrée."),
}


# --- who may do what ----------------------------------------------------------------------------


def may_manage_groups(principal: Principal) -> bool:
    """chef_service: creates the groups of its sites and enrols their learners."""
    return principal.can(Capability.CONFIGURE_ACTIVITIES) and principal.can(Capability.VIEW_LEARNERS)


def may_teach(principal: Principal) -> bool:
    """formateur and chef_service: sessions, roll calls, assessments of the groups they see."""
    return principal.can(Capability.TEACH_COURSES) and principal.can(Capability.VIEW_LEARNERS)


def require_teacher(principal: Principal) -> None:
    if not may_teach(principal):
        raise PermissionDenied()


def require_group_manager(principal: Principal) -> None:
    if not may_manage_groups(principal):
        raise PermissionDenied()


def visible_group(session: Session, principal: Principal, group_id: int) -> CourseGroup:
    """The group if the principal may see it (scope checked in the query), else NotFound."""
    group = session.exec(select(CourseGroup).where(CourseGroup.id == group_id, visible_groups(principal))).first()
    if group is None:
        raise NotFound(_(GROUP_NOT_FOUND))
    return group


def visible_learner_ids(principal: Principal, group_id: int | None = None) -> sa.Select:
    """Person ids enrolled (now or before) in a group the principal sees (or in that one group)."""
    statement = (
        select(CourseEnrolment.person_id)
        .join(CourseGroup, CourseGroup.id == CourseEnrolment.group_id)
        .where(visible_groups(principal))
    )
    if group_id is not None:
        statement = statement.where(CourseEnrolment.group_id == group_id)
    return statement


def visible_learner(session: Session, principal: Principal, person_id: int) -> Person:
    """A person enrolled in one of the principal's visible groups, else NotFound (never 'elsewhere')."""
    person = session.exec(
        select(Person).where(Person.id == person_id, Person.id.in_(visible_learner_ids(principal)))
    ).first()
    if person is None:
        raise NotFound(_(LEARNER_NOT_FOUND))
    return person


def names_visible(principal: Principal) -> bool:
    """First names of learners: formateur and chef_service (VIEW_LEARNERS); never direction."""
    return principal.can(Capability.VIEW_LEARNERS)


# --- groups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeacherChoice:
    user_id: int
    display_name: str
    role: Role


@dataclass(frozen=True)
class GroupRow:
    id: int
    site_id: int
    site_code: str
    name: str
    profile: LearnerProfile
    target_level: CefrLevel
    schedule: str | None
    starts_on: date
    ends_on: date | None
    teacher_ids: tuple[int, ...]
    teacher_names: tuple[str, ...]
    current_learners: int  # enrolled and not left on the day asked
    version: int

    def is_running(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)


@dataclass(frozen=True)
class GroupInput:
    site_id: int | None
    name: str
    profile: LearnerProfile | None
    target_level: CefrLevel | None
    schedule: str | None
    starts_on: date | None
    ends_on: date | None
    teacher_ids: tuple[int, ...]


def manageable_sites(session: Session, principal: Principal) -> list[SiteChoice]:
    """Active sites where the principal may create groups (chef_service: its own)."""
    if not may_manage_groups(principal):
        return []
    rows = session.exec(
        select(Site).where(Site.is_active == sa.true(), principal.site_filter(Site.id)).order_by(Site.code)
    ).all()
    return [SiteChoice(site.id, site.code, site.name) for site in rows]


def teacher_choices(session: Session, principal: Principal, *, site_id: int) -> list[TeacherChoice]:
    """Active formateur·rices and chef·fes de service of a site the principal manages."""
    require_group_manager(principal)
    if not principal.may_see_site(site_id):
        return []
    rows = session.exec(
        select(User.id, User.display_name, User.role)
        .join(UserSite, UserSite.user_id == User.id)
        .where(UserSite.site_id == site_id, User.is_active == sa.true(), User.role.in_(TEACHER_ROLES))
        .order_by(User.role.desc(), User.display_name)  # formateur before chef_service
    ).all()
    return [TeacherChoice(row.id, row.display_name, Role(row.role)) for row in rows]


def list_groups(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None = None,
    running_on: date | None = None,
    group_id: int | None = None,
) -> list[GroupRow]:
    """Groups the principal sees (optionally of one site, running on a day, or one group), by site then name.

    Three queries whatever the number of groups: groups, teachers, current learner counts."""
    on = running_on or clock.today()
    conditions = [visible_groups(principal)]
    if site_id is not None:
        conditions.append(CourseGroup.site_id == site_id)
    if group_id is not None:
        conditions.append(CourseGroup.id == group_id)
    if running_on is not None:
        conditions += [CourseGroup.starts_on <= on, sa.or_(CourseGroup.ends_on.is_(None), CourseGroup.ends_on >= on)]
    rows = session.exec(
        select(CourseGroup, Site.code)
        .join(Site, Site.id == CourseGroup.site_id)
        .where(*conditions)
        .order_by(Site.code, CourseGroup.name)
    ).all()
    ids = [group.id for group, _ in rows]
    if not ids:
        return []
    teachers: dict[int, list[tuple[int, str]]] = {}
    for row in session.exec(
        select(CourseTeacher.group_id, User.id, User.display_name)
        .join(User, User.id == CourseTeacher.user_id)
        .where(CourseTeacher.group_id.in_(ids))
        .order_by(User.display_name)
    ).all():
        teachers.setdefault(row.group_id, []).append((row.id, row.display_name))
    counts = dict(
        session.exec(
            select(CourseEnrolment.group_id, sa.func.count())
            .where(
                CourseEnrolment.group_id.in_(ids),
                CourseEnrolment.enrolled_on <= on,
                sa.or_(CourseEnrolment.left_on.is_(None), CourseEnrolment.left_on >= on),
            )
            .group_by(CourseEnrolment.group_id)
        ).all()
    )
    return [
        GroupRow(
            id=group.id,
            site_id=group.site_id,
            site_code=code,
            name=group.name,
            profile=group.profile,
            target_level=group.target_level,
            schedule=group.schedule,
            starts_on=group.starts_on,
            ends_on=group.ends_on,
            teacher_ids=tuple(t[0] for t in teachers.get(group.id, [])),
            teacher_names=tuple(t[1] for t in teachers.get(group.id, [])),
            current_learners=int(counts.get(group.id, 0)),
            version=group.version,
        )
        for group, code in rows
    ]


def get_group(session: Session, principal: Principal, group_id: int) -> GroupRow:
    """One visible group (NotFound otherwise), as `list_groups` shows it."""
    rows = list_groups(session, principal, group_id=group_id)
    if not rows:
        raise NotFound(_(GROUP_NOT_FOUND))
    return rows[0]


def _clean_group(session: Session, principal: Principal, data: GroupInput, *, other_than: int | None = None) -> dict:
    errors: dict[str, str] = {}
    site = session.get(Site, data.site_id) if data.site_id is not None else None
    if site is None or not site.is_active or not principal.may_see_site(site.id):
        errors["site_id"] = message(MESSAGES, "site")
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = message(MESSAGES, "name")
    elif len(name) > NAME_MAX:
        errors["name"] = message(MESSAGES, "name_long", max=NAME_MAX)
    elif "site_id" not in errors:
        taken = select(CourseGroup.id).where(
            CourseGroup.site_id == site.id, sa.func.lower(CourseGroup.name) == name.lower()
        )
        if other_than is not None:
            taken = taken.where(CourseGroup.id != other_than)
        if session.exec(taken).first() is not None:
            errors["name"] = message(MESSAGES, "name_taken")
    try:
        profile = LearnerProfile(data.profile)
    except ValueError:
        errors["profile"] = message(MESSAGES, "profile")
        profile = None
    try:
        target = CefrLevel(data.target_level)
    except ValueError:
        errors["target_level"] = message(MESSAGES, "target_level")
        target = None
    schedule = " ".join((data.schedule or "").split()) or None
    if schedule and len(schedule) > SCHEDULE_MAX:
        errors["schedule"] = message(MESSAGES, "schedule_long", max=SCHEDULE_MAX)
    if data.starts_on is None:
        errors["starts_on"] = message(MESSAGES, "starts_on")
    elif data.ends_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = message(MESSAGES, "ends_on")
    teacher_ids = tuple(sorted({int(t) for t in data.teacher_ids or ()}))
    if not teacher_ids:
        errors["teacher_ids"] = message(MESSAGES, "teachers")
    elif "site_id" not in errors:
        allowed = {t.user_id for t in teacher_choices(session, principal, site_id=site.id)}
        if set(teacher_ids) - allowed:
            errors["teacher_ids"] = message(MESSAGES, "teacher_other")
    if errors:
        raise ValidationFailed(errors)
    return {
        "site_id": site.id,
        "name": name,
        "profile": profile,
        "target_level": target,
        "schedule": schedule,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "teacher_ids": teacher_ids,
    }


def create_group(session: Session, principal: Principal, data: GroupInput) -> int:
    """A new group on one of the chef_service's sites, with its teachers. Returns its id."""
    require_group_manager(principal)
    values = _clean_group(session, principal, data)
    teacher_ids = values.pop("teacher_ids")
    group = CourseGroup(**values)
    session.add(group)
    session.flush()
    for user_id in teacher_ids:
        session.add(CourseTeacher(group_id=group.id, user_id=user_id))
    audit.record(
        session,
        actor=principal,
        action="course_group.create",
        entity_type="course_group",
        entity_id=group.id,
        site_id=group.site_id,
    )
    session.commit()
    return group.id


def update_group(
    session: Session, principal: Principal, group_id: int, *, expected_version: int, data: GroupInput
) -> None:
    """Edit a group (its site stays: its sessions and attendance belong to that site); teachers replaced."""
    require_group_manager(principal)
    group = visible_group(session, principal, group_id)
    values = _clean_group(session, principal, replace(data, site_id=group.site_id), other_than=group.id)
    teacher_ids = values.pop("teacher_ids")
    values.pop("site_id")
    versioned_update(session, CourseGroup, group.id, int(expected_version), values)
    session.exec(sa.delete(CourseTeacher).where(CourseTeacher.group_id == group.id))  # type: ignore[call-overload]
    for user_id in teacher_ids:
        session.add(CourseTeacher(group_id=group.id, user_id=user_id))
    audit.record(
        session,
        actor=principal,
        action="course_group.update",
        entity_type="course_group",
        entity_id=group.id,
        site_id=group.site_id,
    )
    session.commit()
    session.expire(group)


# --- learners -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerRow:
    enrolment_id: int
    person_id: int
    code: str
    first_name: str | None  # only for roles with VIEW_LEARNERS
    enrolled_on: date
    left_on: date | None

    def is_current(self, on: date) -> bool:
        return self.enrolled_on <= on and (self.left_on is None or self.left_on >= on)


def list_learners(
    session: Session,
    principal: Principal,
    group_id: int,
    *,
    cipher: FieldCipher | None = None,
    include_left: bool = True,
) -> list[LearnerRow]:
    """Learners of a visible group, by code; first names decrypted only for VIEW_LEARNERS with a cipher."""
    group = visible_group(session, principal, group_id)
    decrypt = names_visible(principal) and cipher is not None
    columns = [CourseEnrolment.id, Person.id, Person.code, CourseEnrolment.enrolled_on, CourseEnrolment.left_on]
    if decrypt:
        columns.append(Person.alias_encrypted)
    statement = (
        select(*columns)
        .join(Person, Person.id == CourseEnrolment.person_id)
        .where(CourseEnrolment.group_id == group.id)
        .order_by(Person.code)
    )
    if not include_left:
        statement = statement.where(CourseEnrolment.left_on.is_(None))
    return [
        LearnerRow(row[0], row[1], row[2], cipher.decrypt(row[5]) if decrypt else None, row[3], row[4])
        for row in session.exec(statement).all()
    ]


def enrol_learner(
    session: Session,
    principal: Principal,
    *,
    group_id: int,
    code: str,
    enrolled_on: date | None,
    today: date | None = None,
) -> int:
    """Enrol the person whose file (in progress, on the group's site) has this code. Returns the enrolment id.

    A learner who had left the group comes back on the same enrolment (one per group and person): it
    restarts on the new date and its leaving date is cleared; their past attendance stays."""
    require_group_manager(principal)
    group = visible_group(session, principal, group_id)
    today = today or clock.today()
    errors: dict[str, str] = {}
    wanted = (code or "").strip().upper()
    person = None
    if not wanted:
        errors["code"] = message(MESSAGES, "code")
    else:
        person = session.exec(
            select(Person).where(
                Person.code == wanted,
                Person.site_id == group.site_id,
                Person.status == PersonStatus.ACTIVE,
                principal.site_filter(Person.site_id),
            )
        ).first()
        if person is None:
            errors["code"] = message(MESSAGES, "code_unknown")
    if enrolled_on is None:
        errors["enrolled_on"] = message(MESSAGES, "enrolled_on")
    elif enrolled_on > today:
        errors["enrolled_on"] = message(MESSAGES, "enrolled_future")
    elif enrolled_on < group.starts_on:
        errors["enrolled_on"] = message(MESSAGES, "enrolled_before_group")
    existing = None
    if person is not None:
        existing = session.exec(
            select(CourseEnrolment).where(CourseEnrolment.group_id == group.id, CourseEnrolment.person_id == person.id)
        ).first()
        if existing is not None and existing.left_on is None:
            errors["code"] = message(MESSAGES, "already")
        elif existing is not None and enrolled_on is not None and enrolled_on <= existing.left_on:
            errors["enrolled_on"] = message(MESSAGES, "return_before", left=existing.left_on.strftime("%d/%m/%Y"))
    if errors:
        raise ValidationFailed(errors)
    if existing is not None:
        existing.enrolled_on, existing.left_on = enrolled_on, None
        action, enrolment = "course_enrolment.return", existing
    else:
        enrolment = CourseEnrolment(
            group_id=group.id, person_id=person.id, site_id=group.site_id, enrolled_on=enrolled_on
        )
        action = "course_enrolment.create"
    session.add(enrolment)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=action,
        entity_type="course_enrolment",
        entity_id=enrolment.id,
        site_id=group.site_id,
    )
    session.commit()
    return enrolment.id


def record_leaving(
    session: Session, principal: Principal, *, enrolment_id: int, left_on: date | None, today: date | None = None
) -> None:
    """The learner left the group on `left_on` (no longer expected at its roll calls after that day)."""
    require_teacher(principal)
    enrolment = session.exec(
        select(CourseEnrolment)
        .join(CourseGroup, CourseGroup.id == CourseEnrolment.group_id)
        .where(CourseEnrolment.id == enrolment_id, visible_groups(principal))
    ).first()
    if enrolment is None:
        raise NotFound(_(LEARNER_NOT_FOUND))
    today = today or clock.today()
    if enrolment.left_on is not None:
        raise ValidationFailed({"left_on": message(MESSAGES, "left_already")})
    if left_on is None:
        raise ValidationFailed({"left_on": message(MESSAGES, "left_on")})
    if left_on < enrolment.enrolled_on:
        raise ValidationFailed({"left_on": message(MESSAGES, "left_before")})
    if left_on > today:
        raise ValidationFailed({"left_on": message(MESSAGES, "left_future")})
    enrolment.left_on = left_on
    session.add(enrolment)
    audit.record(
        session,
        actor=principal,
        action="course_enrolment.leave",
        entity_type="course_enrolment",
        entity_id=enrolment.id,
        site_id=enrolment.site_id,
    )
    session.commit()
