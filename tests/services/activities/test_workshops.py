"""Workshops: module configuration, session planning and lists, cycles, completions."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlmodel import Session, select

from i18n import use_language
from models.audit import AuditEvent
from models.persons import PersonStatus
from models.workshops import WorkshopEnrolment, WorkshopFacilitator, WorkshopModule, WorkshopSession, WorkshopTheme
from services.activities.workshops import modules as workshop_modules
from services.activities.workshops import people as workshop_people
from services.activities.workshops import sessions as workshop_sessions
from services.activities.workshops.sessions import Period
from services.persons import timeline
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from tests import factories
from tests.services.workshop_world import CIPHER, TODAY, WorkshopWorld


def _actions(session: Session, prefix: str) -> list[str]:
    return list(
        session.exec(
            select(AuditEvent.action).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)
        ).all()
    )


# --- modules ------------------------------------------------------------------------------------


def test_chef_service_configures_the_modules_of_its_site(session: Session, workshop_world: WorkshopWorld) -> None:
    module_id = workshop_modules.create_module(
        session,
        workshop_world.chef_lyon,
        data={
            "site_id": workshop_world.lyon.id,
            "theme": WorkshopTheme.MOBILITY,
            "name": "  Mobilité   et transports ",
        },
    )
    rows = workshop_modules.list_modules(session, workshop_world.chef_lyon, site_id=workshop_world.lyon.id)
    assert [r.name for r in rows] == ["Estime de soi", "Rapport à l'argent", "Mobilité et transports"]
    created = rows[-1]
    workshop_modules.update_module(
        session,
        workshop_world.chef_lyon,
        module_id,
        expected_version=created.version,
        data={"name": "Mobilité", "theme": WorkshopTheme.MOBILITY, "is_active": False},
    )
    assert [
        r.name for r in workshop_modules.list_modules(session, workshop_world.chef_lyon, site_id=workshop_world.lyon.id)
    ] == [
        "Estime de soi",
        "Rapport à l'argent",
    ]
    with pytest.raises(StaleRecord):
        workshop_modules.update_module(
            session,
            workshop_world.chef_lyon,
            module_id,
            expected_version=created.version,
            data={"name": "Mobilité douce", "theme": WorkshopTheme.MOBILITY, "is_active": False},
        )
    workshop_modules.reorder_modules(
        session,
        workshop_world.chef_lyon,
        site_id=workshop_world.lyon.id,
        ordered_ids=[module_id, workshop_world.money.id, workshop_world.self_esteem.id],
    )
    listed = workshop_modules.list_modules(
        session, workshop_world.chef_lyon, site_id=workshop_world.lyon.id, include_inactive=True
    )
    assert [(r.name, r.sort_order, r.is_active) for r in listed] == [
        ("Mobilité", 1, False),
        ("Rapport à l'argent", 2, True),
        ("Estime de soi", 3, True),
    ]
    assert _actions(session, "workshop.module") == [
        "workshop.module_create",
        "workshop.module_update",
        "workshop.module_reorder",
    ]
    # A deactivated module is no longer offered for new sessions.
    choices = workshop_sessions.session_choices(session, workshop_world.chef_lyon, site_id=workshop_world.lyon.id)
    assert [c.name for c in choices.modules] == ["Rapport à l'argent", "Estime de soi"]


def test_module_names_are_checked(session: Session, workshop_world: WorkshopWorld) -> None:
    with pytest.raises(ValidationFailed) as refused:
        workshop_modules.create_module(
            session,
            workshop_world.chef_lyon,
            data={"site_id": workshop_world.lyon.id, "theme": WorkshopTheme.MONEY, "name": "rapport à L'ARGENT"},
        )
    assert refused.value.errors == {"name": "Un module porte déjà ce nom sur ce site."}
    with pytest.raises(ValidationFailed) as refused:
        workshop_modules.create_module(
            session,
            workshop_world.chef_lyon,
            data={"site_id": workshop_world.grenoble.id, "theme": "nope", "name": " "},
        )
    assert refused.value.errors == {
        "site_id": "Choisissez un de vos sites.",
        "theme": "Choisissez un thème.",
        "name": "Le nom du module est obligatoire.",
    }
    with pytest.raises(ValidationFailed) as refused:
        workshop_modules.create_module(
            session,
            workshop_world.chef_lyon,
            data={"site_id": workshop_world.lyon.id, "theme": WorkshopTheme.MONEY, "name": "x" * 121},
        )
    assert refused.value.errors == {"name": "Le nom ne peut dépasser 120 caractères."}
    with pytest.raises(ValidationFailed):
        workshop_modules.reorder_modules(
            session, workshop_world.chef_lyon, site_id=workshop_world.lyon.id, ordered_ids=[workshop_world.money.id]
        )


def test_only_chef_service_configures_modules(session: Session, workshop_world: WorkshopWorld) -> None:
    for principal in (workshop_world.ts_lyon, workshop_world.direction, workshop_world.admin, workshop_world.formateur):
        assert not workshop_modules.may_configure_modules(principal)
        with pytest.raises(PermissionDenied):
            workshop_modules.create_module(
                session,
                principal,
                data={"site_id": workshop_world.lyon.id, "theme": WorkshopTheme.MONEY, "name": "Budget"},
            )
        with pytest.raises(PermissionDenied):
            workshop_modules.update_module(
                session,
                principal,
                workshop_world.money.id,
                expected_version=1,
                data={"name": "Budget", "theme": WorkshopTheme.MONEY, "is_active": False},
            )
        with pytest.raises(PermissionDenied):
            workshop_modules.reorder_modules(
                session,
                principal,
                site_id=workshop_world.lyon.id,
                ordered_ids=[workshop_world.money.id, workshop_world.self_esteem.id],
            )
    assert workshop_modules.may_configure_modules(workshop_world.chef_lyon)
    with pytest.raises(NotFound):  # another site's module
        workshop_modules.update_module(
            session,
            workshop_world.chef_lyon,
            workshop_world.grenoble_module.id,
            expected_version=1,
            data={"name": "Autre", "theme": WorkshopTheme.OTHER},
        )
    with pytest.raises(NotFound):
        workshop_modules.reorder_modules(
            session,
            workshop_world.chef_lyon,
            site_id=workshop_world.grenoble.id,
            ordered_ids=[workshop_world.grenoble_module.id],
        )
    assert session.get(WorkshopModule, workshop_world.money.id).is_active


def test_modules_are_listed_within_scope(session: Session, workshop_world: WorkshopWorld) -> None:
    assert {r.site_code for r in workshop_modules.list_modules(session, workshop_world.direction)} == {"LYO", "GRE"}
    assert {r.site_code for r in workshop_modules.list_modules(session, workshop_world.ts_lyon)} == {"LYO"}
    assert workshop_modules.list_modules(session, workshop_world.ts_lyon, site_id=workshop_world.grenoble.id) == []
    assert [s.code for s in workshop_modules.my_sites(session, workshop_world.cip_grenoble)] == ["GRE"]


# --- sessions -----------------------------------------------------------------------------------


def _input(workshop_world: WorkshopWorld, **changes) -> dict:
    values = {
        "site_id": workshop_world.lyon.id,
        "module_id": workshop_world.self_esteem.id,
        "session_on": date(2026, 5, 19),
        "start_time": time(9, 30),
        "duration_minutes": 150,
        "planned_places": 8,
        "facilitator_ids": (workshop_world.ts_user.id, workshop_world.chef_user.id),
        "partner_id": workshop_world.lyon_partner.id,
    }
    values.update(changes)
    return values


def test_plan_a_session_with_its_facilitators_and_partner(session: Session, workshop_world: WorkshopWorld) -> None:
    session_id = workshop_sessions.create_session(
        session, workshop_world.ts_lyon, data=_input(workshop_world), today=TODAY
    )
    row = session.get(WorkshopSession, session_id)
    assert (
        row.site_id,
        row.module_id,
        row.session_on,
        row.start_time,
        row.duration_minutes,
        row.planned_places,
        row.partner_id,
    ) == (
        workshop_world.lyon.id,
        workshop_world.self_esteem.id,
        date(2026, 5, 19),
        time(9, 30),
        150,
        8,
        workshop_world.lyon_partner.id,
    )
    facilitators = session.exec(
        select(WorkshopFacilitator.user_id).where(WorkshopFacilitator.session_id == session_id)
    ).all()
    assert sorted(facilitators) == sorted([workshop_world.ts_user.id, workshop_world.chef_user.id])
    assert _actions(session, "workshop.session") == ["workshop.session_create"]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"module_id": "grenoble"}, {"module_id"}),
        ({"facilitator_ids": ("cip",)}, {"facilitator_ids"}),
        ({"facilitator_ids": ()}, {"facilitator_ids"}),
        ({"partner_id": "grenoble"}, {"partner_id"}),
        ({"duration_minutes": 10}, {"duration_minutes"}),
        ({"duration_minutes": None, "planned_places": 0}, {"duration_minutes", "planned_places"}),
        ({"planned_places": 51}, {"planned_places"}),
        ({"session_on": None}, {"session_on"}),
        ({"session_on": TODAY + timedelta(days=400)}, {"session_on"}),
        ({"site_id": "grenoble"}, {"site_id"}),
    ],
)
def test_session_input_is_checked_field_by_field(
    session: Session, workshop_world: WorkshopWorld, changes: dict, fields: set[str]
) -> None:
    symbolic = {
        "grenoble": {
            "module_id": workshop_world.grenoble_module.id,
            "partner_id": workshop_world.grenoble_partner.id,
            "site_id": workshop_world.grenoble.id,
        }
    }
    resolved = {}
    for name, value in changes.items():
        if value == "grenoble":
            value = symbolic["grenoble"][name]
        elif value == ("cip",):
            value = (workshop_world.cip_user.id,)
        resolved[name] = value
    with pytest.raises(ValidationFailed) as refused:
        workshop_sessions.create_session(
            session, workshop_world.ts_lyon, data=_input(workshop_world, **resolved), today=TODAY
        )
    assert set(refused.value.errors) == fields
    assert session.exec(select(WorkshopSession)).all() == []


def test_every_field_of_a_session_gets_its_message_in_one_answer(
    session: Session, workshop_world: WorkshopWorld
) -> None:
    """The form's values as they come (a dict), the model's rules and the site's choices together."""
    data = _input(
        workshop_world,
        module_id=workshop_world.grenoble_module.id,  # a module of another site: a rule of the database
        session_on=None,
        duration_minutes=10,
        planned_places=51,
        facilitator_ids=[],
        partner_id=workshop_world.grenoble_partner.id,
    )
    with pytest.raises(ValidationFailed) as refused:
        workshop_sessions.create_session(session, workshop_world.ts_lyon, data=data, today=TODAY)
    assert refused.value.errors == {
        "module_id": "Choisissez un module proposé sur ce site.",
        "session_on": "La date de la séance est obligatoire.",
        "duration_minutes": "La durée doit être comprise entre 15 minutes et 8 heures.",
        "planned_places": "Le nombre de places doit être compris entre 1 et 50.",
        "facilitator_ids": "Choisissez au moins un·e animateur·rice.",
        "partner_id": "Choisissez un partenaire de ce site (ou aucun).",
    }
    with use_language("en"), pytest.raises(ValidationFailed) as refused:
        workshop_sessions.create_session(session, workshop_world.ts_lyon, data=data, today=TODAY)
    assert refused.value.errors["facilitator_ids"] == "Choose at least one facilitator."


