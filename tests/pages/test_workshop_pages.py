"""Ateliers: ts.lyon takes a roll from « Tous présents », direction reads rates only, chef.lyon configures modules.

The demo database is shared by the app tests: these tests write on a session and a module they create
themselves and assert on those (or on relative changes), never on the seeded totals.
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta

from sqlalchemy import func, text
from sqlmodel import select
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

import clock
from models.attendance import AttendanceStatus
from models.audit import AuditEvent
from models.persons import Person, PersonStatus
from models.workshops import WorkshopAttendance, WorkshopEnrolment, WorkshopModule
from services.activities import attendance
from services.activities.attendance import SessionKind
from services.activities.workshops import people as workshop_people
from services.activities.workshops import sessions as workshop_sessions
from services.activities.workshops.sessions import Period
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.consent_sql import counted
from tests.pages.conftest import (
    PERSON_CODE,
    all_text,
    error_after,
    open_page,
    principal_of,
    signed_in_app,
    text_input,
    unique,
)
from ui.activities import roll_call
from ui.activities.workshops import sessions as workshop_sessions_ui
from ui.platform import lazy_sections

ROLL_BUTTON = "Enregistrer l'appel"


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _open_tab(at, tab: str):
    at.session_state["workshops_tab"] = tab
    at = at.run()
    assert not at.exception, at.exception
    return at


def _lyon_id(app_engine) -> int:
    with app_engine.connect() as connection:
        return connection.execute(text("SELECT id FROM site WHERE code = 'LYO'")).scalar_one()


def _set_section(at, app_engine, name: str, open_: bool = True):
    """Open (or close) the section `name` of « Séances » (planning, editing) for Lyon, as a click on it does."""
    key = lazy_sections.section_key(workshop_sessions_ui.OPENED_SECTIONS, name, _lyon_id(app_engine))
    at.session_state[key] = open_
    at = at.run()
    assert not at.exception, at.exception
    return at


def _session_form_fields(at, form: str) -> list:
    """The fields of the session form `form` (« new » or « edit »), by their keys."""
    prefix = f"workshop_session_{form}_"
    return [w for w in (*at.selectbox, *at.multiselect, *at.number_input) if w.key and w.key.startswith(prefix)]


def _expected_in_lyon_on(app_engine, day: date) -> list[tuple[int, str]]:
    """(id, code) of the persons in a Lyon workshop cycle on `day`, by code, straight from the tables."""
    with app_engine.connect() as connection:
        rows = connection.execute(
            text(
                """SELECT DISTINCT p.id, p.code FROM workshop_enrolment e JOIN person p ON p.id = e.person_id
                   JOIN site s ON s.id = e.site_id
                   WHERE s.code = 'LYO' AND e.cycle_start_on <= :day AND (e.left_on IS NULL OR e.left_on >= :day)
                   ORDER BY p.code"""
            ),
            {"day": day.isoformat()},
        ).all()
    return [(person_id, code) for person_id, code in rows]


def _session_today_with_someone_expected(app_engine, start: time = time(23, 45)) -> int:
    """A Lyon session today at `start` (first in the held list: the latest today; a time of its own, the
    session choice tells sessions apart by their label) with at least one person in a cycle."""
    chef = principal_of(app_engine, "chef.lyon")
    lyon = next(iter(chef.site_ids))
    today = clock.today()
    with unit_of_work(app_engine) as session:
        choices = workshop_sessions.session_choices(session, chef, site_id=lyon)
        session_id = workshop_sessions.create_session(
            session,
            chef,
            data={
                "site_id": lyon,
                "module_id": choices.modules[0].id,
                "session_on": today,
                "start_time": start,
                "duration_minutes": 120,
                "planned_places": 8,
                "facilitator_ids": [chef.user_id],
            },
        )
    _enough_in_cycle_today(app_engine, 1)
    return session_id


def _enough_in_cycle_today(app_engine, count: int) -> list[tuple[int, str]]:
    """At least `count` Lyon persons in a cycle today, by code (enrolling active files never enrolled until
    there are)."""
    chef = principal_of(app_engine, "chef.lyon")
    lyon = next(iter(chef.site_ids))
    while len(expected := _expected_in_lyon_on(app_engine, clock.today())) < count:
        with unit_of_work(app_engine) as session:
            code = session.exec(
                select(Person.code).where(
                    Person.site_id == lyon,
                    Person.status == PersonStatus.ACTIVE,
                    Person.id.not_in(select(WorkshopEnrolment.person_id)),
                )
            ).first()
            workshop_people.enrol_person(session, chef, data={"code": code, "cycle_start_on": clock.today()})
    return expected


def _marks(at) -> dict[int, object]:
    """Person id → the radio of their mark in the roll form drawn (keys end with _mark_<person id>)."""
    return {int(r.key.rsplit("_mark_", 1)[1]): r for r in at.radio if r.key and "_mark_" in r.key}


def _roll_of(app_engine, username: str, session_id: int):
    """The workshop page of `username`, its roll-call choice set on the session (the latest first by default)."""
    at = open_page(signed_in_app(username), PageKey.WORKSHOPS)
    assert not at.exception, at.exception
    lyon = next(iter(principal_of(app_engine, username).site_ids))
    choice = at.selectbox(key=f"workshop_roll_choice_{lyon}")
    if choice.value != session_id:
        with unit_of_work(app_engine) as session:
            rows = workshop_sessions.list_sessions(
                session, principal_of(app_engine, username), period=Period.HELD, site_id=lyon
            ).rows
        at = choice.set_value(next(row.id for row in rows if row.id == session_id)).run()
        assert not at.exception, at.exception
    assert at.selectbox(key=f"workshop_roll_choice_{lyon}").value == session_id
    return at


def _saved_marks(app_engine, session_id: int) -> dict[int, str]:
    with app_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT person_id, status FROM workshop_attendance WHERE session_id = :id"), {"id": session_id}
        ).all()
    return dict(rows)


def test_ts_lyon_takes_a_roll_from_all_present_and_changes_one(app_engine, demo_database) -> None:
    session_id = _session_today_with_someone_expected(app_engine)
    at = _roll_of(app_engine, "ts.lyon", session_id)
    assert not at.data_editor  # radios, not a canvas grid
    expected = _expected_in_lyon_on(app_engine, clock.today())  # everyone in a cycle today, by code
    marks = _marks(at)
    assert list(marks) == [person_id for person_id, _code in expected]  # one row per person, by code
    # « Tous présents »: every unmarked person starts on Présent·e, the three choices in that order.
    assert {r.value for r in marks.values()} == {AttendanceStatus.PRESENT}
    assert all(r.options == ["Présent·e", "Absent·e", "Absent·e excusé·e"] for r in marks.values())
    assert "None" not in all_text(at)
    assert [i.value for i in at.info if "tout le monde part « présent·e »" in str(i.value)]
    assert not [w for w in at.warning if "modification tardive" in str(w.value)]  # today: not late
    first_person = expected[0][0]
    marks[first_person].set_value(AttendanceStatus.ABSENT)
    at = _button(at, ROLL_BUTTON).click().run()
    assert not at.exception, at.exception
    others = len(expected) - 1
    assert [t.value for t in at.toast] == [f"Appel enregistré : {others} présent·e(s), 1 absent·e(s), 0 excusé·e(s)."]
    assert _saved_marks(app_engine, session_id) == {
        person_id: ("absent" if person_id == first_person else "present") for person_id, _code in expected
    }
    with unit_of_work(app_engine) as session:
        audit = session.exec(
            select(AuditEvent.action, AuditEvent.actor_username).where(
                AuditEvent.entity_type == "workshop_session",
                AuditEvent.entity_id == str(session_id),
                AuditEvent.action.startswith("attendance."),
            )
        ).all()
    assert audit == [("attendance.roll_saved", "ts.lyon")]
    # The fresh form shows the saved marks, and no longer says the roll is to be taken.
    marks = _marks(at)
    assert marks[first_person].value == AttendanceStatus.ABSENT
    assert not [i for i in at.info if "tout le monde part" in str(i.value)]
    assert not [w for w in at.warning if "pas d'appel enregistré" in str(w.value)]


def test_a_roll_saved_incomplete_warns_how_many_are_unmarked(app_engine, demo_database) -> None:
    """A roll of which only one person was saved (through the service, as a roll saved before the
    « Tous présents » start could be): the page says how many have no mark and proposes them present."""
    session_id = _session_today_with_someone_expected(app_engine, time(23, 50))
    ts = principal_of(app_engine, "ts.lyon")
    expected = _enough_in_cycle_today(app_engine, 2)  # a second person, so that one stays unmarked
    with unit_of_work(app_engine) as session:
        attendance.save_roll_call(
            session,
            ts,
            kind=SessionKind.WORKSHOP,
            session_id=session_id,
            statuses={expected[0][0]: AttendanceStatus.EXCUSED},
        )
    at = _roll_of(app_engine, "ts.lyon", session_id)
    unmarked = len(expected) - 1
    noun = "personne n'a" if unmarked == 1 else "personnes n'ont"
    assert [str(w.value) for w in at.warning if "pas d'appel enregistré" in str(w.value)] == [
        f"{unmarked} {noun} pas d'appel enregistré : "
        + ("elle est proposée présente" if unmarked == 1 else "elles sont proposées présentes")
        + " ci-dessous, vérifiez puis enregistrez."
    ]
    marks = _marks(at)
    assert marks[expected[0][0]].value == AttendanceStatus.EXCUSED
    assert {marks[person_id].value for person_id, _code in expected[1:]} == {AttendanceStatus.PRESENT}
    at = _button(at, ROLL_BUTTON).click().run()
    assert not at.exception, at.exception
    assert _saved_marks(app_engine, session_id) == {
        person_id: ("excused" if i == 0 else "present") for i, (person_id, _code) in enumerate(expected)
    }
    assert not [w for w in at.warning if "pas d'appel enregistré" in str(w.value)]


def test_a_long_roll_is_taken_a_page_at_a_time_and_each_page_saves_its_rows(
    app_engine, demo_database, monkeypatch
) -> None:
    """A roll longer than a page (here 2 persons a page, so that the demo's few persons make 3 pages) shows
    its first page; saving it records those rows only; « Personnes suivantes » shows the next ones by code."""
    monkeypatch.setattr(roll_call, "ROLL_PAGE_SIZE", 2)
    session_id = _session_today_with_someone_expected(app_engine, time(23, 40))
    expected = _enough_in_cycle_today(app_engine, 5)
    ids = [person_id for person_id, _code in expected]
    at = _roll_of(app_engine, "ts.lyon", session_id)
    assert list(_marks(at)) == ids[:2]
    assert f"Personnes 1 à 2 sur {len(ids)}" in all_text(at)
    assert f"{len(ids)} personne(s) attendue(s) ou déjà notée(s)" in all_text(at)  # the whole roll
    _marks(at)[ids[1]].set_value(AttendanceStatus.ABSENT)
    at = _button(at, ROLL_BUTTON).click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast] == ["Appel enregistré : 1 présent·e(s), 1 absent·e(s), 0 excusé·e(s)."]
    assert _saved_marks(app_engine, session_id) == {ids[0]: "present", ids[1]: "absent"}
    at = _button(at, "Personnes suivantes").click().run()
    assert not at.exception, at.exception
    assert list(_marks(at)) == ids[2:4]
    assert f"Personnes 3 à 4 sur {len(ids)}" in all_text(at)
    assert [str(w.value) for w in at.warning if "pas d'appel enregistré" in str(w.value)]  # the rest: unmarked
    _marks(at)[ids[3]].set_value(AttendanceStatus.EXCUSED)
    at = _button(at, ROLL_BUTTON).click().run()
    assert not at.exception, at.exception
    assert _saved_marks(app_engine, session_id) == {
        ids[0]: "present",
        ids[1]: "absent",
        ids[2]: "present",
        ids[3]: "excused",
    }


def test_an_old_session_warns_that_the_edit_will_be_traced(app_engine, demo_database) -> None:
    ts = principal_of(app_engine, "ts.lyon")
    lyon = next(iter(ts.site_ids))
    with unit_of_work(app_engine) as session:
        rows = workshop_sessions.list_sessions(session, ts, period=Period.HELD, site_id=lyon).rows
    old = next(r for r in rows if (clock.today() - r.session_on).days > 7)
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    at = at.selectbox(key=f"workshop_roll_choice_{lyon}").set_value(old.id).run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning if "modification tardive" in str(w.value)] == [
        "Séance de plus de 7 jours : modification tardive, elle sera tracée."
    ]
    assert ROLL_BUTTON in [b.label for b in at.button]


def test_direction_sees_rates_but_no_roll_call_and_no_person(app_engine, demo_database) -> None:
    at = open_page(signed_in_app("direction"), PageKey.WORKSHOPS)
    assert [t.label for t in at.tabs] == ["Séances", "Suivi"]
    assert len(at.dataframe) == 1 and not at.data_editor
    assert ROLL_BUTTON not in [b.label for b in at.button]
    assert "Faire l'appel" not in [s.value for s in at.header]
    assert not PERSON_CODE.search(all_text(at))

    at = _open_tab(at, "Suivi")
    assert "Personnes à appeler" not in [s.value for s in at.header]
    assert not PERSON_CODE.search(all_text(at))
    [chart] = at.get("vega_lite_chart")
    [dataset] = chart.proto.datasets  # the chart's frame, sent as Arrow beside the spec
    drawn = convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records")
    assert json.loads(chart.proto.spec)["data"]["name"] == dataset.name
    today = clock.today()
    start = clock.month_start(clock.month_start(today), -5)
    direct = text(f"""
        SELECT site.code AS site, m.name AS module,
               SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END) AS present,
               COUNT(*) AS recorded
        FROM workshop_attendance a JOIN workshop_session s ON s.id = a.session_id
        JOIN workshop_module m ON m.id = s.module_id JOIN site ON site.id = s.site_id
        WHERE s.session_on BETWEEN :start AND :end
        AND {counted("a.person_id", "s.session_on")}  -- as the consent stood on the session's day
        GROUP BY site.code, m.name
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


