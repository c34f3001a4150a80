"""The « Rendez-vous » tab and the correction of a barrier rating in the person file, and the appointments on
the dashboard, through AppTest on the seeded demo database, for the roles that may and may not use them."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import select

from models.appointments import Appointment, AppointmentKind
from models.audit import AuditEvent
from models.organisation import Site, User
from models.pathway import BarrierAssessment, BarrierSeverity
from models.persons import Person, PersonStatus
from services.persons import appointments
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests import factories
from tests.pages.conftest import (
    all_text,
    button,
    error_after,
    open_file_section,
    open_file_tab,
    open_page,
    page_tab,
    principal_of,
    signed_in_app,
    texts,
)
from tests.pages.test_person_pages import _a_person, _count, _open_file, _widget
from ui.persons import file_sections

FORM = "appointment_new__0"


def test_a_social_worker_records_an_appointment_after_a_refused_duration(app_engine, demo_database):
    code, _, _ = _a_person(app_engine, "LYO")
    with unit_of_work(app_engine) as session:
        person_id = session.exec(select(Person.id).where(Person.code == code)).one()
    before = _count(app_engine, Appointment, Appointment.person_id == person_id)
    at = open_file_tab(_open_file("ts.lyon", code), "Rendez-vous")
    _widget(at.number_input, f"{FORM}_minutes").set_value(0)
    _widget(at.text_area, f"{FORM}_note").input("Récépissé remis")
    button(at, "Enregistrer le rendez-vous").click().run()
    assert not at.exception, at.exception
    minutes = _widget(at.number_input, f"{FORM}_minutes")
    assert error_after(at, minutes) == "La durée doit être comprise entre 5 et 720 minutes."
    assert _widget(at.text_area, f"{FORM}_note").value == "Récépissé remis"  # input kept
    assert _count(app_engine, Appointment, Appointment.person_id == person_id) == before  # nothing written

    _widget(at.number_input, f"{FORM}_minutes").set_value(90)
    button(at, "Enregistrer le rendez-vous").click().run()
    assert not at.exception, at.exception
    assert _count(app_engine, Appointment, Appointment.person_id == person_id) == before + 1
    table = next(d.value for d in page_tab(at, "Rendez-vous").dataframe)
    assert "Récépissé remis" in list(table["Note"])
    with unit_of_work(app_engine) as session:
        worker = session.exec(
            select(Appointment.worker_id).where(Appointment.person_id == person_id).order_by(Appointment.id.desc())
        ).first()
        ts_id = session.execute(sa.text("SELECT id FROM app_user WHERE username = 'ts.lyon'")).scalar()
    assert worker == ts_id  # the one recording, by default


def test_a_chef_de_service_may_record_and_direction_only_reads_without_the_note(app_engine, demo_database):
    with unit_of_work(app_engine) as session:  # a Lyon file with an appointment carrying a note (demo data)
        code = session.exec(
            select(Person.code)
            .join(Appointment, Appointment.person_id == Person.id)
            .join(Site, Site.id == Person.site_id)
            .where(Site.code == "LYO", Person.status == PersonStatus.ACTIVE)
            .order_by(Person.id)
        ).first()
    chef = open_file_tab(_open_file("chef.lyon", code), "Rendez-vous")
    assert [w for w in chef.selectbox if w.key == f"{FORM}_kind"]
    table = next(d.value for d in page_tab(chef, "Rendez-vous").dataframe)
    assert "Note" in table.columns

    direction = open_file_tab(_open_file("direction", code), "Rendez-vous")
    tab = page_tab(direction, "Rendez-vous")
    table = next(d.value for d in tab.dataframe)
    assert list(table.columns) == ["Date", "Type", "Intervenant·e", "Durée", "Interprète"]
    assert len(table) >= 1
    assert not [w for w in direction.selectbox if w.key == f"{FORM}_kind"]
    assert "Consultation seule." in texts(tab.caption)


def test_a_chef_de_service_corrects_the_latest_rating_of_a_barrier(app_engine, demo_database):
    code, _, _ = _a_person(app_engine, "LYO")
    at = open_file_tab(_open_file("chef.lyon", code), "Freins")
    assert not [w for w in at.selectbox if w.key == "barrier_correction_choice"]  # folded: drawn once opened
    at = open_file_section(at, file_sections.BARRIER_CORRECTION)
    choice = _widget(at.selectbox, "barrier_correction_choice")
    chosen = choice.value
    form = f"barrier_correct_{chosen.id}__0"
    levels = _widget(at.radio, f"{form}_severity")
    other = next(level for level in BarrierSeverity if level != levels.value)
    levels.set_value(other)
    button(at, "Corriger l'évaluation").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        row = session.get(BarrierAssessment, chosen.id)
        assert (row.entered_severity, row.version) == (chosen.severity, chosen.version + 1)
        assert row.corrected_at is not None
    assert (
        _count(app_engine, AuditEvent, AuditEvent.action == "barrier.correct", AuditEvent.entity_id == str(chosen.id))
        == 1
    )
    current = next(d.value for d in page_tab(at, "Freins").dataframe if "Correction" in d.value.columns)
    assert any(text.startswith("Corrigé le") for text in current["Correction"])


def test_direction_may_not_correct_a_rating(app_engine, demo_database):
    code, _, _ = _a_person(app_engine, "LYO")
    at = open_file_tab(_open_file("direction", code), "Freins")
    at = open_file_section(at, file_sections.BARRIER_CORRECTION)
    assert "Consultation seule." in texts(page_tab(at, "Freins").caption)  # the tab is drawn, for reading
    # The correction section was asked open: a role that may correct would see its form.
    assert not [w for w in at.selectbox if w.key == "barrier_correction_choice"]
    assert not [b for b in at.button if b.label == "Corriger l'évaluation"]


def _appointment_table(username: str):
    at = signed_in_app(username)
    at.run()
    open_page(at, PageKey.DASHBOARD)
    assert not at.exception, at.exception
    assert "Rendez-vous et accompagnements" in texts(at.header)
    return next(d.value for d in at.dataframe if "Part avec interprète" in d.value.columns)


def test_the_dashboard_shows_appointments_per_site_and_month_within_the_scope(app_engine, demo_database):
    every_site = _appointment_table("direction")
    assert len(set(every_site["Site"])) > 1
    own_site = _appointment_table("chef.lyon")
    assert len(set(own_site["Site"])) == 1 and len(own_site) > 0


def _a_lyon_file_with_an_appointment(app_engine) -> tuple[str, int]:
    """A new Lyon file (this test's) with one 120-minute accompaniment to the préfecture; (code, its id)."""
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
        worker = session.exec(select(User).where(User.username == "ts.lyon")).one()
        person = factories.a_person_in_file_active(session, lyon, intake_on=date(2020, 1, 6))  # no demo code in 2020
        appointment = Appointment(
            person_id=person.id,
            site_id=lyon.id,
            appointment_on=date(2026, 2, 2),
            kind=AppointmentKind.ACCOMPANIMENT_PREFECTURE,
            worker_id=worker.id,
            duration_minutes=120,
        )
        session.add(appointment)
        session.commit()
        return person.code, appointment.id


def _appointment(app_engine, appointment_id: int) -> tuple | None:
    with unit_of_work(app_engine) as session:
        row = session.execute(
            sa.text("SELECT duration_minutes, version FROM appointment WHERE id = :i"), {"i": appointment_id}
        ).first()
        return None if row is None else tuple(row)


def test_a_social_worker_corrects_then_deletes_an_appointment_once_confirmed(app_engine, demo_database):
    code, appointment_id = _a_lyon_file_with_an_appointment(app_engine)
    at = open_file_tab(_open_file("ts.lyon", code), "Rendez-vous")
    assert "Corriger ou supprimer un rendez-vous" in [e.label for e in at.expander]
    assert not [w for w in at.selectbox if w.key == "appointment_change_target"]  # folded: drawn once opened
    at = open_file_section(at, file_sections.APPOINTMENT_CHANGE)
    assert _widget(at.selectbox, "appointment_change_target").value == appointment_id
    edit = f"appointment_edit_{appointment_id}__0"
    assert _widget(at.number_input, f"{edit}_minutes").value == 120  # the recorded values first
    _widget(at.number_input, f"{edit}_minutes").set_value(45)
    button(at, "Enregistrer la correction").click().run()
    assert not at.exception, at.exception
    assert _appointment(app_engine, appointment_id) == (45, 2)
    table = next(d.value for d in page_tab(at, "Rendez-vous").dataframe)
    assert list(table["Durée"]) == ["45 min"]

    delete = f"appointment_delete_{appointment_id}__0"
    button(at, "Supprimer le rendez-vous").click().run()
    assert not at.exception, at.exception
    assert error_after(at, _widget(at.checkbox, f"{delete}_confirm")) == "Cochez la case pour confirmer la suppression."
    assert _appointment(app_engine, appointment_id) == (45, 2)  # nothing deleted

    _widget(at.checkbox, f"{delete}_confirm").check()
    button(at, "Supprimer le rendez-vous").click().run()
    assert not at.exception, at.exception
    assert _appointment(app_engine, appointment_id) is None
    with unit_of_work(app_engine) as session:
        actions = session.exec(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "appointment", AuditEvent.entity_id == str(appointment_id)
            )
        ).all()
    assert sorted(actions) == ["appointment.delete", "appointment.update"]
    assert "Aucun rendez-vous ni accompagnement enregistré." in texts(page_tab(at, "Rendez-vous").info)


