"""Ateliers: ts.lyon takes a roll in the grid, direction reads rates only, chef.lyon configures modules.

The demo database is shared by the app tests: these tests write on a session and a module they create
themselves and assert on those (or on relative changes), never on the seeded totals.
"""

from __future__ import annotations

import json
import uuid
from datetime import time

from sqlalchemy import func, text
from sqlmodel import select
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from models.attendance import AttendanceStatus
from models.audit import AuditEvent
from models.persons import Person, PersonStatus
from models.workshops import WorkshopAttendance, WorkshopEnrolment, WorkshopModule
from services import attendance, clock, workshop_people, workshop_sessions
from services.attendance import LATE_AFTER_DAYS, SessionKind
from services.db import unit_of_work
from services.pages import PageKey
from services.workshop_sessions import Period, SessionInput
from tests.app.conftest import PERSON_CODE, all_text, open_page, principal_of, signed_in_app, text_input

ROLL_BUTTON = "Enregistrer l'appel"


def _button(at, label: str):  # noqa: ANN001, ANN202
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _open_tab(at, tab: str):  # noqa: ANN001, ANN202
    at.session_state["workshops_tab"] = tab
    at = at.run()
    assert not at.exception, at.exception
    return at


def _session_today_with_someone_expected(app_engine) -> tuple[int, int]:  # noqa: ANN001
    """A Lyon session today at 23:45 (first in the held list) with at least one person in a cycle."""
    chef = principal_of(app_engine, "chef.lyon")
    lyon = next(iter(chef.site_ids))
    today = clock.today()
    with unit_of_work(app_engine) as session:
        choices = workshop_sessions.session_choices(session, chef, site_id=lyon)
        session_id = workshop_sessions.create_session(
            session,
            chef,
            SessionInput(
                site_id=lyon,
                module_id=choices.modules[0].id,
                session_on=today,
                start_time=time(23, 45),
                duration_minutes=120,
                planned_places=8,
                facilitator_ids=(chef.user_id,),
            ),
        )
    with unit_of_work(app_engine) as session:
        roll = attendance.roll_call(session, chef, kind=SessionKind.WORKSHOP, session_id=session_id)
        if roll.entries:
            return session_id, roll.entries[0].person_id
        in_cycle = select(WorkshopEnrolment.person_id).where(WorkshopEnrolment.left_on.is_(None))
        code = session.exec(
            select(Person.code).where(
                Person.site_id == lyon, Person.status == PersonStatus.ACTIVE, Person.id.not_in(in_cycle)
            )
        ).first()
        workshop_people.enrol_person(session, chef, code=code, cycle_start_on=today)
    with unit_of_work(app_engine) as session:
        roll = attendance.roll_call(session, chef, kind=SessionKind.WORKSHOP, session_id=session_id)
        return session_id, roll.entries[0].person_id


def test_ts_lyon_takes_a_roll_in_the_grid_and_it_is_saved(app_engine, demo_database) -> None:
    session_id, first_person = _session_today_with_someone_expected(app_engine)
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    assert not at.exception, at.exception
    [grid] = at.data_editor
    assert list(grid.value.columns) == ["Code", "Prénom", "Présence"]
    assert grid.value.index[0] == first_person and grid.value["Présence"].isna().all()
    assert not [w for w in at.warning if "modification tardive" in str(w.value)]  # today: not late
    at.session_state[grid.key] = {"edited_rows": {0: {"Présence": "Présent·e"}}, "added_rows": [], "deleted_rows": []}
    at = _button(at, ROLL_BUTTON).click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast] == ["Appel enregistré."]
    with unit_of_work(app_engine) as session:
        marks = session.exec(
            select(WorkshopAttendance.person_id, WorkshopAttendance.status).where(
                WorkshopAttendance.session_id == session_id
            )
        ).all()
        audit = session.exec(
            select(AuditEvent.action, AuditEvent.actor_username).where(
                AuditEvent.entity_type == "workshop_session",
                AuditEvent.entity_id == str(session_id),
                AuditEvent.action.startswith("attendance."),
            )
        ).all()
    assert [(pid, AttendanceStatus(status)) for pid, status in marks] == [(first_person, AttendanceStatus.PRESENT)]
    assert audit == [("attendance.roll_saved", "ts.lyon")]
    # The fresh grid shows the saved mark.
    [grid] = at.data_editor
    assert grid.value.loc[first_person, "Présence"] == "Présent·e"