MONTHS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def _french_day(day: date) -> str:
    """'17 nov. 2026', written by hand."""
    return f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"


def _someone_who_missed_the_last_two_sessions(app_engine) -> str:
    """A Lyon file with no workshop mark yet, put in a cycle, marked excused the day before yesterday
    and absent yesterday (two sessions made for it, at a time no demo session has). Returns its code."""
    chef = principal_of(app_engine, "chef.lyon")
    lyon = next(iter(chef.site_ids))
    today = clock.today()
    with unit_of_work(app_engine) as session:
        marked = select(WorkshopAttendance.person_id)
        in_cycle = select(WorkshopEnrolment.person_id)
        person = session.exec(
            select(Person)
            .where(
                Person.site_id == lyon,
                Person.status == PersonStatus.ACTIVE,
                Person.alias_encrypted.is_not(None),  # the test reads its first name
                Person.intake_on <= today - timedelta(days=3),
                Person.id.not_in(marked),
                Person.id.not_in(in_cycle),
            )
            .order_by(Person.id)  # a file of the demo data, not one another test made
        ).first()
        person_id, code = person.id, person.code
        workshop_people.enrol_person(session, chef, data={"code": code, "cycle_start_on": today - timedelta(days=3)})
    module = None
    for days_ago, status in ((2, AttendanceStatus.EXCUSED), (1, AttendanceStatus.ABSENT)):
        with unit_of_work(app_engine) as session:
            module = module or workshop_sessions.session_choices(session, chef, site_id=lyon).modules[0].id
            session_id = workshop_sessions.create_session(
                session,
                chef,
                data={
                    "site_id": lyon,
                    "module_id": module,
                    "session_on": today - timedelta(days=days_ago),
                    "start_time": time(6, 10),
                    "duration_minutes": 90,
                    "planned_places": 8,
                    "facilitator_ids": [chef.user_id],
                },
            )
        with unit_of_work(app_engine) as session:
            attendance.save_roll_call(
                session, chef, kind=SessionKind.WORKSHOP, session_id=session_id, statuses={person_id: status}
            )
    return code


