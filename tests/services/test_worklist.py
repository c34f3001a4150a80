"""« À faire »: each rule at its boundary, the scope of each role, the order, and an item cleared by the work.

Hand-built worlds on a fixed day (TODAY): every expected code and date is written here, never read back
from the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from cachetools import LRUCache
from sqlmodel import Session

from models.attendance import AttendanceStatus
from models.organisation import Role, Site, User
from models.partners import PartnerKind, ReferralResult
from models.pathway import PrefectDecision, PspPeriod
from models.persons import Person, PersonStatus
from models.workshops import WorkshopFacilitator
from services import home, worklist
from services.persons import files, legal, partners, pathway
from services.platform import organisation
from services.platform.crypto import FieldCipher
from services.platform.errors import ValidationFailed
from services.platform.pages import PageKey
from services.platform.principal import Principal
from services.worklist import ItemKind
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@dataclass
class World:
    lyon: Site
    grenoble: Site
    ts_user: User
    ts_lyon: Principal
    chef_lyon: Principal
    ts_grenoble: Principal
    fle_user: User
    fle_lyon: Principal
    fle_other: Principal
    direction: Principal
    gestion: Principal
    admin: Principal


@pytest.fixture
def world(session: Session) -> World:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    ts_user = factories.a_user(session, Role.INTERVENANT, lyon)
    fle_user = factories.a_user(session, Role.FORMATEUR, lyon)

    def p(role: Role, *sites: Site) -> Principal:
        return factories.principal(session, factories.a_user(session, role, *sites))

    return World(
        lyon,
        grenoble,
        ts_user,
        factories.principal(session, ts_user),
        p(Role.CHEF_SERVICE, lyon),
        p(Role.INTERVENANT, grenoble),
        fle_user,
        factories.principal(session, fle_user),
        p(Role.FORMATEUR, lyon),
        p(Role.DIRECTION),
        p(Role.GESTION),
        p(Role.ADMIN),
    )


def a_file(session: Session, site: Site, *, last_contact_on: date = TODAY, **values) -> Person:
    """An open file seen today (so that « sans contact » stays out of the way unless asked for)."""
    person = factories.a_person_in_file_active(
        session, site, intake_on=date(2025, 1, 6), last_contact_on=last_contact_on
    )
    for name, value in values.items():
        setattr(person, name, value)
    session.flush()
    return person


def listed(session: Session, principal: Principal, kind: ItemKind, today: date = TODAY) -> list[tuple]:
    """(code or subject, due day, overdue) of the items of one kind."""
    return [
        (item.code or item.subject, item.due_on, item.overdue)
        for item in worklist.worklist(session, principal, today=today).items
        if item.kind == kind
    ]


def a_psp_period_ending(session: Session, person: Person, end_on: date) -> None:
    episode = factories.a_psp_requested(
        session, person, on=date(2025, 6, 2), decision=PrefectDecision.GRANTED, decided_on=date(2025, 9, 1)
    )
    session.add(
        PspPeriod(episode_id=episode.id, site_id=person.site_id, start_on=end_on - timedelta(days=183), end_on=end_on)
    )
    session.flush()


# --- PSP period, permit, APS, AFIS ------------------------------------------------------------------------


def test_psp_period_listed_from_30_days_before_its_end(session, world):
    in_30 = a_file(session, world.lyon)
    in_31 = a_file(session, world.lyon)
    a_psp_period_ending(session, in_30, date(2026, 6, 14))
    a_psp_period_ending(session, in_31, date(2026, 6, 15))

    assert listed(session, world.ts_lyon, ItemKind.PSP_PERIOD) == [(in_30.code, date(2026, 6, 14), False)]
    [item] = [i for i in worklist.worklist(session, world.ts_lyon, today=TODAY).items if i.code == in_30.code]
    assert item.link.page == PageKey.PERSON_FILE
    assert item.link.query_params == {"code": in_30.code, "tab": "psp"}


def test_permit_listed_from_60_days_before_its_end_and_while_expired(session, world):
    in_60 = a_file(session, world.lyon, permit_ends_on=date(2026, 7, 14))
    a_file(session, world.lyon, permit_ends_on=date(2026, 7, 15))  # 61 days: not yet
    expired = a_file(session, world.lyon, permit_ends_on=date(2026, 5, 14))
    a_file(session, world.lyon, permit_ends_on=date(2026, 5, 1), status=PersonStatus.CLOSED)

    assert listed(session, world.ts_lyon, ItemKind.RESIDENCE_PERMIT) == [
        (expired.code, date(2026, 5, 14), True),
        (in_60.code, date(2026, 7, 14), False),
    ]
    item = worklist.worklist(session, world.ts_lyon, today=TODAY).items[0]
    assert item.link.query_params == {"code": expired.code, "tab": "situation"}


def a_victim_permit(session: Session, world: World, person: Person, *, granted_until: date, on: date) -> None:
    legal.add_legal_event(
        session,
        world.ts_lyon,
        person.id,
        data={
            "kind": "residence_permit",
            "event_on": on,
            "decision": "granted",
            "decided_on": on,
            "valid_until": granted_until,
        },
        today=TODAY,
    )


def test_victim_permit_listed_from_60_days_before_its_end_until_its_renewal(session, world):
    in_60 = a_file(session, world.lyon)
    a_victim_permit(session, world, in_60, granted_until=date(2026, 7, 14), on=date(2025, 7, 14))
    later = a_file(session, world.lyon)
    a_victim_permit(session, world, later, granted_until=date(2026, 7, 15), on=date(2025, 7, 15))  # 61 days
    refused = a_file(session, world.lyon)
    legal.add_legal_event(
        session,
        world.ts_lyon,
        refused.id,
        data={"kind": "residence_permit", "event_on": date(2026, 1, 5), "decision": "refused"},
        today=TODAY,
    )
    a_file(session, world.grenoble)  # another site's permit is never listed
    session.flush()
    assert listed(session, world.ts_grenoble, ItemKind.VICTIM_PERMIT) == []

    assert listed(session, world.ts_lyon, ItemKind.VICTIM_PERMIT) == [(in_60.code, date(2026, 7, 14), False)]
    item = next(i for i in worklist.worklist(session, world.ts_lyon, today=TODAY).items if i.code == in_60.code)
    assert item.link.query_params == {"code": in_60.code, "tab": "juridique"}

    # The renewal recorded in the legal follow-up clears the item.
    a_victim_permit(session, world, in_60, granted_until=date(2027, 7, 14), on=date(2026, 5, 10))
    assert listed(session, world.ts_lyon, ItemKind.VICTIM_PERMIT) == []


def test_aps_and_afis_listed_within_60_days_of_an_episode_not_ended(session, world):
    person = a_file(session, world.lyon)
    episode = factories.a_psp_requested(session, person, on=date(2025, 6, 2))
    episode.aps_end_on, episode.afis_end_on = date(2026, 7, 14), date(2026, 7, 15)
    ended = factories.a_psp_requested(
        session, a_file(session, world.lyon), on=date(2024, 6, 3), ended_on=date(2026, 1, 5)
    )
    ended.aps_end_on = date(2026, 6, 1)
    session.flush()

    assert listed(session, world.ts_lyon, ItemKind.APS) == [(person.code, date(2026, 7, 14), False)]
    assert listed(session, world.ts_lyon, ItemKind.AFIS) == []
    assert listed(session, world.ts_lyon, ItemKind.AFIS, today=date(2026, 5, 16)) == [
        (person.code, date(2026, 7, 15), False)
    ]


# --- no contact -------------------------------------------------------------------------------------------


def test_no_contact_due_after_the_sites_number_of_days(session, world):
    a_file(session, world.lyon, last_contact_on=days(-44))
    on_day_45 = a_file(session, world.lyon, last_contact_on=days(-45))
    on_day_46 = a_file(session, world.lyon, last_contact_on=days(-46))
    a_file(session, world.grenoble, last_contact_on=days(-200))  # another site: never listed in Lyon

    assert listed(session, world.ts_lyon, ItemKind.NO_CONTACT) == [
        (on_day_46.code, date(2026, 5, 14), True),
        (on_day_45.code, date(2026, 5, 15), False),
    ]


def test_no_contact_follows_each_sites_own_setting(session, world):
    world.grenoble.no_contact_days = 30
    session.flush()
    a_file(session, world.grenoble, last_contact_on=days(-29))
    on_day_30 = a_file(session, world.grenoble, last_contact_on=days(-30))
    a_file(session, world.lyon, last_contact_on=days(-30))  # Lyon keeps 45 days

    assert listed(session, world.ts_grenoble, ItemKind.NO_CONTACT) == [(on_day_30.code, TODAY, False)]
    assert listed(session, world.ts_lyon, ItemKind.NO_CONTACT) == []


def test_a_note_records_the_contact_and_clears_the_item(session, world):
    person = a_file(session, world.lyon, last_contact_on=days(-60))
    assert [code for code, _due, _late in listed(session, world.ts_lyon, ItemKind.NO_CONTACT)] == [person.code]

    pathway.add_note(
        session, world.ts_lyon, person.id, data={"noted_on": TODAY, "body": "Appel"}, cipher=CIPHER, today=TODAY
    )

    assert listed(session, world.ts_lyon, ItemKind.NO_CONTACT) == []


# --- referrals --------------------------------------------------------------------------------------------


def test_referral_without_result_due_60_days_after_it_was_made(session, world):
    partner = factories.a_partner_of_kind(session, world.lyon, PartnerKind.FRANCE_TRAVAIL)
    day_59, day_60, day_61 = (a_file(session, world.lyon) for _ in range(3))
    factories.a_referral_to(session, day_59, partner, on=days(-59))
    factories.a_referral_to(session, day_60, partner, on=days(-60))
    answered = factories.a_referral_to(session, day_61, partner, on=days(-61))

    assert listed(session, world.ts_lyon, ItemKind.REFERRAL) == [
        (day_61.code, date(2026, 5, 14), True),
        (day_60.code, TODAY, False),
    ]

    partners.update_referral_result(
        session,
        world.ts_lyon,
        answered.id,
        expected_version=answered.version,
        data={"result": ReferralResult.ACCEPTED, "result_on": TODAY},
        today=TODAY,
    )
    assert listed(session, world.ts_lyon, ItemKind.REFERRAL) == [(day_60.code, TODAY, False)]


# --- learners and roll calls ------------------------------------------------------------------------------


def a_group_of(session: Session, world: World, teacher: User, *learners: Person):
    group = factories.a_course_group(session, world.lyon, teacher=teacher, starts_on=date(2026, 1, 5))
    for learner in learners:
        factories.a_learner(session, group, learner)
    return group


def test_learner_absent_at_the_last_two_sessions_of_its_group(session, world):
    twice, once, excused = (a_file(session, world.lyon) for _ in range(3))
    group = a_group_of(session, world, world.fle_user, twice, once, excused)
    factories.a_course_session(session, group, session_on=date(2026, 5, 5), absent=(once, excused))
    factories.a_course_session(session, group, session_on=date(2026, 5, 7), absent=(twice,), present=(once,))
    last = factories.a_course_session(session, group, session_on=date(2026, 5, 12), absent=(twice, once))
    session.add(
        factories.CourseAttendance(
            session_id=last.id, person_id=excused.id, site_id=group.site_id, status=AttendanceStatus.EXCUSED
        )
    )
    factories.a_course_session(session, group, session_on=date(2026, 5, 14))  # roll not yet taken: not counted
    session.flush()

    assert listed(session, world.fle_lyon, ItemKind.ABSENT_LEARNER) == [(twice.code, date(2026, 5, 12), True)]
    assert listed(session, world.chef_lyon, ItemKind.ABSENT_LEARNER) == [(twice.code, date(2026, 5, 12), True)]
    assert listed(session, world.fle_other, ItemKind.ABSENT_LEARNER) == []
    assert listed(session, world.ts_grenoble, ItemKind.ABSENT_LEARNER) == []
    [for_teacher] = [i for i in worklist.worklist(session, world.fle_lyon, today=TODAY).items if i.code]
    assert for_teacher.link.page == PageKey.COURSES
    assert for_teacher.link.query_params == {"group": str(group.id)}


def test_roll_call_not_taken_for_a_past_course_session(session, world):
    learner = a_file(session, world.lyon)
    group = a_group_of(session, world, world.fle_user, learner)
    forgotten = factories.a_course_session(session, group, session_on=date(2026, 5, 11))
    factories.a_course_session(session, group, session_on=date(2026, 5, 12), present=(learner,))
    factories.a_course_session(session, group, session_on=TODAY)  # today: not past yet
    empty_group = factories.a_course_group(session, world.lyon, teacher=world.fle_user, starts_on=date(2026, 1, 5))
    factories.a_course_session(session, empty_group, session_on=date(2026, 5, 11))  # nobody expected

    assert listed(session, world.fle_lyon, ItemKind.ROLL_CALL) == [(group.name, date(2026, 5, 11), True)]
    assert listed(session, world.chef_lyon, ItemKind.ROLL_CALL) == [(group.name, date(2026, 5, 11), True)]
    assert listed(session, world.fle_other, ItemKind.ROLL_CALL) == []
    [item] = worklist.worklist(session, world.fle_lyon, today=TODAY).items
    assert item.link.page == PageKey.COURSES
    assert item.link.query_params == {"roll": str(forgotten.id)}


def test_roll_call_not_taken_for_a_workshop_its_facilitator_and_the_chef_see(session, world):
    person = a_file(session, world.lyon)
    factories.a_workshop_cycle(session, person, starts_on=date(2026, 4, 1))
    workshop = factories.a_workshop_session(session, world.lyon, session_on=date(2026, 5, 13))
    session.add(WorkshopFacilitator(session_id=workshop.id, user_id=world.ts_user.id))
    session.flush()
    other_ts = factories.principal(session, factories.a_user(session, Role.INTERVENANT, world.lyon))

    assert [
        (i.kind, i.due_on, i.link.query_params) for i in worklist.worklist(session, world.ts_lyon, today=TODAY).items
    ] == [(ItemKind.ROLL_CALL, date(2026, 5, 13), {"roll": str(workshop.id)})]
    assert len(listed(session, world.chef_lyon, ItemKind.ROLL_CALL)) == 1
    assert listed(session, other_ts, ItemKind.ROLL_CALL) == []
    assert listed(session, world.fle_lyon, ItemKind.ROLL_CALL) == []

    factories.a_workshop_roll(session, workshop, present=(person,))
    assert listed(session, world.ts_lyon, ItemKind.ROLL_CALL) == []


# --- scope, order and counts ------------------------------------------------------------------------------


def test_a_formateur_gets_no_person_items(session, world):
    a_file(session, world.lyon, last_contact_on=days(-100), permit_ends_on=days(10))

    assert worklist.worklist(session, world.fle_lyon, today=TODAY).items == []
    assert worklist.kinds_for(world.fle_lyon) == [ItemKind.ABSENT_LEARNER, ItemKind.ROLL_CALL]


@pytest.mark.parametrize("role", ["direction", "gestion", "admin"])
def test_roles_outside_the_page_get_nothing(session, world, role):
    a_file(session, world.lyon, last_contact_on=days(-100), permit_ends_on=days(10))

    found = worklist.worklist(session, getattr(world, role), today=TODAY)
    assert found.items == [] and found.counts == []


def test_overdue_first_then_by_due_day_with_counts_per_kind(session, world):
    stale = a_file(session, world.lyon, last_contact_on=days(-50))  # due 5 days ago
    permit = a_file(session, world.lyon, permit_ends_on=days(20))
    expired = a_file(session, world.lyon, permit_ends_on=days(-2))
    psp = a_file(session, world.lyon)
    a_psp_period_ending(session, psp, days(3))

    found = worklist.worklist(session, world.chef_lyon, today=TODAY)

    assert [(i.kind, i.code, i.overdue) for i in found.items] == [
        (ItemKind.NO_CONTACT, stale.code, True),
        (ItemKind.RESIDENCE_PERMIT, expired.code, True),
        (ItemKind.PSP_PERIOD, psp.code, False),
        (ItemKind.RESIDENCE_PERMIT, permit.code, False),
    ]
    assert [(c.kind, c.total, c.overdue) for c in found.counts] == [
        (ItemKind.PSP_PERIOD, 1, 0),
        (ItemKind.RESIDENCE_PERMIT, 2, 1),
        (ItemKind.VICTIM_PERMIT, 0, 0),
        (ItemKind.APS, 0, 0),
        (ItemKind.AFIS, 0, 0),
        (ItemKind.NO_CONTACT, 1, 1),
        (ItemKind.ABSENT_LEARNER, 0, 0),
        (ItemKind.ROLL_CALL, 0, 0),
        (ItemKind.REFERRAL, 0, 0),
    ]


def test_pages_of_the_list_follow_its_order_without_repeating_or_skipping_an_item(session, world):
    stale = a_file(session, world.lyon, last_contact_on=days(-50))  # due 5 days ago, like the permit below
    late_permit = a_file(session, world.lyon, permit_ends_on=days(-5))  # a code after the one above
    referred = a_file(session, world.lyon)
    factories.a_referral_to(
        session, referred, factories.a_partner_of_kind(session, world.lyon, PartnerKind.FRANCE_TRAVAIL), on=days(-61)
    )
    psp = a_file(session, world.lyon)
    a_psp_period_ending(session, psp, days(3))
    same_day = [a_file(session, world.lyon, permit_ends_on=days(10)) for _ in range(3)]
    assert same_day[0].code < same_day[1].code < same_day[2].code  # created in this order

    def page(number: int, *kinds: ItemKind) -> tuple:
        found = worklist.worklist_page(session, world.ts_lyon, kinds=kinds, page=number, page_size=3, today=TODAY)
        return [(i.kind, i.code, i.due_on) for i in found.items], found.total, found.page, found.page_count

    # The same day: the kinds in their order (a permit before « sans contact »), then the codes.
    assert page(1) == (
        [
            (ItemKind.RESIDENCE_PERMIT, late_permit.code, date(2026, 5, 10)),
            (ItemKind.NO_CONTACT, stale.code, date(2026, 5, 10)),
            (ItemKind.REFERRAL, referred.code, date(2026, 5, 14)),
        ],
        7,
        1,
        3,
    )
    assert page(2) == (
        [
            (ItemKind.PSP_PERIOD, psp.code, date(2026, 5, 18)),
            (ItemKind.RESIDENCE_PERMIT, same_day[0].code, date(2026, 5, 25)),
            (ItemKind.RESIDENCE_PERMIT, same_day[1].code, date(2026, 5, 25)),
        ],
        7,
        2,
        3,
    )
    assert page(3) == ([(ItemKind.RESIDENCE_PERMIT, same_day[2].code, date(2026, 5, 25))], 7, 3, 3)
    assert page(9) == page(3)  # a page past the end shows the last one
    # One kind chosen: its items only, paged on their own; the counts stay those of every kind.
    assert page(2, ItemKind.RESIDENCE_PERMIT) == (
        [(ItemKind.RESIDENCE_PERMIT, same_day[2].code, date(2026, 5, 25))],
        4,
        2,
        2,
    )
    chosen = worklist.worklist_page(session, world.ts_lyon, kinds=[ItemKind.REFERRAL], page_size=3, today=TODAY)
    assert [(c.kind, c.total, c.overdue) for c in chosen.counts if c.total] == [
        (ItemKind.PSP_PERIOD, 1, 0),
        (ItemKind.RESIDENCE_PERMIT, 4, 1),
        (ItemKind.NO_CONTACT, 1, 1),
        (ItemKind.REFERRAL, 1, 1),
    ]
    assert [i.link.query_params for i in chosen.items] == [{"code": referred.code, "tab": "orientations"}]


def test_the_page_follows_a_change_of_the_sites_days_and_the_next_day(session, world):
    stale = a_file(session, world.lyon, last_contact_on=days(-50))
    recent = a_file(session, world.lyon, last_contact_on=days(-40))
    on_day_29 = a_file(session, world.lyon, last_contact_on=days(-29))

    def page(on: date) -> list[tuple]:
        found = worklist.worklist_page(session, world.ts_lyon, kinds=[ItemKind.NO_CONTACT], today=on)
        return [(i.code, i.due_on) for i in found.items]

    assert page(TODAY) == [(stale.code, date(2026, 5, 10))]  # 45 days
    data = {"name": "Lyon", "city": "Lyon", "no_contact_days": 30}
    organisation.update_site(session, world.admin, "LYO", data=data)
    assert page(TODAY) == [(stale.code, date(2026, 4, 25)), (recent.code, date(2026, 5, 5))]
    assert page(days(1)) == [
        (stale.code, date(2026, 4, 25)),
        (recent.code, date(2026, 5, 5)),
        (on_day_29.code, date(2026, 5, 16)),
    ]


def test_the_statements_kept_for_the_pages_are_bounded(session, world, monkeypatch):
    monkeypatch.setattr(worklist, "_page_statements", LRUCache(maxsize=2))
    stale = a_file(session, world.lyon, last_contact_on=days(-100))

    for day in range(4):  # a statement per day
        found = worklist.worklist_page(session, world.ts_lyon, kinds=[ItemKind.NO_CONTACT], today=days(day))
        assert [i.code for i in found.items] == [stale.code]
        assert len(worklist._page_statements) == min(day + 1, 2)


def test_a_chef_of_two_sites_gets_each_sites_files_without_contact_on_its_own_setting(session, world):
    world.grenoble.no_contact_days = 30
    session.flush()
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, world.lyon, world.grenoble))
    lyon_46 = a_file(session, world.lyon, last_contact_on=days(-46))
    a_file(session, world.lyon, last_contact_on=days(-31))  # 31 days: within Lyon's 45
    grenoble_31 = a_file(session, world.grenoble, last_contact_on=days(-31))
    never = a_file(session, world.grenoble, last_contact_on=None)  # never contacted: counted from its intake
    closed = a_file(session, world.grenoble, last_contact_on=days(-100), status=PersonStatus.CLOSED)

    assert sorted(listed(session, chef, ItemKind.NO_CONTACT)) == sorted(
        [
            (lyon_46.code, date(2026, 5, 14), True),
            (grenoble_31.code, date(2026, 5, 14), True),
            (never.code, date(2025, 2, 5), True),  # intake 6 January 2025 + 30 days
        ]
    )
    assert closed.code not in [code for code, _due, _late in listed(session, chef, ItemKind.NO_CONTACT)]


# --- the settings the rules read --------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "error"), [(6, True), (7, False), (365, False), (366, True)])
def test_days_without_contact_of_a_site_are_set_by_admin_from_7_to_365(session, world, days, error):
    data = {"name": "Lyon", "city": "Lyon", "no_contact_days": days}
    if error:
        with pytest.raises(ValidationFailed) as caught:
            organisation.update_site(session, world.admin, "LYO", data=data)
        assert caught.value.errors == {"no_contact_days": "Entre 7 et 365 jours."}
        assert session.get(Site, world.lyon.id).no_contact_days == 45
    else:
        organisation.update_site(session, world.admin, "LYO", data=data)
        assert session.get(Site, world.lyon.id).no_contact_days == days


@pytest.mark.parametrize(
    ("ends_on", "error"),
    [
        (date(2020, 12, 31), "Ce titre de séjour aurait pris fin il y a plus de 5 ans : vérifiez la date."),
        (date(2021, 1, 1), None),
        (date(2036, 12, 31), None),
        (date(2037, 1, 1), "Un titre de séjour dure au plus 10 ans : vérifiez la date de fin."),
    ],
)
def test_the_permit_end_is_checked_and_saved_with_the_situation(session, world, ends_on, error):
    person = a_file(session, world.lyon)
    send = {"permit_ends_on": ends_on}
    if error:
        with pytest.raises(ValidationFailed) as caught:
            files.update_situation(
                session,
                world.ts_lyon,
                person.id,
                expected_version=person.version,
                data=send,
                cipher=CIPHER,
                today=TODAY,
            )
        assert caught.value.errors == {"permit_ends_on": error}
    else:
        files.update_situation(
            session, world.ts_lyon, person.id, expected_version=person.version, data=send, cipher=CIPHER, today=TODAY
        )
        session.expire_all()
        assert session.get(Person, person.id).permit_ends_on == ends_on


def test_the_home_page_counts_the_items_of_its_user_only(session, world):
    a_file(session, world.lyon, permit_ends_on=days(-1))
    a_file(session, world.lyon, permit_ends_on=days(30))
    a_file(session, world.grenoble, permit_ends_on=days(5))

    def due(principal: Principal) -> list[tuple]:
        return [
            (c.kind, c.total, c.overdue) for c in home.overview_for(session, principal, today=TODAY).worklist if c.total
        ]

    assert due(world.ts_lyon) == [(ItemKind.RESIDENCE_PERMIT, 2, 1)]
    assert due(world.ts_grenoble) == [(ItemKind.RESIDENCE_PERMIT, 1, 0)]
    assert due(world.fle_lyon) == []
    assert home.overview_for(session, world.direction, today=TODAY).worklist == []
