"""Intake (validation, duplicates, codes under concurrency), caseload, file header, edits, encryption."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import select

from i18n import ENGLISH, use_language
from models.audit import AuditEvent
from models.organisation import Role, Site, User
from models.pathway import ActionGoal, GoalAxis, GoalStatus, PrefectDecision, PspEpisode
from models.persons import Gender, HousingSituation, IntakeOrigin, Person, PersonStatus
from services.persons import alias_index
from services.persons import files as person_files
from services.persons.files import CaseloadFilter, IntakeInput, find_possible_duplicates, list_caseload
from services.platform.db import make_engine, unit_of_work, upgrade_to_head
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from tests import factories
from tests.sealed import assert_sealed
from tests.services.person_world import CIPHER, TODAY, an_intake, create, make_world

# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"intake_on": TODAY + timedelta(days=1)}, "intake_on", "futur"),
        ({"first_contact_on": TODAY + timedelta(days=3)}, "first_contact_on", "futur"),
        ({"first_contact_on": date(2026, 5, 12)}, "first_contact_on", "postérieur"),
        ({"birth_year": 2013}, "birth_year", "moins de 15 ans"),
        ({"birth_year": 1920}, "birth_year", "plus de 100 ans"),
        ({"consent_on": None}, "consent_on", "La date de consentement est obligatoire."),
        ({"consent_on": TODAY + timedelta(days=1)}, "consent_on", "futur"),
        ({"consent_processing": False}, "consent_processing", "obligatoire"),
        ({"alias": "  "}, "alias", "obligatoire"),
        ({"alias": "x" * 61}, "alias", "60 caractères"),
        ({"phone": "appelle-moi"}, "phone", "téléphone"),
        ({"origin": IntakeOrigin.PARTNER}, "referring_partner_id", "partenaire"),
        ({"nationality": "Nigeria"}, "nationality", "Nationalité"),
    ],
)
def test_bad_input_gets_a_french_message_on_its_field_and_nothing_is_written(
    session, person_world, changes, field, message
):
    before = session.exec(select(sa.func.count()).select_from(Person)).one()
    with pytest.raises(ValidationFailed) as failure:
        create(session, person_world.ts_lyon, person_world.lyon, **changes)
    assert set(failure.value.errors) == {field}
    assert message in failure.value.errors[field]
    assert session.exec(select(sa.func.count()).select_from(Person)).one() == before
    assert not session.exec(select(AuditEvent).where(AuditEvent.action == "person.create")).all()


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationFailed) as failure:
        IntakeInput.validated(
            an_intake(Site(id=1, code="X", name="X", city="X"), alias="", birth_year=2020, consent_on=None), as_of=TODAY
        )
    assert {"alias", "birth_year", "consent_on"} <= set(failure.value.errors)


@pytest.mark.parametrize(
    ("birth_year", "error"),
    [
        (2011, None),  # 15 in 2026: accepted
        (1926, None),  # 100 in 2026: accepted
        (2012, "Cette année de naissance donnerait moins de 15 ans : vérifiez-la."),
        (1925, "Cette année de naissance donnerait plus de 100 ans : vérifiez-la."),
    ],
)
def test_ages_15_and_100_are_the_limits_and_are_accepted(session, person_world, birth_year, error):
    if error is not None:
        with pytest.raises(ValidationFailed) as failure:
            create(session, person_world.ts_lyon, person_world.lyon, birth_year=birth_year)
        assert failure.value.errors == {"birth_year": error}
        assert session.exec(select(sa.func.count()).select_from(Person)).one() == 0
        return
    created = create(session, person_world.ts_lyon, person_world.lyon, birth_year=birth_year)
    stored = session.get(Person, created.id)
    assert (stored.code, stored.birth_year, stored.site_id) == ("LYO-2026-0001", birth_year, person_world.lyon.id)


def test_a_site_round_partner_or_referent_of_another_site_is_refused(session, person_world):
    with pytest.raises(ValidationFailed) as failure:
        create(session, person_world.ts_lyon, person_world.grenoble)
    assert "site_id" in failure.value.errors
    grenoble_round = factories.an_outreach_round(session, person_world.grenoble, round_on=date(2026, 5, 1))
    cip_user = session.get(User, person_world.cip_grenoble.user_id)
    with pytest.raises(ValidationFailed) as failure:
        create(
            session,
            person_world.ts_lyon,
            person_world.lyon,
            origin=IntakeOrigin.OUTREACH,
            outreach_round_id=grenoble_round.id,
            referent_id=cip_user.id,
        )
    assert set(failure.value.errors) == {"outreach_round_id", "referent_id"}


@pytest.mark.parametrize("role", ["direction", "formateur", "gestion", "admin"])
def test_roles_that_cannot_edit_files_cannot_create_one(session, person_world, role):
    with pytest.raises(PermissionDenied):
        create(session, getattr(person_world, role), person_world.lyon)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"site_id": None}, "site_id", "Choisissez un de vos sites."),
        ({"intake_on": None}, "intake_on", "La date d'accueil est obligatoire."),
        ({"intake_on": TODAY + timedelta(days=1)}, "intake_on", "La date d'accueil ne peut pas être dans le futur."),
        ({"first_contact_on": None}, "first_contact_on", "La date du premier contact est obligatoire."),
        (
            {"first_contact_on": TODAY + timedelta(days=3)},
            "first_contact_on",
            "La date du premier contact ne peut pas être dans le futur.",
        ),
        (
            {"first_contact_on": date(2026, 5, 12)},
            "first_contact_on",
            "Le premier contact ne peut pas être postérieur à l'accueil.",
        ),
        ({"alias": None}, "alias", "Le prénom ou pseudonyme est obligatoire."),
        ({"alias": "x" * 61}, "alias", "Le prénom ou pseudonyme ne doit pas dépasser 60 caractères."),
        ({"phone": "06 12"}, "phone", "Numéro de téléphone invalide (chiffres, espaces et + seulement)."),
        ({"languages": ["english"]}, "languages", "Langue invalide."),
        ({"income_sources": ["lottery"]}, "income_sources", "Source de revenus inconnue."),
        ({"origin": IntakeOrigin.PARTNER}, "referring_partner_id", "Indiquez le partenaire qui oriente la personne."),
        (
            {"consent_processing": False},
            "consent_processing",
            "Le consentement au traitement du dossier est obligatoire pour créer le dossier.",
        ),
        (
            {"consent_on": TODAY + timedelta(days=1)},
            "consent_on",
            "La date de consentement ne peut pas être dans le futur.",
        ),
    ],
)
def test_each_intake_rule_has_its_own_french_message(changes, field, message):
    with pytest.raises(ValidationFailed) as failure:
        IntakeInput.validated(an_intake(Site(id=1, code="X", name="X", city="X"), **changes), as_of=TODAY)
    assert failure.value.errors == {field: message}


def test_the_intake_messages_follow_the_session_language():
    with use_language(ENGLISH), pytest.raises(ValidationFailed) as failure:
        IntakeInput.validated(an_intake(Site(id=1, code="X", name="X", city="X"), birth_year=2020), as_of=TODAY)
    [message] = failure.value.errors.values()
    assert "15" in message and message != "Cette année de naissance donnerait moins de 15 ans : vérifiez-la."


def test_the_input_and_the_database_answer_together(session, person_world):
    cip_user = session.get(User, person_world.cip_grenoble.user_id)
    with pytest.raises(ValidationFailed) as failure:
        create(session, person_world.ts_lyon, person_world.lyon, alias="", referent_id=cip_user.id)
    assert failure.value.errors == {
        "alias": "Le prénom ou pseudonyme est obligatoire.",
        "referent_id": "Ce ou cette référent·e ne travaille pas sur le site choisi.",
    }


def test_possible_duplicates_are_looked_for_once_the_input_is_valid(session, person_world):
    existing = create(session, person_world.ts_lyon, person_world.lyon, alias="Hélène", birth_year=1994)
    data = an_intake(person_world.lyon, alias=" helene ", birth_year=1995)
    found = person_files.intake_duplicates(session, person_world.ts_lyon, data=data, cipher=CIPHER, today=TODAY)
    assert [c.code for c in found] == [existing.code]
    with pytest.raises(ValidationFailed) as failure:
        person_files.intake_duplicates(
            session, person_world.ts_lyon, data=data | {"consent_on": None}, cipher=CIPHER, today=TODAY
        )
    assert failure.value.errors == {"consent_on": "La date de consentement est obligatoire."}
    with pytest.raises(PermissionDenied):
        person_files.intake_duplicates(session, person_world.direction, data=data, cipher=CIPHER, today=TODAY)


def test_the_intake_stores_the_input_as_checked(session, person_world):
    created = create(
        session,
        person_world.ts_lyon,
        person_world.lyon,
        alias="  Hélène ",
        phone=" ",
        nationality="",
        languages=None,
        income_sources=["rsa", "family"],
    )
    row = session.get(Person, created.id)
    assert (CIPHER.decrypt(row.alias_encrypted), row.phone_encrypted, row.nationality, row.languages) == (
        "Hélène",
        None,
        None,
        [],
    )
    assert (row.income_sources, row.last_contact_on, row.consent_processing) == (
        ["rsa", "family"],
        date(2026, 5, 11),
        True,
    )


# --- codes -------------------------------------------------------------------------------------


def test_codes_follow_a_sequence_per_site_and_intake_year(session, person_world):
    first = create(session, person_world.ts_lyon, person_world.lyon)
    second = create(session, person_world.chef_lyon, person_world.lyon)
    older = create(
        session,
        person_world.ts_lyon,
        person_world.lyon,
        intake_on=date(2025, 12, 30),
        first_contact_on=date(2025, 12, 1),
        consent_on=date(2025, 12, 30),
    )
    grenoble = create(session, person_world.cip_grenoble, person_world.grenoble)
    assert (first.code, second.code) == ("LYO-2026-0001", "LYO-2026-0002")
    assert older.code == "LYO-2025-0001"
    assert grenoble.code == "GRE-2026-0001"
    event_ = session.exec(
        select(AuditEvent).where(AuditEvent.action == "person.create", AuditEvent.entity_id == str(first.id))
    ).one()
    assert event_.entity_type == "person" and event_.site_id == person_world.lyon.id


@pytest.mark.parametrize(
    "scratch_database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_concurrent_intakes_get_distinct_consecutive_codes(scratch_database_url):
    """8 threads, 8 connections, one site and year, released at the same instant, on an engine
    configured as the app's (SQLite serialises writers; PostgreSQL really runs them together)."""
    engine = make_engine(scratch_database_url)
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        site = factories.a_site(session, "LYO")
        user = factories.a_user(session, Role.INTERVENANT, site, username="race.lyon")
        principal = factories.principal(session, user)
        session.commit()
    threads_count = 8
    start = threading.Barrier(threads_count)
    codes: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def intake(index: int) -> None:
        try:
            with unit_of_work(engine) as session:
                start.wait()
                created = person_files.create_intake(
                    session, principal, data=an_intake(site, alias=f"Personne {index}"), cipher=CIPHER, today=TODAY
                )
            with lock:
                codes.append(created.code)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=intake, args=(i,)) for i in range(threads_count)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert not failures, failures
        assert sorted(codes) == [f"LYO-2026-{n:04d}" for n in range(1, threads_count + 1)]
    finally:
        engine.dispose()