def _lyon_persons_to_call(app_engine) -> dict[str, tuple[str, str]]:
    """Code → (last, previous) workshop marks of the Lyon files being accompanied, still in a cycle, whose
    last two marks (sessions held up to today, in order of day, start time, id) are both absences."""
    today = clock.today().isoformat()
    with app_engine.connect() as connection:
        marks = connection.execute(
            text(
                """SELECT p.code, w.session_on, w.start_time, w.id, a.status
                   FROM workshop_attendance a JOIN workshop_session w ON w.id = a.session_id
                   JOIN person p ON p.id = a.person_id JOIN site s ON s.id = w.site_id
                   WHERE s.code = 'LYO' AND w.session_on <= :today AND p.status = 'active'
                   AND EXISTS (SELECT 1 FROM workshop_enrolment e WHERE e.person_id = p.id
                               AND e.cycle_start_on <= :today AND (e.left_on IS NULL OR e.left_on >= :today))"""
            ),
            {"today": today},
        ).all()
    history: dict[str, list] = {}
    for code, day, start, session_id, status in marks:
        history.setdefault(code, []).append((str(day), start is not None, str(start or ""), session_id, day, status))
    found = {}
    for code, rows in history.items():
        rows.sort()
        if len(rows) >= 2 and rows[-1][5] != "present" and rows[-2][5] != "present":
            found[code] = ((rows[-1][4], rows[-1][5]), (rows[-2][4], rows[-2][5]))
    return found


