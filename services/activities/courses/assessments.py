"""CECRL assessments, DILF/DELF attempts and moves to a mainstream (droit commun) course of a learner.

Who may call: writes, whoever teaches (formateur, chef_service: `services.activities.courses.groups.may_teach`) for a
learner of a group it sees; a learner outside the principal's groups is "not found". Reads: any role
that sees one of the learner's groups (comments only for VIEW_LEARNERS). Direction reads the counts.
Every write: one transaction, one audit entry (never the level, comment or destination), and it
counts as a contact with the person (last_contact_on, never moved into the future).
The forms send an `AssessmentInput`, `CertificationInput`, `ResultInput` or `TransitionInput`
(services.platform.inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _, message
from models.audit import AuditAction
from models.courses import (
    CefrLevel,
    Certification,
    CertificationAttempt,
    CertificationResult,
    CourseEnrolment,
    LanguageAssessment,
    LanguageSkill,
    MainstreamTransition,
)
from models.persons import Person, PersonStatus
from services.activities.courses.groups import (
    ANONYMISED,
    _visible_learner,
    names_visible,
    require_teacher,
    visible_group,
)
from services.persons.access import touch_last_contact
from services.persons.consent import counted
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied
from services.platform.inputs import (
    FormInput,
    as_of,
    checked,
    context,
    field_error,
    messages,
    optional_text,
    refuse_if,
    required_day,
    required_text,
)
from services.platform.principal import Capability, Principal

COMMENT_MAX = 500
DESTINATION_MAX = 160
CERTIFICATION_AHEAD_DAYS = 366  # a registration for a coming exam session

MESSAGES = {
    "date": N_("La date est obligatoire."),
    "future": N_("La date ne peut pas être dans le futur."),
    "skill": N_("Choisissez une compétence."),
    "level": N_("Choisissez un niveau."),
    "comment_long": N_("Le commentaire ne peut dépasser {max} caractères."),
    "not_in_group": N_("Cette personne n'est pas inscrite dans ce groupe."),
    "certification": N_("Choisissez une certification."),
    "result": N_("Choisissez un résultat."),
    "result_too_early": N_("Le résultat ne peut être connu qu'après l'épreuve : laissez « En attente »."),
    "too_far": N_("La date de l'épreuve ne peut pas être à plus d'un an."),
    "destination": N_("Indiquez où la personne poursuit (organisme, dispositif)."),
    "destination_long": N_("La destination ne peut dépasser {max} caractères."),
    "period": N_("La fin de la période ne peut pas précéder son début."),
}


def _past_day(value: date, info: ValidationInfo) -> date:
    if value > as_of(info):
        raise field_error(MESSAGES["future"])
    return value


PastDay = Annotated[required_day(MESSAGES["date"]), AfterValidator(_past_day)]
AttemptDay = required_day(MESSAGES["date"])
Comment = optional_text(COMMENT_MAX, MESSAGES["comment_long"], on_one_line=False, max=COMMENT_MAX)
Destination = required_text(
    DESTINATION_MAX, MESSAGES["destination"], MESSAGES["destination_long"], max=DESTINATION_MAX, on_one_line=True
)


def _writable_learner(session: Session, principal: Principal, person_id: int) -> Person:
    require_teacher(principal)
    person = _visible_learner(session, principal, person_id)
    if person.status == PersonStatus.ANONYMISED:
        raise PermissionDenied(_(ANONYMISED))
    return person


# --- assessments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentSaved:
    id: int
    is_positioning: bool


@dataclass(frozen=True)
class AssessmentRow:
    id: int
    assessed_on: date
    skill: LanguageSkill
    level: CefrLevel
    is_positioning: bool
    group_id: int | None
    comment: str | None  # only for VIEW_LEARNERS


class AssessmentInput(FormInput):
    """What the assessment form sends; context: `as_of` (today)."""

    assessed_on: PastDay
    skill: LanguageSkill = Field(json_schema_extra=messages(MESSAGES["skill"]))
    level: CefrLevel = Field(json_schema_extra=messages(MESSAGES["level"]))
    comment: Comment = None


def _take_positioning(session: Session, person_id: int, skill: LanguageSkill, assessed_on: date) -> bool:
    """Whether an assessment of `skill` dated `assessed_on` is the learner's positioning: no other is dated on
    or before it. If so, the former positioning (dated after) becomes a re-assessment."""
    same_skill = (LanguageAssessment.person_id == person_id, LanguageAssessment.skill == skill)
    earlier = session.exec(
        select(LanguageAssessment.id).where(*same_skill, LanguageAssessment.assessed_on <= assessed_on).limit(1)
    ).first()
    if earlier is not None:
        return False
    session.exec(  # type: ignore[call-overload]
        sa.update(LanguageAssessment)
        .where(*same_skill, LanguageAssessment.assessed_on > assessed_on)
        .values(is_positioning=False)
        .execution_options(synchronize_session=False)
    )
    return True


def record_assessment(
    session: Session,
    principal: Principal,
    *,
    group_id: int,
    person_id: int,
    data: AssessmentInput | Mapping[str, object],
    today: date | None = None,
) -> AssessmentSaved:
    """Record the level of one skill of a learner of the group, on a past or present day.

    `is_positioning` is computed: true when no assessment of that skill for that learner is dated on
    or before this one (an assessment entered late, before the former first one, becomes the
    positioning and the former loses the flag)."""
    require_teacher(principal)
    group = visible_group(session, principal, group_id)
    person = _writable_learner(session, principal, person_id)
    assessment, errors = checked(AssessmentInput, data, as_of=today or clock.today())
    enrolled = session.exec(
        select(CourseEnrolment.id).where(CourseEnrolment.group_id == group.id, CourseEnrolment.person_id == person.id)
    ).first()
    if enrolled is None:
        errors["person_id"] = message(MESSAGES, "not_in_group")
    refuse_if(errors)
    positioning = _take_positioning(session, person.id, assessment.skill, assessment.assessed_on)
    row = LanguageAssessment(
        person_id=person.id,
        site_id=group.site_id,
        group_id=group.id,
        assessed_on=assessment.assessed_on,
        skill=assessment.skill,
        level=assessment.level,
        is_positioning=positioning,
        comment=assessment.comment,
        assessor_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    touch_last_contact(session, person, assessment.assessed_on)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.LANGUAGE_ASSESSMENT_CREATE,
        entity_type="language_assessment",
        entity_id=row.id,
        site_id=group.site_id,
    )
    session.commit()
    return AssessmentSaved(row.id, positioning)


def list_assessments(session: Session, principal: Principal, person_id: int) -> list[AssessmentRow]:
    """A visible learner's assessments, newest first (comments only for VIEW_LEARNERS)."""
    person = _visible_learner(session, principal, person_id)
    show_comment = names_visible(principal)
    rows = session.exec(
        select(LanguageAssessment)
        .where(LanguageAssessment.person_id == person.id, principal.site_filter(LanguageAssessment.site_id))
        .order_by(LanguageAssessment.assessed_on.desc(), LanguageAssessment.id.desc())
    ).all()
    return [
        AssessmentRow(
            r.id, r.assessed_on, r.skill, r.level, r.is_positioning, r.group_id, r.comment if show_comment else None
        )
        for r in rows
    ]