# --- duplicates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["helene", "HÉLÈNE", "Élène", "Hélenne"])
def test_a_possible_duplicate_is_found_accent_insensitively_or_by_sound(session, person_world, typed):
    existing = create(session, person_world.ts_lyon, person_world.lyon, alias="Hélène", birth_year=1994)
    found = find_possible_duplicates(session, person_world.ts_lyon, alias=typed, birth_year=1995, cipher=CIPHER)
    assert [c.code for c in found] == [existing.code]
    assert found[0].status == PersonStatus.ACTIVE


def test_no_duplicate_for_another_name_another_birth_year_or_another_site(session, person_world):
    create(session, person_world.ts_lyon, person_world.lyon, alias="Hélène", birth_year=1994)
    assert not find_possible_duplicates(session, person_world.ts_lyon, alias="Blessing", birth_year=1994, cipher=CIPHER)
    assert not find_possible_duplicates(session, person_world.ts_lyon, alias="Hélène", birth_year=1990, cipher=CIPHER)
    assert not find_possible_duplicates(
        session, person_world.cip_grenoble, alias="Hélène", birth_year=1994, cipher=CIPHER
    )
    assert find_possible_duplicates(session, person_world.ts_lyon, alias="Helene", birth_year=None, cipher=CIPHER)


class _CountingCipher:
    """The test cipher, noting each alias it decrypts."""

    def __init__(self, cipher) -> None:
        self.cipher, self.decrypted = cipher, []

    def __getattr__(self, name):
        return getattr(self.cipher, name)

    def decrypt(self, token):
        value = self.cipher.decrypt(token)
        self.decrypted.append(value)
        return value


