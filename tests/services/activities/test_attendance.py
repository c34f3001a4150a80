"""Roll call shared by workshops and French courses: who is expected, saving, uniqueness, late edits, scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.attendance import AttendanceStatus
from models.audit import AuditEvent
from models.courses import CourseAttendance, CourseGroup, CourseSession
from models.organisation import Role, Site
from models.persons import Person
from models.workshops import WorkshopAttendance, WorkshopSession
from services.activities.attendance import RollSaved, SessionKind, roll_call, save_roll_call
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])
P, E, A = AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT
WORKSHOP, COURSE = SessionKind.WORKSHOP, SessionKind.COURSE


@dataclass
class RollWorld:
    lyon: Site
    grenoble: Site
    ts_lyon: Principal
    chef_lyon: Principal
    cip_grenoble: Principal
    direction: Principal
    fle_teacher: Principal  # teaches `group`
    fle_other: Principal  # formateur of Lyon who does not teach `group`
    amina: Person  # Lyon, in the cycle since 1 April
    blessing: Person  # Lyon, in the cycle 1 April → 1 May
    chloe: Person  # Lyon, in the cycle since 10 May
    dora: Person  # Lyon, never in a cycle
    esther: Person  # Grenoble, in the Grenoble cycle
    recent: WorkshopSession  # Lyon, 12 May
    older: WorkshopSession  # Lyon, 20 April (late)
    future: WorkshopSession  # Lyon, 20 May
    grenoble_session: WorkshopSession  # Grenoble, 12 May
    group: CourseGroup  # Lyon FLE group: amina (since 1 April), dora (1 April → 5 May)
    course: CourseSession  # 12 May


@pytest.fixture
def world(session: Session) -> RollWorld:
    f = factories
    lyon, grenoble = f.lyon_and_grenoble(session)
    teacher = f.a_user(session, Role.FORMATEUR, lyon)
    people = {
        name: f.a_person_called(session, lyon, name, cipher=CIPHER, intake_on=date(2026, 3, 1))
        for name in ("Amina", "Blessing", "Chloé", "Dora")
    }
    esther = f.a_person_called(session, grenoble, "Esther", cipher=CIPHER, intake_on=date(2026, 3, 1))
    f.a_workshop_cycle(session, people["Amina"], starts_on=date(2026, 4, 1))
    f.a_workshop_cycle(session, people["Blessing"], starts_on=date(2026, 4, 1), left_on=date(2026, 5, 1))
    f.a_workshop_cycle(session, people["Chloé"], starts_on=date(2026, 5, 10))
    f.a_workshop_cycle(session, esther, starts_on=date(2026, 4, 1))
    module = f.a_workshop_module(session, lyon, name="Estime de soi")
    group = f.a_course_group(session, lyon, teacher=teacher, starts_on=date(2026, 3, 1))
    f.a_learner(session, group, people["Amina"], enrolled_on=date(2026, 4, 1))
    f.a_learner(session, group, people["Dora"], enrolled_on=date(2026, 4, 1), left_on=date(2026, 5, 5))
    p = f.principal
    return RollWorld(
        lyon=lyon,
        grenoble=grenoble,
        ts_lyon=p(session, f.a_user(session, Role.INTERVENANT, lyon)),
        chef_lyon=p(session, f.a_user(session, Role.CHEF_SERVICE, lyon)),
        cip_grenoble=p(session, f.a_user(session, Role.INTERVENANT, grenoble)),
        direction=p(session, f.a_user(session, Role.DIRECTION)),
        fle_teacher=p(session, teacher),
        fle_other=p(session, f.a_user(session, Role.FORMATEUR, lyon)),
        amina=people["Amina"],
        blessing=people["Blessing"],
        chloe=people["Chloé"],
        dora=people["Dora"],
        esther=esther,
        recent=f.a_workshop_session(session, lyon, session_on=date(2026, 5, 12), module=module),
        older=f.a_workshop_session(session, lyon, session_on=date(2026, 4, 20), module=module),
        future=f.a_workshop_session(session, lyon, session_on=date(2026, 5, 20), module=module),
        grenoble_session=f.a_workshop_session(session, grenoble, session_on=date(2026, 5, 12)),
        group=group,
        course=f.a_course_session(session, group, session_on=date(2026, 5, 12)),
    )


def _roll(session: Session, principal: Principal, kind: SessionKind, session_id: int):
    return roll_call(session, principal, kind=kind, session_id=session_id, cipher=CIPHER, today=TODAY)


def _save(session: Session, principal: Principal, kind: SessionKind, session_id: int, statuses: dict) -> RollSaved:
    return save_roll_call(session, principal, kind=kind, session_id=session_id, statuses=statuses, today=TODAY)


def _marks(session: Session, model: type, session_id: int) -> dict[int, AttendanceStatus]:
    rows = session.exec(select(model.person_id, model.status).where(model.session_id == session_id)).all()
    return {person_id: AttendanceStatus(status) for person_id, status in rows}


def _attendance_audit(session: Session) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.action.startswith("attendance.")).order_by(AuditEvent.id)
        ).all()
    )


# --- who is expected ---------------------------------------------------------------------------


def test_workshop_roll_lists_persons_in_a_cycle_on_the_session_day(session: Session, world: RollWorld) -> None:
    roll = _roll(session, world.ts_lyon, WORKSHOP, world.recent.id)
    # Blessing left on 1 May, Dora never enrolled, Esther is in Grenoble's cycle.
    assert [e.person_id for e in roll.entries] == sorted(
        [world.amina.id, world.chloe.id], key=lambda pid: session.get(Person, pid).code
    )
    assert {e.first_name for e in roll.entries} == {"Amina", "Chloé"}
    assert all(e.status is None for e in roll.entries)
    assert roll.names_visible and roll.title == "Estime de soi" and roll.site_id == world.lyon.id
    assert not roll.is_late and not roll.is_future

    older = _roll(session, world.ts_lyon, WORKSHOP, world.older.id)
    assert {e.person_id for e in older.entries} == {world.amina.id, world.blessing.id}  # Chloé not yet
    assert older.is_late


def test_anyone_already_marked_is_listed_with_their_status(session: Session, world: RollWorld) -> None:
    factories.a_workshop_roll(session, world.recent, present=(world.amina,), absent=(world.dora,))
    roll = _roll(session, world.chef_lyon, WORKSHOP, world.recent.id)
    assert {e.person_id: e.status for e in roll.entries} == {world.amina.id: P, world.chloe.id: None, world.dora.id: A}


class CountingCipher:
    """The test cipher, counting the identities it decrypts."""

    def __init__(self) -> None:
        self.decrypted = 0

    def decrypt(self, token: str) -> str:
        self.decrypted += 1
        return CIPHER.decrypt(token)


def test_a_long_roll_is_read_a_page_at_a_time_with_the_counts_of_the_whole_roll(
    session: Session, world: RollWorld
) -> None:
    factories.a_workshop_roll(session, world.recent, present=(world.amina,), absent=(world.dora,))
    assert world.amina.code < world.chloe.code < world.dora.code  # created in this order

    def page(number: int) -> tuple:
        cipher = CountingCipher()
        roll = roll_call(
            session,
            world.ts_lyon,
            kind=WORKSHOP,
            session_id=world.recent.id,
            cipher=cipher,
            today=TODAY,
            page=number,
            page_size=2,
        )
        return (
            [(e.first_name, e.status) for e in roll.entries],
            (roll.listed, roll.marked, roll.present),
            (roll.page, roll.page_count, roll.offset),
            cipher.decrypted,  # the page's first names only
        )

    assert page(1) == ([("Amina", P), ("Chloé", None)], (3, 2, 1), (1, 2, 0), 2)
    assert page(2) == ([("Dora", A)], (3, 2, 1), (2, 2, 2), 1)
    assert page(7) == page(2)  # past the end: the last page
    whole = _roll(session, world.ts_lyon, WORKSHOP, world.recent.id)  # not paged: everyone
    assert [e.first_name for e in whole.entries] == ["Amina", "Chloé", "Dora"]
    assert (whole.listed, whole.page, whole.page_count) == (3, 1, 1)


def test_course_roll_lists_learners_of_the_group_on_the_session_day(session: Session, world: RollWorld) -> None:
    roll = _roll(session, world.fle_teacher, COURSE, world.course.id)
    assert [(e.person_id, e.first_name) for e in roll.entries] == [(world.amina.id, "Amina")]  # Dora left 5 May
    assert roll.kind == COURSE and roll.title == world.group.name and roll.duration_minutes == 150
    earlier = factories.a_course_session(session, world.group, session_on=date(2026, 5, 4))
    assert {e.person_id for e in _roll(session, world.fle_teacher, COURSE, earlier.id).entries} == {
        world.amina.id,
        world.dora.id,
    }


def test_late_means_more_than_the_allowed_days_ago(session: Session, world: RollWorld) -> None:
    # A week is allowed (7 days, written here rather than read from services.activities.attendance).
    on_the_edge = factories.a_workshop_session(session, world.lyon, session_on=TODAY - timedelta(days=7))
    one_more = factories.a_workshop_session(session, world.lyon, session_on=TODAY - timedelta(days=8))
    assert not _roll(session, world.ts_lyon, WORKSHOP, on_the_edge.id).is_late
    assert _roll(session, world.ts_lyon, WORKSHOP, one_more.id).is_late
    assert _roll(session, world.ts_lyon, WORKSHOP, world.future.id).is_future


# --- saving ------------------------------------------------------------------------------------


def test_save_counts_created_updated_unchanged(session: Session, world: RollWorld) -> None:
    first = _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.amina.id: P, world.chloe.id: E})
    assert first == RollSaved(created=2, updated=0, unchanged=0)
    assert _marks(session, WorkshopAttendance, world.recent.id) == {world.amina.id: P, world.chloe.id: E}

    second = _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.amina.id: P, world.chloe.id: A})
    assert second == RollSaved(created=0, updated=1, unchanged=1)
    row = session.exec(select(WorkshopAttendance).where(WorkshopAttendance.person_id == world.chloe.id)).one()
    assert row.status == A and row.version == 2

    assert _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.amina.id: P}) == RollSaved(0, 0, 1)
    # Two saves that changed something, two audit rows; the save that changed nothing wrote none.
    assert [e.action for e in _attendance_audit(session)] == ["attendance.roll_saved"] * 2
    assert _marks(session, WorkshopAttendance, world.recent.id) == {world.amina.id: P, world.chloe.id: A}


def test_course_roll_is_saved_in_its_own_table(session: Session, world: RollWorld) -> None:
    saved = _save(session, world.fle_teacher, COURSE, world.course.id, {world.amina.id: P})
    assert saved == RollSaved(1, 0, 0)
    assert _marks(session, CourseAttendance, world.course.id) == {world.amina.id: P}
    assert _marks(session, WorkshopAttendance, world.recent.id) == {}
    event = _attendance_audit(session)[-1]
    assert (event.action, event.entity_type, event.entity_id, event.site_id) == (
        "attendance.roll_saved",
        "course_session",
        str(world.course.id),
        world.lyon.id,
    )


def test_one_person_not_expected_means_nothing_is_written(session: Session, world: RollWorld) -> None:
    for intruder in (world.dora, world.blessing, world.esther):  # never enrolled, left before, other site
        with pytest.raises(ValidationFailed) as refused:
            _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.amina.id: P, intruder.id: P})
        assert refused.value.errors == {
            "statuses": "Une des personnes cochées n'est pas attendue à cette séance (pas inscrite à cette date) : "
            "rien n'a été enregistré."
        }
    with pytest.raises(ValidationFailed) as refused:
        _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.amina.id: P, world.chloe.id: "late"})
    assert refused.value.errors == {
        "statuses": "Choisissez Présent·e, Absent·e excusé·e ou Absent·e pour chaque personne."
    }
    with pytest.raises(ValidationFailed):
        _save(session, world.fle_teacher, COURSE, world.course.id, {world.amina.id: P, world.dora.id: A})
    assert _marks(session, WorkshopAttendance, world.recent.id) == {}
    assert _marks(session, CourseAttendance, world.course.id) == {}
    assert _attendance_audit(session) == []


def test_future_session_is_refused(session: Session, world: RollWorld) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _save(session, world.ts_lyon, WORKSHOP, world.future.id, {world.amina.id: P})
    assert "session" in refused.value.errors
    assert _marks(session, WorkshopAttendance, world.future.id) == {}


def test_already_marked_person_may_be_corrected_after_leaving(session: Session, world: RollWorld) -> None:
    factories.a_workshop_roll(session, world.recent, present=(world.dora,))
    assert _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.dora.id: E}) == RollSaved(0, 1, 0)


def test_edit_after_the_allowed_days_is_audited_as_late(session: Session, world: RollWorld) -> None:
    _save(session, world.ts_lyon, WORKSHOP, world.older.id, {world.amina.id: P, world.blessing.id: A})
    _save(session, world.chef_lyon, WORKSHOP, world.recent.id, {world.amina.id: P})
    events = _attendance_audit(session)
    assert [(e.action, e.actor_username, e.entity_type, e.entity_id, e.site_id) for e in events] == [
        ("attendance.late_edit", world.ts_lyon.username, "workshop_session", str(world.older.id), world.lyon.id),
        ("attendance.roll_saved", world.chef_lyon.username, "workshop_session", str(world.recent.id), world.lyon.id),
    ]


def test_presence_moves_the_last_contact_forward_never_back(session: Session, world: RollWorld) -> None:
    world.chloe.last_contact_on = date(2026, 5, 14)
    session.flush()
    _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.amina.id: P, world.chloe.id: P})
    contacts = dict(
        session.exec(
            select(Person.id, Person.last_contact_on).where(Person.id.in_([world.amina.id, world.chloe.id]))
        ).all()
    )
    assert contacts == {world.amina.id: date(2026, 5, 12), world.chloe.id: date(2026, 5, 14)}


# --- uniqueness --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [WorkshopAttendance, CourseAttendance])
def test_database_refuses_a_second_row_for_the_same_person_and_session(
    session: Session, world: RollWorld, model: type
) -> None:
    session_id = world.recent.id if model is WorkshopAttendance else world.course.id
    session.add(model(session_id=session_id, person_id=world.amina.id, site_id=world.lyon.id, status=P))
    session.flush()
    table = model.__table__
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            sa.insert(table).values(
                session_id=session_id,
                person_id=world.amina.id,
                site_id=world.lyon.id,
                status="absent",
                version=1,
                created_at=sa.func.now(),
                updated_at=sa.func.now(),
            )
        )
    assert _marks(session, model, session_id) == {world.amina.id: P}


def test_a_roll_saved_meanwhile_by_someone_else_is_refused_cleanly(session: Session, world: RollWorld) -> None:
    """Another user's row lands between our read and our write: the unique constraint refuses ours,
    the service rolls back and says so (StaleRecord), and nothing of ours is written."""

    @sa.event.listens_for(session, "before_flush", once=True)
    def someone_else_saves(db_session, _context, _instances) -> None:
        db_session.connection().execute(
            sa.insert(WorkshopAttendance.__table__).values(
                session_id=world.recent.id,
                person_id=world.amina.id,
                site_id=world.lyon.id,
                status="absent",
                version=1,
                created_at=sa.func.now(),
                updated_at=sa.func.now(),
            )
        )

    with pytest.raises(StaleRecord):
        _save(session, world.ts_lyon, WORKSHOP, world.recent.id, {world.amina.id: P, world.chloe.id: P})
    assert _marks(session, WorkshopAttendance, world.recent.id) == {}
    assert _attendance_audit(session) == []


# --- scope -------------------------------------------------------------------------------------


def test_grenoble_worker_can_neither_read_nor_save_a_lyon_roll(session: Session, world: RollWorld) -> None:
    with pytest.raises(NotFound):
        _roll(session, world.cip_grenoble, WORKSHOP, world.recent.id)
    with pytest.raises(NotFound):
        _save(session, world.cip_grenoble, WORKSHOP, world.recent.id, {world.amina.id: P})
    assert _marks(session, WorkshopAttendance, world.recent.id) == {}
    # No social worker takes a French-course roll, not even on its own site (TEACH_COURSES).
    for worker in (world.cip_grenoble, world.ts_lyon):
        with pytest.raises(PermissionDenied):
            _roll(session, worker, COURSE, world.course.id)
        with pytest.raises(PermissionDenied):
            _save(session, worker, COURSE, world.course.id, {world.amina.id: P})
    # …while its own site's roll is open to it, with its own people only.
    assert [e.person_id for e in _roll(session, world.cip_grenoble, WORKSHOP, world.grenoble_session.id).entries] == [
        world.esther.id
    ]
    with pytest.raises(NotFound):
        _roll(session, world.ts_lyon, WORKSHOP, world.grenoble_session.id)


def test_formateur_takes_the_roll_of_its_own_groups_only(session: Session, world: RollWorld) -> None:
    with pytest.raises(NotFound):
        _roll(session, world.fle_other, COURSE, world.course.id)
    with pytest.raises(NotFound):
        _save(session, world.fle_other, COURSE, world.course.id, {world.amina.id: P})
    with pytest.raises(PermissionDenied):  # no person files: no workshop roll at all
        _roll(session, world.fle_teacher, WORKSHOP, world.recent.id)
    # chef_service sees every group of its site, first names included.
    assert [e.first_name for e in _roll(session, world.chef_lyon, COURSE, world.course.id).entries] == ["Amina"]


def test_direction_reads_no_roll_and_saves_none(session: Session, world: RollWorld) -> None:
    for kind, session_id in ((WORKSHOP, world.recent.id), (COURSE, world.course.id)):
        with pytest.raises(PermissionDenied):
            _roll(session, world.direction, kind, session_id)
        with pytest.raises(PermissionDenied):
            _save(session, world.direction, kind, session_id, {world.amina.id: P})
    assert _marks(session, WorkshopAttendance, world.recent.id) == {}
    assert _marks(session, CourseAttendance, world.course.id) == {}


def test_unknown_session_is_not_found(session: Session, world: RollWorld) -> None:
    with pytest.raises(NotFound):
        _roll(session, world.ts_lyon, WORKSHOP, 999_999)
    with pytest.raises(NotFound):
        _roll(session, world.chef_lyon, COURSE, 999_999)
