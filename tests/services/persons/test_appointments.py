"""Appointments and accompaniments of a person (services.persons.appointments): who records and reads them,
what is refused, the last contact they move, their note encrypted and destroyed by anonymisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models.appointments import Appointment, AppointmentKind
from models.audit import AuditEvent
from models.organisation import Role, Site, User
from models.persons import Person, PersonStatus
from services.persons import appointments, retention, timeline
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.sealed import assert_sealed

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@dataclass
class World:
    lyon: Site
    person: Person  # a Lyon file, last contact on 2026-04-01
    ts_user: User
    ts_lyon: Principal
    chef_lyon: Principal
    cip_grenoble: Principal
    cip_grenoble_user: User
    direction: Principal
    formateur: Principal
    formateur_user: User


@pytest.fixture
def world(session: Session) -> World:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    person = factories.a_person_in_file_active(
        session, lyon, intake_on=date(2025, 3, 3), last_contact_on=date(2026, 4, 1)
    )
    ts = factories.a_user(session, Role.INTERVENANT, lyon)
    cip = factories.a_user(session, Role.INTERVENANT, grenoble)
    teacher = factories.a_user(session, Role.FORMATEUR, lyon)

    def p(user: User) -> Principal:
        return factories.principal(session, user)

    return World(
        lyon,
        person,
        ts,
        p(ts),
        p(factories.a_user(session, Role.CHEF_SERVICE, lyon)),
        p(cip),
        cip,
        p(factories.a_user(session, Role.DIRECTION)),
        p(teacher),
        teacher,
    )


def valid(world: World, **changes: object) -> dict[str, object]:
    return {
        "appointment_on": date(2026, 5, 4),
        "kind": AppointmentKind.ACCOMPANIMENT_PREFECTURE,
        "worker_id": world.ts_user.id,
        "interpreter_language": "ro",
        "duration_minutes": 180,
        "note": "Dépôt du dossier de titre de séjour",
    } | changes


def audit_actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def test_a_worker_records_an_accompaniment_which_moves_the_last_contact(session, world):
    appointment_id = appointments.record_appointment(
        session, world.ts_lyon, world.person.id, data=valid(world), today=TODAY
    )

    [row] = appointments.list_appointments(session, world.chef_lyon, world.person.id)
    assert (row.id, row.appointment_on, row.kind, row.is_accompaniment) == (
        appointment_id,
        date(2026, 5, 4),
        AppointmentKind.ACCOMPANIMENT_PREFECTURE,
        True,
    )
    assert (row.worker_name, row.interpreter_language, row.duration_minutes) == ("Agent intervenant", "ro", 180)
    assert row.note == "Dépôt du dossier de titre de séjour"
    session.refresh(world.person)
    assert world.person.last_contact_on == date(2026, 5, 4)
    assert audit_actions(session) == ["appointment.create"]
    # The note is not in the database in clear.
    stored = session.execute(sa.text("SELECT note FROM appointment WHERE id = :i"), {"i": appointment_id}).scalar()
    assert_sealed(stored, CIPHER, "Dépôt du dossier de titre de séjour")


def test_an_earlier_appointment_leaves_the_last_contact_and_an_empty_day_is_today(session, world):
    appointments.record_appointment(
        session, world.ts_lyon, world.person.id, data=valid(world, appointment_on=date(2026, 1, 12)), today=TODAY
    )
    session.refresh(world.person)
    assert world.person.last_contact_on == date(2026, 4, 1)

    appointments.record_appointment(
        session,
        world.ts_lyon,
        world.person.id,
        data=valid(world, appointment_on=None, kind=AppointmentKind.PHONE_CALL, interpreter_language=None, note=""),
        today=TODAY,
    )
    latest = appointments.list_appointments(session, world.ts_lyon, world.person.id)[0]
    assert (latest.appointment_on, latest.kind, latest.interpreter_language, latest.note) == (
        TODAY,
        AppointmentKind.PHONE_CALL,
        None,
        None,
    )
    assert [r.appointment_on for r in appointments.list_appointments(session, world.ts_lyon, world.person.id)] == [
        date(2026, 5, 15),
        date(2026, 1, 12),
    ]


def test_bad_input_gets_a_french_message_per_field_and_writes_nothing(session, world):
    with pytest.raises(ValidationFailed) as caught:
        appointments.record_appointment(
            session,
            world.ts_lyon,
            world.person.id,
            data=valid(
                world,
                appointment_on=date(2026, 5, 16),
                kind="rendez-vous",
                interpreter_language="roumain",
                duration_minutes=0,
                note="x" * 501,
            ),
            today=TODAY,
        )
    assert caught.value.errors == {
        "appointment_on": "La date ne peut pas être dans le futur.",
        "kind": "Choisissez le type de rendez-vous.",
        "interpreter_language": "Langue invalide : choisissez-la dans la liste.",
        "duration_minutes": "La durée doit être comprise entre 5 et 720 minutes.",
        "note": "La note ne peut dépasser 500 caractères.",
    }
    with pytest.raises(ValidationFailed) as caught:
        appointments.record_appointment(
            session, world.ts_lyon, world.person.id, data=valid(world, duration_minutes=721), today=TODAY
        )
    assert caught.value.errors == {"duration_minutes": "La durée doit être comprise entre 5 et 720 minutes."}
    assert session.exec(select(Appointment)).all() == []
    assert audit_actions(session) == []


@pytest.mark.parametrize("who", ["grenoble worker", "lyon teacher", "nobody"])
def test_the_worker_is_a_social_worker_or_head_of_service_of_the_files_site(session, world, who):
    worker = {"grenoble worker": world.cip_grenoble_user.id, "lyon teacher": world.formateur_user.id, "nobody": None}
    with pytest.raises(ValidationFailed) as caught:
        appointments.record_appointment(
            session, world.ts_lyon, world.person.id, data=valid(world, worker_id=worker[who]), today=TODAY
        )
    assert list(caught.value.errors) == ["worker_id"]
    assert session.exec(select(Appointment)).all() == []


def test_direction_reads_kinds_and_durations_by_code_never_the_note_and_records_nothing(session, world):
    appointments.record_appointment(session, world.chef_lyon, world.person.id, data=valid(world), today=TODAY)

    [row] = appointments.list_appointments(session, world.direction, world.person.id)
    assert (row.kind, row.duration_minutes, row.interpreter_language, row.note) == (
        AppointmentKind.ACCOMPANIMENT_PREFECTURE,
        180,
        "ro",
        None,
    )
    with pytest.raises(PermissionDenied):
        appointments.record_appointment(session, world.direction, world.person.id, data=valid(world), today=TODAY)


def test_other_sites_and_roles_without_files_see_nothing(session, world):
    appointments.record_appointment(session, world.ts_lyon, world.person.id, data=valid(world), today=TODAY)
    with pytest.raises(NotFound):
        appointments.list_appointments(session, world.cip_grenoble, world.person.id)
    with pytest.raises(NotFound):
        appointments.record_appointment(session, world.cip_grenoble, world.person.id, data=valid(world), today=TODAY)
    with pytest.raises(PermissionDenied):
        appointments.list_appointments(session, world.formateur, world.person.id)
    with pytest.raises(PermissionDenied):
        appointments.record_appointment(session, world.formateur, world.person.id, data=valid(world), today=TODAY)
    assert len(session.exec(select(Appointment)).all()) == 1


def test_the_timeline_shows_the_appointment_and_its_note_to_the_team_only(session, world):
    appointments.record_appointment(session, world.ts_lyon, world.person.id, data=valid(world), today=TODAY)

    team = timeline.person_timeline(session, world.ts_lyon, world.person.id, cipher=CIPHER)
    assert [(e.on, e.title, e.detail) for e in team if e.kind == "appointment"] == [
        (date(2026, 5, 4), "Accompagnement : préfecture", "3 h — Dépôt du dossier de titre de séjour")
    ]
    board = timeline.person_timeline(session, world.direction, world.person.id, cipher=CIPHER)
    assert [(e.title, e.detail) for e in board if e.kind == "appointment"] == [("Accompagnement : préfecture", "3 h")]


def test_an_anonymised_file_takes_no_appointment_and_anonymisation_destroys_note_and_language(session, world):
    old = factories.a_person_in_file_active(
        session, world.lyon, intake_on=date(2023, 2, 1), last_contact_on=date(2024, 1, 10)
    )
    session.add(
        Appointment(
            person_id=old.id,
            site_id=world.lyon.id,
            appointment_on=date(2024, 1, 10),
            kind=AppointmentKind.ACCOMPANIMENT_HEALTH,
            worker_id=world.ts_user.id,
            interpreter_language="yo",
            duration_minutes=120,
            note="Consultation à la PASS",
        )
    )
    session.flush()

    retention.anonymise_file(session, world.chef_lyon, old.id, confirm_code=old.code, today=TODAY)

    stored = session.execute(
        sa.text("SELECT appointment_on, kind, interpreter_language, duration_minutes, note FROM appointment")
    ).one()
    assert (str(stored[0]), stored[1], stored[2], stored[3], stored[4]) == (
        "2024-01-01",
        "accompaniment_health",
        "und",
        120,
        None,
    )
    session.refresh(old)
    assert old.status == PersonStatus.ANONYMISED
    with pytest.raises(PermissionDenied):
        appointments.record_appointment(session, world.chef_lyon, old.id, data=valid(world), today=TODAY)