# --- certifications -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificationRow:
    id: int
    certification: Certification
    attempted_on: date
    result: CertificationResult


def _result_known(result: CertificationResult, attempted_on: date | None, info: ValidationInfo) -> None:
    """A result other than pending only once the exam took place."""
    if result != CertificationResult.PENDING and attempted_on is not None and attempted_on > as_of(info):
        raise field_error(MESSAGES["result_too_early"])


class CertificationInput(FormInput):
    """What the certification form sends (a coming exam: a registration, its result pending); context:
    `as_of` (today)."""

    certification: Certification = Field(json_schema_extra=messages(MESSAGES["certification"]))
    attempted_on: AttemptDay
    result: CertificationResult = Field(CertificationResult.PENDING, json_schema_extra=messages(MESSAGES["result"]))

    @field_validator("attempted_on")
    @classmethod
    def _within_a_year(cls, value: date, info: ValidationInfo) -> date:
        if value > as_of(info) + timedelta(days=CERTIFICATION_AHEAD_DAYS):
            raise field_error(MESSAGES["too_far"])
        return value

    @field_validator("result")
    @classmethod
    def _known_after_the_exam(cls, value: CertificationResult, info: ValidationInfo) -> CertificationResult:
        _result_known(value, info.data.get("attempted_on"), info)
        return value


class ResultInput(FormInput):
    """What the result form of a pending exam sends; context: `as_of` (today) and `attempted_on`, the day of
    the exam."""

    result: CertificationResult = Field(json_schema_extra=messages(MESSAGES["result"]))

    @field_validator("result")
    @classmethod
    def _known_after_the_exam(cls, value: CertificationResult, info: ValidationInfo) -> CertificationResult:
        _result_known(value, context(info, "attempted_on"), info)
        return value


