"""Appointments and accompaniments on the director dashboard: per site and month of the 12-month window,
the scope of the principal, and the statistics consent as it stood on each appointment's day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from models.appointments import AppointmentKind
from models.organisation import Role
from models.persons import ConsentScope
from services.persons import appointments, consent
from services.platform.errors import PermissionDenied
from services.reporting import dashboard
from tests import factories

TODAY = date(2026, 4, 10)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def world(session: Session) -> dict:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    file = factories.a_person_in_file_active
    amina = file(session, lyon, intake_on=date(2025, 11, 4))
    blessing = file(session, lyon, intake_on=date(2025, 12, 1))
    grace = file(session, grenoble, intake_on=date(2026, 1, 5))
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon))
    # Lyon, March: Amina 2 (an interview with a Romanian interpreter, an accompaniment to the préfecture);
    # Blessing 1 before she withdraws her consent to statistics on 15 March, 1 after it (not counted).
    factories.an_appointment(
        session, amina, date(2026, 3, 2), kind=AppointmentKind.INTERVIEW, minutes=60, language="ro"
    )
    factories.an_appointment(
        session, amina, date(2026, 3, 10), kind=AppointmentKind.ACCOMPANIMENT_PREFECTURE, minutes=180
    )
    factories.an_appointment(session, blessing, date(2026, 3, 5), kind=AppointmentKind.INTERVIEW, minutes=45)
    factories.an_appointment(
        session, blessing, date(2026, 3, 20), kind=AppointmentKind.ACCOMPANIMENT_HEALTH, minutes=120, language="en"
    )
    consent.record_consent_change(
        session,
        chef,
        blessing.id,
        data={"scope": ConsentScope.STATISTICS, "given": False, "effective_on": date(2026, 3, 15)},
        today=date(2026, 3, 31),
    )
    # Lyon, February: a home visit. Lyon, March 2025: outside the 12 months.
    factories.an_appointment(session, amina, date(2026, 2, 15), kind=AppointmentKind.HOME_VISIT, minutes=90)
    factories.an_appointment(session, amina, date(2025, 3, 28), kind=AppointmentKind.INTERVIEW, minutes=30)
    # Grenoble, March: two accompaniments with an interpreter.
    factories.an_appointment(
        session, grace, date(2026, 3, 3), kind=AppointmentKind.ACCOMPANIMENT_CAF, minutes=150, language="ti"
    )
    factories.an_appointment(
        session, grace, date(2026, 3, 24), kind=AppointmentKind.ACCOMPANIMENT_CPAM, minutes=120, language="ti"
    )
    return {
        "lyon": lyon,
        "grenoble": grenoble,
        "amina": amina,
        "chef": chef,
        "direction": factories.principal(session, factories.a_user(session, Role.DIRECTION)),
        "ts": factories.principal(session, factories.a_user(session, Role.INTERVENANT, lyon)),
    }


def figures(board: dashboard.Dashboard, site_codes: dict[int, str]) -> list[tuple]:
    return [
        (site_codes[m.site_id], m.month, m.appointments, m.accompaniments, m.hours, m.with_interpreter)
        for m in board.appointments
    ]


def test_march_at_lyon_shows_three_appointments_one_with_an_interpreter(session, world):
    board = dashboard.director_dashboard(
        session, world["chef"], start=MARCH[0], end=MARCH[1], site_ids=[world["lyon"].id], today=TODAY
    )
    codes = {world["lyon"].id: "LYO", world["grenoble"].id: "GRE"}
    assert figures(board, codes) == [
        ("LYO", date(2026, 2, 1), 1, 0, Decimal("1.50"), 0),
        ("LYO", date(2026, 3, 1), 3, 1, Decimal("4.75"), 1),
    ]
    march = board.appointments[1]
    assert march.interpreter_share == Decimal(1) / 3


def test_direction_sees_each_site_apart_and_a_chef_de_service_only_its_own(session, world):
    board = dashboard.director_dashboard(session, world["direction"], start=MARCH[0], end=MARCH[1], today=TODAY)
    codes = {world["lyon"].id: "LYO", world["grenoble"].id: "GRE"}
    assert sorted(figures(board, codes)) == [
        ("GRE", date(2026, 3, 1), 2, 2, Decimal("4.50"), 2),
        ("LYO", date(2026, 2, 1), 1, 0, Decimal("1.50"), 0),
        ("LYO", date(2026, 3, 1), 3, 1, Decimal("4.75"), 1),
    ]
    only_lyon = dashboard.director_dashboard(
        session, world["chef"], start=MARCH[0], end=MARCH[1], site_ids=None, today=TODAY
    )
    assert {m.site_id for m in only_lyon.appointments} == {world["lyon"].id}
    with pytest.raises(PermissionDenied):
        dashboard.director_dashboard(
            session, world["chef"], start=MARCH[0], end=MARCH[1], site_ids=[world["grenoble"].id], today=TODAY
        )
    with pytest.raises(PermissionDenied):
        dashboard.director_dashboard(session, world["ts"], start=MARCH[0], end=MARCH[1], today=TODAY)


def test_a_new_appointment_shows_at_once(session, world):
    before = dashboard.director_dashboard(
        session, world["chef"], start=MARCH[0], end=MARCH[1], site_ids=[world["lyon"].id], today=TODAY
    )
    assert [m.appointments for m in before.appointments] == [1, 3]
    ts_user_id = world["ts"].user_id
    appointments.record_appointment(
        session,
        world["ts"],
        world["amina"].id,
        data={
            "appointment_on": date(2026, 3, 30),
            "kind": AppointmentKind.ACCOMPANIMENT_JUSTICE,
            "worker_id": ts_user_id,
            "interpreter_language": "ro",
            "duration_minutes": 240,
        },
        today=TODAY,
    )
    after = dashboard.director_dashboard(
        session, world["chef"], start=MARCH[0], end=MARCH[1], site_ids=[world["lyon"].id], today=TODAY
    )
    march = after.appointments[1]
    assert (march.appointments, march.accompaniments, march.hours, march.with_interpreter) == (
        4,
        2,
        Decimal("8.75"),
        2,
    )
