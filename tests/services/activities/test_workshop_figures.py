"""Workshop figures: attendance rate per module and site (checked against direct SQL), and the persons
who missed their last two sessions (hand-built cases)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import bindparam, text
from sqlmodel import Session

from models.attendance import AttendanceStatus
from models.persons import PersonStatus
from services.activities.workshops import figures as workshop_figures
from services.platform.errors import PermissionDenied, ValidationFailed
from tests import factories
from tests.services.workshop_world import CIPHER, TODAY, WorkshopWorld

P, E, A = AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT
START, END = date(2026, 3, 1), date(2026, 4, 30)

RATES_SQL = text("""
    SELECT s.site_id, s.module_id,
           COUNT(DISTINCT s.id) AS sessions,
           SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END) AS present,
           SUM(CASE WHEN a.status = 'excused' THEN 1 ELSE 0 END) AS excused,
           SUM(CASE WHEN a.status = 'absent' THEN 1 ELSE 0 END) AS absent
    FROM workshop_attendance a JOIN workshop_session s ON s.id = a.session_id
    WHERE s.session_on BETWEEN :start AND :end AND s.site_id IN :sites
    GROUP BY s.site_id, s.module_id
""").bindparams(bindparam("sites", expanding=True))


def _direct_rates(session: Session, site_ids: list[int]) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    rows = session.execute(RATES_SQL, {"start": START, "end": END, "sites": site_ids}).all()
    return {(r.site_id, r.module_id): (r.sessions, r.present, r.excused, r.absent) for r in rows}


@pytest.fixture
def rolls(session: Session, workshop_world: WorkshopWorld) -> None:
    """Sessions inside and outside the period, on both sites, with every status."""
    f = factories
    lyon = [f.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2025, 6, 1)) for _ in range(5)]
    grenoble = [
        f.a_person_in_file_active(session, workshop_world.grenoble, intake_on=date(2025, 6, 1)) for _ in range(3)
    ]
    plan = [
        (workshop_world.lyon, workshop_world.self_esteem, date(2026, 3, 1), lyon[:3], lyon[3:4], lyon[4:]),  # first day
        (workshop_world.lyon, workshop_world.self_esteem, date(2026, 3, 10), lyon[:1], (), lyon[1:3]),
        (workshop_world.lyon, workshop_world.money, date(2026, 4, 30), lyon, (), ()),  # last day
        (workshop_world.lyon, workshop_world.money, date(2026, 2, 28), (), lyon, ()),  # before: left out
        (workshop_world.lyon, workshop_world.money, date(2026, 5, 1), (), (), lyon),  # after: left out
        (
            workshop_world.grenoble,
            workshop_world.grenoble_module,
            date(2026, 4, 2),
            grenoble[:1],
            grenoble[1:2],
            grenoble[2:],
        ),
    ]
    for site, module, day, present, excused, absent in plan:
        workshop = f.a_workshop_session(session, site, session_on=day, module=module)
        f.a_workshop_roll(session, workshop, present=tuple(present), excused=tuple(excused), absent=tuple(absent))
    f.a_workshop_session(
        session, workshop_world.lyon, session_on=date(2026, 4, 9), module=workshop_world.money
    )  # no roll yet


def test_attendance_rate_per_module_and_site_equals_direct_sql(
    session: Session, workshop_world: WorkshopWorld, rolls: None
) -> None:
    rates = workshop_figures.attendance_rates(session, workshop_world.direction, start=START, end=END)
    expected = _direct_rates(session, [workshop_world.lyon.id, workshop_world.grenoble.id])
    assert {(r.site_id, r.module_id): (r.sessions, r.present, r.excused, r.absent) for r in rates} == expected
    by_module = {(r.site_code, r.module_name): r for r in rates}
    # Hand-checked too: self-esteem at Lyon 3+1 present of 5+3 recorded, money 5 of 5, Grenoble 1 of 3.
    assert by_module[("LYO", "Estime de soi")].rate == pytest.approx(4 / 8)
    assert by_module[("LYO", "Rapport à l'argent")].rate == 1.0
    assert by_module[("GRE", "Estime de soi")].rate == pytest.approx(1 / 3)
    assert [r.site_code for r in rates] == ["GRE", "LYO", "LYO"]  # by site, then the site's module order
    totals = {t.site_code: (t.sessions, t.present, t.recorded) for t in workshop_figures.site_totals(rates)}
    assert totals == {"LYO": (3, 9, 13), "GRE": (1, 1, 3)}


def test_attendance_rate_is_limited_to_the_principal_sites(
    session: Session, workshop_world: WorkshopWorld, rolls: None
) -> None:
    lyon = workshop_figures.attendance_rates(session, workshop_world.ts_lyon, start=START, end=END)
    assert {(r.site_id, r.module_id): (r.sessions, r.present, r.excused, r.absent) for r in lyon} == _direct_rates(
        session, [workshop_world.lyon.id]
    )
    assert (
        workshop_figures.attendance_rates(
            session, workshop_world.ts_lyon, start=START, end=END, site_id=workshop_world.grenoble.id
        )
        == []
    )
    with pytest.raises(ValidationFailed):
        workshop_figures.attendance_rates(session, workshop_world.ts_lyon, start=END, end=START)
    with pytest.raises(PermissionDenied):
        workshop_figures.attendance_rates(session, workshop_world.admin, start=START, end=END)


# --- persons to call ----------------------------------------------------------------------------


def test_persons_who_missed_their_last_two_sessions(session: Session, workshop_world: WorkshopWorld) -> None:
    f = factories
    day = date(2026, 4, 1)

    def person(name: str, *, status: PersonStatus = PersonStatus.ACTIVE, left_on: date | None = None, site=None):
        someone = f.a_person_called(
            session, site or workshop_world.lyon, name, cipher=CIPHER, intake_on=date(2026, 1, 5), status=status
        )
        f.a_workshop_cycle(session, someone, starts_on=date(2026, 3, 1), left_on=left_on)
        return someone

    def sessions(*statuses: tuple, site=None, start: date = day) -> None:
        """Consecutive weekly sessions; each item: (person, status) pairs of that session."""
        for week, marks in enumerate(statuses):
            workshop = f.a_workshop_session(
                session,
                site or workshop_world.lyon,
                session_on=start + timedelta(weeks=week),
                module=workshop_world.grenoble_module if site else workshop_world.money,
            )
            for someone, status in marks:
                f.a_workshop_roll(session, workshop, **{status.value: (someone,)})

    amina = person("Amina")  # present, absent, excused → to call (excused counts as missed)
    bella = person("Bella")  # absent, absent, present → came back
    chloe = person("Chloé")  # a single absence → not yet
    dora = person("Dora")  # absent, present, absent → not two in a row
    eve = person("Eve", left_on=date(2026, 4, 20))  # two absences, but left the cycle
    fanny = person("Fanny", status=PersonStatus.CLOSED)  # two absences, file closed
    gina = person("Gina")  # absent twice long ago, then present twice → not listed
    sessions(
        [(amina, P), (bella, A), (chloe, A), (dora, A), (eve, A), (fanny, A), (gina, A)],
        [(amina, A), (bella, A), (dora, P), (eve, A), (fanny, A), (gina, A)],
        [(amina, E), (bella, P), (dora, A), (gina, P)],
        [(gina, P)],
    )
    # Same day, two sessions: the afternoon one (created first, lower id) comes after the morning one.
    hana = person("Hana")
    afternoon = f.a_workshop_session(
        session, workshop_world.lyon, session_on=date(2026, 5, 6), module=workshop_world.money
    )
    afternoon.start_time = time(14, 0)
    morning = f.a_workshop_session(
        session, workshop_world.lyon, session_on=date(2026, 5, 6), module=workshop_world.money
    )
    morning.start_time = time(9, 30)
    session.flush()
    f.a_workshop_roll(session, morning, excused=(hana,))
    f.a_workshop_roll(session, afternoon, absent=(hana,))
    # A session in the future is not "missed" yet.
    future = f.a_workshop_session(
        session, workshop_world.lyon, session_on=TODAY + timedelta(days=3), module=workshop_world.money
    )
    f.a_workshop_roll(session, future, absent=(chloe,))
    # Grenoble: to call, but not by Lyon.
    iris = person("Iris", site=workshop_world.grenoble)
    sessions([(iris, A)], [(iris, A)], site=workshop_world.grenoble)

    found = workshop_figures.persons_to_call(session, workshop_world.ts_lyon, cipher=CIPHER, today=TODAY)
    assert [(p.first_name, p.last_on, p.last_status, p.previous_on, p.previous_status) for p in found] == [
        ("Hana", date(2026, 5, 6), A, date(2026, 5, 6), E),
        ("Amina", day + timedelta(weeks=2), E, day + timedelta(weeks=1), A),
    ]
    assert [p.code for p in found] == [hana.code, amina.code]
    grenoble = workshop_figures.persons_to_call(session, workshop_world.cip_grenoble, cipher=CIPHER, today=TODAY)
    assert [p.person_id for p in grenoble] == [iris.id]
    # chef_service sees the same list; without a cipher, codes only.
    assert [p.first_name for p in workshop_figures.persons_to_call(session, workshop_world.chef_lyon, today=TODAY)] == [
        None,
        None,
    ]
    for refused in (workshop_world.direction, workshop_world.formateur, workshop_world.admin):
        with pytest.raises(PermissionDenied):
            workshop_figures.persons_to_call(session, refused, today=TODAY)
    assert {bella.id, chloe.id, dora.id, eve.id, fanny.id, gina.id}.isdisjoint({p.person_id for p in found})


def test_rate_chart_draws_the_direct_sql_numbers(session: Session, workshop_world: WorkshopWorld, rolls: None) -> None:
    from ui.activities.workshops.charts import attendance_rate_chart

    expected = _direct_rates(session, [workshop_world.lyon.id, workshop_world.grenoble.id])
    rates = workshop_figures.attendance_rates(session, workshop_world.direction, start=START, end=END)
    names = {(r.site_code, r.module_name): (r.site_id, r.module_id) for r in rates}
    for chosen in (rates, [r for r in rates if r.site_code == "LYO"]):  # grid for two sites, bars for one
        chart = attendance_rate_chart(chosen)
        chart.to_dict()  # a valid Vega-Lite spec
        drawn = {
            names[(row["Site"], row["Module"])]: (
                row["Séances"],
                row["Présences"],
                row["Absences excusées"],
                row["Absences"],
                row["Taux"],
            )
            for row in chart.data.to_dict("records")
        }
        assert drawn == {key: (s, p, e, a, p / (p + e + a)) for key, (s, p, e, a) in expected.items() if key in drawn}
        assert set(drawn) == {names[(r.site_code, r.module_name)] for r in chosen}