def test_the_duplicate_check_decrypts_only_the_aliases_that_sound_alike(session, person_world):
    """Before, every alias of the site born within a year was decrypted; now only those the blind index
    says sound like the typed one (or have a word that does), then compared as before."""
    for alias in ("Hélène", "Blessing", "Joy", "Marie-Hélène", "Elena", "Precious"):
        create(session, person_world.ts_lyon, person_world.lyon, alias=alias, birth_year=1994)
    counting = _CountingCipher(CIPHER)
    found = find_possible_duplicates(session, person_world.ts_lyon, alias="Helene", birth_year=1994, cipher=counting)
    assert len(found) == 1
    assert sorted(counting.decrypted) == ["Hélène", "Marie-Hélène"]


def test_direction_cannot_look_for_duplicates(session, person_world):
    with pytest.raises(PermissionDenied):
        find_possible_duplicates(session, person_world.direction, alias="Hélène", birth_year=None, cipher=CIPHER)


# --- header, audit, encryption -------------------------------------------------------------------


def test_opening_a_file_is_audited_and_identity_is_shown_to_social_workers_only(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    header = person_files.get_person_file(session, person_world.ts_lyon, created.id, cipher=CIPHER)
    assert (header.code, header.alias, header.phone) == (created.code, "Hélène", "06 12 34 56 78")
    assert header.languages == ["en", "yo"] and header.site_code == "LYO" and header.version == 1
    seen = person_files.get_person_file(session, person_world.direction, created.id, cipher=CIPHER)
    assert seen.alias is None and seen.phone is None and not seen.may_edit and not seen.may_see_identity
    views = session.exec(select(AuditEvent).where(AuditEvent.action == "person.view")).all()
    assert [(v.actor_username, v.entity_id, v.site_id) for v in views] == [
        (person_world.ts_lyon.username, str(created.id), person_world.lyon.id),
        (person_world.direction.username, str(created.id), person_world.lyon.id),
    ]


def test_identity_is_stored_encrypted(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon, alias="Zéphyrine", phone="07 98 76 54 32")
    row = session.get(Person, created.id)
    assert_sealed(row.alias_encrypted, CIPHER, "Zéphyrine")
    assert_sealed(row.phone_encrypted, CIPHER, "07 98 76 54 32")


def test_the_raw_database_file_holds_no_alias_or_phone_in_clear(tmp_path):
    alias, phone = "Zéphyrine-Quoralie", "07 13 57 91 35"
    url = f"sqlite:///{tmp_path / 'raw.db'}"
    db = make_engine(url)
    upgrade_to_head(db)
    with unit_of_work(db) as session:
        person_world = make_world(session)
        session.commit()
        created = create(session, person_world.ts_lyon, person_world.lyon, alias=alias, phone=phone)
    with unit_of_work(db) as session:
        header = person_files.get_person_file(session, person_world.ts_lyon, created.id, cipher=CIPHER)
        assert header.alias == alias
    db.dispose()
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.name.startswith("raw.db"))
    assert created.code.encode() in raw  # the file really is in there
    for secret in (alias, phone, "Quoralie", "13 57 91"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in raw, (secret, encoding)


# --- edits: optimistic locking, close / reopen --------------------------------------------------


def test_a_situation_edit_bumps_the_version_and_a_stale_one_is_refused(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    new_version = person_files.update_situation(
        session,
        person_world.ts_lyon,
        created.id,
        expected_version=1,
        data={"alias": "Lena", "housing": None},
        cipher=CIPHER,
    )
    assert new_version == 2
    with pytest.raises(StaleRecord, match="modifié par quelqu'un d'autre"):
        person_files.update_situation(
            session, person_world.chef_lyon, created.id, expected_version=1, data={"alias": "Léna"}, cipher=CIPHER
        )
    header = person_files.get_person_file(session, person_world.ts_lyon, created.id, cipher=CIPHER)
    assert header.alias == "Lena" and header.version == 2
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "person.update")).all()) == 1


