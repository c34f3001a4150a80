"""Director dashboard (services.reporting.dashboard): who may open it and for which sites, the previous period,
the monthly series and the cohort funnel against direct SQL, budget and FTE of the chosen sites."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.appointments import AppointmentKind
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseGroup
from models.finance import BudgetLine
from models.organisation import Role, Site, User
from models.outreach import OutreachMode
from models.partners import OutcomeType
from models.persons import IntakeOrigin, Person
from services.finance import grants
from services.platform import data_version
from services.platform.db import make_engine, unit_of_work
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.principal import Principal
from services.reporting import dashboard, director_answers
from services.reporting._dashboard_figures import SERIES_KEYS, series_window
from tests import factories
from tests.conftest import backends, migrated_database_url

TODAY = date(2026, 5, 13)
START, END = date(2026, 4, 1), date(2026, 4, 30)


@dataclass
class World:
    lyon: Site
    grenoble: Site
    direction: Principal
    chef_lyon: Principal
    intervenant: Principal
    formateur: Principal
    gestion: Principal
    financeur: Principal
    admin: Principal


@pytest.fixture
def world(session: Session) -> World:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    p = factories.principal
    agrasc = factories.a_funder(session)
    world = World(
        lyon,
        grenoble,
        direction=p(session, factories.a_user(session, Role.DIRECTION)),
        chef_lyon=p(session, factories.a_user(session, Role.CHEF_SERVICE, lyon)),
        intervenant=p(session, factories.a_user(session, Role.INTERVENANT, lyon)),
        formateur=p(session, factories.a_user(session, Role.FORMATEUR, lyon)),
        gestion=p(session, factories.a_user(session, Role.GESTION)),
        financeur=p(session, factories.a_user(session, Role.FINANCEUR, funder_id=agrasc.id)),
        admin=p(session, factories.a_user(session, Role.ADMIN)),
    )
    file = factories.a_person_in_file_active
    # Lyon: 3 intakes in April (2 from outreach), 1 in March; Grenoble: 2 in April.
    met = factories.an_outreach_round(session, lyon, round_on=date(2026, 3, 20), persons_met=9)
    april = [factories.a_file_opened_after_round(session, met, intake_on=date(2026, 4, d)) for d in (2, 15)]
    april.append(file(session, lyon, intake_on=date(2026, 4, 30)))
    april[-1].origin = IntakeOrigin.PARTNER
    march = file(session, lyon, intake_on=date(2026, 3, 10))
    for d in (3, 4):
        file(session, grenoble, intake_on=date(2026, 4, d))
    factories.an_outreach_round(session, lyon, round_on=date(2026, 4, 8), persons_met=5)
    factories.an_outreach_round(session, lyon, round_on=date(2026, 4, 9), persons_met=2, mode=OutreachMode.ONLINE)
    factories.an_outreach_round(session, grenoble, round_on=date(2026, 4, 9), persons_met=11)
    # Activity of the April cohort: one at a workshop, one at a French class (absent only: not counted).
    workshop = factories.a_workshop_session(session, lyon, session_on=date(2026, 5, 5))
    factories.a_workshop_roll(session, workshop, present=(april[0],), absent=(april[1],))
    group = factories.a_course_group(session, lyon)
    factories.a_course_session(
        session, group, session_on=date(2026, 4, 20), duration_minutes=120, present=(march,), absent=(april[2],)
    )
    factories.an_outcome_of(session, april[1], OutcomeType.CDI, on=date(2026, 5, 10))  # outcome after the period
    factories.an_outcome_of(session, march, OutcomeType.SIAE_HIRING, on=date(2026, 4, 28))
    # Money and posts on both sites.
    factories.a_grant_with_lines(
        session,
        agrasc,
        name="Fonds AGRASC",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        planned=[(lyon, 1_000_000), (grenoble, 3_000_000)],
        spent=[
            (lyon, date(2026, 2, 1), 250_000),
            (lyon, date(2026, 5, 1), 100_000),
            (grenoble, date(2026, 3, 1), 600_000),
        ],
    )
    factories.a_grant_with_lines(
        session,
        agrasc,
        name="Ancien fonds",
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 6, 30),
        planned=[(lyon, 500_000)],
    )
    factories.a_post(session, lyon, fte_hundredths=100, is_filled=True)
    factories.a_post(session, lyon, fte_hundredths=50, is_filled=False)
    factories.a_post(session, grenoble, fte_hundredths=80, is_filled=True)
    return world


def _board(session: Session, principal: Principal, **kwargs) -> dashboard.Dashboard:
    return dashboard.director_dashboard(
        session, principal, start=kwargs.pop("start", START), end=kwargs.pop("end", END), today=TODAY, **kwargs
    )


# --- who may open it, for which sites -------------------------------------------------------------------


def test_direction_sees_every_site_or_the_chosen_ones(session: Session, world: World) -> None:
    board = _board(session, world.direction)
    assert [site.code for site in board.sites] == ["GRE", "LYO"]
    assert board.current.get("new_intakes").value == 5
    only_lyon = _board(session, world.direction, site_ids=[world.lyon.id])
    assert only_lyon.current.get("new_intakes").value == 3
    assert [row.site.code for row in only_lyon.site_rows] == ["LYO"]


def test_chef_service_sees_its_own_site_and_cannot_ask_for_another(session: Session, world: World) -> None:
    board = _board(session, world.chef_lyon)
    assert [site.code for site in board.sites] == ["LYO"]
    assert board.current.get("persons_met_street").value == 5  # not Grenoble's 11
    assert [s.code for s in dashboard.sites_in_scope(session, world.chef_lyon)] == ["LYO"]
    with pytest.raises(PermissionDenied):
        _board(session, world.chef_lyon, site_ids=[world.grenoble.id])
    with pytest.raises(PermissionDenied):
        _board(session, world.chef_lyon, site_ids=[world.lyon.id, world.grenoble.id])
    with pytest.raises(PermissionDenied):
        dashboard.site_comparison(session, world.chef_lyon, start=START, end=END, site_ids=[world.grenoble.id])


@pytest.mark.parametrize("role", ["intervenant", "formateur", "gestion", "financeur", "admin"])
def test_other_roles_are_refused(session: Session, world: World, role: str) -> None:
    principal = getattr(world, role)
    with pytest.raises(PermissionDenied):
        _board(session, principal)
    with pytest.raises(PermissionDenied):
        dashboard.site_comparison(session, principal, start=START, end=END)
    with pytest.raises(PermissionDenied):
        dashboard.sites_in_scope(session, principal)


def test_bad_periods_and_an_empty_site_choice_are_refused(session: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as error:
        _board(session, world.direction, start=END, end=START)
    assert error.value.errors == {"end": "La fin de la période doit suivre son début."}
    with pytest.raises(ValidationFailed):
        _board(session, world.direction, start=date(2020, 1, 1), end=END)
    with pytest.raises(ValidationFailed) as error:
        _board(session, world.direction, site_ids=[])
    assert "site_ids" in error.value.errors


# --- previous period, series, funnel ---------------------------------------------------------------------


def test_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    assert dashboard.previous_period(date(2026, 4, 1), date(2026, 4, 30)) == (date(2026, 3, 2), date(2026, 3, 31))
    assert dashboard.previous_period(date(2026, 5, 13), date(2026, 5, 13)) == (date(2026, 5, 12), date(2026, 5, 12))
    assert dashboard.previous_period(date(2026, 1, 1), date(2026, 12, 31)) == (date(2025, 1, 1), date(2025, 12, 31))


def test_trend_compares_with_the_previous_period(session: Session, world: World) -> None:
    board = _board(session, world.direction)
    assert (board.previous_start, board.previous_end) == (date(2026, 3, 2), date(2026, 3, 31))
    current, previous = board.pair("new_intakes")
    assert (current.value, previous.value) == (5, 1)
    current, previous = board.pair("persons_met_street")
    assert (current.value, previous.value) == (16, 9)
    # The whole previous period (2 to 31 March), by construction of the world: the Lyon round of 20 March
    # (9 persons met), the file opened on 10 March, and nothing else.
    figures = {indicator.key: indicator.value for indicator in board.previous.indicators}
    assert {key: value for key, value in figures.items() if value} == {
        "active_files": 1,
        "new_intakes": 1,
        "outreach_rounds": 1,
        "persons_met_street": 9,
    }
    assert figures["workshop_attendance_rate"] is None  # no roll taken: unknown, not 0
    assert (board.previous.start, board.previous.end) == (date(2026, 3, 2), date(2026, 3, 31))


def test_monthly_series_equal_direct_sql(session: Session, world: World) -> None:
    board = _board(session, world.direction)
    first, last = series_window(END)
    assert (first, last) == (date(2025, 5, 1), END)
    points = {(p.key, p.month): p.value for p in board.monthly}
    assert {key for key, _ in points} == set(SERIES_KEYS)
    assert len(points) == 12 * len(SERIES_KEYS)
    params = {"first": first, "last": last}
    sql = {
        "new_intakes": "SELECT intake_on, 1 FROM person WHERE intake_on BETWEEN :first AND :last",
        "persons_met_street": "SELECT round_on, persons_met FROM outreach_round WHERE mode = 'street' "
        "AND round_on BETWEEN :first AND :last",
        "persons_met_online": "SELECT round_on, persons_met FROM outreach_round WHERE mode = 'online' "
        "AND round_on BETWEEN :first AND :last",
        "course_hours": "SELECT s.session_on, s.duration_minutes FROM course_attendance a JOIN course_session s "
        "ON s.id = a.session_id WHERE a.status = 'present' AND s.session_on BETWEEN :first AND :last",
        "outcomes_positive_exit": "SELECT outcome_on, 1 FROM outcome WHERE category = 'positive_exit' "
        "AND outcome_on BETWEEN :first AND :last",
    }
    typed = [sa.bindparam("first", type_=sa.Date), sa.bindparam("last", type_=sa.Date)]
    for key, query in sql.items():
        expected: dict[date, int] = {}
        for day, value in session.execute(sa.text(query).bindparams(*typed), params).all():
            day = day if isinstance(day, date) else date.fromisoformat(day)
            expected[day.replace(day=1)] = expected.get(day.replace(day=1), 0) + int(value)
        got = {month: value for (k, month), value in points.items() if k == key and value}
        if key == "course_hours":
            expected = {m: (Decimal(v) / 60).quantize(Decimal("0.01")) for m, v in expected.items()}
        assert got == expected, key
    assert points[("new_intakes", date(2026, 4, 1))] == 5
    assert points[("course_hours", date(2026, 4, 1))] == Decimal("2.00")


def test_funnel_follows_the_cohort_of_the_period(session: Session, world: World) -> None:
    board = _board(session, world.direction, site_ids=[world.lyon.id])
    steps = {step.key: (step.persons, step.share) for step in board.funnel}
    assert steps["cohort"] == (3, Decimal(1))  # shares exact: the chart rounds them once
    assert steps["from_outreach"] == (2, Decimal(2) / 3)
    # present at a workshop (May, after the period: counts); absent from a class does not count
    assert steps["attended_activity"] == (1, Decimal(1) / 3)
    assert steps["has_outcome"] == (1, Decimal(1) / 3)  # the CDI of May; March's file is not in the cohort
    # The same counts by direct SQL.
    cohort = sa.text("SELECT id, origin FROM person WHERE site_id = :site AND intake_on BETWEEN :s AND :e").bindparams(
        sa.bindparam("s", type_=sa.Date), sa.bindparam("e", type_=sa.Date)
    )
    rows = session.execute(cohort, {"site": world.lyon.id, "s": START, "e": END}).all()
    ids = [r[0] for r in rows]
    present = {
        r[0]
        for r in session.execute(
            sa.text(
                "SELECT person_id FROM workshop_attendance WHERE status = 'present' UNION "
                "SELECT person_id FROM course_attendance WHERE status = 'present'"
            )
        ).all()
    }
    with_outcome = {r[0] for r in session.execute(sa.text("SELECT person_id FROM outcome")).all()}
    assert steps["cohort"][0] == len(ids)
    assert steps["from_outreach"][0] == sum(1 for r in rows if r[1] == IntakeOrigin.OUTREACH.value)
    assert steps["attended_activity"][0] == len(present & set(ids))
    assert steps["has_outcome"][0] == len(with_outcome & set(ids))
    empty = _board(session, world.direction, start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert all(step.persons == 0 and step.share is None for step in empty.funnel)
    absent = (
        select(sa.func.count()).select_from(CourseAttendance).where(CourseAttendance.status == AttendanceStatus.ABSENT)
    )
    assert session.exec(absent).one() == 1


# --- budget, posts, site comparison -------------------------------------------------------------------------


def test_budget_and_fte_of_the_chosen_sites_on_the_period_end(session: Session, world: World) -> None:
    board = _board(session, world.direction)
    assert board.as_of == END
    assert [(g.grant_name, g.planned_cents, g.spent_cents) for g in board.grants] == [
        ("Fonds AGRASC", 4_000_000, 850_000)
    ]  # the May expense is after END; the old grant is over
    assert board.grants[0].elapsed_share == pytest.approx(120 / 365)
    lyon = _board(session, world.chef_lyon)
    assert [(g.planned_cents, g.spent_cents) for g in lyon.grants] == [(1_000_000, 250_000)]
    assert sum(f.funded_hundredths for f in lyon.fte) == 150
    assert sum(f.filled_hundredths for f in lyon.fte) == 100
    assert {f.site_code for f in board.fte} == {"LYO", "GRE"}
    current_month = _board(session, world.direction, start=date(2026, 5, 1), end=TODAY)
    assert current_month.as_of == TODAY and current_month.grants[0].spent_cents == 950_000


def test_site_comparison_gives_each_site_its_own_figures(session: Session, world: World) -> None:
    rows = dashboard.site_comparison(session, world.direction, start=START, end=END)
    assert [row.site.code for row in rows] == ["GRE", "LYO"]
    by_code = {row.site.code: row.indicators for row in rows}
    assert by_code["LYO"].get("new_intakes").value == 3
    assert by_code["GRE"].get("new_intakes").value == 2
    assert by_code["GRE"].get("persons_met_street").value == 11
    # Every non-zero figure of April, site by site, as the world was built; the dashboard's rows say the same.
    april = {
        "GRE": {"active_files": 2, "new_intakes": 2, "outreach_rounds": 1, "persons_met_street": 11},
        "LYO": {
            "active_files": 4,
            "new_intakes": 3,
            "outreach_rounds": 2,
            "persons_met_street": 5,
            "persons_met_online": 2,
            "course_hours": Decimal("2.00"),
            "outcomes_positive_exit": 1,
        },
    }
    board = _board(session, world.direction)
    for site_rows in (rows, board.site_rows):
        assert {
            row.site.code: {i.key: i.value for i in row.indicators.indicators if i.value} for row in site_rows
        } == april
    chef = dashboard.site_comparison(session, world.chef_lyon, start=START, end=END)
    assert [row.site.code for row in chef] == ["LYO"]


# --- after a save: only the parts that read what it wrote are recomputed, and the save shows ------------


@pytest.fixture(params=backends())
def committed(request) -> Iterator[Engine]:
    """A migrated database of its own: the cache serves only committed figures (the `session` fixture's
    transaction is never committed)."""
    data_version.clear_cache()
    with migrated_database_url(request.param, "parcours_dashboard") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_after_an_expense_the_dashboard_shows_it_without_recounting_attendance(committed: Engine) -> None:
    """The dashboard, the director's answers above it and the list of grants: the expense appears, and no
    attendance is read."""
    with unit_of_work(committed) as uow:
        lyon, _grenoble = factories.lyon_and_grenoble(uow)
        direction = factories.a_user(uow, Role.DIRECTION)
        money = factories.a_grant_with_lines(
            uow,
            factories.a_funder(uow),
            name="Fonds AGRASC",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            planned=[(lyon, 1_000_000)],
            spent=[(lyon, date(2026, 4, 2), 250_000)],
        )
        learner = factories.a_person_in_file_active(uow, lyon, intake_on=date(2026, 3, 10))
        group = factories.a_course_group(uow, lyon)
        factories.a_course_session(uow, group, session_on=date(2026, 4, 20), duration_minutes=120, present=(learner,))
        uow.commit()
        direction_id, line = direction.id, money.lines["LYO"]

    statements: list[str] = []

    def board() -> tuple[dashboard.Dashboard, director_answers.DirectorAnswers]:
        with unit_of_work(committed) as uow:
            principal = factories.principal(uow, uow.get(User, direction_id))
            answers = director_answers.director_answers(uow, principal, start=START, end=END, today=TODAY)
            return _board(uow, principal), answers

    def grant_list() -> list[tuple[str, int]]:  # the Conventions page's list, cached too
        with unit_of_work(committed) as uow:
            principal = factories.principal(uow, uow.get(User, direction_id))
            return [(g.name, g.spent_cents) for g in grants.list_grants(uow, principal, today=TODAY)]

    assert grant_list() == [("Fonds AGRASC", 250_000)]
    first, first_answers = board()
    assert [(g.grant_name, g.spent_cents) for g in first.grants] == [("Fonds AGRASC", 250_000)]
    assert first.current.get("course_hours").value == Decimal("2.0")
    assert [(g.name, g.spent_cents) for g in first_answers.grants] == [("Fonds AGRASC", 250_000)]
    assert first_answers.accompanied.total == 1
    with unit_of_work(committed) as uow:  # a colleague books an expense
        factories.an_expense(uow, uow.get(BudgetLine, line.id), spent_on=date(2026, 4, 15), amount_cents=40_000)
        uow.commit()

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement.lower())

    sa.event.listen(committed, "before_cursor_execute", record)
    try:
        after, answers = board()
    finally:
        sa.event.remove(committed, "before_cursor_execute", record)
    assert [(g.grant_name, g.spent_cents) for g in after.grants] == [("Fonds AGRASC", 290_000)]
    assert after.current.get("course_hours").value == Decimal("2.0")
    assert [(g.name, g.spent_cents) for g in answers.grants] == [("Fonds AGRASC", 290_000)]
    assert grant_list() == [("Fonds AGRASC", 290_000)]
    assert answers.accompanied.total == 1
    assert any("expense" in s for s in statements)
    assert not [s for s in statements if "course_attendance" in s or "workshop_attendance" in s]


def recorded_computations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple]]:
    """(name, sites) of every part data_version.cached_by_site computes from now on (served parts: none)."""
    computed: list[tuple[str, tuple]] = []
    real = data_version.cached_by_site

    def spy(session, name, key, sites, compute, **kwargs):
        def recorded(chosen):
            computed.append((name, tuple(sorted(chosen))))
            return compute(chosen)

        return real(session, name, key, sites, recorded, **kwargs)

    monkeypatch.setattr(data_version, "cached_by_site", spy)
    return computed


def test_after_a_roll_call_at_lyon_only_lyons_figures_are_counted_again_and_the_save_shows(
    committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indicator families are cached per site: a roll call written at Lyon (by another process)
    recomputes Lyon's families only; Grenoble's are served as they were, and both sites' figures are right."""
    with unit_of_work(committed) as uow:
        lyon, grenoble = factories.lyon_and_grenoble(uow)
        direction = factories.a_user(uow, Role.DIRECTION)
        groups = {}
        for site, minutes in ((lyon, 120), (grenoble, 90)):
            learner = factories.a_person_in_file_active(uow, site, intake_on=date(2026, 3, 10))
            groups[site.code] = factories.a_course_group(uow, site)
            factories.a_course_session(
                uow, groups[site.code], session_on=date(2026, 4, 20), duration_minutes=minutes, present=(learner,)
            )
        uow.commit()
        direction_id, lyon_id, grenoble_id, lyon_group = direction.id, lyon.id, grenoble.id, groups["LYO"].id

    computed = recorded_computations(monkeypatch)

    def hours_by_site() -> dict[str, Decimal]:
        with unit_of_work(committed) as uow:
            principal = factories.principal(uow, uow.get(User, direction_id))
            board = _board(uow, principal)
            answers = director_answers.director_answers(uow, principal, start=START, end=END, today=TODAY)  # above it
            accompanied.append(answers.accompanied.total)
            return {row.site.code: row.indicators.get("course_hours").value for row in board.site_rows}

    accompanied: list[int] = []  # the director's total of persons accompanied, at each reading
    assert hours_by_site() == {"GRE": Decimal("1.5"), "LYO": Decimal("2.0")}
    families = {name for name, _sites in computed if name.startswith("indicators.")}
    assert {sites for name, sites in computed if name.startswith("indicators.")} == {
        tuple(sorted((lyon_id, grenoble_id)))
    }  # the first time: every site in one query per family
    computed.clear()
    other = make_engine(committed.url.render_as_string(hide_password=False))  # another app process
    try:
        with unit_of_work(other) as uow:  # a roll call at Lyon
            group = uow.get(CourseGroup, lyon_group)
            learner = factories.a_person_in_file_active(uow, uow.get(Site, lyon_id), intake_on=date(2026, 3, 12))
            factories.a_course_session(
                uow, group, session_on=date(2026, 4, 22), duration_minutes=60, present=(learner,)
            )
            uow.commit()
    finally:
        other.dispose()
    assert hours_by_site() == {"GRE": Decimal("1.5"), "LYO": Decimal("3.0")}
    assert accompanied == [2, 3]  # the new learner, made of Lyon's part counted again and Grenoble's as it was
    again = [(name, sites) for name, sites in computed if name.startswith("indicators.")]
    assert ("indicators._courses", (lyon_id,)) in again
    assert {sites for _name, sites in again} == {(lyon_id,)}
    assert families >= {name for name, _sites in again}
    # the director's answers above the dashboard: their comparison families and persons accompanied too; the
    # total of the sites together (a person active at two sites counts once) is made of the sites' parts
    answers = {name: sites for name, sites in computed if name.startswith("director_answers.")}
    assert "director_answers.accompanied_total" not in answers
    assert answers["director_answers.courses"] == answers["director_answers.accompanied"] == (lyon_id,)
    assert set(answers.values()) == {(lyon_id,)}


