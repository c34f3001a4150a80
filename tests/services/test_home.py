"""Home figures stay inside each role's scope (docs/design.md §2): checked against direct SQL counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseSession
from models.finance import Funder
from models.organisation import Role, Site, User
from models.outreach import OutreachRound
from models.persons import Person, PersonStatus
from models.workshops import WorkshopSession
from services import home
from services.home import FigureKind, GrantConsumption
from tests import factories

TODAY = date(2026, 11, 29)
MONTH = date(2026, 11, 1)
OPEN = (PersonStatus.ACTIVE, PersonStatus.PAUSED)

PERSON_LABELS = {"open_files", "new_intakes", "stale_files", "my_files"}
ACTIVITY_LABELS = {"outreach_rounds", "persons_met", "workshop_sessions", "course_hours"}


@dataclass
class TwoSites:
    lyon: Site
    grenoble: Site
    agrasc: Funder
    region: Funder
    cip_grenoble: User
    fle_lyon: User


@pytest.fixture
def world(session) -> TwoSites:
    """Lyon and Grenoble, each with files, rounds, workshops, French classes, grants and posts."""
    lyon, grenoble = factories.lyon_and_grenoble(session)
    cip = factories.a_user(session, Role.INTERVENANT, grenoble, username="cip.grenoble")
    fle = factories.a_user(session, Role.FORMATEUR, lyon, username="fle.lyon")
    other_fle = factories.a_user(session, Role.FORMATEUR, lyon, username="fle.lyon.2")

    file = factories.a_person_in_file_active
    lyon_people = [file(session, lyon, intake_on=d) for d in (date(2026, 11, 2), date(2026, 11, 20), date(2026, 9, 1))]
    file(session, lyon, intake_on=date(2025, 2, 1), status=PersonStatus.CLOSED)
    file(session, lyon, intake_on=date(2026, 1, 10), last_contact_on=date(2026, 3, 1))  # to follow up
    grenoble_people = [
        file(session, grenoble, intake_on=date(2026, 11, 3), referent=cip),
        file(session, grenoble, intake_on=date(2026, 5, 4), last_contact_on=date(2026, 6, 1), referent=cip),
        file(session, grenoble, intake_on=date(2026, 2, 1), status=PersonStatus.PAUSED),
    ]

    for day, met in [(date(2026, 11, 5), 4), (date(2026, 11, 19), 6), (date(2026, 10, 8), 9)]:
        factories.an_outreach_round(session, lyon, round_on=day, persons_met=met)
    for day, met in [(date(2026, 11, 12), 5), (date(2026, 12, 1), 7)]:  # 1 December: after today
        factories.an_outreach_round(session, grenoble, round_on=day, persons_met=met)

    for day in (date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 17)):
        factories.a_workshop_session(session, lyon, session_on=day)
    for day in (date(2026, 11, 24), date(2026, 10, 27)):
        factories.a_workshop_session(session, grenoble, session_on=day)

    mine = factories.a_course_group(session, lyon, teacher=fle)
    for person in lyon_people[:2]:
        factories.a_learner(session, mine, person)
    factories.a_learner(session, mine, lyon_people[2], left_on=date(2026, 10, 1))
    factories.a_course_session(
        session,
        mine,
        session_on=date(2026, 11, 10),
        duration_minutes=150,
        present=tuple(lyon_people[:2]),
        absent=(lyon_people[2],),
    )
    factories.a_course_session(
        session, mine, session_on=date(2026, 10, 6), duration_minutes=150, present=tuple(lyon_people[:2])
    )
    theirs = factories.a_course_group(session, lyon, teacher=other_fle)
    factories.a_learner(session, theirs, lyon_people[2])
    factories.a_course_session(
        session, theirs, session_on=date(2026, 11, 12), duration_minutes=120, present=(lyon_people[2],)
    )
    finished = factories.a_course_group(
        session, lyon, teacher=fle, starts_on=date(2025, 9, 1), ends_on=date(2026, 6, 30)
    )
    factories.a_learner(session, finished, lyon_people[0], left_on=date(2026, 6, 30))
    grenoble_group = factories.a_course_group(session, grenoble, teacher=fle)  # linked by mistake to fle.lyon
    for person in grenoble_people[:2]:
        factories.a_learner(session, grenoble_group, person)
    factories.a_course_session(
        session,
        grenoble_group,
        session_on=date(2026, 11, 5),
        duration_minutes=90,
        present=tuple(grenoble_people[:2]),
        absent=(grenoble_people[2],),
    )

    agrasc = factories.a_funder(session, "AGRASC")
    region = factories.a_funder(session, "Région Auvergne-Rhône-Alpes")
    factories.a_grant_with_lines(
        session,
        agrasc,
        name="AGRASC 2026",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        planned=[(lyon, 1_000_000_00), (grenoble, 500_000_00)],
        spent=[
            (lyon, date(2026, 3, 15), 1_234_56),
            (lyon, date(2026, 11, 20), 100_00),
            (lyon, date(2026, 12, 15), 999_99),
            (grenoble, date(2026, 4, 1), 2_000_00),
        ],
    )
    factories.a_grant_with_lines(
        session,
        region,
        name="Région insertion 2026",
        starts_on=date(2026, 3, 1),
        ends_on=date(2027, 2, 28),
        planned=[(lyon, 300_000_00)],
        spent=[(lyon, date(2026, 6, 30), 500_00)],
    )
    factories.a_grant_with_lines(  # ended more than a year ago: no longer shown
        session,
        agrasc,
        name="AGRASC 2024",
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),
        planned=[(lyon, 10_000_00)],
    )

    factories.a_post(session, lyon, fte_hundredths=100, is_filled=True)
    factories.a_post(session, lyon, fte_hundredths=80, is_filled=False)
    factories.a_post(session, lyon, fte_hundredths=50, ends_on=date(2025, 12, 31))  # ended
    factories.a_post(session, grenoble, fte_hundredths=50, is_filled=True)
    return TwoSites(lyon, grenoble, agrasc, region, cip, fle)


def overview(session, user: User, today: date = TODAY) -> home.HomeOverview:
    return home.overview_for(session, factories.principal(session, user), today=today)


def figures(result: home.HomeOverview) -> dict[str, int]:
    return {f.key: f.value for f in result.figures}


# --- direct SQL, the reference the figures must match ------------------------------------------------


def count(session, model, *where) -> int:
    return session.exec(select(sa.func.count()).select_from(model).where(*where)).one()


def reference(session, site_ids: list[int]) -> dict[str, int]:
    open_files = count(session, Person, Person.site_id.in_(site_ids), Person.status.in_(OPEN))
    new_intakes = count(session, Person, Person.site_id.in_(site_ids), Person.intake_on.between(MONTH, TODAY))
    rounds = session.exec(
        select(OutreachRound.persons_met).where(
            OutreachRound.site_id.in_(site_ids), OutreachRound.round_on.between(MONTH, TODAY)
        )
    ).all()
    workshops = count(
        session,
        WorkshopSession,
        WorkshopSession.site_id.in_(site_ids),
        WorkshopSession.session_on.between(MONTH, TODAY),
    )
    minutes = (
        session.exec(
            select(sa.func.sum(CourseSession.duration_minutes))
            .join(CourseAttendance, CourseAttendance.session_id == CourseSession.id)
            .where(
                CourseSession.site_id.in_(site_ids),
                CourseSession.session_on.between(MONTH, TODAY),
                CourseAttendance.status == AttendanceStatus.PRESENT,
            )
        ).one()
        or 0
    )
    return {
        "open_files": open_files,
        "new_intakes": new_intakes,
        "outreach_rounds": len(rounds),
        "persons_met": sum(rounds),
        "workshop_sessions": workshops,
        "course_hours": minutes // 60,
    }


def test_grenoble_worker_does_not_count_lyon_files(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    worker = factories.a_user(session, Role.INTERVENANT, grenoble)
    factories.a_person_in_file_active(session, lyon, intake_on=date(2026, 11, 2))
    factories.a_person_in_file_active(session, grenoble, intake_on=date(2026, 11, 3))

    result = figures(overview(session, worker))

    assert result["open_files"] == 1
    assert result["new_intakes"] == 1


def test_a_grenoble_worker_never_counts_a_lyon_row(session, world):
    result = figures(overview(session, world.cip_grenoble))

    expected = reference(session, [world.grenoble.id])
    assert {label: result[label] for label in expected} == expected
    assert expected == {
        "open_files": 3,
        "new_intakes": 1,
        "outreach_rounds": 1,
        "persons_met": 5,
        "workshop_sessions": 1,
        "course_hours": 3,  # 2 learners × 90 min
    }
    assert result["stale_files"] == 2  # last contact in June, and the paused file
    assert result["my_files"] == 2
    # Lyon had activity in every one of these figures: a missing filter would show.
    lyon = reference(session, [world.lyon.id])
    assert all(value > 0 for value in lyon.values())


def test_a_grenoble_worker_sees_no_lyon_month_in_the_charts(session, world):
    result = overview(session, world.cip_grenoble)
    by_series: dict[str, int] = {}
    for point in result.monthly:
        by_series[point.series] = by_series.get(point.series, 0) + point.value
    assert by_series == {"Nouveaux accueils": 3, "Personnes rencontrées en maraude": 5}
    assert result.grants == []  # no budget for an intervenant


def test_direction_sees_both_sites(session, world):
    direction = factories.a_user(session, Role.DIRECTION)
    result = figures(overview(session, direction))

    expected = reference(session, [world.lyon.id, world.grenoble.id])
    assert {label: result[label] for label in expected} == expected
    assert expected["open_files"] == 7
    assert expected["course_hours"] == (300 + 120 + 180) // 60
    assert result["fte_funded"] == 230
    assert result["fte_filled"] == 150
    assert result["vacant_posts"] == 1
    assert "my_files" not in result


def test_a_formateur_counts_only_the_groups_they_teach(session, world):
    result = overview(session, world.fle_lyon)
    values = figures(result)

    assert values == {
        "my_groups": 1,  # the finished group and the Grenoble group are out
        "learners": 2,  # the third left in October
        "course_sessions": 1,
        "attendance_hours": 5,  # 2 × 150 min; not the other teacher's 120 min
    }
    assert {f.kind for f in result.figures if f.key in ("course_hours", "attendance_hours")} == {FigureKind.HOURS}
    assert not PERSON_LABELS & set(values)
    assert {(p.month, p.value) for p in result.monthly} == {(date(2026, 10, 1), 5), (date(2026, 11, 1), 5)}
    assert result.grants == []


def test_chef_service_sees_only_own_site_budget_lines(session, world):
    chef = factories.a_user(session, Role.CHEF_SERVICE, world.lyon)
    result = overview(session, chef)

    assert result.grants == [
        GrantConsumption("AGRASC 2026", 1_000_000_00, 1_334_56, pytest.approx(333 / 365, abs=0.005)),
        GrantConsumption("Région insertion 2026", 300_000_00, 500_00, pytest.approx(274 / 365, abs=0.005)),
    ]
    values = figures(result)
    assert (values["fte_funded"], values["fte_filled"], values["vacant_posts"]) == (180, 100, 1)
    expected = reference(session, [world.lyon.id])
    assert {label: values[label] for label in expected} == expected


def test_direction_and_gestion_see_every_line_of_every_current_grant(session, world):
    for role in (Role.DIRECTION, Role.GESTION):
        result = overview(session, factories.a_user(session, role))
        assert [(g.grant_name, g.planned_cents, g.spent_cents) for g in result.grants] == [
            ("AGRASC 2026", 1_500_000_00, 3_334_56),
            ("Région insertion 2026", 300_000_00, 500_00),
        ]


def test_financeur_sees_only_its_grants_and_no_person_or_activity_figure(session, world):
    financeur = factories.a_user(session, Role.FINANCEUR, funder_id=world.agrasc.id)
    result = overview(session, financeur)

    assert [(g.grant_name, g.planned_cents, g.spent_cents) for g in result.grants] == [
        ("AGRASC 2026", 1_500_000_00, 3_334_56)
    ]
    assert result.figures == []
    assert result.monthly == []


def test_a_financeur_without_funder_sees_no_grant(session, world):
    assert overview(session, factories.a_user(session, Role.FINANCEUR)).grants == []


def test_gestion_sees_money_and_posts_but_no_person_figure(session, world):
    result = overview(session, factories.a_user(session, Role.GESTION))
    values = figures(result)

    assert not (PERSON_LABELS | ACTIVITY_LABELS) & set(values)
    assert values["expenses_this_month"] == 1  # the 20 November expense
    assert (values["fte_funded"], values["vacant_posts"]) == (230, 1)
    assert {p.series for p in result.monthly} == {"Dépenses (€)"}
    assert sum(p.value for p in result.monthly) == (1_234_56 + 100_00 + 2_000_00 + 500_00) // 100


def test_admin_sees_accounts_and_no_person_figure(session, world):
    result = overview(session, factories.a_user(session, Role.ADMIN))
    values = figures(result)

    assert set(values) == {"active_accounts", "locked_usernames", "login_failures", "audit_events"}
    assert values["active_accounts"] == count(session, User, User.is_active == sa.true())
    assert result.grants == [] and result.monthly == []


# --- grant consumption: exact cents and share of the period elapsed ------------------------------------


@pytest.fixture
def calendar_year_grant(session):
    lyon = factories.a_site(session, "LYO")
    funder = factories.a_funder(session)
    factories.a_grant_with_lines(
        session,
        funder,
        name="AGRASC 2026",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        planned=[(lyon, 120_000_01)],
        spent=[(lyon, date(2026, 2, 1), 33_333_33), (lyon, date(2026, 8, 1), 1)],
    )
    return factories.principal(session, factories.a_user(session, Role.DIRECTION))


@pytest.mark.parametrize(
    ("today", "spent", "elapsed"),
    [
        (date(2025, 12, 15), 0, 0.0),
        (date(2026, 7, 2), 33_333_33, 0.5),
        (date(2026, 12, 31), 33_333_34, 1.0),
        (date(2027, 6, 30), 33_333_34, 1.0),
    ],
)
def test_grant_consumption_in_cents_and_elapsed_share(session, calendar_year_grant, today, spent, elapsed):
    [grant] = home.grant_consumption(session, calendar_year_grant, today)

    assert (grant.planned_cents, grant.spent_cents) == (120_000_01, spent)
    assert isinstance(grant.spent_cents, int) and isinstance(grant.planned_cents, int)
    assert grant.elapsed_share == pytest.approx(elapsed, abs=0.005)
    assert grant.consumed_share == spent / 120_000_01
