"""Consent applied, not only recorded: a person who refused « statistiques anonymes » moves no figure.

On the demo data, a new Lyon file with activity in every family the figures count (met on a round,
referred, an outcome, a workshop and a French course attended, a level gained, a move to droit commun,
a PSP) is added twice: refusing statistics, no figure of any aggregate moves; accepting them, each
aggregate moves (so the comparison can fail). The aggregates are those of the dashboard, the funder
space, the workshops' and the French courses' figures and outreach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
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
from models.persons import IntakeOrigin, Person
from models.workshops import WorkshopAttendance, WorkshopSession
from services.activities import outreach
from services.activities.courses import assessments, progress
from services.activities.workshops import figures
from services.persons.consent import record_intake_refusals
from services.platform.crypto import FieldCipher
from services.reporting import dashboard, funder_space
from tests import factories
from tests.conftest import backends, demo_data_engine

TODAY = clock.today()
START, END = clock.month_start(TODAY, -3), TODAY
DAY = TODAY - timedelta(days=20)  # inside the period, in a month every monthly series shows


@pytest.fixture(scope="module", params=backends())
def demo(request: pytest.FixtureRequest) -> Iterator[Engine]:
    with demo_data_engine(
        request.param, "consent", as_of=TODAY, cipher=FieldCipher([Fernet.generate_key().decode()])
    ) as engine:
        yield engine


def _figures(session: Session) -> dict[str, Callable[[], Any]]:
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    agrasc = session.exec(select(factories.Funder).where(factories.Funder.name == "AGRASC")).one()
    financeur = factories.principal(session, factories.a_user(session, Role.FINANCEUR, funder_id=agrasc.id))
    grant = session.exec(select(factories.Grant).where(factories.Grant.funder_id == agrasc.id)).first()
    period = {"start": START, "end": END}
    return {
        "dashboard": lambda: dashboard.director_dashboard(session, direction, **period, today=TODAY),
        "site comparison": lambda: dashboard.site_comparison(session, direction, **period),
        # Published once the quarter holding DAY is over: the grant to date, seen in January.
        "funder space": lambda: funder_space.funder_overview(
            session, financeur, grant_id=grant.id, today=clock.add_months(TODAY, 2)
        ),
        "workshop attendance rates": lambda: figures.attendance_rates(session, direction, **period),
        "level gains": lambda: progress.level_gains(session, direction),
        "levels reached": lambda: progress.reached_levels(session, direction),
        "site progress": lambda: progress.site_progress(session, direction),
        "moves to droit commun": lambda: assessments.transitions_by_site(session, direction, **period),
        "outreach by month": lambda: outreach.monthly_outreach(session, direction, today=TODAY),
    }


def _a_lyon_file_active_everywhere(session: Session, *, refuses_statistics: bool) -> None:
    lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
    round_ = session.exec(
        select(OutreachRound)
        .where(OutreachRound.site_id == lyon.id, OutreachRound.round_on <= DAY)
        .order_by(OutreachRound.round_on.desc())
    ).first()
    person = Person(  # a code beyond the demo's numbering
        code=f"LYO-{DAY.year}-9999",
        site_id=lyon.id,
        code_year=DAY.year,
        code_number=9999,
        first_contact_on=round_.round_on,
        intake_on=DAY,
        origin=IntakeOrigin.OUTREACH,
        outreach_round_id=round_.id,
        consent_on=DAY,
        consent_statistics=not refuses_statistics,
        last_contact_on=DAY,
    )
    session.add(person)
    session.flush()
    record_intake_refusals(session, person, author_id=None)
    partner = session.exec(select(Partner).where(Partner.site_id == lyon.id)).first()
    factories.a_referral_to(session, person, partner, on=DAY)
    factories.an_outcome_of(session, person, OutcomeType.FIXED_TERM_OVER_6_MONTHS, on=DAY)
    factories.a_move_to_mainstream(session, person, on=DAY)
    factories.a_psp_requested(session, person, on=DAY)
    workshop = (
        session.exec(
            select(WorkshopSession).where(WorkshopSession.site_id == lyon.id, WorkshopSession.session_on == DAY)
        ).first()
        or session.exec(
            select(WorkshopSession)
            .where(WorkshopSession.site_id == lyon.id, WorkshopSession.session_on <= DAY)
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
        .where(CourseSession.group_id == group.id, CourseSession.session_on <= DAY)
        .order_by(CourseSession.session_on.desc())
    ).first()
    session.add(
        factories.CourseAttendance(
            session_id=course.id, person_id=person.id, site_id=lyon.id, status=AttendanceStatus.PRESENT
        )
    )
    for level, on in ((CefrLevel.A1_1, START), (CefrLevel.A2, DAY)):
        assessment = factories.an_assessment(session, person, LanguageSkill.SPEAKING, level, on=on)
        assessment.group_id = group.id
    session.flush()


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
