"""The person's timeline merges every module, newest first, with one query per source."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from models.attendance import AttendanceStatus
from models.courses import CefrLevel, LanguageAssessment, LanguageSkill
from models.outreach import OutreachArea
from models.partners import Outcome, OutcomeCategory, OutcomeType, Partner, PartnerKind, Referral, ReferralResult
from models.pathway import (
    ActionGoal,
    Barrier,
    BarrierAssessment,
    BarrierSeverity,
    CommissionOpinion,
    GoalAxis,
    PrefectDecision,
    PspEpisode,
    PspPeriod,
)
from models.persons import IntakeOrigin, PersonNote
from models.workshops import WorkshopAttendance
from services.persons import files as person_files
from services.persons.timeline import person_timeline
from services.platform.errors import NotFound, PermissionDenied
from tests import factories
from tests.services.person_world import CIPHER, TODAY, create


def _rich_file(session, person_world, *, notes: int = 1, workshops: int = 1):
    lyon = person_world.lyon
    round_ = factories.an_outreach_round(session, lyon, round_on=date(2026, 4, 20))
    round_.area = OutreachArea.ROADSIDE_VANS
    created = create(
        session,
        person_world.ts_lyon,
        lyon,
        origin=IntakeOrigin.OUTREACH,
        outreach_round_id=round_.id,
        first_contact_on=date(2026, 4, 20),
    )
    pid = created.id
    for index in range(workshops):
        ws = factories.a_workshop_session(session, lyon, session_on=date(2026, 5, 1 + index % 10))
        session.add(
            WorkshopAttendance(session_id=ws.id, person_id=pid, site_id=lyon.id, status=AttendanceStatus.PRESENT)
        )
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 5, 1))
    person = session.get(person_files.Person, pid)
    factories.a_course_session(session, group, session_on=date(2026, 5, 5), present=(person,))
    factories.a_course_session(session, group, session_on=date(2026, 5, 7), present=(person,))
    factories.a_course_session(session, group, session_on=date(2026, 5, 12), absent=(person,))
    session.add(
        LanguageAssessment(
            person_id=pid,
            site_id=lyon.id,
            assessed_on=date(2026, 5, 5),
            skill=LanguageSkill.SPEAKING,
            level=CefrLevel.A1_1,
            is_positioning=True,
        )
    )
    for barrier, severity in ((Barrier.HOUSING, BarrierSeverity.MAJOR), (Barrier.FRENCH, BarrierSeverity.PARTIAL)):
        session.add(
            BarrierAssessment(
                person_id=pid, site_id=lyon.id, assessed_on=date(2026, 5, 11), barrier=barrier, severity=severity
            )
        )
    session.add(
        ActionGoal(
            person_id=pid,
            site_id=lyon.id,
            axis=GoalAxis.EMPLOYMENT,
            goal="Inscription France Travail",
            due_on=date(2026, 6, 30),
            created_at=datetime(2026, 5, 12, 9, tzinfo=UTC),
        )
    )
    episode = PspEpisode(
        person_id=pid,
        site_id=lyon.id,
        requested_on=date(2026, 5, 12),
        commission_on=date(2026, 5, 13),
        commission_opinion=CommissionOpinion.FAVOURABLE,
        prefect_decision=PrefectDecision.GRANTED,
        decided_on=date(2026, 5, 14),
    )
    session.add(episode)
    session.flush()
    session.add(
        PspPeriod(episode_id=episode.id, site_id=lyon.id, start_on=date(2026, 5, 14), end_on=date(2026, 11, 13))
    )
    partner = Partner(site_id=lyon.id, name="France Travail Lyon 7", kind=PartnerKind.FRANCE_TRAVAIL)
    session.add(partner)
    session.flush()
    session.add(
        Referral(
            person_id=pid,
            site_id=lyon.id,
            partner_id=partner.id,
            referred_on=date(2026, 5, 12),
            reason="Inscription",
            result=ReferralResult.ACCEPTED,
            result_on=date(2026, 5, 14),
        )
    )
    session.add(
        Outcome(
            person_id=pid,
            site_id=lyon.id,
            outcome_on=date(2026, 5, 15),
            category=OutcomeCategory.POSITIVE_EXIT,
            outcome_type=OutcomeType.QUALIFYING_TRAINING,
        )
    )
    for index in range(notes):
        session.add(
            PersonNote(
                person_id=pid,
                site_id=lyon.id,
                noted_on=date(2026, 5, 13),
                body_encrypted=CIPHER.encrypt(f"Entretien confidentiel {index}"),
            )
        )
    session.flush()
    return created


def test_the_timeline_merges_every_module_newest_first(session, person_world):
    created = _rich_file(session, person_world)
    events = person_timeline(session, person_world.ts_lyon, created.id, cipher=CIPHER)
    kinds = {e.kind for e in events}
    assert {
        "outreach",
        "intake",
        "workshop",
        "course",
        "assessment",
        "barrier",
        "goal",
        "psp",
        "referral",
        "outcome",
        "note",
    } <= kinds
    assert [e.on for e in events] == sorted((e.on for e in events), reverse=True)
    titles = [e.title for e in events]
    assert events[0].title.startswith("Sortie") and events[-1].title == "Rencontre en maraude"
    assert "Accueil — ouverture du dossier" in titles and "Évaluation des freins" in titles
    course = next(e for e in events if e.kind == "course")
    assert course.title == "Cours de français — mai 2026" and course.detail == "5 h de présence, 1 séance manquée"
    barrier = next(e for e in events if e.kind == "barrier")
    assert barrier.detail == "Logement : majeur, Français : partiel"
    assert any(e.title == "Décision du préfet" and e.detail == "Accordé" for e in events)
    assert any(e.title == "Orientation vers France Travail Lyon 7" for e in events)
    assert next(e for e in events if e.kind == "note").detail == "Entretien confidentiel 0"


def test_each_month_of_french_course_is_one_event_on_its_last_session(session, person_world):
    """Hours present and sessions missed per calendar month (June 2025 apart from June 2026), dated on the
    month's last session; another learner's marks on the same days are not counted."""
    created = _rich_file(session, person_world)  # May 2026: present 5 and 7 (150 min each), absent 12
    lyon = person_world.lyon
    other = session.get(person_files.Person, _rich_file(session, person_world).id)
    person = session.get(person_files.Person, created.id)
    group = factories.a_course_group(session, lyon, starts_on=date(2025, 6, 1))
    factories.a_course_session(session, group, session_on=date(2025, 6, 10), duration_minutes=60, present=(person,))
    factories.a_course_session(session, group, session_on=date(2026, 6, 2), duration_minutes=90, present=(person,))
    factories.a_course_session(
        session, group, session_on=date(2026, 6, 30), duration_minutes=120, present=(other,), absent=(person,)
    )
    factories.a_course_session(session, group, session_on=date(2026, 6, 16), duration_minutes=45, present=(other,))
    events = person_timeline(session, person_world.ts_lyon, created.id, cipher=CIPHER)
    courses = [(e.on, e.title, e.detail) for e in events if e.kind == "course"]
    assert courses == [
        (date(2026, 6, 30), "Cours de français — juin 2026", "1 h 30 de présence, 1 séance manquée"),
        (date(2026, 5, 12), "Cours de français — mai 2026", "5 h de présence, 1 séance manquée"),
        (date(2025, 6, 10), "Cours de français — juin 2025", "1 h de présence"),
    ]


def test_direction_sees_that_a_note_exists_but_not_its_text(session, person_world):
    created = _rich_file(session, person_world)
    events = person_timeline(session, person_world.direction, created.id, cipher=CIPHER)
    notes = [e for e in events if e.kind == "note"]
    assert notes and all(e.detail is None for e in notes)
    assert not any("confidentiel" in (e.detail or "") for e in events)


def test_direction_reads_when_goals_and_referrals_were_set_not_what_was_written(session, person_world):
    created = _rich_file(session, person_world)
    team = {e.kind: e.detail for e in person_timeline(session, person_world.ts_lyon, created.id, cipher=CIPHER)}
    direction = person_timeline(session, person_world.direction, created.id, cipher=CIPHER)
    assert team["goal"] == "Inscription France Travail (échéance 30/06/2026)"
    goal = next(e for e in direction if e.kind == "goal")
    assert goal.detail == "échéance 30/06/2026"
    referral = next(e for e in direction if e.kind == "referral" and e.title.startswith("Orientation vers"))
    assert referral.detail == "France Travail"  # the partner's kind, not the reason typed ("Inscription")
    assert not any("Inscription" in (e.detail or "") for e in direction)


def test_closing_and_reopening_appear(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    person_files.close_file(
        session,
        person_world.ts_lyon,
        created.id,
        expected_version=1,
        data={"reason": "Départ", "closed_on": TODAY},
        today=TODAY,
    )
    person_files.reopen_file(
        session, person_world.ts_lyon, created.id, expected_version=2, data={"reason": "Retour"}, today=TODAY
    )
    person_files.close_file(
        session,
        person_world.ts_lyon,
        created.id,
        expected_version=3,
        data={"reason": "Départ définitif", "closed_on": TODAY},
        today=TODAY,
    )
    events = person_timeline(session, person_world.ts_lyon, created.id, cipher=CIPHER)
    changes = [(e.title, e.detail) for e in events if e.kind in ("close", "reopen")]
    # Newest first, each with its own reason (kept in the status history).
    assert changes == [
        ("Dossier clôturé", "Départ définitif"),
        ("Dossier rouvert", "Retour"),
        ("Dossier clôturé", "Départ"),
    ]


def test_out_of_scope_or_without_capability_is_refused(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    with pytest.raises(NotFound):
        person_timeline(session, person_world.cip_grenoble, created.id, cipher=CIPHER)
    for principal in (person_world.formateur, person_world.gestion, person_world.admin):
        with pytest.raises(PermissionDenied):
            person_timeline(session, principal, created.id, cipher=CIPHER)


def test_the_timeline_issues_one_query_per_source_whatever_the_file_length(session, person_world, engine):
    short = _rich_file(session, person_world, notes=1, workshops=1)
    long = _rich_file(session, person_world, notes=30, workshops=20)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for created in (short, long):
            statements.clear()
            person_timeline(session, person_world.ts_lyon, created.id, cipher=CIPHER)
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1] <= 18
