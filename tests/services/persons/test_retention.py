"""Retention: files without contact for 2 years, irreversible anonymisation, the CLI."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

import clock
from models.audit import AuditEvent
from models.organisation import Role, Site
from models.partners import OutcomeType, PartnerKind
from models.pathway import Barrier, BarrierSeverity, GoalAxis
from models.persons import Person, PersonNote, PersonStatus, PersonStatusChange
from services.persons import partners, pathway, retention
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import SYSTEM_ACTOR, Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.ops.test_cli import run

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


def who(session: Session, role: Role, *sites: Site) -> Principal:
    return factories.principal(session, factories.a_user(session, role, *sites))


def a_file(session: Session, site: Site, *, last_contact_on: date, intake_on: date = date(2023, 1, 10)) -> Person:
    person = factories.a_person_in_file_active(session, site, intake_on=intake_on, last_contact_on=last_contact_on)
    person.alias_encrypted = CIPHER.encrypt("Blessing")
    person.phone_encrypted = CIPHER.encrypt("06 12 34 56 78")
    session.flush()
    return person


def test_only_files_past_two_years_without_contact_are_due(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    due = a_file(session, lyon, last_contact_on=date(2024, 5, 15))  # exactly 2 years
    a_file(session, lyon, last_contact_on=date(2024, 5, 16))  # one day short
    anonymised = a_file(session, lyon, last_contact_on=date(2023, 2, 1))
    anonymised.status = PersonStatus.ANONYMISED
    closed = a_file(session, grenoble, last_contact_on=date(2023, 6, 1))
    closed.status = PersonStatus.CLOSED
    never = factories.a_person_in_file_active(session, grenoble, intake_on=date(2024, 1, 5))
    never.last_contact_on = None  # no contact since the intake
    newcomer = factories.a_person_in_file_active(session, grenoble, intake_on=date(2024, 5, 16))
    newcomer.last_contact_on = None  # arrived a day short of two years ago: not due
    session.flush()
    chef_lyon = who(session, Role.CHEF_SERVICE, lyon)
    assert [r.code for r in retention.files_due_for_retention(session, chef_lyon, today=TODAY)] == [due.code]
    rows = retention.files_due_for_retention(session, who(session, Role.ADMIN), today=TODAY)
    assert [(r.code, r.site_code, r.last_contact_on) for r in rows] == [
        (closed.code, "GRE", date(2023, 6, 1)),
        (never.code, "GRE", date(2024, 1, 5)),
        (due.code, "LYO", date(2024, 5, 15)),
    ]
    for role in (Role.INTERVENANT, Role.DIRECTION, Role.GESTION):
        with pytest.raises(PermissionDenied):
            retention.files_due_for_retention(session, who(session, role, lyon), today=TODAY)


def test_cutoff_of_29_february():
    assert retention.retention_cutoff(date(2028, 2, 29)) == date(2026, 2, 28)


def test_anonymisation_destroys_identity_and_notes_and_keeps_code_and_statistics(session):
    lyon, _ = factories.lyon_and_grenoble(session)
    ts = who(session, Role.INTERVENANT, lyon)
    person = a_file(session, lyon, last_contact_on=date(2023, 1, 10))
    pathway.add_note(
        session,
        ts,
        person.id,
        cipher=CIPHER,
        today=date(2023, 3, 1),
        data={"noted_on": date(2023, 3, 1), "body": "Confidences"},
    )
    pathway.record_barriers(
        session,
        ts,
        person.id,
        today=date(2023, 3, 1),
        data={"assessed_on": date(2023, 3, 1), "ratings": {Barrier.HOUSING: BarrierSeverity.MAJOR}},
    )
    pathway.create_goal(
        session,
        ts,
        person.id,
        today=date(2023, 3, 1),
        data={"axis": GoalAxis.HOUSING, "goal": "Logement chez sa sœur Ada", "actions": "Appeler Ada"},
    )
    partner_id = partners.create_partner(
        session, who(session, Role.ADMIN), data={"site_id": lyon.id, "name": "SIAO", "kind": PartnerKind.HOUSING}
    )
    partners.create_referral(
        session,
        ts,
        person.id,
        today=date(2023, 3, 2),
        data={
            "partner_id": partner_id,
            "referred_on": date(2023, 3, 2),
            "reason": "Demande avec son fils Sam",
            "consent_given": True,
        },
    )
    partners.record_outcome(
        session,
        ts,
        person.id,
        today=date(2023, 6, 1),
        data={"outcome_on": date(2023, 6, 1), "outcome_type": OutcomeType.CDI, "closes_file": True},
    )
    code = person.code
    chef = who(session, Role.CHEF_SERVICE, lyon)
    [closing] = session.exec(select(PersonStatusChange).where(PersonStatusChange.person_id == person.id)).all()
    assert closing.reason  # the outcome's label, free text of the history

    result = retention.anonymise_file(session, chef, person.id, confirm_code=f" {code.lower()} ", today=TODAY)

    assert result.code == code
    session.refresh(person)
    assert person.code == code and person.status == PersonStatus.ANONYMISED and person.anonymised_at is not None
    assert person.alias_encrypted is None and person.phone_encrypted is None and person.closed_reason is None
    assert session.exec(select(PersonNote).where(PersonNote.person_id == person.id)).all() == []
    session.refresh(closing)
    assert closing.reason is None and closing.to_status == PersonStatus.CLOSED  # the date stays, not the words
    # Statistics stay: barriers, goal axis, referral partner and dates, outcome category, closing date.
    assert [p.severity for p in pathway.barrier_history(session, who(session, Role.DIRECTION), person.id)] == [
        BarrierSeverity.MAJOR
    ]
    [goal] = pathway.list_goals(session, chef, person.id)
    assert (goal.axis, goal.goal, goal.actions) == (GoalAxis.HOUSING, retention.ANONYMISED_GOAL, None)
    [referral] = partners.list_referrals(session, chef, person.id)
    assert (referral.partner_name, referral.reason) == ("SIAO", None)
    assert [o.outcome_type for o in partners.list_outcomes(session, chef, person.id)] == [OutcomeType.CDI]
    assert person.closed_on == date(2023, 6, 1) and person.birth_year == person.birth_year
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "person.anonymise")).all()
    assert (event.actor_username, event.entity_id, event.site_id) == (chef.username, str(person.id), lyon.id)
    # Irreversible: nothing more may be written, and it is no longer listed.
    with pytest.raises(PermissionDenied):
        pathway.create_goal(session, ts, person.id, today=TODAY, data={"axis": GoalAxis.SOCIAL, "goal": "x"})
    assert retention.files_due_for_retention(session, chef, today=TODAY) == []
    with pytest.raises(ValidationFailed):
        retention.anonymise_file(session, chef, person.id, confirm_code=code, today=TODAY)


def test_wrong_confirmation_code_changes_nothing(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    person = a_file(session, lyon, last_contact_on=date(2023, 1, 10))
    other = a_file(session, lyon, last_contact_on=date(2023, 1, 10))
    chef = who(session, Role.CHEF_SERVICE, lyon)
    with pytest.raises(ValidationFailed) as caught:
        retention.anonymise_file(session, chef, person.id, confirm_code=other.code, today=TODAY)
    assert caught.value.errors == {"confirm_code": "Le code saisi ne correspond pas au dossier : rien n'a été modifié."}
    session.refresh(person)
    assert person.status == PersonStatus.ACTIVE and CIPHER.decrypt(person.alias_encrypted) == "Blessing"
    with pytest.raises(NotFound):
        retention.anonymise_file(
            session, who(session, Role.CHEF_SERVICE, grenoble), person.id, confirm_code=person.code, today=TODAY
        )
    with pytest.raises(PermissionDenied):
        retention.anonymise_file(
            session, who(session, Role.INTERVENANT, lyon), person.id, confirm_code=person.code, today=TODAY
        )
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "person.anonymise")).all() == []


def test_a_file_with_a_recent_contact_is_not_anonymised(session):
    lyon, _ = factories.lyon_and_grenoble(session)
    person = a_file(session, lyon, last_contact_on=date(2025, 1, 10))
    with pytest.raises(ValidationFailed) as caught:
        retention.anonymise_file(session, who(session, Role.ADMIN), person.id, confirm_code=person.code, today=TODAY)
    assert "moins de 2 ans" in caught.value.errors["confirm_code"]


# --- the command line ---------------------------------------------------------------------------


def test_cli_retention_dry_run_then_apply_on_all_sites(cli_database, monkeypatch, capsys):
    with unit_of_work(cli_database) as session:
        lyon, grenoble = factories.lyon_and_grenoble(session)
        old_lyon = a_file(session, lyon, last_contact_on=date(2020, 1, 1)).code
        old_grenoble = a_file(session, grenoble, last_contact_on=date(2020, 2, 1)).code
        recent = a_file(session, lyon, last_contact_on=clock.today()).code
        session.commit()

    assert run(monkeypatch, "retention", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "2 dossier(s)" in out and old_lyon in out and old_grenoble in out and recent not in out
    with unit_of_work(cli_database) as session:
        assert session.exec(select(Person).where(Person.status == PersonStatus.ANONYMISED)).all() == []

    assert run(monkeypatch, "retention", "--apply") == 0
    assert "2 dossier(s) anonymisé(s)" in capsys.readouterr().out
    with unit_of_work(cli_database) as session:
        states = {p.code: (p.status, p.alias_encrypted) for p in session.exec(select(Person)).all()}
        trail = session.exec(select(AuditEvent.actor_username, AuditEvent.action)).all()
    assert states[old_lyon] == (PersonStatus.ANONYMISED, None) and states[old_grenoble] == (
        PersonStatus.ANONYMISED,
        None,
    )
    assert states[recent][0] == PersonStatus.ACTIVE and states[recent][1] is not None
    assert [tuple(t) for t in trail] == [(SYSTEM_ACTOR, "person.anonymise")] * 2

    assert run(monkeypatch, "retention", "--dry-run") == 0
    assert "0 dossier(s)" in capsys.readouterr().out


def test_cli_retention_needs_a_mode(cli_database, monkeypatch):
    with pytest.raises(SystemExit):
        run(monkeypatch, "retention")