def test_a_session_whose_roll_is_taken_keeps_its_site(session: Session, workshop_world: WorkshopWorld) -> None:
    held = _input(workshop_world, session_on=date(2026, 5, 12))
    session_id = workshop_sessions.create_session(session, workshop_world.ts_lyon, data=held, today=TODAY)
    person = factories.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2026, 1, 5))
    factories.a_workshop_roll(session, session.get(WorkshopSession, session_id), present=(person,))
    with pytest.raises(ValidationFailed) as refused:
        workshop_sessions.update_session(
            session,
            workshop_world.chef_lyon,
            session_id,
            expected_version=1,
            data=held | {"site_id": workshop_world.grenoble.id, "session_on": TODAY + timedelta(days=2)},
            today=TODAY,
        )
    assert refused.value.errors == {
        "site_id": "L'appel de cette séance est fait : elle ne peut plus changer de site.",
        "session_on": "L'appel de cette séance est fait : elle ne peut pas être déplacée dans le futur.",
    }


def test_only_the_workshop_team_plans_sessions(session: Session, workshop_world: WorkshopWorld) -> None:
    for principal in (workshop_world.direction, workshop_world.formateur, workshop_world.admin):
        with pytest.raises(PermissionDenied):
            workshop_sessions.create_session(session, principal, data=_input(workshop_world), today=TODAY)
    grenoble = _input(
        workshop_world,
        site_id=workshop_world.grenoble.id,
        module_id=workshop_world.grenoble_module.id,
        facilitator_ids=(workshop_world.cip_user.id,),
        partner_id=None,
    )
    session_id = workshop_sessions.create_session(session, workshop_world.cip_grenoble, data=grenoble, today=TODAY)
    with pytest.raises(NotFound):
        workshop_sessions.update_session(
            session, workshop_world.ts_lyon, session_id, expected_version=1, data=grenoble, today=TODAY
        )


