"""Legal and victim-status follow-up: the roles of the notes, dates in order, amounts not negative,
texts encrypted, a history latest first, cleared by anonymisation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from services.persons import legal, retention, transfer
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests.services.persons.safety_world import TODAY, a_file, two_sites


@pytest.fixture
def world(session):
    return two_sites(session)


def add(session, principal, person, **values):
    return legal.add_legal_event(session, principal, person.id, data=values, today=TODAY)


def test_the_steps_are_listed_latest_first_with_what_each_kind_has(session, world):
    person = a_file(session, world.lyon, 12)
    add(session, world.worker_a, person, kind="complaint", event_on=date(2026, 1, 10), place="Commissariat Lyon 7e")
    add(session, world.worker_a, person, kind="proceedings", event_on=date(2026, 2, 3), stage="judicial_inquiry")
    add(
        session,
        world.chef_lyon,
        person,
        kind="residence_permit",
        event_on=date(2026, 2, 15),
        decision="granted",
        decided_on=date(2026, 3, 20),
        valid_until=date(2027, 3, 19),
        notes="Récépissé remis",
    )
    add(
        session,
        world.worker_a,
        person,
        kind="compensation",
        event_on=date(2026, 4, 2),
        decision="granted",
        amount_cents="1 500,00",
        place="ignoré: pas un champ de la demande",
    )

    events = legal.list_legal_events(session, world.worker_a, person.id)
    assert [
        (e.kind.value, e.event_on, e.stage, e.decision, e.valid_until, e.amount_cents, e.place, e.notes) for e in events
    ] == [
        ("compensation", date(2026, 4, 2), None, "granted", None, 150000, None, None),
        ("residence_permit", date(2026, 2, 15), None, "granted", date(2027, 3, 19), None, None, "Récépissé remis"),
        ("proceedings", date(2026, 2, 3), "judicial_inquiry", None, None, None, None, None),
        ("complaint", date(2026, 1, 10), None, None, None, None, "Commissariat Lyon 7e", None),
    ]
    assert legal.permit_valid_until(events) == date(2027, 3, 19)


def test_the_roles_of_the_notes_only(session, world):
    person = a_file(session, world.lyon, 12)
    add(session, world.worker_a, person, kind="complaint", event_on=date(2026, 1, 10))
    for refused in (world.direction, world.formateur, world.gestion):
        with pytest.raises(PermissionDenied):
            legal.list_legal_events(session, refused, person.id)
        with pytest.raises(PermissionDenied):
            add(session, refused, person, kind="complaint", event_on=date(2026, 1, 11))
    with pytest.raises(NotFound):
        legal.list_legal_events(session, world.worker_b, person.id)
    with pytest.raises(NotFound):
        add(session, world.worker_b, person, kind="complaint", event_on=date(2026, 1, 11))
    assert session.execute(text("SELECT count(*) FROM legal_event")).scalar_one() == 1


def test_dates_in_order_and_amounts_not_negative(session, world):
    person = a_file(session, world.lyon, 12)
    with pytest.raises(ValidationFailed) as permit:
        add(
            session,
            world.worker_a,
            person,
            kind="residence_permit",
            event_on=date(2026, 3, 1),
            decision="granted",
            decided_on=date(2026, 2, 1),
            valid_until=date(2026, 2, 15),
        )
    assert permit.value.errors == {
        "decided_on": "La décision ne peut précéder la demande.",
        "valid_until": "La fin de validité doit suivre la demande et la décision.",
    }
    with pytest.raises(ValidationFailed) as claim:
        add(session, world.worker_a, person, kind="compensation", event_on=date(2026, 6, 1), amount_cents="-10")
    assert claim.value.errors == {
        "event_on": "La date ne peut pas être dans le futur.",
        "amount_cents": "Montant invalide : un nombre positif, par exemple 1 500,00.",
    }
    with pytest.raises(ValidationFailed) as stage:
        add(session, world.worker_a, person, kind="proceedings", event_on=date(2026, 3, 1))
    assert stage.value.errors == {"stage": "Indiquez le stade de la procédure."}
    with pytest.raises(ValidationFailed) as pending:
        add(
            session,
            world.worker_a,
            person,
            kind="residence_permit",
            event_on=date(2026, 3, 1),
            decision="pending",
            valid_until=date(2027, 3, 1),
        )
    assert pending.value.errors == {"valid_until": "Une date de fin de validité suppose un titre accordé."}
    assert session.execute(text("SELECT count(*) FROM legal_event")).scalar_one() == 0


def test_texts_are_encrypted_and_the_audit_holds_no_value(session, world):
    person = a_file(session, world.lyon, 12)
    step = add(
        session, world.worker_a, person, kind="complaint", event_on=date(2026, 1, 10), place="Gendarmerie", notes="x"
    )
    place, notes = session.execute(text("SELECT place, notes FROM legal_event")).one()
    assert "Gendarmerie" not in place and notes != "x"
    rows = session.execute(
        text("SELECT entity_type, entity_id, detail FROM audit_event WHERE action = 'legal_event.create'")
    ).all()
    assert [tuple(r) for r in rows] == [("legal_event", str(step), None)]


def test_anonymisation_clears_the_legal_texts_and_the_transfer_reason_and_keeps_months(session, world):
    person = a_file(session, world.lyon, 12, year=2023)
    person.last_contact_on = date(2023, 3, 2)
    session.flush()
    add(session, world.worker_a, person, kind="complaint", event_on=date(2023, 3, 14), place="Commissariat", notes="n")
    transfer.transfer_file(
        session,
        world.chef_both,
        person.id,
        expected_version=person.version,
        data={"to_site_id": world.marseille.id, "reason": "Mise à l'abri"},
        today=date(2023, 4, 18),
    )

    retention.anonymise_file(session, world.chef_both, person.id, confirm_code="MRS-2023-0001", today=TODAY)

    assert tuple(session.execute(text("SELECT place, notes, event_on FROM legal_event")).one())[:2] == (None, None)
    assert str(session.execute(text("SELECT event_on FROM legal_event")).scalar_one()) == "2023-03-01"
    reason, day = session.execute(text("SELECT reason, transferred_on FROM person_transfer")).one()
    assert (reason, str(day)) == (None, "2023-04-01")
