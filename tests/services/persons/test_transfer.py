"""Moving a file from Lyon to Marseille: only a chef_service of both sites, with a reason; the file
gets a Marseille code (the Lyon one kept in its history and never given again), its content follows
it, its past activity stays counted at Lyon, and Lyon's workers lose it everywhere."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from models.partners import PartnerKind
from models.pathway import GoalAxis
from services import worklist
from services.activities.workshops import people
from services.persons import files as person_files
from services.persons import legal, pathway, safety, transfer
from services.persons.access import TransferredAway, person_by_code, person_in_scope
from services.persons.files import CaseloadFilter
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from tests import factories
from tests.services.person_world import CIPHER, an_intake
from tests.services.persons.safety_world import TODAY, a_file, two_sites

REASON = "Mise à l'abri : réseau identifié à Lyon"


@pytest.fixture
def world(session):
    return two_sites(session)


def move(session, principal, person, world, **changes):
    data = {"to_site_id": world.marseille.id, "reason": REASON, "referent_id": world.worker_b_user.id} | changes
    return transfer.transfer_file(
        session, principal, person.id, expected_version=person.version, data=data, today=TODAY
    )


def test_a_chef_of_both_sites_moves_the_file_which_gets_the_next_marseille_code(session, world):
    person = a_file(session, world.lyon, 42, referent=world.worker_a_user)
    a_file(session, world.marseille, 7)

    moved = move(session, world.chef_both, person, world)

    assert moved.code == "MRS-2026-0008"
    row = session.execute(
        text("SELECT p.code, s.code, p.referent_id FROM person p JOIN site s ON s.id = p.site_id WHERE p.id = :id"),
        {"id": person.id},
    ).one()
    assert tuple(row) == ("MRS-2026-0008", "MRS", world.worker_b_user.id)
    history = transfer.transfer_history(session, world.worker_b, person.id)
    assert [(h.from_site, h.to_site, h.old_code, h.new_code, h.author, h.reason) for h in history] == [
        ("LYO", "MRS", "LYO-2026-0042", "MRS-2026-0008", "Chloé Deux-Sites", REASON)
    ]
    assert transfer.transfer_history(session, world.direction, person.id)[0].reason is None


def test_the_old_sites_worker_loses_the_file_everywhere_and_the_new_sites_worker_gets_it(session, world):
    person = a_file(session, world.lyon, 42, referent=world.worker_a_user)
    factories.a_psp_requested(session, person, on=date(2026, 4, 1))
    move(session, world.chef_both, person, world)

    with pytest.raises(NotFound, match="Dossier introuvable"):
        person_in_scope(session, world.worker_a, person.id)
    # Its old code tells Lyon's worker the file moved (not where); its new code is any other site's code.
    with pytest.raises(TransferredAway, match="transféré vers un autre site"):
        person_by_code(session, world.worker_a, "LYO-2026-0042")
    with pytest.raises(NotFound, match="Dossier introuvable"):
        person_by_code(session, world.worker_a, "MRS-2026-0001")
    with pytest.raises(NotFound):
        person_files.get_person_file(session, world.worker_a, person.id, cipher=CIPHER)
    for query in ("", "0042", "LYO-2026-0042", "MRS"):
        found = person_files.list_caseload(
            session, world.worker_a, CaseloadFilter(query=query), cipher=CIPHER, today=TODAY
        )
        assert found.total == 0, query
    due = worklist.worklist(session, world.worker_a, today=TODAY).items
    assert [item.code for item in due if item.kind == worklist.ItemKind.PSP_PERIOD] == []
    with pytest.raises(NotFound):
        pathway.list_notes(session, world.worker_a, person.id, cipher=CIPHER)
    with pytest.raises(NotFound):
        legal.list_legal_events(session, world.worker_a, person.id)
    with pytest.raises(NotFound):
        safety.safety_notice(session, world.worker_a, person.id)

    assert person_by_code(session, world.worker_b, "MRS-2026-0001").id == person.id
    header = person_files.get_person_file(session, world.worker_b, person.id, cipher=CIPHER)
    assert (header.code, header.site_code, header.referent_name) == ("MRS-2026-0001", "MRS", "Bruno Marseille")
    found = person_files.list_caseload(session, world.worker_b, CaseloadFilter(), cipher=CIPHER, today=TODAY)
    assert [r.code for r in found.rows] == ["MRS-2026-0001"]


def test_the_files_content_follows_the_person_and_its_activity_stays_with_lyon(session, world):
    person = a_file(session, world.lyon, 42)
    note_id = pathway.add_note(
        session, world.worker_a, person.id, data={"noted_on": date(2026, 5, 1), "body": "RDV CAF"}, cipher=CIPHER
    )
    goal_id = pathway.create_goal(
        session, world.worker_a, person.id, data={"axis": GoalAxis.HOUSING, "goal": "Trouver un hébergement"}
    )
    safety.set_safety(session, world.worker_a, person.id, data={"flagged": True, "instructions": "SMS seulement"})
    partner = factories.a_partner_of_kind(session, world.lyon, PartnerKind.FRANCE_TRAVAIL)
    referral = factories.a_referral_to(session, person, partner, on=date(2026, 4, 20))
    group = factories.a_course_group(session, world.lyon, starts_on=date(2026, 1, 5))
    open_enrolment = factories.a_learner(session, group, person)

    move(session, world.chef_both, person, world)

    site_of = {
        table: session.execute(
            text(f"SELECT s.code FROM {table} t JOIN site s ON s.id = t.site_id WHERE t.id = :id"), {"id": row_id}
        ).scalar_one()
        for table, row_id in (
            ("person_note", note_id),
            ("action_goal", goal_id),
            ("referral", referral.id),
            ("course_enrolment", open_enrolment.id),
        )
    }
    assert site_of == {"person_note": "MRS", "action_goal": "MRS", "referral": "LYO", "course_enrolment": "LYO"}
    assert session.execute(
        text("SELECT left_on FROM course_enrolment WHERE id = :id"), {"id": open_enrolment.id}
    ).scalar_one() in (date(2026, 5, 14), "2026-05-14")  # the day before the move: no longer in the group
    # The Marseille worker reads and edits what followed: the note, the goal, the flag.
    assert [n.body for n in pathway.list_notes(session, world.worker_b, person.id, cipher=CIPHER)] == ["RDV CAF"]
    assert safety.safety_notice(session, world.worker_b, person.id).instructions == "SMS seulement"
    assert safety.flagged_among(session, world.worker_b, [person.id]) == {person.id}


def test_only_a_chef_service_of_both_sites_may_move_a_file(session, world):
    person = a_file(session, world.lyon, 42)
    for refused in (world.worker_a, world.direction, world.formateur, world.gestion):
        with pytest.raises(PermissionDenied):
            move(session, refused, person, world)
    with pytest.raises(ValidationFailed) as not_staff:
        move(session, world.chef_lyon, person, world, referent_id=None)
    assert not_staff.value.errors == {
        "to_site_id": "Vous devez être membre de l'équipe du site de destination pour y transférer un dossier."
    }
    assert transfer.destination_choices(session, world.chef_lyon, person.id) == []
    assert [s.code for s in transfer.destination_choices(session, world.chef_both, person.id)] == ["MRS"]
    assert session.execute(text("SELECT code FROM person WHERE id = :id"), {"id": person.id}).scalar_one() == (
        "LYO-2026-0042"
    )


def test_bad_input_gets_a_message_per_field_and_nothing_moves(session, world):
    person = a_file(session, world.lyon, 42)
    with pytest.raises(ValidationFailed) as bad:
        move(session, world.chef_both, person, world, reason="  ", referent_id=world.worker_a_user.id)
    assert bad.value.errors == {
        "reason": "Indiquez le motif du transfert.",
        "referent_id": "Ce ou cette référent·e ne travaille pas sur le site de destination.",
    }
    with pytest.raises(ValidationFailed) as same:
        move(session, world.chef_both, person, world, to_site_id=world.lyon.id)
    assert same.value.errors == {"to_site_id": "Le dossier est déjà sur ce site."}
    assert session.execute(text("SELECT count(*) FROM person_transfer")).scalar_one() == 0


def test_a_file_changed_meanwhile_is_not_moved_over(session, world):
    person = a_file(session, world.lyon, 42)
    seen = person.version
    session.execute(text("UPDATE person SET version = version + 1 WHERE id = :id"), {"id": person.id})
    with pytest.raises(StaleRecord):
        transfer.transfer_file(
            session,
            world.chef_both,
            person.id,
            expected_version=seen,
            data={"to_site_id": world.marseille.id, "reason": REASON},
            today=TODAY,
        )


def test_the_old_code_is_never_given_again_at_lyon(session, world):
    person = a_file(session, world.lyon, 42)
    move(session, world.chef_both, person, world)

    created = person_files.create_intake(
        session, world.worker_a, data=an_intake(world.lyon, intake_on=date(2026, 5, 11)), cipher=CIPHER, today=TODAY
    )
    assert created.code == "LYO-2026-0043"


def test_the_move_is_audited_without_its_reason(session, world):
    person = a_file(session, world.lyon, 42)
    move(session, world.chef_both, person, world)
    rows = session.execute(
        text("SELECT actor_username, entity_id, site_id, detail FROM audit_event WHERE action = 'person.transfer'")
    ).all()
    assert [tuple(r) for r in rows] == [
        ("chef.both", str(person.id), world.marseille.id, f"from_site={world.lyon.id} to_site={world.marseille.id}")
    ]
    assert "abri" not in session.execute(text("SELECT reason FROM person_transfer")).scalar_one()


def test_lyons_workshop_cycle_no_longer_lists_the_person_from_the_day_of_the_move(session, world):
    person = a_file(session, world.lyon, 42)
    person.alias_encrypted = CIPHER.encrypt("Oriane")
    factories.a_workshop_cycle(session, person, starts_on=date(2026, 4, 6))
    before = people.current_cycles(session, world.worker_a, cipher=CIPHER, today=TODAY)
    assert [(c.code, c.first_name) for c in before] == [("LYO-2026-0042", "Oriane")]

    move(session, world.chef_both, person, world)

    assert people.current_cycles(session, world.worker_a, cipher=CIPHER, today=TODAY) == []
    assert people.current_cycles(session, world.worker_b, cipher=CIPHER, today=TODAY) == []
