"""Each learner's levels per skill (language_level_summary), kept by the database's triggers: they follow every
write of the assessments and of the statistics consent, whatever makes it (the app's forms, a correction, the
anonymisation's coarser dates, an operator's SQL), and Progression en français reads them for a scope of every
site while a scope of some sites reads its own sites' assessments.

On SQLite and PostgreSQL; the expected rows are written out by hand (first day and rank, first gain, latest rank;
ranks on the CECRL scale: pré-A1 0, A1.1 1, A1 2, A2 3)."""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from models.courses import CefrLevel, LanguageAssessment, LanguageSkill
from models.organisation import Role
from models.persons import ConsentScope, Person
from services.activities.courses import progress as language_progress
from services.persons import retention
from services.platform.principal import SYSTEM_ACTOR
from tests import factories

SPEAKING, WRITING = LanguageSkill.SPEAKING, LanguageSkill.WRITING
PRE_A1, A1_1, A1, A2 = CefrLevel.PRE_A1, CefrLevel.A1_1, CefrLevel.A1, CefrLevel.A2
TODAY = date(2026, 6, 30)  # withdrawals are dated in the current quarter: from 1 April


def levels_of(session: Session, person: Person) -> list[tuple]:
    """The person's rows, read in SQL: (skill, first day, first rank, gain day, gain rank, latest rank)."""
    rows = session.connection().execute(
        sa.text(
            "SELECT skill, first_on, first_rank, gain_on, gain_rank, latest_rank FROM language_level_summary "
            "WHERE person_id = :person ORDER BY skill"
        ),
        {"person": person.id},
    )
    return [
        (skill, str(first_on), first_rank, None if gain_on is None else str(gain_on), gain_rank, latest)
        for skill, first_on, first_rank, gain_on, gain_rank, latest in rows
    ]


consent_changed = functools.partial(factories.consent_changed, today=TODAY)