def test_a_situation_edit_is_validated_and_scoped(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    with pytest.raises(ValidationFailed) as failure:
        person_files.update_situation(
            session,
            person_world.ts_lyon,
            created.id,
            expected_version=1,
            data={"alias": "", "birth_year": 2020},
            cipher=CIPHER,
        )
    assert set(failure.value.errors) == {"alias", "birth_year"}
    with pytest.raises(NotFound):
        person_files.update_situation(
            session, person_world.cip_grenoble, created.id, expected_version=1, data={"alias": "X"}, cipher=CIPHER
        )
    with pytest.raises(PermissionDenied):
        person_files.update_situation(
            session, person_world.direction, created.id, expected_version=1, data={"housing": None}, cipher=CIPHER
        )


def test_a_situation_save_writes_only_what_changed(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon, referent_id=person_world.ts_user.id)
    form = {
        "alias": "Hélène",
        "phone": "06 12 34 56 78",
        "birth_year": 1994,
        "gender": Gender.WOMAN,
        "nationality": "NG",
        "languages": ["en", "yo"],
        "administrative_status": None,
        "housing": None,
        "income_sources": [],
        "referent_id": person_world.ts_user.id,
    }
    version = person_files.update_situation(
        session, person_world.ts_lyon, created.id, expected_version=1, data=form, cipher=CIPHER, today=TODAY
    )
    assert version == 1 and session.get(Person, created.id).version == 1  # nothing changed: nothing written
    assert not session.exec(select(AuditEvent).where(AuditEvent.action == "person.update")).all()
    # The referent has left the team: kept as they are, while another field changes.
    session.get(User, person_world.ts_user.id).is_active = False
    session.flush()
    version = person_files.update_situation(
        session,
        person_world.ts_lyon,
        created.id,
        expected_version=1,
        data=form | {"housing": HousingSituation.EMERGENCY_SHELTER, "languages": ["en"]},
        cipher=CIPHER,
        today=TODAY,
    )
    row = session.get(Person, created.id)
    assert (version, row.version, row.housing, row.languages, row.referent_id) == (
        2,
        2,
        HousingSituation.EMERGENCY_SHELTER,
        ["en"],
        person_world.ts_user.id,
    )
    person_files.update_situation(
        session, person_world.chef_lyon, created.id, expected_version=2, data={"referent_id": None}, cipher=CIPHER
    )
    with pytest.raises(ValidationFailed) as failure:  # but nobody who left may become the referent again
        person_files.update_situation(
            session,
            person_world.chef_lyon,
            created.id,
            expected_version=3,
            data={"referent_id": person_world.ts_user.id},
            cipher=CIPHER,
            today=TODAY,
        )
    assert failure.value.errors == {"referent_id": "Ce ou cette référent·e ne travaille pas sur le site choisi."}


def test_a_closing_reports_the_status_and_the_input_together(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    with pytest.raises(ValidationFailed) as failure:
        person_files.close_file(
            session,
            person_world.ts_lyon,
            created.id,
            expected_version=1,
            data={"reason": "x" * 201, "closed_on": date(2026, 5, 10)},
            today=TODAY,
        )
    assert failure.value.errors == {
        "reason": "Le motif ne doit pas dépasser 200 caractères.",
        "closed_on": "La date de clôture ne peut pas précéder l'accueil.",
    }
    person_files.close_file(
        session,
        person_world.ts_lyon,
        created.id,
        expected_version=1,
        data={"reason": "Départ", "closed_on": TODAY},
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as failure:
        person_files.close_file(
            session,
            person_world.ts_lyon,
            created.id,
            expected_version=2,
            data={"reason": "", "closed_on": None},
            today=TODAY,
        )
    assert failure.value.errors == {
        "status": "Ce dossier est déjà clôturé.",
        "reason": "Indiquez un motif.",
        "closed_on": "La date de clôture est obligatoire.",
    }


def test_close_then_reopen_with_reasons(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    with pytest.raises(ValidationFailed) as failure:
        person_files.close_file(
            session,
            person_world.ts_lyon,
            created.id,
            expected_version=1,
            data={"reason": " ", "closed_on": TODAY + timedelta(days=1)},
            today=TODAY,
        )
    assert set(failure.value.errors) == {"reason", "closed_on"}
    person_files.close_file(
        session,
        person_world.ts_lyon,
        created.id,
        expected_version=1,
        data={"reason": "Déménagement", "closed_on": TODAY},
        today=TODAY,
    )
    header = person_files.get_person_file(session, person_world.ts_lyon, created.id, cipher=CIPHER, record_view=False)
    assert (header.status, header.closed_on, header.closed_reason, header.version) == (
        PersonStatus.CLOSED,
        TODAY,
        "Déménagement",
        2,
    )
    as_direction = person_files.get_person_file(
        session, person_world.direction, created.id, cipher=CIPHER, record_view=False
    )
    assert (as_direction.closed_on, as_direction.closed_reason) == (TODAY, None)  # the date, not what was typed
    with pytest.raises(StaleRecord):
        person_files.reopen_file(
            session, person_world.ts_lyon, created.id, expected_version=1, data={"reason": "Retour"}
        )
    person_files.reopen_file(
        session, person_world.ts_lyon, created.id, expected_version=2, data={"reason": "Retour à Lyon"}
    )
    header = person_files.get_person_file(session, person_world.ts_lyon, created.id, cipher=CIPHER, record_view=False)
    assert header.status == PersonStatus.ACTIVE and header.closed_on is None
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions == ["person.create", "person.close", "person.reopen"]
    with pytest.raises(ValidationFailed, match="Seul un dossier clôturé"):
        person_files.reopen_file(session, person_world.ts_lyon, created.id, expected_version=3, data={"reason": "x"})


# --- caseload ----------------------------------------------------------------------------------


def _caseload(session, principal, page_size=50, page=1, **filters):
    return list_caseload(
        session, principal, CaseloadFilter(**filters), cipher=CIPHER, page=page, page_size=page_size, today=TODAY
    )


def test_the_caseload_shows_the_scope_with_psp_and_next_goal(session, person_world):
    mine = create(session, person_world.ts_lyon, person_world.lyon, referent_id=person_world.ts_user.id)
    other = create(session, person_world.chef_lyon, person_world.lyon, alias="Blessing")
    create(session, person_world.cip_grenoble, person_world.grenoble, alias="Grace")
    session.add(
        PspEpisode(
            person_id=mine.id,
            site_id=person_world.lyon.id,
            requested_on=date(2026, 5, 12),
            prefect_decision=PrefectDecision.GRANTED,
        )
    )
    for due, goal in ((date(2026, 9, 1), "Ouvrir des droits"), (date(2026, 6, 1), "Inscription France Travail")):
        session.add(
            ActionGoal(person_id=mine.id, site_id=person_world.lyon.id, axis=GoalAxis.EMPLOYMENT, goal=goal, due_on=due)
        )
    session.add(
        ActionGoal(
            person_id=mine.id,
            site_id=person_world.lyon.id,
            axis=GoalAxis.HEALTH,
            goal="Fait",
            due_on=date(2026, 5, 20),
            status=GoalStatus.ACHIEVED,
        )
    )
    session.flush()
    page = _caseload(session, person_world.ts_lyon)
    assert page.total == 2 and {r.code for r in page.rows} == {mine.code, other.code}
    row = next(r for r in page.rows if r.person_id == mine.id)
    assert (row.psp_status, row.next_due_goal, row.next_due_on) == (
        "PSP en cours",
        "Inscription France Travail",
        date(2026, 6, 1),
    )
    assert row.alias == "Hélène" and row.referent_name == "Agent intervenant" and row.site_code == "LYO"
    assert [r.alias for r in _caseload(session, person_world.direction).rows] == [None, None, None]
    assert _caseload(session, person_world.cip_grenoble).total == 1
    assert [r.code for r in _caseload(session, person_world.ts_lyon, referent_is_me=True).rows] == [mine.code]


def test_the_caseload_filters_status_site_and_stale_contact(session, person_world):
    stale = factories.a_person_in_file_active(
        session, person_world.lyon, intake_on=date(2025, 10, 1), last_contact_on=date(2026, 2, 14)
    )
    fresh = factories.a_person_in_file_active(
        session, person_world.lyon, intake_on=date(2026, 1, 1), last_contact_on=date(2026, 2, 16)
    )
    three_months_to_the_day = factories.a_person_in_file_active(  # contact on 15 February: not over 3 months
        session, person_world.lyon, intake_on=date(2025, 9, 1), last_contact_on=date(2026, 2, 15)
    )
    closed = factories.a_person_in_file_active(
        session, person_world.lyon, intake_on=date(2025, 1, 1), status=PersonStatus.CLOSED
    )
    gone = factories.a_person_in_file_active(
        session, person_world.lyon, intake_on=date(2024, 1, 1), status=PersonStatus.ANONYMISED
    )
    codes = lambda page: {r.code for r in page.rows}  # noqa: E731
    assert codes(_caseload(session, person_world.ts_lyon)) == {
        stale.code,
        fresh.code,
        three_months_to_the_day.code,
        closed.code,
    }
    assert codes(_caseload(session, person_world.ts_lyon, no_contact_over_3_months=True)) == {stale.code, closed.code}
    assert codes(_caseload(session, person_world.ts_lyon, statuses=[PersonStatus.CLOSED])) == {closed.code}
    assert codes(_caseload(session, person_world.ts_lyon, statuses=[PersonStatus.ANONYMISED])) == {gone.code}
    assert _caseload(session, person_world.direction, site_id=person_world.grenoble.id).total == 0
    assert _caseload(session, person_world.cip_grenoble, site_id=person_world.lyon.id).total == 0


def test_search_by_code_or_alias_stays_in_scope_and_is_audited_without_the_text(session, person_world):
    helene = create(session, person_world.ts_lyon, person_world.lyon, alias="Hélène")
    create(session, person_world.ts_lyon, person_world.lyon, alias="Blessing")
    grenoble_helene = create(session, person_world.cip_grenoble, person_world.grenoble, alias="Hélène")
    assert [r.code for r in _caseload(session, person_world.ts_lyon, query="helen").rows] == [helene.code]
    assert [r.code for r in _caseload(session, person_world.ts_lyon, query="ELENE").rows] == [helene.code]
    assert [r.code for r in _caseload(session, person_world.ts_lyon, query=helene.code.lower()).rows] == [helene.code]
    assert _caseload(session, person_world.ts_lyon, query=grenoble_helene.code).total == 0
    # Direction searches by code only: an alias typed finds nothing.
    assert _caseload(session, person_world.direction, query="Hélène").total == 0
    assert [r.code for r in _caseload(session, person_world.direction, query=helene.code).rows] == [helene.code]
    searches = session.exec(select(AuditEvent).where(AuditEvent.action == "person.search")).all()
    assert len(searches) == 6
    assert all(e.entity_id is None for e in searches)
    assert not any(
        "lène" in str(value) or "helen" in str(value).lower() for e in searches for value in e.model_dump().values()
    )


def test_pagination_happens_in_sql(session, person_world):
    for day in range(1, 26):
        factories.a_person_in_file_active(session, person_world.lyon, intake_on=date(2026, 3, day))
    first = _caseload(session, person_world.ts_lyon, page_size=10)
    third = _caseload(session, person_world.ts_lyon, page_size=10, page=3)
    assert (first.total, first.page_count, len(first.rows), len(third.rows)) == (25, 3, 10, 5)
    assert first.rows[0].last_contact_on == date(2026, 3, 25)  # latest contact first
    assert not {r.code for r in first.rows} & {r.code for r in third.rows}


def test_the_caseload_issues_the_same_number_of_statements_for_10_or_50_rows(session, person_world, engine):
    for day in range(60):
        person = factories.a_person_in_file_active(
            session, person_world.lyon, intake_on=date(2025, 1, 1) + timedelta(days=day)
        )
        person.alias_encrypted = CIPHER.encrypt(f"Nom{day}")
        alias_index.index_alias(session, person.id, f"Nom{day}", CIPHER)
        session.add(
            ActionGoal(
                person_id=person.id,
                site_id=person_world.lyon.id,
                axis=GoalAxis.FRENCH,
                goal="A1",
                due_on=date(2026, 7, 1),
            )
        )
        session.add(PspEpisode(person_id=person.id, site_id=person_world.lyon.id, requested_on=date(2026, 1, 1)))
    session.flush()
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = {}
        for size in (10, 50):
            for query in ("", "nom1"):
                statements.clear()
                page = _caseload(session, person_world.ts_lyon, page_size=size, query=query)
                assert all(r.psp_status and r.next_due_goal for r in page.rows)
                counts[(size, query)] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[(10, "")] == counts[(50, "")] <= 4
    # + audit insert and its commit; no read of the scope's aliases (the blind index is in the count's and
    # the page's SQL: services.persons.alias_index)
    assert counts[(10, "nom1")] == counts[(50, "nom1")] <= 7
