"""Barriers, action plan, PSP (6-month periods, 24 months in all, 30-day alert) and encrypted notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

import i18n
from models.audit import AuditEvent
from models.organisation import Role, Site
from models.pathway import Barrier, BarrierSeverity, GoalAxis, GoalStatus, PrefectDecision
from models.persons import Person, PersonNote, PersonStatus
from services import worklist
from services.persons import pathway
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.sealed import assert_sealed

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@dataclass
class World:
    lyon: Site
    grenoble: Site
    person: Person  # a Lyon file
    ts_lyon: Principal
    chef_lyon: Principal
    cip_grenoble: Principal
    direction: Principal
    formateur: Principal


@pytest.fixture
def world(session: Session) -> World:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))

    def p(role: Role, *sites: Site) -> Principal:
        return factories.principal(session, factories.a_user(session, role, *sites))

    return World(
        lyon,
        grenoble,
        person,
        p(Role.INTERVENANT, lyon),
        p(Role.CHEF_SERVICE, lyon),
        p(Role.INTERVENANT, grenoble),
        p(Role.DIRECTION),
        p(Role.FORMATEUR, lyon),
    )


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


# --- barriers -----------------------------------------------------------------------------------


def test_barriers_keep_their_history_and_the_latest_rating_is_current(session, world):
    pathway.record_barriers(
        session,
        world.ts_lyon,
        world.person.id,
        today=TODAY,
        data={
            "assessed_on": date(2025, 3, 10),
            "ratings": {Barrier.HOUSING: BarrierSeverity.MAJOR, Barrier.FRENCH: BarrierSeverity.MAJOR},
        },
    )
    pathway.record_barriers(
        session,
        world.ts_lyon,
        world.person.id,
        today=TODAY,
        data={"assessed_on": date(2025, 9, 10), "ratings": {Barrier.HOUSING: BarrierSeverity.PARTIAL}},
    )
    history = pathway.barrier_history(session, world.direction, world.person.id)
    assert [(p.assessed_on, p.barrier, p.severity) for p in history] == [
        (date(2025, 3, 10), Barrier.HOUSING, BarrierSeverity.MAJOR),
        (date(2025, 3, 10), Barrier.FRENCH, BarrierSeverity.MAJOR),
        (date(2025, 9, 10), Barrier.HOUSING, BarrierSeverity.PARTIAL),
    ]
    current = pathway.current_barriers(session, world.ts_lyon, world.person.id)
    assert current[Barrier.HOUSING].severity == BarrierSeverity.PARTIAL
    assert current[Barrier.FRENCH].severity == BarrierSeverity.MAJOR
    assert world.person.last_contact_on == date(2025, 9, 10)
    assert actions(session) == ["barrier.create", "barrier.create"]


def test_barrier_assessment_in_the_future_or_empty_is_refused(session, world):
    with pytest.raises(ValidationFailed) as caught:
        pathway.record_barriers(
            session, world.ts_lyon, world.person.id, today=TODAY, data={"assessed_on": date(2026, 6, 1), "ratings": {}}
        )
    assert set(caught.value.errors) == {"assessed_on", "ratings"}


# --- goals --------------------------------------------------------------------------------------


def test_goal_is_created_updated_and_closed_with_its_version(session, world):
    goal_id = pathway.create_goal(
        session,
        world.ts_lyon,
        world.person.id,
        today=TODAY,
        data={
            "axis": GoalAxis.EMPLOYMENT,
            "goal": "Trouver un emploi en restauration",
            "actions": "Atelier CV",
            "due_on": date(2026, 9, 1),
        },
    )
    [row] = pathway.list_goals(session, world.ts_lyon, world.person.id)
    assert (row.status, row.version) == (GoalStatus.OPEN, 1)
    pathway.update_goal(
        session,
        world.chef_lyon,
        goal_id,
        expected_version=1,
        data={
            "axis": GoalAxis.EMPLOYMENT,
            "goal": "Trouver un emploi en restauration",
            "actions": "Atelier CV, simulation d'entretien",
            "due_on": date(2026, 9, 1),
            "status": GoalStatus.IN_PROGRESS,
        },
    )
    [row] = pathway.list_goals(session, world.ts_lyon, world.person.id)
    assert (row.status, row.actions, row.version) == (GoalStatus.IN_PROGRESS, "Atelier CV, simulation d'entretien", 2)
    pathway.close_goal(
        session,
        world.ts_lyon,
        goal_id,
        expected_version=2,
        today=TODAY,
        data={"status": GoalStatus.ACHIEVED, "closed_on": date(2026, 5, 2)},
    )
    [row] = pathway.list_goals(session, world.direction, world.person.id)
    assert (row.status, row.closed_on, row.version) == (GoalStatus.ACHIEVED, date(2026, 5, 2), 3)
    assert actions(session) == ["goal.create", "goal.update", "goal.update"]


def test_goal_saved_by_someone_else_meanwhile_is_a_stale_record(session, world):
    goal_id = pathway.create_goal(
        session,
        world.ts_lyon,
        world.person.id,
        today=TODAY,
        data={"axis": GoalAxis.FRENCH, "goal": "Atteindre A2 à l'oral"},
    )
    as_created = {"axis": GoalAxis.FRENCH, "goal": "Atteindre A2 à l'oral", "status": GoalStatus.OPEN}
    pathway.update_goal(
        session, world.chef_lyon, goal_id, expected_version=1, data=as_created | {"due_on": date(2026, 12, 1)}
    )
    with pytest.raises(StaleRecord):
        pathway.update_goal(
            session, world.ts_lyon, goal_id, expected_version=1, data=as_created | {"goal": "Atteindre B1"}
        )
    with pytest.raises(StaleRecord):
        pathway.close_goal(
            session,
            world.ts_lyon,
            goal_id,
            expected_version=1,
            today=TODAY,
            data={"status": GoalStatus.ABANDONED, "closed_on": TODAY},
        )
    [row] = pathway.list_goals(session, world.ts_lyon, world.person.id)
    assert (row.goal, row.due_on, row.version) == ("Atteindre A2 à l'oral", date(2026, 12, 1), 2)


def test_goal_without_text_gets_a_french_message_by_field(session, world):
    with pytest.raises(ValidationFailed) as caught:
        pathway.create_goal(
            session, world.ts_lyon, world.person.id, today=TODAY, data={"axis": GoalAxis.HOUSING, "goal": "  "}
        )
    assert caught.value.errors == {"goal": "L'objectif est obligatoire."}


def test_goal_inputs_get_their_messages(session, world):
    with pytest.raises(ValidationFailed) as caught:
        pathway.create_goal(
            session,
            world.ts_lyon,
            world.person.id,
            today=TODAY,
            data={"axis": None, "goal": "x" * 201, "actions": "y" * 1001},
        )
    assert caught.value.errors == {
        "axis": "Choisissez un axe.",
        "goal": "L'objectif ne peut dépasser 200 caractères.",
        "actions": "Les actions ne peuvent dépasser 1000 caractères.",
    }
    goal_id = pathway.create_goal(
        session, world.ts_lyon, world.person.id, today=TODAY, data={"axis": GoalAxis.HEALTH, "goal": "Bilan"}
    )
    with pytest.raises(ValidationFailed) as caught:
        pathway.update_goal(
            session,
            world.ts_lyon,
            goal_id,
            expected_version=1,
            data={"axis": GoalAxis.HEALTH, "goal": "Bilan", "status": GoalStatus.ACHIEVED},
        )
    assert caught.value.errors == {"status": "Pour clore un objectif, utilisez « Clore l'objectif »."}
    with pytest.raises(ValidationFailed) as caught:
        pathway.close_goal(
            session, world.ts_lyon, goal_id, expected_version=1, today=TODAY, data={"status": GoalStatus.OPEN}
        )
    assert caught.value.errors == {"status": "Un objectif se clôt comme atteint ou abandonné."}
    pathway.close_goal(
        session, world.ts_lyon, goal_id, expected_version=1, today=TODAY, data={"status": GoalStatus.ABANDONED}
    )
    [row] = pathway.list_goals(session, world.ts_lyon, world.person.id)
    assert (row.status, row.closed_on, row.actions) == (
        GoalStatus.ABANDONED,
        TODAY,
        None,
    )  # empty day: the day of reference
    with pytest.raises(ValidationFailed) as caught:
        pathway.update_goal(
            session,
            world.ts_lyon,
            goal_id,
            expected_version=2,
            data={"axis": GoalAxis.HEALTH, "goal": "Bilan", "status": GoalStatus.OPEN},
        )
    assert caught.value.errors == {"status": "Cet objectif est clos : il ne peut plus être modifié."}


# --- PSP ----------------------------------------------------------------------------------------


def granted_episode(session: Session, world: World) -> int:
    episode_id = pathway.create_psp_episode(
        session, world.ts_lyon, world.person.id, today=TODAY, data={"requested_on": date(2024, 1, 15)}
    )
    pathway.update_psp_episode(
        session,
        world.chef_lyon,
        episode_id,
        expected_version=1,
        today=TODAY,
        data={
            "commission_on": date(2024, 2, 20),
            "prefect_decision": PrefectDecision.GRANTED,
            "decided_on": date(2024, 2, 28),
            "afis_start_on": date(2024, 3, 1),
            "afis_monthly_cents": 34_300,
        },
    )
    return episode_id


def test_period_lasts_six_months_minus_a_day():
    assert pathway.period_end(date(2024, 3, 1)) == date(2024, 8, 31)
    assert pathway.period_end(date(2024, 9, 1)) == date(2025, 2, 28)
    assert pathway.period_end(date(2025, 8, 31)) == date(2026, 2, 27)  # 28 Feb is the 6-month anniversary


def test_four_periods_make_24_months_and_a_fifth_renewal_is_refused(session, world):
    episode_id = granted_episode(session, world)
    starts = [date(2024, 3, 1), date(2024, 9, 1), date(2025, 3, 1), date(2025, 9, 1)]
    for index, start in enumerate(starts):
        pathway.add_psp_period(
            session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": start, "is_renewal": index > 0}
        )
    [view] = pathway.list_psp(session, world.ts_lyon, world.person.id, today=TODAY)
    assert [(p.start_on, p.end_on) for p in view.periods] == [
        (date(2024, 3, 1), date(2024, 8, 31)),
        (date(2024, 9, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 8, 31)),
        (date(2025, 9, 1), date(2026, 2, 28)),
    ]
    assert view.months_used == 24
    with pytest.raises(ValidationFailed) as caught:
        pathway.add_psp_period(
            session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2026, 3, 1), "is_renewal": True}
        )
    assert "24 mois" in caught.value.errors["start_on"]
    assert len(pathway.list_psp(session, world.ts_lyon, world.person.id, today=TODAY)[0].periods) == 4
    assert actions(session).count("psp.renew") == 3


def test_overlapping_period_is_refused(session, world):
    episode_id = granted_episode(session, world)
    pathway.add_psp_period(
        session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2024, 3, 1), "is_renewal": False}
    )
    with pytest.raises(ValidationFailed) as caught:
        pathway.add_psp_period(
            session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2024, 8, 31), "is_renewal": True}
        )
    assert caught.value.errors == {"start_on": "Cette période chevauche une période déjà enregistrée."}


def test_period_before_the_prefect_grants_the_psp_is_refused(session, world):
    episode_id = pathway.create_psp_episode(
        session, world.ts_lyon, world.person.id, today=TODAY, data={"requested_on": date(2026, 1, 5)}
    )
    with pytest.raises(ValidationFailed) as caught:
        pathway.add_psp_period(
            session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2026, 3, 1), "is_renewal": False}
        )
    assert "préfet" in caught.value.errors["start_on"]


def psp_periods_due(session: Session, principal: Principal, today: date) -> list[tuple]:
    """(code, end of period) of « À faire »'s PSP items: the same rule as the PSP tab's alert."""
    found = worklist.worklist(session, principal, today=today).items
    return [(item.code, item.due_on) for item in found if item.kind == worklist.ItemKind.PSP_PERIOD]


@pytest.mark.parametrize(
    ("today", "alert"),
    [
        (date(2024, 7, 31), None),  # 31 days left
        (date(2024, 8, 1), "La période se termine dans 30 jours"),
        (date(2024, 8, 30), "La période se termine dans 1 jour"),
        (date(2024, 8, 31), "La période se termine aujourd'hui"),
        (date(2024, 9, 1), None),  # over
    ],
)
def test_alert_when_the_current_period_ends_within_30_days(session, world, today, alert):
    episode_id = granted_episode(session, world)
    pathway.add_psp_period(
        session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2024, 3, 1), "is_renewal": False}
    )
    [view] = pathway.list_psp(session, world.ts_lyon, world.person.id, today=today)
    assert view.alert == alert
    listed = psp_periods_due(session, world.chef_lyon, today)
    assert listed == ([] if alert is None else [(world.person.code, date(2024, 8, 31))])
    assert psp_periods_due(session, world.cip_grenoble, today) == []


def test_no_alert_once_the_renewal_is_recorded(session, world):
    episode_id = granted_episode(session, world)
    pathway.add_psp_period(
        session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2024, 3, 1), "is_renewal": False}
    )
    pathway.add_psp_period(
        session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2024, 9, 1), "is_renewal": True}
    )
    [view] = pathway.list_psp(session, world.ts_lyon, world.person.id, today=date(2024, 8, 15))
    assert view.alert is None and view.months_used == 12
    assert psp_periods_due(session, world.chef_lyon, date(2024, 8, 15)) == []


def test_psp_update_checks_dates_and_amounts_by_field(session, world):
    episode_id = pathway.create_psp_episode(
        session, world.ts_lyon, world.person.id, today=TODAY, data={"requested_on": date(2026, 1, 5)}
    )
    with pytest.raises(ValidationFailed) as caught:
        pathway.update_psp_episode(
            session,
            world.ts_lyon,
            episode_id,
            expected_version=1,
            today=TODAY,
            data={
                "commission_on": date(2025, 12, 1),
                "aps_start_on": date(2026, 3, 1),
                "aps_end_on": date(2026, 2, 1),
                "afis_monthly_cents": -1,
            },
        )
    assert set(caught.value.errors) == {"commission_on", "aps_end_on", "afis_monthly_cents"}
    with pytest.raises(StaleRecord):
        pathway.update_psp_episode(
            session,
            world.ts_lyon,
            episode_id,
            expected_version=7,
            today=TODAY,
            data={"commission_on": date(2026, 2, 1)},
        )


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("343,00", 34_300),
        ("343,5 €", 34_350),
        ("1 234,56", 123_456),
        ("343,00\u00a0€", 34_300),
        ("", None),
        (34_300, 34_300),
    ],
)
def test_the_afis_amount_is_read_as_typed_in_euros(session, world, typed, cents):
    episode_id = pathway.create_psp_episode(
        session, world.ts_lyon, world.person.id, today=TODAY, data={"requested_on": date(2026, 1, 5)}
    )
    pathway.update_psp_episode(
        session, world.ts_lyon, episode_id, expected_version=1, today=TODAY, data={"afis_monthly_cents": typed}
    )
    [view] = pathway.list_psp(session, world.ts_lyon, world.person.id, today=TODAY)
    assert view.afis_monthly_cents == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("trois cents", "Montant invalide : par exemple 343,00."),
        ("343.50", "Montant invalide : par exemple 343,00."),  # a decimal point is ambiguous in French (README)
        ("nan", "Montant invalide : par exemple 343,00."),  # used to crash the page
        ("Infinity", "Montant invalide : par exemple 343,00."),
        ("-12,00", "Le montant mensuel de l'AFIS doit être positif."),
    ],
)
def test_a_bad_afis_amount_gets_its_message(typed, message):
    with pytest.raises(ValidationFailed) as caught:
        pathway.PspEpisodeInput.validated({"afis_monthly_cents": typed}, as_of=TODAY)
    assert caught.value.errors == {"afis_monthly_cents": message}


def test_psp_dates_each_get_their_message(session, world):
    episode_id = pathway.create_psp_episode(
        session, world.ts_lyon, world.person.id, today=TODAY, data={"requested_on": date(2026, 1, 5)}
    )
    with pytest.raises(ValidationFailed) as caught:
        pathway.update_psp_episode(
            session,
            world.ts_lyon,
            episode_id,
            expected_version=1,
            today=TODAY,
            data={
                "commission_on": date(2026, 2, 10),
                "decided_on": date(2026, 2, 1),
                "afis_start_on": date(2026, 4, 1),
                "afis_end_on": date(2026, 3, 1),
                "ended_on": TODAY + timedelta(days=1),
            },
        )
    assert caught.value.errors == {
        "decided_on": "La décision ne peut précéder la commission.",
        "afis_end_on": "La fin de l'AFIS ne peut précéder son début.",
        "ended_on": "La date ne peut pas être dans le futur.",
    }


def test_a_period_needs_its_first_day(session, world):
    episode_id = granted_episode(session, world)
    with pytest.raises(ValidationFailed) as caught:
        pathway.add_psp_period(session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": None})
    assert caught.value.errors == {"start_on": "La date de début est obligatoire."}
    with pytest.raises(ValidationFailed) as caught:
        pathway.add_psp_period(
            session, world.ts_lyon, episode_id, today=TODAY, data={"start_on": date(2024, 3, 1), "is_renewal": True}
        )
    assert caught.value.errors == {"is_renewal": "La première période n'est pas un renouvellement."}


# --- notes --------------------------------------------------------------------------------------


def test_notes_are_encrypted_at_rest_and_read_back(session, world):
    secret = "Hébergée chez une cousine à Vaulx-en-Velin, rdv CIDFF mardi"
    pathway.add_note(
        session,
        world.ts_lyon,
        world.person.id,
        cipher=CIPHER,
        today=TODAY,
        data={"noted_on": date(2026, 5, 2), "body": secret},
    )
    stored = session.exec(select(PersonNote.body_encrypted)).one()
    assert_sealed(stored, CIPHER, secret)
    [note] = pathway.list_notes(session, world.chef_lyon, world.person.id, cipher=CIPHER)
    assert (note.body, note.noted_on) == (secret, date(2026, 5, 2))
    assert actions(session) == ["note.create"]


def test_a_form_date_left_empty_is_the_day_of_reference(session, world):
    note_id = pathway.add_note(
        session, world.ts_lyon, world.person.id, cipher=CIPHER, today=TODAY, data={"noted_on": None, "body": " RAS "}
    )
    [note] = pathway.list_notes(session, world.ts_lyon, world.person.id, cipher=CIPHER)
    assert (note.id, note.noted_on, note.body) == (note_id, TODAY, "RAS")
    pathway.create_psp_episode(session, world.ts_lyon, world.person.id, today=TODAY, data={"requested_on": None})
    assert [v.requested_on for v in pathway.list_psp(session, world.ts_lyon, world.person.id, today=TODAY)] == [TODAY]


def test_notes_and_barriers_get_their_messages(session, world):
    with pytest.raises(ValidationFailed) as caught:
        pathway.add_note(
            session,
            world.ts_lyon,
            world.person.id,
            cipher=CIPHER,
            today=TODAY,
            data={"noted_on": TODAY + timedelta(days=1), "body": "   "},
        )
    assert caught.value.errors == {"noted_on": "La date ne peut pas être dans le futur.", "body": "La note est vide."}
    with pytest.raises(ValidationFailed) as caught:
        pathway.add_note(session, world.ts_lyon, world.person.id, cipher=CIPHER, today=TODAY, data={"body": "x" * 5001})
    assert caught.value.errors == {"body": "Une note ne peut dépasser 5000 caractères."}
    with pytest.raises(ValidationFailed) as caught:
        pathway.record_barriers(
            session,
            world.ts_lyon,
            world.person.id,
            today=TODAY,
            data={"assessed_on": None, "ratings": {Barrier.HOUSING: BarrierSeverity.MAJOR}},
        )
    assert caught.value.errors == {"assessed_on": "La date de l'évaluation est obligatoire."}
    assert actions(session) == []


def test_notes_are_refused_to_direction_and_formateur(session, world):
    pathway.add_note(
        session, world.ts_lyon, world.person.id, cipher=CIPHER, today=TODAY, data={"noted_on": TODAY, "body": "RAS"}
    )
    for reader in (world.direction, world.formateur):
        with pytest.raises(PermissionDenied):
            pathway.list_notes(session, reader, world.person.id, cipher=CIPHER)
        with pytest.raises(PermissionDenied):
            pathway.add_note(
                session, reader, world.person.id, cipher=CIPHER, today=TODAY, data={"noted_on": TODAY, "body": "x"}
            )


# --- scope and roles ----------------------------------------------------------------------------


def test_a_grenoble_user_cannot_touch_a_lyon_persons_sub_records(session, world):
    goal_id = pathway.create_goal(
        session, world.ts_lyon, world.person.id, today=TODAY, data={"axis": GoalAxis.HEALTH, "goal": "Bilan santé"}
    )
    episode_id = granted_episode(session, world)
    other = world.cip_grenoble
    attempts = [
        lambda: pathway.barrier_history(session, other, world.person.id),
        lambda: pathway.record_barriers(
            session,
            other,
            world.person.id,
            today=TODAY,
            data={"assessed_on": TODAY, "ratings": {Barrier.HEALTH: BarrierSeverity.NONE}},
        ),
        lambda: pathway.list_goals(session, other, world.person.id),
        lambda: pathway.create_goal(
            session, other, world.person.id, today=TODAY, data={"axis": GoalAxis.HEALTH, "goal": "x"}
        ),
        lambda: pathway.update_goal(
            session,
            other,
            goal_id,
            expected_version=1,
            data={"axis": GoalAxis.HEALTH, "goal": "x", "status": GoalStatus.OPEN},
        ),
        lambda: pathway.close_goal(
            session,
            other,
            goal_id,
            expected_version=1,
            today=TODAY,
            data={"status": GoalStatus.ABANDONED, "closed_on": TODAY},
        ),
        lambda: pathway.list_psp(session, other, world.person.id, today=TODAY),
        lambda: pathway.update_psp_episode(session, other, episode_id, expected_version=2, today=TODAY, data={}),
        lambda: pathway.add_psp_period(
            session, other, episode_id, today=TODAY, data={"start_on": TODAY, "is_renewal": False}
        ),
        lambda: pathway.add_note(
            session, other, world.person.id, cipher=CIPHER, today=TODAY, data={"noted_on": TODAY, "body": "x"}
        ),
        lambda: pathway.list_notes(session, other, world.person.id, cipher=CIPHER),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert pathway.list_goals(session, world.ts_lyon, world.person.id)[0].goal == "Bilan santé"


def test_direction_reads_but_never_writes(session, world):
    assert pathway.list_goals(session, world.direction, world.person.id) == []
    with pytest.raises(PermissionDenied):
        pathway.create_goal(
            session, world.direction, world.person.id, today=TODAY, data={"axis": GoalAxis.SOCIAL, "goal": "x"}
        )
    with pytest.raises(PermissionDenied):
        pathway.record_barriers(
            session,
            world.direction,
            world.person.id,
            today=TODAY,
            data={"assessed_on": TODAY, "ratings": {Barrier.DIGITAL: BarrierSeverity.PARTIAL}},
        )
    with pytest.raises(PermissionDenied):
        pathway.list_goals(session, world.formateur, world.person.id)


def test_an_anonymised_file_can_no_longer_be_written(session, world):
    world.person.status = PersonStatus.ANONYMISED
    session.flush()
    with pytest.raises(PermissionDenied):
        pathway.create_goal(
            session, world.ts_lyon, world.person.id, today=TODAY, data={"axis": GoalAxis.SOCIAL, "goal": "x"}
        )


def test_notes_leave_no_clear_text_in_the_sqlite_file(tmp_path):
    """The raw bytes of the database file hold no note in clear (SQLite only: a file to read)."""
    from services.platform.db import make_engine, unit_of_work, upgrade_to_head

    path = tmp_path / "raw.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    secret = "Zanzibar-confidentiel-7781"
    with unit_of_work(engine) as session:
        lyon = factories.a_site(session, "LYO", "Lyon")
        person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))
        actor = factories.principal(session, factories.a_user(session, Role.INTERVENANT, lyon))
        session.commit()
        pathway.add_note(
            session, actor, person.id, cipher=CIPHER, today=TODAY, data={"noted_on": TODAY, "body": secret}
        )
    with engine.connect() as connection:
        connection.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("raw.db"))
    assert secret.encode() not in raw
    assert b"LYO-2025" in raw  # the file was written and is readable as bytes


def test_the_afis_amount_is_read_in_the_session_notation():
    with i18n.use_language(i18n.ENGLISH):
        assert pathway.PspEpisodeInput.validated({"afis_monthly_cents": "€343.50"}, as_of=TODAY).afis_monthly_cents == (
            34_350
        )