def _a_colleague_corrects(app_engine, appointment_id: int, **values: object) -> None:
    """chef.lyon's correction of the appointment saved meanwhile from another session."""
    with unit_of_work(app_engine) as session:
        row = session.get_one(Appointment, appointment_id)
        data = {
            "appointment_on": row.appointment_on,
            "kind": row.kind,
            "worker_id": row.worker_id,
            "interpreter_language": row.interpreter_language,
            "duration_minutes": row.duration_minutes,
            "note": "",
        }
        appointments.update_appointment(
            session,
            principal_of(app_engine, "chef.lyon"),
            appointment_id,
            expected_version=row.version,
            data={**data, **values},
        )


def test_crossing_corrections_of_an_appointment_never_overwrite_each_other(app_engine, demo_database):
    code, appointment_id = _a_lyon_file_with_an_appointment(app_engine)
    at = open_file_tab(_open_file("ts.lyon", code), "Rendez-vous")
    at = open_file_section(at, file_sections.APPOINTMENT_CHANGE)
    edit = f"appointment_edit_{appointment_id}__0"

    # The colleague changed the kind, the user the duration: both kept, the user told so.
    _widget(at.number_input, f"{edit}_minutes").set_value(45)
    _a_colleague_corrects(app_engine, appointment_id, kind=AppointmentKind.INTERVIEW)
    at = button(at, "Enregistrer la correction").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        stored = session.get_one(Appointment, appointment_id)
        assert (stored.kind, stored.duration_minutes) == (AppointmentKind.INTERVIEW, 45)
    assert any("« Type »" in i.value and "conservées" in i.value for i in at.info)

    # Both changed the duration: nothing saved until the user picks one of the two values shown.
    edit = f"appointment_edit_{appointment_id}__1"
    _widget(at.number_input, f"{edit}_minutes").set_value(90)
    _a_colleague_corrects(app_engine, appointment_id, duration_minutes=30)
    at = button(at, "Enregistrer la correction").click().run()
    assert not at.exception, at.exception
    assert _appointment(app_engine, appointment_id)[0] == 30
    [choice] = [r for r in at.radio if r.label == "Durée (minutes) : quelle saisie garder ?"]
    assert "90" in all_text(at) and "30" in all_text(at)
    at = choice.set_value("theirs").run()
    at = button(at, "Enregistrer avec ces choix").click().run()
    assert not at.exception, at.exception
    assert _appointment(app_engine, appointment_id)[0] == 30


def test_direction_neither_corrects_nor_deletes_an_appointment(app_engine, demo_database):
    code, appointment_id = _a_lyon_file_with_an_appointment(app_engine)
    at = open_file_tab(_open_file("direction", code), "Rendez-vous")
    at = open_file_section(at, file_sections.APPOINTMENT_CHANGE)
    assert "Consultation seule." in texts(page_tab(at, "Rendez-vous").caption)  # the tab is drawn, for reading
    assert "Corriger ou supprimer un rendez-vous" not in [e.label for e in at.expander]
    assert not [b for b in at.button if b.label in ("Enregistrer la correction", "Supprimer le rendez-vous")]
    assert _appointment(app_engine, appointment_id) == (120, 1)