def test_after_an_appointment_at_lyon_only_lyons_months_are_counted_again_and_it_shows(
    committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The appointments chart is cached per site too: an appointment saved at Lyon (by another process)
    counts Lyon's months again, Grenoble's are served as they were, and the new appointment is on the chart."""
    with unit_of_work(committed) as uow:
        lyon, grenoble = factories.lyon_and_grenoble(uow)
        direction = factories.a_user(uow, Role.DIRECTION)
        for site in (lyon, grenoble):
            person = factories.a_person_in_file_active(uow, site, intake_on=date(2026, 3, 10))
            factories.an_appointment(uow, person, date(2026, 4, 14))
        uow.commit()
        direction_id, lyon_id, grenoble_id = direction.id, lyon.id, grenoble.id

    computed = recorded_computations(monkeypatch)

    def april_by_site() -> dict[int, tuple[int, int]]:
        with unit_of_work(committed) as uow:
            board = _board(uow, factories.principal(uow, uow.get(User, direction_id)))
            return {m.site_id: (m.appointments, m.minutes) for m in board.appointments if m.month == date(2026, 4, 1)}

    assert april_by_site() == {lyon_id: (1, 45), grenoble_id: (1, 45)}
    assert ("dashboard.appointments", (lyon_id, grenoble_id)) in computed
    computed.clear()
    other = make_engine(committed.url.render_as_string(hide_password=False))  # another app process
    try:
        with unit_of_work(other) as uow:  # an accompaniment at Lyon, for Lyon's person
            lyon_person = uow.exec(select(Person).where(Person.site_id == lyon_id)).one()
            factories.an_appointment(
                uow, lyon_person, date(2026, 4, 21), kind=AppointmentKind.ACCOMPANIMENT_HEALTH, minutes=120
            )
            uow.commit()
    finally:
        other.dispose()
    assert april_by_site() == {lyon_id: (2, 165), grenoble_id: (1, 45)}
    assert [sites for name, sites in computed if name == "dashboard.appointments"] == [(lyon_id,)]