def test_edit_a_session_then_its_roll_pins_site_and_past(session: Session, workshop_world: WorkshopWorld) -> None:
    held = _input(workshop_world, session_on=date(2026, 5, 12))
    session_id = workshop_sessions.create_session(session, workshop_world.ts_lyon, data=held, today=TODAY)
    workshop_sessions.update_session(
        session,
        workshop_world.ts_lyon,
        session_id,
        expected_version=1,
        data=held | {"facilitator_ids": (workshop_world.ts_user.id,), "planned_places": 10},
        today=TODAY,
    )
    row = session.get(WorkshopSession, session_id)
    session.refresh(row)
    assert (row.planned_places, row.version) == (10, 2)
    with pytest.raises(StaleRecord):
        workshop_sessions.update_session(
            session, workshop_world.ts_lyon, session_id, expected_version=1, data=held, today=TODAY
        )
    person = factories.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2026, 1, 5))
    factories.a_workshop_roll(session, row, present=(person,))
    with pytest.raises(ValidationFailed) as refused:
        workshop_sessions.update_session(
            session,
            workshop_world.ts_lyon,
            session_id,
            expected_version=2,
            data=held | {"session_on": date(2026, 5, 20)},
            today=TODAY,
        )
    assert set(refused.value.errors) == {"session_on"}
    # An inactive module that the session already uses may be kept.
    session.get(WorkshopModule, workshop_world.self_esteem.id).is_active = False
    session.flush()
    workshop_sessions.update_session(
        session,
        workshop_world.ts_lyon,
        session_id,
        expected_version=2,
        data=held | {"duration_minutes": 120},
        today=TODAY,
    )


