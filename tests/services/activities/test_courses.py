"""French-course groups, learners, sessions, roll calls, assessments, certifications, transitions.

Scope is tested at the service layer: a formateur (like fle.lyon) sees only the groups it teaches and
cannot record for a learner outside them; a Grenoble chef de service cannot see Lyon groups;
direction reads but never writes.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models.attendance import AttendanceStatus
from models.audit import AuditEvent
from models.courses import (
    CefrLevel,
    Certification,
    CertificationResult,
    CourseEnrolment,
    LanguageAssessment,
    LanguageSkill,
    LearnerProfile,
)
from models.organisation import Role
from models.persons import Person, PersonStatus
from services.activities.attendance import SessionKind, roll_call, save_roll_call
from services.activities.courses import assessments as language_assessments
from services.activities.courses import groups as course_groups
from services.activities.courses import sessions as course_sessions
from services.activities.courses.progress import level_rank
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from tests import factories
from tests.services.course_world import CIPHER, TODAY, CourseWorld

SKILL = LanguageSkill.SPEAKING


def audit_rows(session: Session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)).all())


def group_input(w: CourseWorld, **changes) -> dict:
    values = {
        "site_id": w.lyon.id,
        "name": "FLE — objectif A2 (soir)",
        "profile": LearnerProfile.FLE,
        "target_level": CefrLevel.A2,
        "schedule": "mardi et jeudi 18h–20h",
        "starts_on": date(2026, 3, 2),
        "ends_on": date(2026, 7, 3),
        "teacher_ids": (w.fle_user_id,),
    }
    values.update(changes)
    return values


# --- CECRL order --------------------------------------------------------------------------------


def test_cefr_levels_are_ordered_pre_a1_a1_1_a1_a2_up_to_c2():
    expected = ["pre_a1", "a1_1", "a1", "a2", "b1", "b2", "c1", "c2"]
    assert [level.value for level in sorted(CefrLevel, key=lambda level: level.rank)] == expected
    assert [level.rank for level in CefrLevel] == list(range(8))
    assert CefrLevel.PRE_A1.rank < CefrLevel.A1_1.rank < CefrLevel.A1.rank < CefrLevel.A2.rank < CefrLevel.C2.rank
    # The stored strings do not sort as levels: that is why SQL compares ranks.
    assert sorted(expected) != expected


def test_sql_sorts_levels_by_rank_not_by_string(session, course_world):
    w = course_world
    for day, level in zip(range(1, 9), reversed(list(CefrLevel)), strict=False):
        session.add(
            LanguageAssessment(
                person_id=w.amina.id,
                site_id=w.lyon.id,
                group_id=w.group_a.id,
                assessed_on=date(2026, 2, day),
                skill=SKILL,
                level=level,
            )
        )
    session.flush()
    rank = level_rank(LanguageAssessment.level)
    by_rank = session.exec(
        select(LanguageAssessment.level).where(LanguageAssessment.person_id == w.amina.id).order_by(rank)
    ).all()
    assert [CefrLevel(v) for v in by_rank] == list(CefrLevel)
    by_text = session.exec(
        select(LanguageAssessment.level)
        .where(LanguageAssessment.person_id == w.amina.id)
        .order_by(LanguageAssessment.level)
    ).all()
    assert [CefrLevel(v) for v in by_text] != list(CefrLevel)
    above_a1 = session.exec(
        select(sa.func.count())
        .select_from(LanguageAssessment)
        .where(LanguageAssessment.person_id == w.amina.id, rank > CefrLevel.A1.rank)
    ).one()
    assert above_a1 == 5  # A2, B1, B2, C1, C2 — a string comparison would also count 'a1_1'


# --- groups -------------------------------------------------------------------------------------


def test_chef_creates_and_edits_a_group_of_own_site(session, course_world):
    w = course_world
    group_id = course_groups.create_group(session, w.chef_lyon, data=group_input(w, name="  FLE   soir "))
    row = course_groups.get_group(session, w.chef_lyon, group_id)
    assert (row.name, row.site_code, row.profile, row.target_level, row.teacher_ids, row.version) == (
        "FLE soir",
        "LYO",
        LearnerProfile.FLE,
        CefrLevel.A2,
        (w.fle_user_id,),
        1,
    )
    course_groups.update_group(
        session,
        w.chef_lyon,
        group_id,
        expected_version=1,
        data=group_input(
            w,
            name="FLE soir",
            teacher_ids=(w.fle_user_id, w.fle_b_user_id),
            target_level=CefrLevel.B1,
            site_id=w.grenoble.id,
        ),
    )
    row = course_groups.get_group(session, w.chef_lyon, group_id)
    assert (row.site_code, row.target_level, set(row.teacher_ids), row.version) == (
        "LYO",
        CefrLevel.B1,
        {w.fle_user_id, w.fle_b_user_id},
        2,
    )  # the site of a group never moves
    with pytest.raises(StaleRecord):
        course_groups.update_group(session, w.chef_lyon, group_id, expected_version=1, data=group_input(w, name="X"))
    assert [e.action for e in audit_rows(session)] == ["course_group.create", "course_group.update"]
    assert all(e.detail is None or "soir" not in e.detail for e in audit_rows(session))


def test_group_validation_messages_are_french_and_per_field(session, course_world):
    w = course_world
    with pytest.raises(ValidationFailed) as caught:
        course_groups.create_group(
            session,
            w.chef_lyon,
            data=group_input(
                w, name=" ", teacher_ids=(), starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 1), schedule="x" * 201
            ),
        )
    assert caught.value.errors == {
        "name": "Le nom du groupe est obligatoire.",
        "teacher_ids": "Choisissez au moins un·e formateur·rice du site.",
        "ends_on": "La date de fin ne peut pas précéder la date de début.",
        "schedule": "Les horaires ne peuvent dépasser 200 caractères.",
    }
    course_groups.create_group(session, w.chef_lyon, data=group_input(w))
    with pytest.raises(ValidationFailed) as caught:
        course_groups.create_group(session, w.chef_lyon, data=group_input(w, name="fle — OBJECTIF a2 (soir)"))
    assert caught.value.errors == {"name": "Un groupe porte déjà ce nom sur ce site."}
    grenoble_teacher = factories.a_user(session, Role.FORMATEUR, w.grenoble)
    with pytest.raises(ValidationFailed) as caught:
        course_groups.create_group(
            session, w.chef_lyon, data=group_input(w, name="Autre", teacher_ids=(grenoble_teacher.id,))
        )
    assert caught.value.errors == {"teacher_ids": "Un·e des formateur·rices choisi·es n'intervient pas sur ce site."}
    with pytest.raises(ValidationFailed) as caught:  # a Grenoble chef, on Lyon
        course_groups.create_group(session, w.chef_grenoble, data=group_input(w, name="Intrus"))
    assert caught.value.errors["site_id"] == "Choisissez un de vos sites."


def test_group_form_values_as_sent_get_every_message_at_once(session, course_world):
    w = course_world
    with pytest.raises(ValidationFailed) as caught:
        course_groups.create_group(
            session,
            w.chef_lyon,
            data={
                "site_id": w.grenoble.id,
                "name": "x" * 121,
                "profile": "autre",
                "target_level": None,
                "schedule": "  ",
                "starts_on": None,
                "ends_on": date(2026, 3, 1),
                "teacher_ids": [],
            },
        )
    assert caught.value.errors == {
        "site_id": "Choisissez un de vos sites.",
        "name": "Le nom du groupe ne peut dépasser 120 caractères.",
        "profile": "Choisissez un profil d'apprenant·es.",
        "target_level": "Choisissez un niveau visé.",
        "starts_on": "La date de début est obligatoire.",
        "teacher_ids": "Choisissez au moins un·e formateur·rice du site.",
    }


def test_only_chef_de_service_manages_groups(session, course_world):
    w = course_world
    for who in (w.fle, w.direction, w.ts_lyon):
        with pytest.raises(PermissionDenied):
            course_groups.create_group(session, who, data=group_input(w))
        assert course_groups.manageable_sites(session, who) == []
    with pytest.raises(PermissionDenied):
        course_groups.update_group(session, w.fle, w.group_a.id, expected_version=1, data=group_input(w))
    with pytest.raises(NotFound):  # a Grenoble chef cannot even find a Lyon group
        course_groups.update_group(session, w.chef_grenoble, w.group_a.id, expected_version=1, data=group_input(w))
    assert [s.code for s in course_groups.manageable_sites(session, w.chef_lyon)] == ["LYO"]
    assert {t.user_id for t in course_groups.teacher_choices(session, w.chef_lyon, site_id=w.lyon.id)} >= {
        w.fle_user_id,
        w.fle_b_user_id,
        w.chef_lyon.user_id,
    }
    assert course_groups.teacher_choices(session, w.chef_lyon, site_id=w.grenoble.id) == []


def test_groups_are_listed_within_scope(session, course_world):
    w = course_world
    ids = lambda who: {row.id for row in course_groups.list_groups(session, who)}  # noqa: E731
    assert ids(w.fle) == {w.group_a.id}
    assert ids(w.fle_b) == {w.group_b.id}
    assert ids(w.chef_lyon) == {w.group_a.id, w.group_b.id}
    assert ids(w.chef_grenoble) == {w.group_g.id}
    assert ids(w.direction) == {w.group_a.id, w.group_b.id, w.group_g.id}
    assert ids(w.ts_lyon) == set()  # an intervenant reads person files, no course page
    with pytest.raises(NotFound):
        course_groups.get_group(session, w.ts_lyon, w.group_a.id)
    with pytest.raises(NotFound):
        course_groups.get_group(session, w.fle, w.group_b.id)
    with pytest.raises(NotFound):
        course_groups.get_group(session, w.chef_grenoble, w.group_a.id)
    [row] = course_groups.list_groups(session, w.fle, running_on=TODAY)
    assert row.current_learners == 2


# --- learners -----------------------------------------------------------------------------------


def test_learners_shown_by_code_with_first_name_only_to_teaching_roles(session, course_world):
    w = course_world
    rows = course_groups.list_learners(session, w.fle, w.group_a.id, cipher=CIPHER)
    assert [(r.code, r.first_name) for r in rows] == sorted([(w.amina.code, "Amina"), (w.bintou.code, "Bintou")])
    assert {r.first_name for r in course_groups.list_learners(session, w.chef_lyon, w.group_a.id, cipher=CIPHER)} == {
        "Amina",
        "Bintou",
    }
    assert {r.first_name for r in course_groups.list_learners(session, w.direction, w.group_a.id, cipher=CIPHER)} == {
        None
    }
    with pytest.raises(NotFound):
        course_groups.list_learners(session, w.fle, w.group_b.id, cipher=CIPHER)


def test_chef_enrols_active_files_of_the_group_site_by_code(session, course_world):
    w = course_world
    enrolment_id = course_groups.enrol_learner(
        session,
        w.chef_lyon,
        group_id=w.group_a.id,
        data={"code": f" {w.not_enrolled.code.lower()} ", "enrolled_on": date(2026, 5, 4)},
        today=TODAY,
    )
    assert session.get(CourseEnrolment, enrolment_id).person_id == w.not_enrolled.id
    closed = factories.a_person_in_file_active(session, w.lyon, intake_on=date(2025, 1, 6), status=PersonStatus.CLOSED)
    unknown = "Aucun dossier en cours d'accompagnement sur le site du groupe ne porte ce code."
    cases = [
        (w.grace.code, date(2026, 5, 4), {"code": unknown}),  # other site
        (closed.code, date(2026, 5, 4), {"code": unknown}),  # not in progress
        ("", date(2026, 5, 4), {"code": "Saisissez le code du dossier (par exemple LYO-2026-0042)."}),
        (w.amina.code, date(2026, 5, 4), {"code": "Cette personne est déjà inscrite dans ce groupe."}),
        (
            w.chloe.code,
            TODAY + timedelta(days=1),
            {"enrolled_on": "La date d'inscription ne peut pas être dans le futur."},
        ),
        (
            w.chloe.code,
            date(2025, 12, 1),
            {"enrolled_on": "La date d'inscription ne peut pas précéder le début du groupe."},
        ),
    ]
    for code, on, errors in cases:
        with pytest.raises(ValidationFailed) as caught:
            course_groups.enrol_learner(
                session, w.chef_lyon, group_id=w.group_a.id, data={"code": code, "enrolled_on": on}, today=TODAY
            )
        assert caught.value.errors == errors, code
    for who in (w.fle, w.direction):
        with pytest.raises(PermissionDenied):
            course_groups.enrol_learner(
                session, who, group_id=w.group_a.id, data={"code": w.chloe.code, "enrolled_on": TODAY}
            )


def test_leaving_then_coming_back_to_a_group(session, course_world):
    w = course_world
    [amina] = [r for r in course_groups.list_learners(session, w.fle, w.group_a.id) if r.person_id == w.amina.id]
    with pytest.raises(ValidationFailed) as caught:
        course_groups.record_leaving(
            session, w.fle, enrolment_id=amina.enrolment_id, data={"left_on": date(2025, 1, 1)}, today=TODAY
        )
    assert caught.value.errors == {"left_on": "La date de sortie ne peut pas précéder la date d'inscription."}
    with pytest.raises(ValidationFailed) as caught:
        course_groups.record_leaving(
            session, w.fle, enrolment_id=amina.enrolment_id, data={"left_on": TODAY + timedelta(days=1)}, today=TODAY
        )
    assert caught.value.errors == {"left_on": "La date de sortie ne peut pas être dans le futur."}
    with pytest.raises(ValidationFailed) as caught:
        course_groups.record_leaving(session, w.fle, enrolment_id=amina.enrolment_id, data={}, today=TODAY)
    assert caught.value.errors == {"left_on": "La date de sortie est obligatoire."}
    with pytest.raises(NotFound):  # fle_b does not teach group A
        course_groups.record_leaving(
            session, w.fle_b, enrolment_id=amina.enrolment_id, data={"left_on": TODAY}, today=TODAY
        )
    course_groups.record_leaving(
        session, w.fle, enrolment_id=amina.enrolment_id, data={"left_on": date(2026, 4, 30)}, today=TODAY
    )
    [row] = [r for r in course_groups.list_learners(session, w.fle, w.group_a.id) if r.person_id == w.amina.id]
    assert row.left_on == date(2026, 4, 30) and not row.is_current(TODAY)
    with pytest.raises(ValidationFailed) as caught:
        course_groups.enrol_learner(
            session,
            w.chef_lyon,
            group_id=w.group_a.id,
            data={"code": w.amina.code, "enrolled_on": date(2026, 4, 30)},
            today=TODAY,
        )
    assert "doit être postérieure" in caught.value.errors["enrolled_on"]
    same = course_groups.enrol_learner(
        session,
        w.chef_lyon,
        group_id=w.group_a.id,
        data={"code": w.amina.code, "enrolled_on": date(2026, 5, 11)},
        today=TODAY,
    )
    assert same == amina.enrolment_id
    [row] = [r for r in course_groups.list_learners(session, w.fle, w.group_a.id) if r.person_id == w.amina.id]
    assert (row.enrolled_on, row.left_on) == (date(2026, 5, 11), None)
    assert [e.action for e in audit_rows(session)] == ["course_enrolment.leave", "course_enrolment.return"]


# --- sessions and roll call ---------------------------------------------------------------------


def test_formateur_plans_sessions_of_its_groups_only(session, course_world):
    w = course_world
    session_id = course_sessions.create_session(
        session,
        w.fle,
        group_id=w.group_a.id,
        data={"session_on": date(2026, 5, 19), "start_time": time(9, 30), "duration_minutes": 150},
    )
    with pytest.raises(ValidationFailed) as caught:
        course_sessions.create_session(
            session,
            w.fle,
            group_id=w.group_a.id,
            data={"session_on": date(2026, 5, 19), "start_time": time(9, 30), "duration_minutes": 150},
        )
    assert caught.value.errors == {"session_on": "Ce groupe a déjà une séance ce jour-là à cette heure."}
    with pytest.raises(ValidationFailed) as caught:
        course_sessions.create_session(
            session,
            w.fle,
            group_id=w.group_a.id,
            data={"session_on": date(2025, 12, 1), "start_time": None, "duration_minutes": 5},
        )
    assert caught.value.errors == {
        "session_on": "La séance doit avoir lieu pendant la période du groupe (à partir du 05/01/2026).",
        "duration_minutes": "La durée doit être comprise entre 15 minutes et 8 heures.",
    }
    with pytest.raises(NotFound):
        course_sessions.create_session(
            session,
            w.fle,
            group_id=w.group_b.id,
            data={"session_on": date(2026, 5, 19), "start_time": None, "duration_minutes": 150},
        )
    with pytest.raises(NotFound):
        course_sessions.create_session(
            session,
            w.chef_grenoble,
            group_id=w.group_a.id,
            data={"session_on": date(2026, 5, 19), "start_time": None, "duration_minutes": 150},
        )
    for who in (w.direction, w.ts_lyon):
        with pytest.raises(PermissionDenied):
            course_sessions.create_session(
                session,
                who,
                group_id=w.group_a.id,
                data={"session_on": date(2026, 5, 20), "start_time": None, "duration_minutes": 150},
            )
    assert (
        course_sessions.create_session(
            session,
            w.chef_lyon,
            group_id=w.group_b.id,
            data={"session_on": date(2026, 5, 20), "start_time": None, "duration_minutes": 90},
        )
        > session_id
    )
    assert [e.action for e in audit_rows(session)] == ["course_session.create"] * 2


def test_sessions_listed_with_present_counts(session, course_world):
    w = course_world
    held = factories.a_course_session(
        session, w.group_a, session_on=date(2026, 5, 12), present=(w.amina,), absent=(w.bintou,)
    )
    excused = factories.a_course_session(session, w.group_a, session_on=date(2026, 5, 5))
    save_roll_call(
        session,
        w.fle,
        kind=SessionKind.COURSE,
        session_id=excused.id,
        statuses={w.amina.id: AttendanceStatus.EXCUSED, w.bintou.id: AttendanceStatus.PRESENT},
        today=TODAY,
    )
    not_taken = factories.a_course_session(session, w.group_a, session_on=date(2026, 4, 28))
    today_s = factories.a_course_session(session, w.group_a, session_on=TODAY)
    coming = factories.a_course_session(session, w.group_a, session_on=date(2026, 5, 19))
    listed = course_sessions.list_sessions(session, w.fle, w.group_a.id, today=TODAY)
    assert [(r.id, r.present, r.marked) for r in listed.upcoming] == [(today_s.id, 0, 0), (coming.id, 0, 0)]
    assert [(r.id, r.present, r.marked) for r in listed.past] == [
        (held.id, 1, 2),
        (excused.id, 1, 2),
        (not_taken.id, 0, 0),
    ]
    assert listed.past_total == 3
    assert course_sessions.list_sessions(session, w.fle, w.group_a.id, today=TODAY, limit=1).past_total == 3
    with pytest.raises(NotFound):
        course_sessions.list_sessions(session, w.fle_b, w.group_a.id, today=TODAY)


def test_course_roll_call_shows_the_group_learners_to_its_teacher_only(session, course_world):
    w = course_world
    course = factories.a_course_session(session, w.group_a, session_on=date(2026, 5, 12))
    roll = roll_call(session, w.fle, kind=SessionKind.COURSE, session_id=course.id, cipher=CIPHER, today=TODAY)
    assert {(e.code, e.first_name) for e in roll.entries} == {(w.amina.code, "Amina"), (w.bintou.code, "Bintou")}
    with pytest.raises(NotFound):
        roll_call(session, w.fle_b, kind=SessionKind.COURSE, session_id=course.id, cipher=CIPHER, today=TODAY)
    with pytest.raises(ValidationFailed):  # Chloé is not in group A
        save_roll_call(
            session,
            w.fle,
            kind=SessionKind.COURSE,
            session_id=course.id,
            statuses={w.chloe.id: AttendanceStatus.PRESENT},
            today=TODAY,
        )


# --- assessments --------------------------------------------------------------------------------


def assess(session, who, w, person, on, level, skill=SKILL, group=None, comment=None):
    return language_assessments.record_assessment(
        session,
        who,
        group_id=(group or w.group_a).id,
        person_id=person.id,
        data={"assessed_on": on, "skill": skill, "level": level, "comment": comment},
        today=TODAY,
    )


def test_first_assessment_of_a_skill_is_the_positioning(session, course_world):
    w = course_world
    first = assess(session, w.fle, w, w.amina, date(2026, 2, 2), CefrLevel.A1_1, comment="  Bonne compréhension ")
    again = assess(session, w.fle, w, w.amina, date(2026, 4, 6), CefrLevel.A1)
    other_skill = assess(session, w.fle, w, w.amina, date(2026, 4, 6), CefrLevel.PRE_A1, skill=LanguageSkill.WRITING)
    assert (first.is_positioning, again.is_positioning, other_skill.is_positioning) == (True, False, True)
    # Entered late, dated before the former positioning: it becomes the positioning.
    earlier = assess(session, w.chef_lyon, w, w.amina, date(2026, 1, 12), CefrLevel.PRE_A1)
    assert earlier.is_positioning
    flags = dict(
        session.exec(
            select(LanguageAssessment.assessed_on, LanguageAssessment.is_positioning).where(
                LanguageAssessment.person_id == w.amina.id, LanguageAssessment.skill == SKILL
            )
        ).all()
    )
    assert flags == {date(2026, 1, 12): True, date(2026, 2, 2): False, date(2026, 4, 6): False}
    rows = language_assessments.list_assessments(session, w.fle, w.amina.id)
    assert [(r.assessed_on, r.skill, r.level) for r in rows] == [  # newest first, then last entered first
        (date(2026, 4, 6), LanguageSkill.WRITING, CefrLevel.PRE_A1),
        (date(2026, 4, 6), SKILL, CefrLevel.A1),
        (date(2026, 2, 2), SKILL, CefrLevel.A1_1),
        (date(2026, 1, 12), SKILL, CefrLevel.PRE_A1),
    ]
    assert {r.comment for r in rows} == {"Bonne compréhension", None}
    assert {r.comment for r in language_assessments.list_assessments(session, w.direction, w.amina.id)} == {None}
    assert session.get(Person, w.amina.id).last_contact_on == date(2026, 4, 6)
    events = audit_rows(session)
    assert [e.action for e in events] == ["language_assessment.create"] * 4
    assert all("compréhension" not in f"{e.entity_id} {e.detail}".lower() for e in events)
    assert all(e.actor_username in {w.fle.username, w.chef_lyon.username} for e in events)


def test_assessment_validation(session, course_world):
    w = course_world
    with pytest.raises(ValidationFailed) as caught:
        language_assessments.record_assessment(
            session,
            w.fle,
            group_id=w.group_a.id,
            person_id=w.amina.id,
            data={"assessed_on": TODAY + timedelta(days=1), "skill": "speling", "level": "A9", "comment": "x" * 501},
            today=TODAY,
        )
    assert caught.value.errors == {
        "assessed_on": "La date ne peut pas être dans le futur.",
        "skill": "Choisissez une compétence.",
        "level": "Choisissez un niveau.",
        "comment": "Le commentaire ne peut dépasser 500 caractères.",
    }
    with pytest.raises(ValidationFailed) as caught:
        language_assessments.record_assessment(
            session,
            w.fle,
            group_id=w.group_a.id,
            person_id=w.amina.id,
            data={"assessed_on": None, "skill": SKILL, "level": CefrLevel.A1},
            today=TODAY,
        )
    assert caught.value.errors == {"assessed_on": "La date est obligatoire."}
    assert assess(session, w.fle, w, w.amina, TODAY, CefrLevel.A1, comment="y" * 500).is_positioning


def test_formateur_cannot_record_for_a_learner_outside_its_groups(session, course_world):
    w = course_world
    with pytest.raises(NotFound):  # Chloé is in group B only
        assess(session, w.fle, w, w.chloe, date(2026, 4, 6), CefrLevel.A1)
    with pytest.raises(NotFound):  # group B is not fle's
        assess(session, w.fle, w, w.chloe, date(2026, 4, 6), CefrLevel.A1, group=w.group_b)
    with pytest.raises(NotFound):
        assess(session, w.fle, w, w.not_enrolled, date(2026, 4, 6), CefrLevel.A1)
    with pytest.raises(NotFound):
        language_assessments.record_certification(
            session,
            w.fle,
            person_id=w.chloe.id,
            data={"certification": Certification.DELF_A1, "attempted_on": TODAY},
            today=TODAY,
        )
    with pytest.raises(NotFound):
        language_assessments.record_transition(
            session, w.fle, person_id=w.chloe.id, data={"moved_on": TODAY, "destination": "GRETA"}, today=TODAY
        )
    with pytest.raises(NotFound):
        language_assessments.list_assessments(session, w.fle, w.chloe.id)
    with pytest.raises(NotFound):  # a Grenoble chef and a Lyon learner
        assess(session, w.chef_grenoble, w, w.amina, date(2026, 4, 6), CefrLevel.A1)
    with pytest.raises(ValidationFailed) as caught:  # a learner of the principal, but not of that group
        assess(session, w.chef_lyon, w, w.chloe, date(2026, 4, 6), CefrLevel.A1)
    assert caught.value.errors == {"person_id": "Cette personne n'est pas inscrite dans ce groupe."}
    assert audit_rows(session) == []


def test_direction_and_intervenants_cannot_write(session, course_world):
    w = course_world
    for who in (w.direction, w.ts_lyon):
        with pytest.raises(PermissionDenied):
            assess(session, who, w, w.amina, date(2026, 4, 6), CefrLevel.A1)
        with pytest.raises(PermissionDenied):
            language_assessments.record_certification(
                session,
                who,
                person_id=w.amina.id,
                data={"certification": Certification.DELF_A1, "attempted_on": TODAY},
            )
        with pytest.raises(PermissionDenied):
            language_assessments.record_transition(
                session, who, person_id=w.amina.id, data={"moved_on": TODAY, "destination": "GRETA"}
            )
    assert session.exec(select(sa.func.count()).select_from(LanguageAssessment)).one() == 0


def test_anonymised_learner_is_frozen(session, course_world):
    w = course_world
    w.amina.status = PersonStatus.ANONYMISED
    session.flush()
    with pytest.raises(PermissionDenied):
        assess(session, w.fle, w, w.amina, date(2026, 4, 6), CefrLevel.A1)


# --- certifications and transitions -------------------------------------------------------------


def test_certification_attempt_and_its_result(session, course_world):
    w = course_world
    coming = language_assessments.record_certification(
        session,
        w.fle,
        person_id=w.amina.id,
        data={"certification": Certification.DELF_A1, "attempted_on": TODAY + timedelta(days=30)},
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as caught:
        language_assessments.set_certification_result(
            session, w.fle, coming, data={"result": CertificationResult.PASSED}, today=TODAY
        )
    assert caught.value.errors == {
        "result": "Le résultat ne peut être connu qu'après l'épreuve : laissez « En attente »."
    }
    language_assessments.set_certification_result(
        session, w.fle, coming, data={"result": CertificationResult.PASSED}, today=TODAY + timedelta(days=31)
    )
    with pytest.raises(ValidationFailed) as caught:
        language_assessments.record_certification(
            session,
            w.fle,
            person_id=w.amina.id,
            data={"certification": "toefl", "attempted_on": TODAY + timedelta(days=400)},
            today=TODAY,
        )
    assert caught.value.errors == {
        "certification": "Choisissez une certification.",
        "attempted_on": "La date de l'épreuve ne peut pas être à plus d'un an.",
    }
    passed = language_assessments.record_certification(
        session,
        w.chef_lyon,
        person_id=w.amina.id,
        data={
            "certification": Certification.DILF_A1_1,
            "attempted_on": date(2026, 3, 3),
            "result": CertificationResult.FAILED,
        },
        today=TODAY,
    )
    rows = language_assessments.list_certifications(session, w.fle, w.amina.id)
    assert [(r.id, r.certification, r.result) for r in rows] == [
        (coming, Certification.DELF_A1, CertificationResult.PASSED),
        (passed, Certification.DILF_A1_1, CertificationResult.FAILED),
    ]
    with pytest.raises(NotFound):
        language_assessments.set_certification_result(
            session, w.fle_b, passed, data={"result": CertificationResult.PASSED}
        )
    assert session.get(Person, w.amina.id).last_contact_on == TODAY  # a future exam is not a contact yet
    assert [e.action for e in audit_rows(session)] == [
        "certification_attempt.create",
        "certification_attempt.result",
        "certification_attempt.create",
    ]


def test_mainstream_transitions_are_counted_by_period_and_site(session, course_world):
    w = course_world
    language_assessments.record_transition(
        session,
        w.fle,
        person_id=w.amina.id,
        data={"moved_on": date(2026, 3, 31), "destination": "  GRETA   Lyon — FLE professionnel "},
        today=TODAY,
    )
    language_assessments.record_transition(
        session,
        w.chef_lyon,
        person_id=w.chloe.id,
        data={"moved_on": date(2026, 5, 2), "destination": "Cours municipaux"},
        today=TODAY,
    )
    chef_g = w.chef_grenoble
    language_assessments.record_transition(
        session,
        chef_g,
        person_id=w.grace.id,
        data={"moved_on": date(2026, 4, 1), "destination": "Université populaire"},
        today=TODAY,
    )
    assert [t.destination for t in language_assessments.list_transitions(session, w.fle, w.amina.id)] == [
        "GRETA Lyon — FLE professionnel"
    ]
    with pytest.raises(ValidationFailed) as caught:
        language_assessments.record_transition(
            session, w.fle, person_id=w.amina.id, data={"moved_on": TODAY, "destination": "x" * 161}, today=TODAY
        )
    assert caught.value.errors == {"destination": "La destination ne peut dépasser 160 caractères."}
    count = language_assessments.count_transitions
    spring = {"start": date(2026, 4, 1), "end": date(2026, 5, 31)}
    assert count(session, w.direction, **spring) == 2
    assert count(session, w.direction, start=date(2026, 1, 1), end=date(2026, 12, 31)) == 3
    assert count(session, w.direction, **spring, site_ids=frozenset({w.lyon.id})) == 1
    assert count(session, w.chef_lyon, **spring) == 1
    assert count(session, w.chef_grenoble, **spring) == 1
    assert language_assessments.transitions_by_site(session, w.direction, **spring) == {w.lyon.id: 1, w.grenoble.id: 1}
    with pytest.raises(PermissionDenied):
        count(session, factories.principal(session, factories.a_user(session, Role.GESTION)), **spring)
    expected = session.execute(
        sa.text("SELECT COUNT(*) FROM mainstream_transition WHERE moved_on BETWEEN :start AND :end"), spring
    ).scalar_one()
    assert expected == 2
    assert "GRETA" not in " ".join(str(e.detail) for e in audit_rows(session))
