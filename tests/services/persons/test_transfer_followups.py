"""After a move from Lyon to Marseille: the old code leads Marseille's team to the file and tells Lyon's it
was transferred (never where); Lyon's past rolls and lists keep the attendance as « Dossier transféré »
without code or name. And the danger marker on every list of persons shown to the file's team, and to no
other role."""

from __future__ import annotations

from datetime import date

import pytest

from models.attendance import AttendanceStatus
from models.organisation import Role
from services import worklist
from services.activities import attendance
from services.activities.attendance import SessionKind
from services.activities.courses import groups as course_groups
from services.activities.courses import progress
from services.activities.workshops import people
from services.persons import files as person_files
from services.persons import retention, safety, transfer
from services.persons.access import TransferredAway, person_by_code
from services.persons.files import CaseloadFilter
from services.platform.errors import NotFound, ValidationFailed
from tests import factories
from tests.services.person_world import CIPHER
from tests.services.persons.safety_world import TODAY, a_file, two_sites

TRANSFERRED_MESSAGE = (
    "Ce dossier a été transféré vers un autre site : votre équipe n'y a plus accès. "
    "Pour toute question, adressez-vous à votre chef·fe de service."
)


@pytest.fixture
def world(session):
    return two_sites(session)


def named(session, site, number, alias):
    person = a_file(session, site, number)
    person.alias_encrypted = CIPHER.encrypt(alias)
    session.add(person)
    session.flush()
    return person


def move(session, world, person):
    data = {"to_site_id": world.marseille.id, "reason": "Mise à l'abri", "referent_id": world.worker_b_user.id}
    return transfer.transfer_file(
        session, world.chef_both, person.id, expected_version=person.version, data=data, today=TODAY
    )


# --- the old code -------------------------------------------------------------------------------------


def test_the_old_code_opens_the_moved_file_for_the_new_site_and_says_transferred_to_the_old_one(session, world):
    person = a_file(session, world.lyon, 42)
    move(session, world, person)
    elsewhere = factories.a_site(session, "GRE", "Grenoble")
    grenoble_worker = factories.principal(session, factories.a_user(session, Role.INTERVENANT, elsewhere))

    for principal in (world.worker_b, world.direction):
        found = person_by_code(session, principal, "lyo-2026-0042 ")
        assert (found.id, found.code) == (person.id, "MRS-2026-0001")
    with pytest.raises(TransferredAway) as refused:
        person_by_code(session, world.worker_a, "LYO-2026-0042")
    assert str(refused.value) == TRANSFERRED_MESSAGE  # never the destination
    with pytest.raises(NotFound) as unknown:
        person_by_code(session, grenoble_worker, "LYO-2026-0042")
    assert not isinstance(unknown.value, TransferredAway)
    assert str(unknown.value) == "Dossier introuvable."


def test_the_search_box_finds_the_moved_file_by_its_old_code_for_the_new_site_only(session, world):
    person = a_file(session, world.lyon, 42)
    a_file(session, world.lyon, 43)
    move(session, world, person)

    found = person_files.list_caseload(
        session, world.worker_b, CaseloadFilter(query="LYO-2026-0042"), cipher=CIPHER, today=TODAY
    )
    assert [row.code for row in found.rows] == ["MRS-2026-0001"]
    assert found.transferred_away is False
    lyon = person_files.list_caseload(
        session, world.worker_a, CaseloadFilter(query="LYO-2026-0042"), cipher=CIPHER, today=TODAY
    )
    assert (lyon.total, lyon.transferred_away) == (0, True)
    other = person_files.list_caseload(
        session, world.worker_a, CaseloadFilter(query="LYO-2026-0099"), cipher=CIPHER, today=TODAY
    )
    assert (other.total, other.transferred_away) == (0, False)


# --- the old site's rolls and lists -----------------------------------------------------------------