def test_the_levels_follow_each_insert_update_and_delete_of_the_assessments(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    amina = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    bruno = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    factories.an_assessment(session, amina, SPEAKING, PRE_A1, on=date(2026, 1, 12))
    march = factories.an_assessment(session, amina, SPEAKING, A1, on=date(2026, 3, 2)).id
    may = factories.an_assessment(session, amina, SPEAKING, A2, on=date(2026, 5, 4)).id
    factories.an_assessment(session, amina, WRITING, A1_1, on=date(2026, 1, 12))
    assert levels_of(session, amina) == [
        ("speaking", "2026-01-12", 0, "2026-03-02", 2, 3),
        ("writing", "2026-01-12", 1, None, None, 1),
    ]

    # Entered late, before the first one: it is the first now, and A1 (2 March) is still above it.
    late = factories.an_assessment(session, amina, SPEAKING, A1_1, on=date(2026, 1, 5)).id
    assert levels_of(session, amina)[0] == ("speaking", "2026-01-05", 1, "2026-03-02", 2, 3)

    # 2 March corrected to A1.1 (the form's update): no longer above the first; the gain is May's A2.
    session.exec(sa.update(LanguageAssessment).where(LanguageAssessment.id == march).values(level=A1_1))
    assert levels_of(session, amina)[0] == ("speaking", "2026-01-05", 1, "2026-05-04", 3, 3)

    # May's deleted by an operator's SQL, under SQLAlchemy's statements: no gain left, the latest is March's.
    session.connection().exec_driver_sql(f"DELETE FROM language_assessment WHERE id = {may}")
    assert levels_of(session, amina)[0] == ("speaking", "2026-01-05", 1, None, None, 1)

    # 5 January was Bruno's: moved to his file, both files' levels are computed again.
    session.exec(sa.update(LanguageAssessment).where(LanguageAssessment.id == late).values(person_id=bruno.id))
    assert levels_of(session, amina)[0] == ("speaking", "2026-01-12", 0, "2026-03-02", 1, 1)
    assert levels_of(session, bruno) == [("speaking", "2026-01-05", 1, None, None, 1)]

    # A comment cleared (anonymisation) computes nothing again and changes nothing.
    session.exec(sa.update(LanguageAssessment).where(LanguageAssessment.person_id == amina.id).values(comment=None))
    assert levels_of(session, amina) == [
        ("speaking", "2026-01-12", 0, "2026-03-02", 1, 1),
        ("writing", "2026-01-12", 1, None, None, 1),
    ]


def test_a_withdrawal_of_statistics_leaves_out_the_assessments_from_its_day_until_consent_is_given_again(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    chef = factories.a_user(session, Role.CHEF_SERVICE, lyon)
    amina = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    factories.an_assessment(session, amina, SPEAKING, PRE_A1, on=date(2026, 1, 12))
    factories.an_assessment(session, amina, SPEAKING, A1, on=date(2026, 4, 20))
    factories.an_assessment(session, amina, SPEAKING, A2, on=date(2026, 6, 4))
    assert levels_of(session, amina) == [("speaking", "2026-01-12", 0, "2026-04-20", 2, 3)]
    principal = factories.principal(session, chef)

    consent_changed(
        session, principal, amina, False, date(2026, 4, 10)
    )  # from 10 April: April's and June's no longer count
    assert levels_of(session, amina) == [("speaking", "2026-01-12", 0, None, None, 0)]
    consent_changed(
        session, principal, amina, True, date(2026, 6, 1)
    )  # again from 1 June: June's counts, April's stays out
    assert levels_of(session, amina) == [("speaking", "2026-01-12", 0, "2026-06-04", 3, 3)]
    # Partner sharing is not statistics: a change of it (given here: the file had refused it) leaves the levels.
    consent_changed(session, principal, amina, True, date(2026, 6, 10), ConsentScope.PARTNER_SHARING)
    assert levels_of(session, amina) == [("speaking", "2026-01-12", 0, "2026-06-04", 3, 3)]


def test_a_refusal_at_intake_leaves_every_assessment_out(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    amina = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    factories.refused_statistics_at_intake(session, amina)
    factories.an_assessment(session, amina, SPEAKING, PRE_A1, on=date(2026, 1, 12))
    factories.an_assessment(session, amina, SPEAKING, A1, on=date(2026, 3, 2))
    assert levels_of(session, amina) == []


def test_the_anonymisation_makes_the_days_months_and_the_levels_follow(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    amina = factories.a_person_in_file_active(
        session, lyon, intake_on=date(2022, 12, 1), last_contact_on=date(2023, 6, 1)
    )
    factories.an_assessment(session, amina, SPEAKING, PRE_A1, on=date(2023, 1, 12))
    factories.an_assessment(session, amina, SPEAKING, A1, on=date(2023, 3, 20))
    factories.an_assessment(session, amina, SPEAKING, A1_1, on=date(2023, 3, 2))
    assert levels_of(session, amina) == [("speaking", "2023-01-12", 0, "2023-03-02", 1, 2)]
    retention.anonymise_file(session, SYSTEM_ACTOR, amina.id, confirm_code=amina.code, today=date(2026, 6, 1))
    # 2 and 20 March are both 1 March now; by order of entry, A1 (20 March) comes first among them.
    assert levels_of(session, amina) == [("speaking", "2023-01-01", 0, "2023-03-01", 2, 1)]


def test_progression_reads_the_levels_for_every_site_and_the_assessments_of_its_sites_for_some(session):
    """Direction (every site) reads the summary: an assessment of a Lyon learner made at Grenoble counts. A chef
    de service of Lyon reads Lyon's assessments only: it does not."""
    lyon, grenoble = factories.lyon_and_grenoble(session)
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon))
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    amina = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    factories.a_learner(session, group, amina)
    factories.an_assessment(session, amina, SPEAKING, PRE_A1, on=date(2026, 1, 12))
    factories.an_assessment(session, amina, SPEAKING, A1, on=date(2026, 3, 2), site=grenoble)
    factories.a_course_session(session, group, session_on=date(2026, 1, 19), duration_minutes=90, present=(amina,))
    factories.a_course_session(session, group, session_on=date(2026, 3, 2), duration_minutes=60, present=(amina,))

    def lyon_figures(principal) -> tuple:
        [found] = [s for s in language_progress.site_progress(session, principal) if s.site_id == lyon.id]
        return found.learners, found.reached_a1, found.gains, found.median_minutes_per_level

    # pré-A1 → A1 two levels, 90 minutes before 2 March (the class of that day is after the assessment's day).
    assert lyon_figures(direction) == (1, 1, 1, 45.0)
    assert lyon_figures(chef) == (1, 0, 0, None)  # Lyon's assessment only: pré-A1, no gain

    # What each reads: a row of the summary changed by hand moves direction's figure only.
    session.connection().exec_driver_sql(
        f"UPDATE language_level_summary SET latest_rank = 1 WHERE person_id = {amina.id}"
    )
    assert lyon_figures(direction) == (1, 0, 1, 45.0)
    assert lyon_figures(chef) == (1, 0, 0, None)


def test_the_triggers_apply_the_consent_rule_of_the_figures(session, monkeypatch):
    """The triggers hold their own copy of services.persons.consent.counted (migration 0028): on files with a
    refusal at intake given later, a withdrawal and a new consent, a withdrawal alone, and none, direction's
    levels read from the summary are those the assessments give through `counted` (and the hand count)."""
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon))
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))

    def learner(*, refused_at_intake: bool = False) -> Person:
        person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
        factories.a_learner(session, group, person)
        if refused_at_intake:
            factories.refused_statistics_at_intake(session, person)
        for day, level in ((date(2026, 1, 12), PRE_A1), (date(2026, 4, 20), A1), (date(2026, 6, 4), A2)):
            factories.an_assessment(session, person, SPEAKING, level, on=day)
        return person

    given_later, back_again, withdrawn, always = (
        learner(refused_at_intake=True),
        learner(),
        learner(),
        learner(),
    )
    consent_changed(session, chef, given_later, True, date(2026, 5, 1))  # counted from 1 May: June only
    consent_changed(session, chef, back_again, False, date(2026, 4, 10))
    consent_changed(session, chef, back_again, True, date(2026, 6, 1))  # January and June
    consent_changed(session, chef, withdrawn, False, date(2026, 4, 10))  # January only

    def figures(summarised: bool) -> tuple:
        monkeypatch.setattr(language_progress, "_summarised", lambda _principal: summarised)
        gains = language_progress.level_gains(session, direction)
        reached = language_progress.reached_levels(session, direction)
        return sorted((gain.person_id, gain.levels) for gain in gains), reached

    # Gains: back_again pré-A1 → A2 (3 levels), always pré-A1 → A1 (2); given_later and withdrawn none.
    # Latest levels: given_later A2, back_again A2, withdrawn pré-A1, always A2: 4 learners, 3 at A1 and A2.
    expected = (sorted([(back_again.id, 3), (always.id, 2)]), {lyon.id: (4, 3, 3)})
    assert figures(summarised=True) == expected
    assert figures(summarised=False) == expected
