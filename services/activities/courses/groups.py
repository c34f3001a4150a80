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
The forms send a `GroupInput`, `EnrolmentInput` or `LeavingInput` (services.platform.inputs); what needs the
database (the site, a name free on it, its teachers, the file of a code) is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _, message
from models.audit import AuditAction
from models.courses import CefrLevel, CourseEnrolment, CourseGroup, CourseTeacher, LearnerProfile
from models.organisation import Role, Site, User, UserSite
from models.persons import Person, PersonStatus
from services.activities.courses.access import visible_groups
from services.persons import roster
from services.platform import audit
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.inputs import (
    FormInput,
    Ids,
    as_of,
    checked,
    context,
    field_error,
    messages,
    one_line,
    optional_text,
    raw,
    raw_id,
    raw_ids,
    refuse_if,
    required_day,
    required_text,
)
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice, sites_of

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
GroupName = required_text(NAME_MAX, MESSAGES["name"], MESSAGES["name_long"], max=NAME_MAX, on_one_line=True)
Schedule = optional_text(SCHEDULE_MAX, MESSAGES["schedule_long"], max=SCHEDULE_MAX, on_one_line=True)
GroupStart = required_day(MESSAGES["starts_on"])
EnrolmentDay = required_day(MESSAGES["enrolled_on"])
LeavingDay = required_day(MESSAGES["left_on"])


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


def _visible_learner(session: Session, principal: Principal, person_id: int) -> Person:
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


class GroupInput(FormInput):
    """What the group form sends. Its site is checked in the service (one of the principal's sites; an
    edit keeps the group's), with the name free on that site and the teachers of that site."""

    site_id: int | None = Field(None, json_schema_extra=messages(MESSAGES["site"]))
    name: GroupName
    profile: LearnerProfile = Field(json_schema_extra=messages(MESSAGES["profile"]))
    target_level: CefrLevel = Field(json_schema_extra=messages(MESSAGES["target_level"]))
    schedule: Schedule = None
    starts_on: GroupStart
    ends_on: date | None = None
    teacher_ids: Ids = Field(min_length=1, json_schema_extra=messages(MESSAGES["teachers"]))

    @field_validator("ends_on")
    @classmethod
    def _not_before_the_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        starts_on = info.data.get("starts_on")
        if value is not None and starts_on is not None and value < starts_on:
            raise field_error(MESSAGES["ends_on"])
        return value

    @field_validator("teacher_ids")
    @classmethod
    def _each_once(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(value)))


class EnrolmentInput(FormInput):
    """What the enrolment form sends: the code of a file (looked up in the service) and the first day.
    Context: `as_of` (today) and `group_starts_on`, the first day of the group."""

    code: str = Field(min_length=1, json_schema_extra=messages(MESSAGES["code"]))
    enrolled_on: EnrolmentDay

    @field_validator("code")
    @classmethod
    def _upper_case(cls, value: str) -> str:
        return value.upper()

    @field_validator("enrolled_on")
    @classmethod
    def _past_and_within_the_group(cls, value: date, info: ValidationInfo) -> date:
        if value > as_of(info):
            raise field_error(MESSAGES["enrolled_future"])
        starts_on = context(info, "group_starts_on")
        if starts_on is not None and value < starts_on:
            raise field_error(MESSAGES["enrolled_before_group"])
        return value


class LeavingInput(FormInput):
    """What the leaving form sends; context: `as_of` (today) and `enrolled_on`, the enrolment's first day."""

    left_on: LeavingDay

    @field_validator("left_on")
    @classmethod
    def _after_enrolment_and_past(cls, value: date, info: ValidationInfo) -> date:
        enrolled_on = context(info, "enrolled_on")
        if enrolled_on is not None and value < enrolled_on:
            raise field_error(MESSAGES["left_before"])
        if value > as_of(info):
            raise field_error(MESSAGES["left_future"])
        return value


def manageable_sites(session: Session, principal: Principal) -> list[SiteChoice]:
    """Active sites where the principal may create groups (chef_service: its own)."""
    if not may_manage_groups(principal):
        return []
    return sites_of(session, principal)


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