def test_workshop_team_sees_the_persons_to_call_by_code(app_engine, demo_database) -> None:
    code = _someone_who_missed_the_last_two_sessions(app_engine)
    at = _open_tab(open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS), "Suivi")
    assert "Personnes à appeler" in [s.value for s in at.header]
    expected = _lyon_persons_to_call(app_engine)
    assert code in expected
    [to_call] = [frame.value for frame in at.dataframe if "Dernière séance" in frame.value.columns]
    assert list(to_call.columns) == ["Code", "Prénom", "Sécurité", "Site", "Dernière séance", "Séance précédente"]
    assert sorted(to_call["Code"]) == sorted(expected)
    assert set(to_call["Site"]) == {"LYO"}
    line = to_call[to_call["Code"] == code].iloc[0]
    today = clock.today()
    assert line["Dernière séance"] == f"{_french_day(today - timedelta(days=1))} (absent·e)"
    assert line["Séance précédente"] == f"{_french_day(today - timedelta(days=2))} (absent·e excusé·e)"
    assert line["Prénom"]  # the team sees the first name


def test_chef_lyon_configures_a_module(app_engine, demo_database) -> None:
    at = open_page(signed_in_app("chef.lyon"), PageKey.WORKSHOPS)
    assert "Modules" in [t.label for t in at.tabs]
    at = _open_tab(at, "Modules")
    name = unique("Atelier CV ")
    text_input(at, "Nom du module").input(name)
    at = _button(at, "Ajouter le module").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast] == [f"Module « {name} » ajouté."]
    with unit_of_work(app_engine) as session:
        module = session.exec(select(WorkshopModule).where(WorkshopModule.name == name)).one()
        before_it = session.exec(
            select(func.max(WorkshopModule.sort_order)).where(
                WorkshopModule.site_id == module.site_id, WorkshopModule.id != module.id
            )
        ).one()
        assert module.sort_order == before_it + 1  # added at the end of Lyon's list, whatever others did to it
    [modules_tab] = [t for t in at.tabs if t.label == "Modules"]  # « Séances », opened first, is drawn too
    assert name in list(modules_tab.dataframe[0].value["Module"])
    # An empty name: the French error under the field, nothing written.
    at = _button(at, "Ajouter le module").click().run()
    assert "Le nom du module est obligatoire." in [e.value for e in at.error]