def record_certification(
    session: Session,
    principal: Principal,
    *,
    person_id: int,
    data: CertificationInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """A DILF / DELF attempt (or a registration for a coming exam, result pending). Returns its id."""
    person = _writable_learner(session, principal, person_id)
    today = today or clock.today()
    attempt = CertificationInput.validated(data, as_of=today)
    row = CertificationAttempt(
        person_id=person.id,
        site_id=person.site_id,
        certification=attempt.certification,
        attempted_on=attempt.attempted_on,
        result=attempt.result,
    )
    session.add(row)
    session.flush()
    touch_last_contact(session, person, min(attempt.attempted_on, today))
    audit.record(
        session,
        actor=principal,
        action=AuditAction.CERTIFICATION_ATTEMPT_CREATE,
        entity_type="certification_attempt",
        entity_id=row.id,
        site_id=person.site_id,
    )
    session.commit()
    return row.id


def set_certification_result(
    session: Session,
    principal: Principal,
    attempt_id: int,
    *,
    data: ResultInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Update the result of an attempt of a visible learner (passed / failed once the exam took place)."""
    require_teacher(principal)
    attempt = session.exec(
        select(CertificationAttempt).where(
            CertificationAttempt.id == attempt_id, principal.site_filter(CertificationAttempt.site_id)
        )
    ).first()
    if attempt is None:
        raise NotFound()
    _writable_learner(session, principal, attempt.person_id)
    outcome = ResultInput.validated(data, as_of=today or clock.today(), attempted_on=attempt.attempted_on)
    attempt.result = outcome.result
    session.add(attempt)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.CERTIFICATION_ATTEMPT_RESULT,
        entity_type="certification_attempt",
        entity_id=attempt.id,
        site_id=attempt.site_id,
    )
    session.commit()


def list_certifications(session: Session, principal: Principal, person_id: int) -> list[CertificationRow]:
    person = _visible_learner(session, principal, person_id)
    rows = session.exec(
        select(CertificationAttempt)
        .where(CertificationAttempt.person_id == person.id, principal.site_filter(CertificationAttempt.site_id))
        .order_by(CertificationAttempt.attempted_on.desc(), CertificationAttempt.id.desc())
    ).all()
    return [CertificationRow(r.id, r.certification, r.attempted_on, r.result) for r in rows]


# --- move to a mainstream course ----------------------------------------------------------------


@dataclass(frozen=True)
class TransitionRow:
    id: int
    moved_on: date
    destination: str | None  # the teaching roles only (names_visible)


class TransitionInput(FormInput):
    """What the form of a move to a mainstream course sends; context: `as_of` (today)."""

    moved_on: PastDay
    destination: Destination


def record_transition(
    session: Session,
    principal: Principal,
    *,
    person_id: int,
    data: TransitionInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """The learner moved on to a mainstream (droit commun) French course: where, and when. Returns its id."""
    person = _writable_learner(session, principal, person_id)
    move = TransitionInput.validated(data, as_of=today or clock.today())
    row = MainstreamTransition(
        person_id=person.id, site_id=person.site_id, moved_on=move.moved_on, destination=move.destination
    )
    session.add(row)
    session.flush()
    touch_last_contact(session, person, move.moved_on)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.MAINSTREAM_TRANSITION_CREATE,
        entity_type="mainstream_transition",
        entity_id=row.id,
        site_id=person.site_id,
    )
    session.commit()
    return row.id


def list_transitions(session: Session, principal: Principal, person_id: int) -> list[TransitionRow]:
    person = _visible_learner(session, principal, person_id)
    rows = session.exec(
        select(MainstreamTransition)
        .where(MainstreamTransition.person_id == person.id, principal.site_filter(MainstreamTransition.site_id))
        .order_by(MainstreamTransition.moved_on.desc(), MainstreamTransition.id.desc())
    ).all()
    show_destination = names_visible(principal)  # like comments: the teaching roles, never direction
    return [TransitionRow(r.id, r.moved_on, r.destination if show_destination else None) for r in rows]


class TransitionPeriod(FormInput):
    """The period of a count of moves: its first and last days (the last one not before the first)."""

    start: date
    end: date

    @field_validator("end")
    @classmethod
    def _not_before_the_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise field_error(MESSAGES["period"])
        return value


def count_transitions(
    session: Session, principal: Principal, *, start: date, end: date, site_ids: frozenset[int] | None = None
) -> int:
    """Moves to a mainstream course dated within [start, end] on the principal's sites (or some of them).

    An outcome the director dashboard counts: roles with VIEW_COURSE_FIGURES. One COUNT query."""
    principal.require(Capability.VIEW_COURSE_FIGURES)
    TransitionPeriod.validated({"start": start, "end": end})
    conditions = [
        principal.site_filter(MainstreamTransition.site_id),
        MainstreamTransition.moved_on >= start,
        MainstreamTransition.moved_on <= end,
        counted(MainstreamTransition.person_id, MainstreamTransition.moved_on),
    ]
    if site_ids is not None:
        conditions.append(MainstreamTransition.site_id.in_(sorted(site_ids)))
    return int(session.exec(select(sa.func.count()).select_from(MainstreamTransition).where(*conditions)).one())


def transitions_by_site(session: Session, principal: Principal, *, start: date, end: date) -> dict[int, int]:
    """Same count as `count_transitions`, per site (site id → moves), one GROUP BY query."""
    principal.require(Capability.VIEW_COURSE_FIGURES)
    rows = session.exec(
        select(MainstreamTransition.site_id, sa.func.count())
        .where(
            principal.site_filter(MainstreamTransition.site_id),
            MainstreamTransition.moved_on >= start,
            MainstreamTransition.moved_on <= end,
            counted(MainstreamTransition.person_id, MainstreamTransition.moved_on),
        )
        .group_by(MainstreamTransition.site_id)
    ).all()
    return {int(site_id): int(n) for site_id, n in rows}