def _teachers_of(session: Session, ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Group id → (user id, display name) of its teachers, by name."""
    teachers: dict[int, list[tuple[int, str]]] = {}
    for row in session.exec(
        select(CourseTeacher.group_id, User.id, User.display_name)
        .join(User, User.id == CourseTeacher.user_id)
        .where(CourseTeacher.group_id.in_(ids))
        .order_by(User.display_name)
    ).all():
        teachers.setdefault(row.group_id, []).append((row.id, row.display_name))
    return teachers


def _current_learners(session: Session, ids: list[int], on: date) -> dict[int, int]:
    """Group id → learners enrolled and not left on the day `on`."""
    return dict(
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
    teachers = _teachers_of(session, ids)
    counts = _current_learners(session, ids, on)
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


def _name_taken(session: Session, site_id: int, name: str, other_than: int | None) -> bool:
    taken = select(CourseGroup.id).where(
        CourseGroup.site_id == site_id, sa.func.lower(CourseGroup.name) == name.lower()
    )
    if other_than is not None:
        taken = taken.where(CourseGroup.id != other_than)
    return session.exec(taken).first() is not None


def _checked_group(
    session: Session, principal: Principal, data: GroupInput | Mapping[str, object], *, other_than: int | None = None
) -> GroupInput:
    """The input, or ValidationFailed with every field's message: the model's rules, then one of the
    principal's active sites, a name free on it and teachers of it."""
    group_input, errors = checked(GroupInput, data)
    site_id = raw_id(data, "site_id")
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None or not site.is_active or not principal.may_see_site(site.id):
        errors.setdefault("site_id", message(MESSAGES, "site"))
    name = str(one_line(raw(data).get("name")))
    if "site_id" not in errors and "name" not in errors and _name_taken(session, site.id, name, other_than):
        errors["name"] = message(MESSAGES, "name_taken")
    if "site_id" not in errors and "teacher_ids" not in errors:
        allowed = {t.user_id for t in teacher_choices(session, principal, site_id=site.id)}
        if raw_ids(data, "teacher_ids") - allowed:
            errors["teacher_ids"] = message(MESSAGES, "teacher_other")
    refuse_if(errors)
    return group_input


def _columns(group_input: GroupInput) -> dict[str, object]:
    return {
        "name": group_input.name,
        "profile": group_input.profile,
        "target_level": group_input.target_level,
        "schedule": group_input.schedule,
        "starts_on": group_input.starts_on,
        "ends_on": group_input.ends_on,
    }


def create_group(session: Session, principal: Principal, *, data: GroupInput | Mapping[str, object]) -> int:
    """A new group on one of the chef_service's sites, with its teachers. Returns its id."""
    require_group_manager(principal)
    group_input = _checked_group(session, principal, data)
    group = CourseGroup(site_id=group_input.site_id, **_columns(group_input))
    session.add(group)
    session.flush()
    for user_id in group_input.teacher_ids:
        session.add(CourseTeacher(group_id=group.id, user_id=user_id))
    audit.record(
        session,
        actor=principal,
        action=AuditAction.COURSE_GROUP_CREATE,
        entity_type="course_group",
        entity_id=group.id,
        site_id=group.site_id,
    )
    session.commit()
    return group.id


def update_group(
    session: Session,
    principal: Principal,
    group_id: int,
    *,
    expected_version: int,
    data: GroupInput | Mapping[str, object],
) -> None:
    """Edit a group (its site stays: its sessions and attendance belong to that site); teachers replaced."""
    require_group_manager(principal)
    group = visible_group(session, principal, group_id)
    group_input = _checked_group(session, principal, raw(data) | {"site_id": group.site_id}, other_than=group.id)
    versioned_update(session, CourseGroup, group.id, int(expected_version), _columns(group_input))
    session.exec(sa.delete(CourseTeacher).where(CourseTeacher.group_id == group.id))  # type: ignore[call-overload]
    for user_id in group_input.teacher_ids:
        session.add(CourseTeacher(group_id=group.id, user_id=user_id))
    audit.record(
        session,
        actor=principal,
        action=AuditAction.COURSE_GROUP_UPDATE,
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
    # A file since moved to another site (services.persons.roster): code empty, no first name, no flag.
    transferred: bool = False
    safety_flag: bool = False  # the file's team only (services.persons.safety), never in an export

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
    code = roster.listed_code(group.site_id)
    columns = [
        CourseEnrolment.id,
        Person.id,
        code,
        CourseEnrolment.enrolled_on,
        CourseEnrolment.left_on,
        roster.moved_away(group.site_id),
        roster.listed_flag(principal, group.site_id),
    ]
    if decrypt:
        columns.append(roster.listed_alias(group.site_id))
    statement = (
        select(*columns)
        .join(Person, Person.id == CourseEnrolment.person_id)
        .where(CourseEnrolment.group_id == group.id)
        .order_by(code, CourseEnrolment.id)
    )
    if not include_left:
        statement = statement.where(CourseEnrolment.left_on.is_(None))
    return [
        LearnerRow(
            row[0],
            row[1],
            row[2],
            cipher.decrypt(row[7]) if decrypt and row[7] is not None else None,
            row[3],
            row[4],
            transferred=bool(row[5]),
            safety_flag=bool(row[6]),
        )
        for row in session.exec(statement).all()
    ]


def _learner_of_the_site(session: Session, principal: Principal, group: CourseGroup, code: str) -> Person | None:
    """The file being accompanied, on the group's site, with this code (upper case)."""
    return session.exec(
        select(Person).where(
            Person.code == code,
            Person.site_id == group.site_id,
            Person.status == PersonStatus.ACTIVE,
            principal.site_filter(Person.site_id),
        )
    ).first()


def _check_learner(
    session: Session,
    principal: Principal,
    group: CourseGroup,
    enrolment: EnrolmentInput | None,
    errors: dict[str, str],
    code: str,
) -> tuple[Person | None, CourseEnrolment | None]:
    """The person to enrol and their former enrolment in the group, if any; messages added to `errors`:
    no such file, already in the group, or back before the day they left."""
    person = _learner_of_the_site(session, principal, group, code) if "code" not in errors else None
    if person is None:
        errors.setdefault("code", message(MESSAGES, "code_unknown"))
        return None, None
    existing = session.exec(
        select(CourseEnrolment).where(CourseEnrolment.group_id == group.id, CourseEnrolment.person_id == person.id)
    ).first()
    if existing is not None and existing.left_on is None:
        errors["code"] = message(MESSAGES, "already")
    elif existing is not None and enrolment is not None and enrolment.enrolled_on <= existing.left_on:
        errors["enrolled_on"] = message(MESSAGES, "return_before", left=existing.left_on.strftime("%d/%m/%Y"))
    return person, existing


def enrol_learner(
    session: Session,
    principal: Principal,
    *,
    group_id: int,
    data: EnrolmentInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Enrol the person whose file (in progress, on the group's site) has the code given. Returns the
    enrolment id.

    A learner who had left the group comes back on the same enrolment (one per group and person): it
    restarts on the new date and its leaving date is cleared; their past attendance stays."""
    require_group_manager(principal)
    group = visible_group(session, principal, group_id)
    enrolment, errors = checked(EnrolmentInput, data, as_of=today or clock.today(), group_starts_on=group.starts_on)
    code = str(raw(data).get("code") or "").strip().upper()
    person, existing = _check_learner(session, principal, group, enrolment, errors, code)
    refuse_if(errors)
    if existing is not None:
        existing.enrolled_on, existing.left_on = enrolment.enrolled_on, None
        action, row = AuditAction.COURSE_ENROLMENT_RETURN, existing
    else:
        row = CourseEnrolment(
            group_id=group.id, person_id=person.id, site_id=group.site_id, enrolled_on=enrolment.enrolled_on
        )
        action = AuditAction.COURSE_ENROLMENT_CREATE
    session.add(row)
    session.flush()
    audit.record(
        session, actor=principal, action=action, entity_type="course_enrolment", entity_id=row.id, site_id=group.site_id
    )
    session.commit()
    return row.id


def record_leaving(
    session: Session,
    principal: Principal,
    *,
    enrolment_id: int,
    data: LeavingInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """The learner left the group on the day given (no longer expected at its roll calls after that day)."""
    require_teacher(principal)
    enrolment = session.exec(
        select(CourseEnrolment)
        .join(CourseGroup, CourseGroup.id == CourseEnrolment.group_id)
        .where(CourseEnrolment.id == enrolment_id, visible_groups(principal))
    ).first()
    if enrolment is None:
        raise NotFound(_(LEARNER_NOT_FOUND))
    if enrolment.left_on is not None:
        raise ValidationFailed({"left_on": message(MESSAGES, "left_already")})
    leaving = LeavingInput.validated(data, as_of=today or clock.today(), enrolled_on=enrolment.enrolled_on)
    enrolment.left_on = leaving.left_on
    session.add(enrolment)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.COURSE_ENROLMENT_LEAVE,
        entity_type="course_enrolment",
        entity_id=enrolment.id,
        site_id=enrolment.site_id,
    )
    session.commit()