def test_session_lists_split_upcoming_and_held_with_counts(session: Session, workshop_world: WorkshopWorld) -> None:
    f = factories
    today_session = f.a_workshop_session(
        session, workshop_world.lyon, session_on=TODAY, module=workshop_world.self_esteem
    )
    past = f.a_workshop_session(
        session, workshop_world.lyon, session_on=TODAY - timedelta(days=3), module=workshop_world.money
    )
    soon = f.a_workshop_session(
        session, workshop_world.lyon, session_on=TODAY + timedelta(days=1), module=workshop_world.money
    )
    later = f.a_workshop_session(
        session, workshop_world.lyon, session_on=TODAY + timedelta(days=8), module=workshop_world.money
    )
    grenoble = f.a_workshop_session(
        session, workshop_world.grenoble, session_on=TODAY, module=workshop_world.grenoble_module
    )
    session.add(WorkshopFacilitator(session_id=past.id, user_id=workshop_world.ts_user.id))
    people = [f.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2026, 1, 5)) for _ in range(3)]
    f.a_workshop_roll(session, past, present=tuple(people[:2]), excused=(people[2],))

    held = workshop_sessions.list_sessions(session, workshop_world.ts_lyon, period=Period.HELD, today=TODAY)
    assert [r.id for r in held.rows] == [today_session.id, past.id] and held.total == 2
    assert (held.rows[1].present, held.rows[1].marked, held.rows[1].facilitators) == (
        2,
        3,
        (workshop_world.ts_user.display_name,),
    )
    assert (held.rows[0].present, held.rows[0].marked) == (0, 0)
    upcoming = workshop_sessions.list_sessions(
        session, workshop_world.ts_lyon, period=Period.UPCOMING, today=TODAY, limit=1
    )
    assert [r.id for r in upcoming.rows] == [soon.id] and upcoming.total == 2
    second = workshop_sessions.list_sessions(
        session, workshop_world.ts_lyon, period=Period.UPCOMING, today=TODAY, limit=1, offset=1
    )
    assert [r.id for r in second.rows] == [later.id]
    # Scope: Grenoble sees its own; direction sees all, as counts.
    assert [
        r.id
        for r in workshop_sessions.list_sessions(
            session, workshop_world.cip_grenoble, period=Period.HELD, today=TODAY
        ).rows
    ] == [grenoble.id]
    assert (
        workshop_sessions.list_sessions(session, workshop_world.direction, period=Period.HELD, today=TODAY).total == 3
    )
    with pytest.raises(PermissionDenied):
        workshop_sessions.list_sessions(session, workshop_world.admin, period=Period.HELD, today=TODAY)


