"""Correcting the effective day of a past consent change (services.persons.corrections): with a reason and
its history, between the previous and the next change of the same consent, the head of service's
acknowledgement when a finished quarter's figures move, and the counts that follow the corrected day."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.audit import AuditEvent
from models.persons import ConsentChange, ConsentScope, Person
from services.persons import consent, corrections
from services.persons.consent import counted
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from tests.services.persons.safety_world import TODAY, a_file, two_sites

REASON = "Courrier de retrait daté du 5 avril"


@pytest.fixture
def world(session):
    return two_sites(session)


def changed(session, world, person, scope, given, on):
    consent.record_consent_change(
        session,
        world.worker_a,
        person.id,
        data={"scope": scope, "given": given, "effective_on": on},
        today=TODAY,
    )
    return session.exec(
        select(ConsentChange.id).where(ConsentChange.person_id == person.id).order_by(ConsentChange.id.desc())
    ).first()


@pytest.fixture
def person(session, world):
    """A Lyon file taken in on 2 March 2026, worker A its referent, both consents given at intake."""
    person = a_file(session, world.lyon, 42, referent=world.worker_a_user)
    person.consent_statistics = person.consent_partner_sharing = True
    session.add(person)
    session.commit()
    return person


def version_of(session, person) -> int:
    return session.execute(sa.text("SELECT version FROM person WHERE id = :i"), {"i": person.id}).scalar_one()


def correct(session, principal, person, change_id, on, **extra):
    data = {"change_id": change_id, "effective_on": on, "reason": REASON} | extra
    return corrections.correct_consent_date(
        session, principal, person.id, expected_version=version_of(session, person), data=data, today=TODAY
    )


def counted_on(session, person, day) -> bool:
    return bool(session.exec(select(counted(Person.id, day)).where(Person.id == person.id)).one())


def test_the_head_of_service_moves_a_withdrawal_and_the_counts_and_history_follow(session, world, person):
    withdrawal = changed(session, world, person, ConsentScope.STATISTICS, False, date(2026, 4, 20))
    assert counted_on(session, person, date(2026, 4, 10)) is True

    correct(session, world.chef_lyon, person, withdrawal, date(2026, 4, 5))

    effective = session.execute(
        sa.text("SELECT effective_on FROM consent_change WHERE id = :i"), {"i": withdrawal}
    ).scalar_one()
    assert effective in (date(2026, 4, 5), "2026-04-05")
    assert counted_on(session, person, date(2026, 4, 10)) is False
    assert counted_on(session, person, date(2026, 4, 4)) is True
    [row] = corrections.correction_history(session, world.chef_lyon, person.id)
    assert (row.field_label, row.old_value, row.new_value, row.reason, row.moves_published) == (
        "Date d'effet : Statistiques anonymes, retrait",
        "20 avr. 2026",
        "5 avr. 2026",
        REASON,
        False,
    )
    actions = session.exec(select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id.desc())).first()
    assert tuple(actions) == ("person.correct", "fields=consent_change:statistics:withdrawn")
    # The consent form's list of changes shows the corrected day.
    assert [
        (c.scope, c.given, c.effective_on)
        for c in corrections.correctable_consent_changes(session, world.worker_a, person.id)
    ] == [(ConsentScope.STATISTICS, False, date(2026, 4, 5))]


def test_the_day_stays_between_the_neighbouring_changes_after_intake_and_not_in_the_future(session, world, person):
    withdrawn = changed(session, world, person, ConsentScope.PARTNER_SHARING, False, date(2026, 3, 10))
    given = changed(session, world, person, ConsentScope.PARTNER_SHARING, True, date(2026, 4, 10))
    cases = [
        (
            withdrawn,
            date(2026, 4, 12),
            "Le changement suivant de ce consentement est daté du 10 avr. 2026 : la date ne peut le dépasser.",
        ),
        (
            given,
            date(2026, 3, 5),
            "Le changement précédent de ce consentement est daté du 10 mars 2026 : la date ne peut le précéder.",
        ),
        (withdrawn, date(2026, 3, 1), "La date d'effet ne peut précéder l'accueil (2 mars 2026)."),
        (given, date(2026, 5, 16), "La date d'effet ne peut pas être dans le futur."),
        (given, date(2026, 4, 10), "C'est déjà la date d'effet de ce changement : rien n'a été corrigé."),
    ]
    for change_id, day, expected in cases:
        with pytest.raises(ValidationFailed) as refused:
            correct(session, world.worker_a, person, change_id, day)
        assert refused.value.errors == {"effective_on": expected}, day
    assert corrections.correction_history(session, world.chef_lyon, person.id) == []
    # Within its bounds, the referent corrects a partner-sharing day itself (no published figure moves).
    correct(session, world.worker_a, person, given, date(2026, 3, 20))
    assert [c.effective_on for c in corrections.correctable_consent_changes(session, world.worker_a, person.id)] == [
        date(2026, 3, 20),
        date(2026, 3, 10),
    ]


def test_a_statistics_day_moved_into_a_finished_quarter_needs_the_head_of_services_acknowledgement(
    session, world, person
):
    withdrawal = changed(session, world, person, ConsentScope.STATISTICS, False, date(2026, 4, 20))
    with pytest.raises(ValidationFailed) as refused:
        correct(session, world.worker_a, person, withdrawal, date(2026, 3, 20))
    assert refused.value.errors == {
        "acknowledge_published": "Cette correction change des chiffres déjà publiés (trimestres terminés avant le "
        "1 avr. 2026) : seul·e un·e chef·fe de service peut la faire."
    }
    with pytest.raises(ValidationFailed) as refused:
        correct(session, world.chef_lyon, person, withdrawal, date(2026, 3, 20))
    assert list(refused.value.errors) == ["acknowledge_published"]
    assert counted_on(session, person, date(2026, 3, 25)) is True

    correct(session, world.chef_lyon, person, withdrawal, date(2026, 3, 20), acknowledge_published=True)

    assert counted_on(session, person, date(2026, 3, 25)) is False
    [row] = corrections.correction_history(session, world.chef_lyon, person.id)
    assert row.moves_published is True


def test_who_may_correct_and_what_is_refused(session, world, person):
    withdrawal = changed(session, world, person, ConsentScope.STATISTICS, False, date(2026, 4, 20))
    other = a_file(session, world.lyon, 43)
    with pytest.raises(PermissionDenied):  # not its referent
        correct(session, world.worker_a, other, withdrawal, date(2026, 4, 5))
    with pytest.raises(ValidationFailed) as refused:  # a change of another file
        correct(session, world.chef_lyon, other, withdrawal, date(2026, 4, 5))
    assert list(refused.value.errors) == ["change_id"]
    for principal in (world.direction, world.formateur, world.gestion):
        with pytest.raises(PermissionDenied):
            correct(session, principal, person, withdrawal, date(2026, 4, 5))
    with pytest.raises(NotFound):
        correct(session, world.worker_b, person, withdrawal, date(2026, 4, 5))
    with pytest.raises(StaleRecord):
        corrections.correct_consent_date(
            session,
            world.chef_lyon,
            person.id,
            expected_version=version_of(session, person) - 1,
            data={"change_id": withdrawal, "effective_on": date(2026, 4, 5), "reason": REASON},
            today=TODAY,
        )
    assert corrections.correction_history(session, world.chef_lyon, person.id) == []


def test_a_refusal_at_intake_is_not_corrected_here(session, world):
    person = a_file(session, world.lyon, 44, referent=world.worker_a_user)
    person.consent_statistics = False
    session.add(person)
    consent.record_intake_refusals(session, person, author_id=None)
    session.commit()
    at_intake = session.exec(
        select(ConsentChange.id).where(
            ConsentChange.person_id == person.id, ConsentChange.scope == ConsentScope.STATISTICS
        )
    ).one()
    assert corrections.correctable_consent_changes(session, world.chef_lyon, person.id) == []
    with pytest.raises(ValidationFailed) as refused:
        correct(session, world.chef_lyon, person, at_intake, date(2026, 4, 5))
    assert list(refused.value.errors) == ["change_id"]