def workshop_world(session, world):
    """A Lyon workshop session on 20 April: Oriane (moved later) present, Bea absent."""
    oriane = named(session, world.lyon, 42, "Oriane")
    bea = named(session, world.lyon, 43, "Bea")
    for person in (oriane, bea):
        factories.a_workshop_cycle(session, person, starts_on=date(2026, 4, 6))
    workshop = factories.a_workshop_session(session, world.lyon, session_on=date(2026, 4, 20))
    factories.a_workshop_roll(session, workshop, present=(oriane,), absent=(bea,))
    return oriane, bea, workshop


def roll_lines(roll):
    return [(e.code, e.first_name, e.status, e.transferred) for e in roll.entries]


def test_lyons_past_workshop_roll_keeps_the_moved_persons_mark_without_code_or_name(session, world):
    oriane, bea, workshop = workshop_world(session, world)
    before = attendance.roll_call(
        session, world.worker_a, kind=SessionKind.WORKSHOP, session_id=workshop.id, cipher=CIPHER, today=TODAY
    )
    assert roll_lines(before) == [
        ("LYO-2026-0042", "Oriane", AttendanceStatus.PRESENT, False),
        ("LYO-2026-0043", "Bea", AttendanceStatus.ABSENT, False),
    ]

    move(session, world, oriane)

    after = attendance.roll_call(
        session, world.worker_a, kind=SessionKind.WORKSHOP, session_id=workshop.id, cipher=CIPHER, today=TODAY
    )
    assert roll_lines(after) == [
        ("", None, AttendanceStatus.PRESENT, True),
        ("LYO-2026-0043", "Bea", AttendanceStatus.ABSENT, False),
    ]
    # Lyon can no longer change the moved person's mark; the others' still.
    with pytest.raises(ValidationFailed):
        attendance.save_roll_call(
            session,
            world.worker_a,
            kind=SessionKind.WORKSHOP,
            session_id=workshop.id,
            statuses={oriane.id: AttendanceStatus.ABSENT},
            today=TODAY,
        )
    attendance.save_roll_call(
        session,
        world.worker_a,
        kind=SessionKind.WORKSHOP,
        session_id=workshop.id,
        statuses={bea.id: AttendanceStatus.EXCUSED},
        today=TODAY,
    )
    again = attendance.roll_call(
        session, world.worker_a, kind=SessionKind.WORKSHOP, session_id=workshop.id, cipher=CIPHER, today=TODAY
    )
    assert [e.status for e in again.entries] == [AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED]


def course_world(session, world):
    """A Lyon French group taught by a Lyon formateur: Oriane (moved later) and Bea, a class on 20 April
    where both were present."""
    teacher = factories.a_user(session, Role.FORMATEUR, world.lyon, username="prof.lyon")
    group = factories.a_course_group(session, world.lyon, teacher=teacher, starts_on=date(2026, 3, 9))
    oriane = named(session, world.lyon, 42, "Oriane")
    bea = named(session, world.lyon, 43, "Bea")
    for person in (oriane, bea):
        factories.a_learner(session, group, person)
    course = factories.a_course_session(session, group, session_on=date(2026, 4, 20), present=(oriane, bea))
    return factories.principal(session, teacher), group, course, oriane, bea


def test_lyons_course_roll_and_learner_list_hide_the_moved_learner(session, world):
    teacher, group, course, oriane, _bea = course_world(session, world)
    move(session, world, oriane)

    roll = attendance.roll_call(
        session, teacher, kind=SessionKind.COURSE, session_id=course.id, cipher=CIPHER, today=TODAY
    )
    assert roll_lines(roll) == [
        ("", None, AttendanceStatus.PRESENT, True),
        ("LYO-2026-0043", "Bea", AttendanceStatus.PRESENT, False),
    ]
    learners = course_groups.list_learners(session, teacher, group.id, cipher=CIPHER)
    assert [(row.code, row.first_name, row.left_on, row.transferred) for row in learners] == [
        ("", None, date(2026, 5, 14), True),
        ("LYO-2026-0043", "Bea", None, False),
    ]
    choices = progress.learner_choices(session, teacher, group_id=group.id, cipher=CIPHER)
    assert [(c.code, c.first_name) for c in choices] == [("LYO-2026-0043", "Bea")]
    shown = {e.code for e in roll.entries} | {row.code for row in learners} | {c.code for c in choices}
    assert not shown & {"LYO-2026-0042", "MRS-2026-0001"}


