"""Consent applied, not only recorded: a person who refused « statistiques anonymes » moves no figure.

On the demo data, a new Lyon file with activity in every family the figures count (met on a round,
referred, an outcome, a workshop and a French course attended, a level gained, a move to droit commun,
a PSP) is added twice: refusing statistics, no figure of any aggregate moves; accepting them, each
aggregate moves (so the comparison can fail). The aggregates are those of the dashboard, the funder
space, the workshops' and the French courses' figures and outreach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import clock
from models.attendance import AttendanceStatus
from models.courses import CefrLevel, CourseEnrolment, CourseGroup, CourseSession, LanguageSkill
from models.organisation import Role, Site
from models.outreach import OutreachRound
from models.partners import OutcomeType, Partner
from models.persons import ConsentScope, IntakeOrigin, Person
from models.workshops import WorkshopAttendance, WorkshopSession
from services.activities import outreach
from services.activities.courses import assessments, progress
from services.activities.workshops import figures
from services.persons import consent
from services.persons.consent import record_intake_refusals
from services.platform.crypto import FieldCipher
from services.reporting import dashboard, funder_space
from tests import factories
from tests.conftest import backends, demo_data_engine

TODAY = clock.today()
START, END = clock.month_start(TODAY, -3), TODAY
DAY = TODAY - timedelta(days=20)  # inside the period, in a month every monthly series shows
# The funder sees the quarter holding DAY once it is over: two weeks into the next quarter (whatever the
# day the suite runs on: two months after TODAY would still be in DAY's quarter on 31 January).
AFTER_DAYS_QUARTER = clock.month_start(DAY, 3 - (DAY.month - 1) % 3) + timedelta(days=14)


@pytest.fixture(scope="module", params=backends())
def demo(request: pytest.FixtureRequest) -> Iterator[Engine]:
    with demo_data_engine(
        request.param, "consent", as_of=TODAY, cipher=FieldCipher([Fernet.generate_key().decode()])
    ) as engine:
        yield engine


def _figures(session: Session, *, funder_seen_on: date | None = None) -> dict[str, Callable[[], Any]]:
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    agrasc = session.exec(select(factories.Funder).where(factories.Funder.name == "AGRASC")).one()
    financeur = factories.principal(session, factories.a_user(session, Role.FINANCEUR, funder_id=agrasc.id))
    grant = session.exec(select(factories.Grant).where(factories.Grant.funder_id == agrasc.id)).first()
    period = {"start": START, "end": END}
    return {
        "dashboard": lambda: dashboard.director_dashboard(session, direction, **period, today=TODAY),
        "site comparison": lambda: dashboard.site_comparison(session, direction, **period),
        # Published once the quarter holding DAY is over: the grant to date.
        "funder space": lambda: funder_space.funder_overview(
            session, financeur, grant_id=grant.id, today=funder_seen_on or AFTER_DAYS_QUARTER
        ),
        "workshop attendance rates": lambda: figures.attendance_rates(session, direction, **period),
        "level gains": lambda: progress.level_gains(session, direction),
        "levels reached": lambda: progress.reached_levels(session, direction),
        "site progress": lambda: progress.site_progress(session, direction),
        "moves to droit commun": lambda: assessments.transitions_by_site(session, direction, **period),
        "outreach by month": lambda: outreach.monthly_outreach(session, direction, today=TODAY),
    }


def _a_lyon_file_active_everywhere(session: Session, *, refuses_statistics: bool, on: date = DAY) -> Person:
    """A Lyon file with one fact of every family on `on` (its intake day too), a first assessment on START."""
    lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
    round_ = session.exec(
        select(OutreachRound)
        .where(OutreachRound.site_id == lyon.id, OutreachRound.round_on <= on)
        .order_by(OutreachRound.round_on.desc())
    ).first()
    person = Person(  # a code beyond the demo's numbering
        code=f"LYO-{on.year}-9999",
        site_id=lyon.id,
        code_year=on.year,
        code_number=9999,
        first_contact_on=round_.round_on,
        intake_on=on,
        origin=IntakeOrigin.OUTREACH,
        outreach_round_id=round_.id,
        consent_on=on,
        consent_statistics=not refuses_statistics,
        last_contact_on=on,
    )
    session.add(person)
    session.flush()
    record_intake_refusals(session, person, author_id=None)
    partner = session.exec(select(Partner).where(Partner.site_id == lyon.id)).first()
    factories.a_referral_to(session, person, partner, on=on)
    factories.an_outcome_of(session, person, OutcomeType.FIXED_TERM_OVER_6_MONTHS, on=on)
    factories.a_move_to_mainstream(session, person, on=on)
    factories.a_psp_requested(session, person, on=on)
    workshop = (
        session.exec(
            select(WorkshopSession).where(WorkshopSession.site_id == lyon.id, WorkshopSession.session_on == on)
        ).first()
        or session.exec(
            select(WorkshopSession)
            .where(WorkshopSession.site_id == lyon.id, WorkshopSession.session_on <= on)
            .order_by(WorkshopSession.session_on.desc())
        ).first()
    )
    session.add(
        WorkshopAttendance(
            session_id=workshop.id, person_id=person.id, site_id=lyon.id, status=AttendanceStatus.PRESENT
        )
    )
    group = session.exec(select(CourseGroup).where(CourseGroup.site_id == lyon.id)).first()
    session.add(CourseEnrolment(group_id=group.id, person_id=person.id, site_id=lyon.id, enrolled_on=START))
    course = session.exec(
        select(CourseSession)
        .where(CourseSession.group_id == group.id, CourseSession.session_on <= on)
        .order_by(CourseSession.session_on.desc())
    ).first()
    session.add(
        factories.CourseAttendance(
            session_id=course.id, person_id=person.id, site_id=lyon.id, status=AttendanceStatus.PRESENT
        )
    )
    for level, assessed_on in ((CefrLevel.A1_1, START), (CefrLevel.A2, on)):
        assessment = factories.an_assessment(session, person, LanguageSkill.SPEAKING, level, on=assessed_on)
        assessment.group_id = group.id
    session.flush()
    return person


@pytest.mark.parametrize("refuses", [True, False], ids=["refuses statistics", "accepts statistics"])
def test_a_person_who_refused_statistics_moves_no_figure(demo: Engine, refuses: bool) -> None:
    with demo.connect() as connection, connection.begin() as transaction:
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        aggregates = _figures(session)
        before = {name: compute() for name, compute in aggregates.items()}
        _a_lyon_file_active_everywhere(session, refuses_statistics=refuses)
        after = {name: compute() for name, compute in aggregates.items()}
        session.close()
        transaction.rollback()
    moved = sorted(name for name in aggregates if after[name] != before[name])
    assert moved == ([] if refuses else sorted(aggregates))


def test_a_withdrawal_moves_no_figure_already_published(demo: Engine) -> None:
    """The funder figures of the quarter before today's are published: a person active in it who withdraws
    today moves none of them (else comparing the two readings would give away her activity)."""
    quarter_start = clock.month_start(TODAY, -((TODAY.month - 1) % 3))
    day = clock.add_months(quarter_start, -2).replace(day=15)  # within the quarter before today's
    with demo.connect() as connection, connection.begin() as transaction:
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        overview = _figures(session, funder_seen_on=TODAY)["funder space"]
        before = overview()
        person = _a_lyon_file_active_everywhere(session, refuses_statistics=False, on=day)
        published = overview()
        lyon_worker = factories.principal(
            session, factories.a_user(session, Role.INTERVENANT, session.get(Site, person.site_id))
        )
        consent.record_consent_change(
            session,
            lyon_worker,
            person.id,
            data={"scope": ConsentScope.STATISTICS, "given": False, "effective_on": TODAY},
            today=TODAY,
        )
        after = overview()
        session.close()
        transaction.rollback()
    assert published != before  # the file's activity is in the published figures (the test can fail)
    assert after == published