# --- cycles -------------------------------------------------------------------------------------


def test_enrol_by_code_then_leave(session: Session, workshop_world: WorkshopWorld) -> None:
    person = factories.a_person_called(session, workshop_world.lyon, "Amina", cipher=CIPHER, intake_on=date(2026, 2, 1))
    enrolment_id = workshop_people.enrol_person(
        session,
        workshop_world.ts_lyon,
        data={"code": person.code.lower(), "cycle_start_on": date(2026, 5, 4)},
        today=TODAY,
    )
    cycles = workshop_people.current_cycles(session, workshop_world.ts_lyon, cipher=CIPHER, today=TODAY)
    assert [(c.code, c.first_name, c.cycle_start_on) for c in cycles] == [(person.code, "Amina", date(2026, 5, 4))]
    with pytest.raises(ValidationFailed) as refused:  # already in an open cycle
        workshop_people.enrol_person(
            session,
            workshop_world.ts_lyon,
            data={"code": person.code, "cycle_start_on": date(2026, 5, 11)},
            today=TODAY,
        )
    assert set(refused.value.errors) == {"code"}
    with pytest.raises(ValidationFailed):
        workshop_people.end_cycle(
            session, workshop_world.ts_lyon, enrolment_id, data={"left_on": date(2026, 5, 1)}, today=TODAY
        )
    with pytest.raises(NotFound):
        workshop_people.end_cycle(
            session, workshop_world.cip_grenoble, enrolment_id, data={"left_on": TODAY}, today=TODAY
        )
    workshop_people.end_cycle(
        session, workshop_world.ts_lyon, enrolment_id, data={"left_on": date(2026, 5, 14)}, today=TODAY
    )
    assert workshop_people.current_cycles(session, workshop_world.ts_lyon, today=TODAY) == []
    workshop_people.enrol_person(
        session, workshop_world.ts_lyon, data={"code": person.code, "cycle_start_on": date(2026, 6, 1)}, today=TODAY
    )
    assert session.exec(
        select(WorkshopEnrolment.cycle_start_on)
        .where(WorkshopEnrolment.person_id == person.id)
        .order_by(WorkshopEnrolment.cycle_start_on)
    ).all() == [date(2026, 5, 4), date(2026, 6, 1)]
    assert _actions(session, "workshop.") == ["workshop.enrol", "workshop.leave", "workshop.enrol"]


