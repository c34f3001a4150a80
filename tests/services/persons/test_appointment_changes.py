"""Correcting and deleting an appointment (services.persons.appointments): by the roles that record them,
on a file of their sites, versioned, audited, a delete only once confirmed; the dashboard's monthly counts
follow at once."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models.appointments import AppointmentKind
from models.persons import PersonStatus
from services.persons import appointments
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.reporting import _dashboard_figures as dashboard_figures
from tests.services.persons.test_appointments import TODAY, audit_actions, valid, world  # noqa: F401


def recorded(session, world, **changes) -> int:  # noqa: F811
    return appointments.record_appointment(
        session, world.ts_lyon, world.person.id, data=valid(world, **changes), today=TODAY
    )


def month_counts(session, world) -> list[tuple]:  # noqa: F811
    """(month, appointments, accompaniments, minutes, with interpreter) of Lyon on the dashboard."""
    return [
        (m.month, m.appointments, m.accompaniments, m.minutes, m.with_interpreter)
        for m in dashboard_figures.appointment_months(session, site_ids=[world.lyon.id], end=TODAY)
    ]


def test_a_worker_corrects_an_appointment_and_the_dashboard_follows(session, world):  # noqa: F811
    appointment_id = recorded(session, world)
    assert month_counts(session, world) == [(date(2026, 5, 1), 1, 1, 180, 1)]

    version = appointments.update_appointment(
        session,
        world.chef_lyon,
        appointment_id,
        expected_version=1,
        data=valid(
            world,
            appointment_on=date(2026, 4, 20),
            kind=AppointmentKind.INTERVIEW,
            interpreter_language=None,
            duration_minutes=45,
            note="Entretien",
        ),
        today=TODAY,
    )

    assert version == 2
    [row] = appointments.list_appointments(session, world.ts_lyon, world.person.id)
    assert (row.appointment_on, row.kind, row.interpreter_language, row.duration_minutes, row.note) == (
        date(2026, 4, 20),
        AppointmentKind.INTERVIEW,
        None,
        45,
        "Entretien",
    )
    assert row.version == 2
    assert month_counts(session, world) == [(date(2026, 4, 1), 1, 0, 45, 0)]
    assert audit_actions(session) == ["appointment.create", "appointment.update"]
    # An earlier day never moves the last contact back.
    session.refresh(world.person)
    assert world.person.last_contact_on == date(2026, 5, 4)


def test_a_correction_over_a_colleagues_change_is_refused(session, world):  # noqa: F811
    appointment_id = recorded(session, world)
    appointments.update_appointment(
        session, world.ts_lyon, appointment_id, expected_version=1, data=valid(world, duration_minutes=60), today=TODAY
    )
    with pytest.raises(StaleRecord):
        appointments.update_appointment(
            session, world.chef_lyon, appointment_id, expected_version=1, data=valid(world), today=TODAY
        )
    with pytest.raises(StaleRecord):
        appointments.delete_appointment(session, world.chef_lyon, appointment_id, expected_version=1, confirmed=True)
    duration = session.execute(sa.text("SELECT duration_minutes FROM appointment")).scalar()
    assert duration == 60


def test_a_correction_is_checked_like_a_recording(session, world):  # noqa: F811
    appointment_id = recorded(session, world)
    with pytest.raises(ValidationFailed) as refused:
        appointments.update_appointment(
            session,
            world.ts_lyon,
            appointment_id,
            expected_version=1,
            data=valid(
                world, appointment_on=date(2026, 5, 16), duration_minutes=2, worker_id=world.cip_grenoble_user.id
            ),
            today=TODAY,
        )
    assert set(refused.value.errors) == {"appointment_on", "duration_minutes"}
    with pytest.raises(ValidationFailed) as refused:
        appointments.update_appointment(
            session,
            world.ts_lyon,
            appointment_id,
            expected_version=1,
            data=valid(world, worker_id=world.cip_grenoble_user.id),
            today=TODAY,
        )
    assert set(refused.value.errors) == {"worker_id"}
    assert session.execute(sa.text("SELECT version, duration_minutes FROM appointment")).one() == (1, 180)


def test_a_delete_needs_its_confirmation_then_removes_the_count(session, world):  # noqa: F811
    appointment_id = recorded(session, world)
    with pytest.raises(ValidationFailed) as refused:
        appointments.delete_appointment(session, world.ts_lyon, appointment_id, expected_version=1, confirmed=False)
    assert refused.value.errors == {"confirmed": "Cochez la case pour confirmer la suppression."}
    assert session.execute(sa.text("SELECT count(*) FROM appointment")).scalar() == 1

    appointments.delete_appointment(session, world.ts_lyon, appointment_id, expected_version=1, confirmed=True)

    assert session.execute(sa.text("SELECT count(*) FROM appointment")).scalar() == 0
    assert appointments.list_appointments(session, world.chef_lyon, world.person.id) == []
    assert month_counts(session, world) == []
    assert audit_actions(session) == ["appointment.create", "appointment.delete"]


def test_only_the_roles_that_record_them_change_them_on_their_sites(session, world):  # noqa: F811
    appointment_id = recorded(session, world)
    for principal in (world.direction, world.formateur):
        with pytest.raises(PermissionDenied):
            appointments.update_appointment(
                session, principal, appointment_id, expected_version=1, data=valid(world), today=TODAY
            )
        with pytest.raises(PermissionDenied):
            appointments.delete_appointment(session, principal, appointment_id, expected_version=1, confirmed=True)
    with pytest.raises(NotFound):
        appointments.update_appointment(
            session, world.cip_grenoble, appointment_id, expected_version=1, data=valid(world), today=TODAY
        )
    with pytest.raises(NotFound):
        appointments.delete_appointment(session, world.cip_grenoble, appointment_id, expected_version=1, confirmed=True)
    assert session.execute(sa.text("SELECT count(*), max(version) FROM appointment")).one() == (1, 1)
    assert audit_actions(session) == ["appointment.create"]


def test_an_anonymised_file_keeps_its_appointments_as_they_are(session, world):  # noqa: F811
    appointment_id = recorded(session, world)
    world.person.status = PersonStatus.ANONYMISED
    session.add(world.person)
    session.commit()
    with pytest.raises(PermissionDenied):
        appointments.delete_appointment(session, world.chef_lyon, appointment_id, expected_version=1, confirmed=True)
    assert session.execute(sa.text("SELECT count(*) FROM appointment")).scalar() == 1