def test_a_session_planned_without_facilitator_shows_the_message_beside_the_field(app_engine, demo_database) -> None:
    at = _set_section(open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS), app_engine, workshop_sessions_ui.PLAN)
    at = _button(at, "Planifier la séance").click().run()
    assert not at.exception, at.exception
    [staff] = [m for m in at.multiselect if m.key and m.key.startswith("workshop_session_new__") and "staff" in m.key]
    assert error_after(at, staff) == "Choisissez au moins un·e animateur·rice."
    assert not at.toast


def test_intervenant_does_not_configure_modules(demo_database) -> None:
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    assert [t.label for t in at.tabs] == ["Séances", "Inscriptions", "Modules validés", "Suivi"]


def test_a_tab_is_drawn_once_opened_and_keeps_its_forms_while_another_is_open(demo_database) -> None:
    """« Inscriptions » is not drawn before it is opened; once opened, its form stays drawn while « Séances »
    is open (what is typed in it stays in the browser)."""
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)

    def cycle_code() -> list:
        return [w for w in at.text_input if w.label == "Code du dossier" and w.key.endswith("_code")]

    assert cycle_code() == []
    at = _open_tab(at, "Inscriptions")
    assert len(cycle_code()) == 1
    at = _open_tab(at, "Séances")
    assert [frame for frame in at.dataframe if "Module" in frame.value.columns]  # the open tab's sessions
    assert len(cycle_code()) == 1  # the hidden tab opened before keeps its form


def test_the_planning_and_editing_forms_are_drawn_once_opened_and_kept_when_folded(app_engine, demo_database) -> None:
    """Folded, « Planifier une séance » and « Modifier une séance de cette page » draw nothing; once opened,
    a form stays drawn when its section is folded again (what is typed in it stays in the browser)."""
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    assert _session_form_fields(at, "new") == [] and _session_form_fields(at, "edit") == []
    assert not [b for b in at.button if b.label in ("Planifier la séance", "Enregistrer la séance")]

    at = _set_section(at, app_engine, workshop_sessions_ui.PLAN)
    assert _session_form_fields(at, "new") and _session_form_fields(at, "edit") == []
    at = _set_section(at, app_engine, workshop_sessions_ui.PLAN, open_=False)
    assert _session_form_fields(at, "new"), "a section folded again keeps its form"

    at = _set_section(at, app_engine, workshop_sessions_ui.EDIT)
    assert _session_form_fields(at, "edit")
    assert _button(at, "Enregistrer la séance")