# --- the danger marker ---------------------------------------------------------------------------------


def test_the_danger_marker_is_on_the_teams_lists_and_on_no_other_roles(session, world):
    oriane, bea, workshop = workshop_world(session, world)
    teacher, group, course, *_ = course_world_for(session, world, oriane, bea)
    safety.set_safety(session, world.worker_a, oriane.id, data={"flagged": True, "instructions": "SMS seulement"})

    roll = attendance.roll_call(
        session, world.worker_a, kind=SessionKind.WORKSHOP, session_id=workshop.id, cipher=CIPHER, today=TODAY
    )
    assert [(e.code, e.safety_flag) for e in roll.entries] == [("LYO-2026-0042", True), ("LYO-2026-0043", False)]
    cycles = people.current_cycles(session, world.worker_a, cipher=CIPHER, today=TODAY)
    assert [(c.code, c.safety_flag) for c in cycles] == [("LYO-2026-0042", True), ("LYO-2026-0043", False)]
    for principal, expected in ((world.chef_lyon, True), (world.direction, False), (teacher, False)):
        learners = course_groups.list_learners(session, principal, group.id, cipher=CIPHER)
        assert [(row.code, row.safety_flag) for row in learners] == [
            ("LYO-2026-0042", expected),
            ("LYO-2026-0043", False),
        ], principal.role
        course_roll = (
            attendance.roll_call(
                session, principal, kind=SessionKind.COURSE, session_id=course.id, cipher=CIPHER, today=TODAY
            )
            if principal is not world.direction
            else None
        )
        if course_roll is not None:
            assert [e.safety_flag for e in course_roll.entries] == [expected, False], principal.role
        choices = progress.learner_choices(session, principal, group_id=group.id, cipher=CIPHER)
        assert [c.safety_flag for c in choices] == [expected, False], principal.role
    # « À faire »: both files have had no contact since 2 March (45 days is the default).
    page = worklist.worklist_page(session, world.worker_a, kinds=[worklist.ItemKind.NO_CONTACT], today=TODAY)
    assert [(item.code, item.safety_flag) for item in page.items] == [
        ("LYO-2026-0042", True),
        ("LYO-2026-0043", False),
    ]

    # Moved to Marseille: Lyon's lists no longer show it, its marker neither.
    move(session, world, oriane)
    roll = attendance.roll_call(
        session, world.worker_a, kind=SessionKind.WORKSHOP, session_id=workshop.id, cipher=CIPHER, today=TODAY
    )
    assert [(e.code, e.transferred, e.safety_flag) for e in roll.entries] == [
        ("", True, False),
        ("LYO-2026-0043", False, False),
    ]


def course_world_for(session, world, *learners):
    teacher = factories.a_user(session, Role.FORMATEUR, world.lyon, username="prof.lyon")
    group = factories.a_course_group(session, world.lyon, teacher=teacher, starts_on=date(2026, 3, 9))
    for person in learners:
        factories.a_learner(session, group, person)
    course = factories.a_course_session(session, group, session_on=date(2026, 4, 20), present=learners)
    return factories.principal(session, teacher), group, course


def test_the_retention_list_marks_the_flagged_file_for_the_head_of_service_not_for_admin(session, world):
    old = a_file(session, world.lyon, 50, year=2023)  # no contact since 2 March 2023
    other = a_file(session, world.lyon, 51, year=2023)
    safety.set_safety(session, world.worker_a, old.id, data={"flagged": True, "instructions": "SMS seulement"})
    admin = factories.principal(session, factories.a_user(session, Role.ADMIN, username="admin.t"))

    due = retention.files_due_for_retention(session, world.chef_lyon, today=TODAY)
    assert [(row.code, row.safety_flag) for row in due] == [("LYO-2023-0050", True), ("LYO-2023-0051", False)]
    due = retention.files_due_for_retention(session, admin, today=TODAY)
    assert [(row.code, row.safety_flag) for row in due] == [("LYO-2023-0050", False), ("LYO-2023-0051", False)]
    assert other.id != old.id