def test_an_old_session_warns_that_the_edit_will_be_traced(app_engine, demo_database) -> None:
    ts = principal_of(app_engine, "ts.lyon")
    lyon = next(iter(ts.site_ids))
    with unit_of_work(app_engine) as session:
        rows = workshop_sessions.list_sessions(session, ts, period=Period.HELD, site_id=lyon).rows
    old = next(r for r in rows if (clock.today() - r.session_on).days > LATE_AFTER_DAYS)
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    at = at.selectbox(key=f"workshop_roll_choice_{lyon}").set_value(old).run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning if "modification tardive" in str(w.value)] == [
        f"Séance de plus de {LATE_AFTER_DAYS} jours : modification tardive, elle sera tracée."
    ]
    assert ROLL_BUTTON in [b.label for b in at.button]


def test_direction_sees_rates_but_no_roll_call_and_no_person(app_engine, demo_database) -> None:
    at = open_page(signed_in_app("direction"), PageKey.WORKSHOPS)
    assert [t.label for t in at.tabs] == ["Séances", "Suivi"]
    assert len(at.dataframe) == 1 and not at.data_editor
    assert ROLL_BUTTON not in [b.label for b in at.button]
    assert "Faire l'appel" not in [s.value for s in at.subheader]
    assert not PERSON_CODE.search(all_text(at))

    at = _open_tab(at, "Suivi")
    assert "Personnes à appeler" not in [s.value for s in at.subheader]
    assert not PERSON_CODE.search(all_text(at))
    [chart] = at.get("vega_lite_chart")
    [dataset] = chart.proto.datasets  # the chart's frame, sent as Arrow beside the spec
    drawn = convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records")
    assert json.loads(chart.proto.spec)["data"]["name"] == dataset.name
    today = clock.today()
    start = clock.add_months(clock.month_start(today), -5)
    direct = text("""
        SELECT site.code AS site, m.name AS module,
               SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END) AS present,
               COUNT(*) AS recorded
        FROM workshop_attendance a JOIN workshop_session s ON s.id = a.session_id
        JOIN workshop_module m ON m.id = s.module_id JOIN site ON site.id = s.site_id
        WHERE s.session_on BETWEEN :start AND :end GROUP BY site.code, m.name
    """)
    with unit_of_work(app_engine) as session:
        expected = {
            (r.site, r.module): (r.present, r.recorded)
            for r in session.execute(direct, {"start": start, "end": today}).all()
        }
    assert {
        (row["Site"], row["Module"]): (row["Présences"], row["Présences"] + row["Absences excusées"] + row["Absences"])
        for row in drawn
    } == expected
    assert all(
        abs(row["Taux"] - expected[(row["Site"], row["Module"])][0] / expected[(row["Site"], row["Module"])][1]) < 1e-9
        for row in drawn
    )
    assert len({row["Site"] for row in drawn}) > 1  # every site, for direction


def test_workshop_team_sees_the_persons_to_call_by_code(demo_database) -> None:
    at = _open_tab(open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS), "Suivi")
    assert "Personnes à appeler" in [s.value for s in at.subheader]
    tables = [frame.value for frame in at.dataframe]
    to_call = [frame for frame in tables if "Dernière séance" in frame.columns]
    if to_call:
        assert list(to_call[0].columns)[:2] == ["Code", "Prénom"]
        assert all(code.startswith("LYO-") for code in to_call[0]["Code"])


def test_chef_lyon_configures_a_module(app_engine, demo_database) -> None:
    at = open_page(signed_in_app("chef.lyon"), PageKey.WORKSHOPS)
    assert "Modules" in [t.label for t in at.tabs]
    at = _open_tab(at, "Modules")
    name = f"Atelier CV {uuid.uuid4().hex[:6]}"
    text_input(at, "Nom du module").input(name)
    at = _button(at, "Ajouter le module").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast] == [f"Module « {name} » ajouté."]
    with unit_of_work(app_engine) as session:
        module = session.exec(select(WorkshopModule).where(WorkshopModule.name == name)).one()
        lyon_modules = session.exec(
            select(func.count(WorkshopModule.id)).where(WorkshopModule.site_id == module.site_id)
        ).one()
        assert module.sort_order == lyon_modules  # added at the end of Lyon's list
    assert name in list(at.dataframe[0].value["Module"])
    # An empty name: the French error under the field, nothing written.
    at = _button(at, "Ajouter le module").click().run()
    assert "Le nom du module est obligatoire." in [e.value for e in at.error]


def test_intervenant_does_not_configure_modules(demo_database) -> None:
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    assert [t.label for t in at.tabs] == ["Séances", "Inscriptions", "Modules validés", "Suivi"]
