"""Correction of the fields no other form changes (GDPR art. 16): a reason, a history of old and new values
kept encrypted, rules on the corrected file, and published figures never moved unknowingly."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models.organisation import Role
from models.persons import IntakeOrigin, Person
from services.persons import corrections
from services.platform.errors import PermissionDenied, StaleRecord, ValidationFailed
from tests.services.persons.rights_world import TODAY, make_rights_world


@pytest.fixture
def world(session: Session):
    return make_rights_world(session)


def _correct(session, world, data, principal=None, person=None):
    person = person or world.person
    session.refresh(person)
    return corrections.correct_file(
        session, principal or world.chef, person.id, expected_version=person.version, data=data, today=TODAY
    )


def _errors(session, world, data, principal=None) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        _correct(session, world, data, principal)
    return refused.value.errors


def test_a_correction_keeps_the_old_and_new_values_encrypted_and_shows_them_in_the_history(session, world):
    _correct(
        session,
        world,
        {"first_contact_on": date(2024, 12, 20), "birth_year": 1993, "reason": "Pièce d'identité présentée"},
    )

    person = session.get_one(Person, world.person.id)
    assert (person.first_contact_on, person.birth_year) == (date(2024, 12, 20), 1993)
    stored = (
        session.connection()
        .execute(
            text("SELECT field_name, old_value, new_value, reason FROM person_correction WHERE person_id = :id"),
            {"id": world.person.id},
        )
        .all()
    )
    assert sorted(row[0] for row in stored) == ["birth_year", "first_contact_on"]
    for _name, *values in stored:
        assert all(value.startswith("gAAAA") for value in values)  # Fernet tokens, never the value in clear
        assert not any("1994" in value or "Pièce" in value for value in values)
    history = corrections.correction_history(session, world.chef, world.person.id)
    shown = {(row.field_label, row.old_value, row.new_value, row.reason) for row in history}
    assert shown == {
        ("Date du premier contact", "10 janv. 2025", "20 déc. 2024", "Pièce d'identité présentée"),
        ("Année de naissance", "1994", "1993", "Pièce d'identité présentée"),
    }
    detail = session.connection().execute(
        text("SELECT detail FROM audit_event WHERE action = 'person.correct' AND entity_id = :id"),
        {"id": str(world.person.id)},
    )
    assert detail.scalar_one() == "fields=first_contact_on,birth_year"


def test_the_intake_cannot_move_after_the_first_activity_of_the_file(session, world):
    errors = _errors(session, world, {"intake_on": date(2025, 10, 1), "reason": "Erreur de saisie"})

    assert errors == {
        "intake_on": "L'accueil ne peut pas être postérieur à la première activité enregistrée dans le dossier "
        "(1 sept. 2025)."
    }


def test_dates_in_the_future_or_out_of_order_are_refused(session, world):
    assert _errors(session, world, {"consent_on": date(2026, 11, 19), "reason": "x"}) == {
        "consent_on": "La date de consentement ne peut pas être dans le futur."
    }
    assert _errors(session, world, {"first_contact_on": date(2025, 2, 1), "reason": "x"}) == {
        "first_contact_on": "Le premier contact ne peut pas être postérieur à l'accueil (10 janv. 2025)."
    }
    assert _errors(session, world, {"consent_on": date(2025, 1, 2), "reason": "x"}) == {
        "consent_on": "Le consentement ne peut pas précéder le premier contact (10 janv. 2025)."
    }
    assert _errors(session, world, {"origin": IntakeOrigin.PARTNER, "reason": "x"}) == {
        "referring_partner_id": "Indiquez le partenaire qui oriente la personne."
    }


def test_a_reason_is_required_and_nothing_changed_is_said(session, world):
    assert set(_errors(session, world, {"birth_year": 1990})) == {"reason"}
    assert _errors(session, world, {"birth_year": 1994, "reason": "Vérifié"}) == {
        "reason": "Aucune valeur n'a changé : rien n'a été corrigé."
    }


def test_moving_published_figures_needs_the_head_of_service_to_acknowledge_it(session, world):
    data = {"intake_on": date(2025, 1, 20), "reason": "Date du registre d'accueil"}

    assert _errors(session, world, data) == {
        "acknowledge_published": "Cette correction change des chiffres déjà publiés (trimestres terminés avant le "
        "1 oct. 2026) : cochez la case pour confirmer que vous le savez."
    }
    assert _errors(session, world, data, world.worker) == {
        "acknowledge_published": "Cette correction change des chiffres déjà publiés (trimestres terminés avant le "
        "1 oct. 2026) : seul·e un·e chef·fe de service peut la faire."
    }
    _correct(session, world, data | {"acknowledge_published": True})

    assert session.get_one(Person, world.person.id).intake_on == date(2025, 1, 20)
    row = session.connection().execute(
        text("SELECT moves_published FROM person_correction WHERE person_id = :id"), {"id": world.person.id}
    )
    assert bool(row.scalar_one()) is True
    detail = session.connection().execute(
        text("SELECT detail FROM audit_event WHERE action = 'person.correct' AND entity_id = :id"),
        {"id": str(world.person.id)},
    )
    assert detail.scalar_one() == "fields=intake_on published=1"


def test_an_intervenant_corrects_the_files_it_is_the_referent_of_only(session, world):
    _correct(session, world, {"nationality": "GH", "reason": "Passeport"}, world.worker)
    assert session.get_one(Person, world.person.id).nationality == "GH"

    with pytest.raises(PermissionDenied):
        _correct(session, world, {"nationality": "GH", "reason": "Passeport"}, world.worker, world.other)


@pytest.mark.parametrize("role", [Role.DIRECTION, Role.GESTION, Role.FINANCEUR, Role.FORMATEUR, Role.ADMIN])
def test_other_roles_may_not_correct(session, world, role):
    with pytest.raises(PermissionDenied):
        _correct(session, world, {"birth_year": 1990, "reason": "x"}, world.roles[role])


def test_a_correction_over_a_colleagues_save_is_refused(session, world):
    session.refresh(world.person)
    seen = world.person.version
    _correct(session, world, {"birth_year": 1993, "reason": "Pièce"})

    with pytest.raises(StaleRecord):
        corrections.correct_file(
            session,
            world.chef,
            world.person.id,
            expected_version=seen,
            data={"gender": "man", "reason": "Pièce"},
            today=TODAY,
        )