def test_enrolment_refuses_other_sites_closed_files_and_bad_dates(
    session: Session, workshop_world: WorkshopWorld
) -> None:
    grenoble = factories.a_person_in_file_active(session, workshop_world.grenoble, intake_on=date(2026, 1, 5))
    closed = factories.a_person_in_file_active(
        session, workshop_world.lyon, intake_on=date(2026, 1, 5), status=PersonStatus.CLOSED
    )
    fresh = factories.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2026, 5, 1))
    cases = [
        (grenoble.code, date(2026, 5, 4), "code"),
        (closed.code, date(2026, 5, 4), "code"),
        (fresh.code, date(2026, 4, 30), "cycle_start_on"),
        (fresh.code, None, "cycle_start_on"),
        (fresh.code, TODAY + timedelta(days=120), "cycle_start_on"),
    ]
    for code, start, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            workshop_people.enrol_person(
                session, workshop_world.ts_lyon, data={"code": code, "cycle_start_on": start}, today=TODAY
            )
        assert field in refused.value.errors, (code, start)
    with pytest.raises(PermissionDenied):
        workshop_people.enrol_person(
            session, workshop_world.direction, data={"code": fresh.code, "cycle_start_on": TODAY}, today=TODAY
        )
    assert session.exec(select(WorkshopEnrolment)).all() == []


def test_enrolment_gives_the_code_and_the_day_their_messages_at_once(
    session: Session, workshop_world: WorkshopWorld
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        workshop_people.enrol_person(
            session, workshop_world.ts_lyon, data={"code": "LYO-1999-0000", "cycle_start_on": None}, today=TODAY
        )
    assert refused.value.errors == {
        "code": "Dossier introuvable.",
        "cycle_start_on": "La date de début du cycle est obligatoire.",
    }
    fresh = factories.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2026, 5, 1))
    with pytest.raises(ValidationFailed) as refused:
        workshop_people.enrol_person(
            session,
            workshop_world.ts_lyon,
            data={"code": fresh.code, "cycle_start_on": TODAY + timedelta(days=91)},
            today=TODAY,
        )
    assert refused.value.errors == {"cycle_start_on": "Un cycle s'inscrit au plus 90 jours à l'avance."}
    assert workshop_people.find_progress(session, workshop_world.ts_lyon, code="LYO-1999-0000") is None
    assert workshop_people.find_progress(session, workshop_world.ts_lyon, code=fresh.code).code == fresh.code


def test_current_cycles_count_presences_of_the_cycle_and_validated_modules(
    session: Session, workshop_world: WorkshopWorld
) -> None:
    f = factories
    person = f.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2025, 9, 1))
    f.a_workshop_cycle(session, person, starts_on=date(2025, 10, 1), left_on=date(2025, 12, 1))
    f.a_workshop_cycle(session, person, starts_on=date(2026, 4, 1))
    before = f.a_workshop_session(
        session, workshop_world.lyon, session_on=date(2025, 11, 3), module=workshop_world.money
    )
    first = f.a_workshop_session(session, workshop_world.lyon, session_on=date(2026, 4, 7), module=workshop_world.money)
    second = f.a_workshop_session(
        session, workshop_world.lyon, session_on=date(2026, 4, 14), module=workshop_world.money
    )
    f.a_workshop_roll(session, before, present=(person,))
    f.a_workshop_roll(session, first, present=(person,))
    f.a_workshop_roll(session, second, absent=(person,))
    f.a_validated_module(session, person, workshop_world.money, completed_on=date(2025, 11, 3))
    [row] = workshop_people.current_cycles(session, workshop_world.chef_lyon, today=TODAY)
    assert (row.sessions_present, row.modules_done, row.first_name) == (1, 1, None)  # no cipher given


# --- completions --------------------------------------------------------------------------------


def test_mark_a_module_done_and_see_it_on_the_file(session: Session, workshop_world: WorkshopWorld) -> None:
    f = factories
    person = f.a_person_called(session, workshop_world.lyon, "Amina", cipher=CIPHER, intake_on=date(2026, 1, 5))
    workshop = f.a_workshop_session(
        session, workshop_world.lyon, session_on=date(2026, 5, 4), module=workshop_world.money
    )
    f.a_workshop_roll(session, workshop, present=(person,))
    workshop_people.mark_completed(
        session,
        workshop_world.ts_lyon,
        person_id=person.id,
        data={"module_id": workshop_world.money.id, "completed_on": date(2026, 5, 4)},
        today=TODAY,
    )
    progress = workshop_people.person_progress(session, workshop_world.ts_lyon, code=person.code, cipher=CIPHER)
    assert progress.first_name == "Amina" and progress.done == 1
    assert [(m.module_name, m.sessions_present, m.completed_on) for m in progress.modules] == [
        ("Estime de soi", 0, None),
        ("Rapport à l'argent", 1, date(2026, 5, 4)),
    ]
    events = timeline.person_timeline(session, workshop_world.ts_lyon, person.id, cipher=CIPHER)
    assert ("workshop", "Module validé : « Rapport à l'argent »") in [(e.kind, e.title) for e in events]
    assert ("workshop", "Atelier « Rapport à l'argent »") in [(e.kind, e.title) for e in events]
    assert _actions(session, "workshop.completion") == ["workshop.completion"]


def test_completion_rules(session: Session, workshop_world: WorkshopWorld) -> None:
    person = factories.a_person_in_file_active(session, workshop_world.lyon, intake_on=date(2026, 1, 5))
    factories.a_validated_module(session, person, workshop_world.money, completed_on=date(2026, 3, 2))
    cases = [
        ({"module_id": workshop_world.money.id}, "module_id"),  # already validated
        ({"module_id": workshop_world.grenoble_module.id}, "module_id"),
        ({"completed_on": TODAY + timedelta(days=1)}, "completed_on"),
        ({"completed_on": date(2025, 12, 31)}, "completed_on"),
    ]
    cases.append(({"module_id": None}, "module_id"))  # nothing chosen
    for changes, field in cases:
        values = {"module_id": workshop_world.self_esteem.id, "completed_on": TODAY} | changes
        with pytest.raises(ValidationFailed) as refused:
            workshop_people.mark_completed(
                session, workshop_world.ts_lyon, person_id=person.id, data=values, today=TODAY
            )
        assert field in refused.value.errors
    with pytest.raises(NotFound):
        workshop_people.mark_completed(
            session,
            workshop_world.cip_grenoble,
            person_id=person.id,
            data={"module_id": workshop_world.self_esteem.id, "completed_on": TODAY},
            today=TODAY,
        )
    with pytest.raises(NotFound):
        workshop_people.person_progress(session, workshop_world.cip_grenoble, code=person.code)
    with pytest.raises(PermissionDenied):
        workshop_people.person_progress(session, workshop_world.direction, code=person.code)
    assert workshop_people.person_progress(session, workshop_world.ts_lyon, code=person.code).done == 1
