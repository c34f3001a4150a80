"""« À faire »: what is due in the files, groups and sessions a worker looks after, computed in SQL.

Who may call: intervenant, chef_service and formateur (the page's roles); any other principal gets an
empty list. Scope, in every query:
- person items (PSP period, residence permits, APS, AFIS, no contact, referral without result): roles
  that open person files (VIEW_PERSON_FILES), the open files (active or paused) of their sites, as in
  the caseload;
- learners absent twice: the course groups the principal sees (`courses.access.visible_groups`: a
  formateur the groups it teaches, chef_service those of its sites), or for an intervenant the groups of
  its sites (its learners are its files);
- roll calls not taken: French-course sessions of the groups one teaches (chef_service: of its sites),
  workshop sessions one facilitates (chef_service: of its sites).

The rules (a day is "due" from its due date on; an item whose due date is past is overdue):
- PSP period ending within PSP_ALERT_DAYS (30) days with no renewal recorded:
  `services.persons.pathway.psp_alerts`, the one rule of the caseload and the PSP tab;
- residence permit (Person.permit_ends_on), victim residence permit (the latest granted in the legal
  follow-up), APS or AFIS (on the PSP episode not ended) ending within ENDING_SOON_DAYS (60) days, or
  already ended (overdue until a new end date, a renewal or the episode's end is recorded);
- no contact for the site's `no_contact_days` (default 45, set by admin: services.platform.organisation):
  due on the last contact (else the intake) plus that many days;
- a learner marked absent (not excused) at the last two held sessions (roll taken, in the last
  ABSENCE_LOOKBACK_DAYS days) of a group it still attends: due on the second absence;
- a past session (the last ROLL_CALL_LOOKBACK_DAYS days) with people expected and no roll recorded:
  due on the session day;
- a referral still pending REFERRAL_RESULT_DAYS (60) days after it was made.

One query per kind, never a query per person; only codes leave here (never an alias): the list is a
caseload-like page, and the counts (`worklist_counts`) are aggregates the home page may cache per user.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

import clock
from i18n import N_
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseEnrolment, CourseGroup, CourseSession
from models.legal import LegalDecision, LegalEvent, LegalEventKind
from models.organisation import Site
from models.partners import Partner, Referral, ReferralResult
from models.pathway import PspEpisode
from models.persons import Person, PersonStatus
from models.workshops import (
    WorkshopAttendance,
    WorkshopEnrolment,
    WorkshopFacilitator,
    WorkshopModule,
    WorkshopSession,
)
from services.activities.courses.access import visible_groups
from services.persons import pathway
from services.persons.access import last_contact_on_or_before
from services.persons.safety import flagged_codes
from services.platform import paging
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal

ENDING_SOON_DAYS = 60
REFERRAL_RESULT_DAYS = 60
ROLL_CALL_LOOKBACK_DAYS = 60
ABSENCE_LOOKBACK_DAYS = 60  # a group that has not met for two months has no « last two sessions » to act on
OPEN_STATUSES = (PersonStatus.ACTIVE, PersonStatus.PAUSED)


class ItemKind(StrEnum):
    """What is due, in the order the counts are shown."""

    PSP_PERIOD = "psp_period"
    RESIDENCE_PERMIT = "residence_permit"
    VICTIM_PERMIT = "victim_permit"
    APS = "aps"
    AFIS = "afis"
    NO_CONTACT = "no_contact"
    ABSENT_LEARNER = "absent_learner"
    ROLL_CALL = "roll_call"
    REFERRAL = "referral"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PSP_PERIOD: N_("Fin de période PSP"),
            cls.RESIDENCE_PERMIT: N_("Fin du titre de séjour"),
            cls.VICTIM_PERMIT: N_("Fin du titre de séjour victime"),
            cls.APS: N_("Fin de l'APS"),
            cls.AFIS: N_("Fin de l'AFIS"),
            cls.NO_CONTACT: N_("Sans contact"),
            cls.ABSENT_LEARNER: N_("Absent·e deux fois"),
            cls.ROLL_CALL: N_("Appel non fait"),
            cls.REFERRAL: N_("Orientation sans réponse"),
        }


class FileTab(StrEnum):
    """Where in the person file an item is dealt with (the `tab` query parameter of the file page)."""

    TIMELINE = "parcours"
    SITUATION = "situation"  # the identity and situation form above the tabs
    PSP = "psp"
    REFERRALS = "orientations"
    NOTES = "notes"
    LEGAL = "juridique"


@dataclass(frozen=True)
class ItemLink:
    """The page that clears the item and its query parameters."""

    page: PageKey
    params: tuple[tuple[str, str], ...]

    @property
    def query_params(self) -> dict[str, str]:
        return dict(self.params)


@dataclass(frozen=True)
class WorkItem:
    kind: ItemKind
    due_on: date
    code: str | None  # the person's pseudonymous code; None for a session
    subject: str | None  # a group's or a workshop module's name (never a person's text)
    link: ItemLink
    overdue: bool
    safety_flag: bool = False  # the file's team only (services.persons.safety): on the page, never counted


@dataclass(frozen=True)
class KindCount:
    kind: ItemKind
    total: int
    overdue: int


@dataclass(frozen=True)
class Worklist:
    items: list[WorkItem]
    counts: list[KindCount]  # every kind the principal may have, in ItemKind order, zeros included


def kinds_for(principal: Principal) -> list[ItemKind]:
    """The kinds of items a principal can be given (its filter's choices)."""
    kinds: list[ItemKind] = []
    if principal.can(Capability.VIEW_PERSON_FILES) and not principal.all_sites:
        kinds += [
            ItemKind.PSP_PERIOD,
            ItemKind.RESIDENCE_PERMIT,
            ItemKind.VICTIM_PERMIT,
            ItemKind.APS,
            ItemKind.AFIS,
            ItemKind.NO_CONTACT,
        ]
    if _learner_groups(principal) is not None:
        kinds.append(ItemKind.ABSENT_LEARNER)
    if _course_rolls(principal) or _workshop_rolls(principal):
        kinds.append(ItemKind.ROLL_CALL)
    if ItemKind.PSP_PERIOD in kinds:
        kinds.append(ItemKind.REFERRAL)
    return kinds


def worklist(session: Session, principal: Principal, *, today: date | None = None) -> Worklist:
    """Every item due for the principal, overdue first then by due date, and the counts per kind."""
    today = today or clock.today()
    kinds = kinds_for(principal)
    items: list[WorkItem] = []
    for kind in kinds:
        items += _QUERIES[kind](session, principal, today)
    order = {kind: index for index, kind in enumerate(ItemKind)}
    items.sort(key=lambda i: (i.due_on, order[i.kind], i.code or "", i.subject or ""))
    counts = [
        KindCount(
            kind,
            sum(1 for i in items if i.kind == kind),
            sum(1 for i in items if i.kind == kind and i.overdue),
        )
        for kind in kinds
    ]
    return Worklist(items, counts)


@dataclass(frozen=True)
class WorklistPage:
    items: list[WorkItem]  # the page shown, of the kinds chosen
    counts: list[KindCount]  # every kind, whatever the filter
    total: int  # items of the kinds chosen
    page: int
    page_count: int


def worklist_page(
    session: Session,
    principal: Principal,
    *,
    kinds: Collection[ItemKind] = (),
    page: int = 1,
    page_size: int = 50,
    today: date | None = None,
) -> WorklistPage:
    """One page of the items of `kinds` (none chosen: every kind), and the counts of every kind."""
    found = worklist(session, principal, today=today)
    chosen = [item for item in found.items if not kinds or item.kind in kinds]
    shown = paging.window(len(chosen), page, page_size)
    items = chosen[shown.offset : shown.offset + shown.page_size]
    flagged = flagged_codes(session, principal, (item.code for item in items if item.code))
    items = [replace(item, safety_flag=True) if item.code in flagged else item for item in items]
    return WorklistPage(items, found.counts, len(chosen), shown.page, shown.page_count)


def worklist_counts(session: Session, principal: Principal, *, today: date | None = None) -> list[KindCount]:
    """The counts per kind of `worklist` (aggregates of the principal's own scope, for the home page)."""
    return worklist(session, principal, today=today).counts


# --- links ----------------------------------------------------------------------------------------------


def _file_link(code: str, tab: FileTab) -> ItemLink:
    return ItemLink(PageKey.PERSON_FILE, (("code", code), ("tab", tab.value)))


def _roll_link(page: PageKey, session_id: int) -> ItemLink:
    return ItemLink(page, (("roll", str(session_id)),))


def _item(
    kind: ItemKind, due_on: date, today: date, link: ItemLink, *, code: str | None = None, subject: str | None = None
) -> WorkItem:
    return WorkItem(kind, due_on, code, subject, link, due_on < today)


# --- person items -----------------------------------------------------------------------------------------


def _open_files(principal: Principal) -> sa.ColumnElement[bool]:
    return sa.and_(principal.site_filter(Person.site_id), Person.status.in_(OPEN_STATUSES))


def _psp_periods(session: Session, principal: Principal, today: date) -> list[WorkItem]:
    return [
        _item(ItemKind.PSP_PERIOD, alert.end_on, today, _file_link(alert.code, FileTab.PSP), code=alert.code)
        for alert in pathway.psp_alerts(session, principal, today=today)
    ]


def _permits(session: Session, principal: Principal, today: date) -> list[WorkItem]:
    rows = session.exec(
        select(Person.code, Person.permit_ends_on).where(
            _open_files(principal), Person.permit_ends_on <= today + timedelta(days=ENDING_SOON_DAYS)
        )
    ).all()
    return [
        _item(ItemKind.RESIDENCE_PERMIT, ends_on, today, _file_link(code, FileTab.SITUATION), code=code)
        for code, ends_on in rows
    ]


def _victim_permits(session: Session, principal: Principal, today: date) -> list[WorkItem]:
    """The victim residence permit (art. L425-1 CESEDA) granted in the legal follow-up: the latest one
    granted to each file, listed from 60 days before its end; recording its renewal there clears it."""
    ends_on = sa.func.max(LegalEvent.valid_until)
    rows = session.exec(
        select(Person.code, ends_on)
        .join(Person, Person.id == LegalEvent.person_id)
        .where(
            _open_files(principal),
            principal.site_filter(LegalEvent.site_id),
            LegalEvent.kind == LegalEventKind.RESIDENCE_PERMIT,
            LegalEvent.decision == LegalDecision.GRANTED,
            LegalEvent.valid_until.is_not(None),
        )
        .group_by(Person.code)
        .having(ends_on <= today + timedelta(days=ENDING_SOON_DAYS))
    ).all()
    return [_item(ItemKind.VICTIM_PERMIT, day, today, _file_link(code, FileTab.LEGAL), code=code) for code, day in rows]


def _episode_ends(kind: ItemKind, column: sa.ColumnElement) -> Callable[[Session, Principal, date], list[WorkItem]]:
    def query(session: Session, principal: Principal, today: date) -> list[WorkItem]:
        rows = session.exec(
            select(Person.code, column)
            .join(Person, Person.id == PspEpisode.person_id)
            .where(
                _open_files(principal),
                principal.site_filter(PspEpisode.site_id),
                PspEpisode.ended_on.is_(None),
                column <= today + timedelta(days=ENDING_SOON_DAYS),
            )
        ).all()
        return [_item(kind, ends_on, today, _file_link(code, FileTab.PSP), code=code) for code, ends_on in rows]

    return query


def _no_contact(session: Session, principal: Principal, today: date) -> list[WorkItem]:
    """Due on the last contact (else the intake) plus the site's number of days; each site its own."""
    delays = dict(session.exec(select(Site.id, Site.no_contact_days).where(principal.site_filter(Site.id))).all())
    if not delays:
        return []
    per_site = [
        sa.and_(Person.site_id == site_id, last_contact_on_or_before(today - timedelta(days=days)))
        for site_id, days in sorted(delays.items())
    ]
    rows = session.exec(
        select(Person.code, Person.site_id, Person.last_contact_on, Person.intake_on).where(
            _open_files(principal), sa.or_(*per_site)
        )
    ).all()
    return [
        _item(
            ItemKind.NO_CONTACT,
            (contact or intake) + timedelta(days=delays[site_id]),
            today,
            _file_link(code, FileTab.NOTES),
            code=code,
        )
        for code, site_id, contact, intake in rows
    ]


def _referrals(session: Session, principal: Principal, today: date) -> list[WorkItem]:
    rows = session.exec(
        select(Person.code, Referral.referred_on, Partner.name)
        .join(Person, Person.id == Referral.person_id)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(
            principal.site_filter(Referral.site_id),
            _open_files(principal),
            Referral.result == ReferralResult.PENDING,
            Referral.referred_on <= today - timedelta(days=REFERRAL_RESULT_DAYS),
        )
    ).all()
    return [
        _item(
            ItemKind.REFERRAL,
            referred_on + timedelta(days=REFERRAL_RESULT_DAYS),
            today,
            _file_link(code, FileTab.REFERRALS),
            code=code,
            subject=partner,
        )
        for code, referred_on, partner in rows
    ]


# --- learners and sessions --------------------------------------------------------------------------------


def _learner_groups(principal: Principal) -> sa.ColumnElement[bool] | None:
    """WHERE clause on CourseGroup for the groups whose learners' absences the principal follows."""
    if principal.all_sites:
        return None
    if principal.can(Capability.VIEW_LEARNERS):
        return visible_groups(principal)
    if principal.can(Capability.VIEW_PERSON_FILES):
        return principal.site_filter(CourseGroup.site_id)
    return None


def _absent_learners(session: Session, principal: Principal, today: date) -> list[WorkItem]:
    """Learners still enrolled whose last two marks in the group's last two held sessions are « absent »."""
    groups = _learner_groups(principal)
    held = select(CourseAttendance.id).where(CourseAttendance.session_id == CourseSession.id)  # a roll was taken
    ranked = (
        select(
            CourseSession.id.label("session_id"),
            CourseSession.group_id.label("group_id"),
            CourseSession.session_on.label("session_on"),
            sa.func.row_number()
            .over(
                partition_by=CourseSession.group_id,
                order_by=(CourseSession.session_on.desc(), CourseSession.id.desc()),
            )
            .label("rank"),
        )
        .join(CourseGroup, CourseGroup.id == CourseSession.group_id)
        .where(
            groups,
            principal.site_filter(CourseSession.site_id),  # said again on the session: its (site, day) index
            CourseSession.session_on >= today - timedelta(days=ABSENCE_LOOKBACK_DAYS),
            CourseSession.session_on <= today,
            held.exists(),
        )
        .subquery("ranked")
    )
    last_two = select(ranked).where(ranked.c.rank <= 2).subquery("last_two")
    rows = session.exec(
        select(Person.code, CourseGroup.id, CourseGroup.name, sa.func.max(last_two.c.session_on))
        .select_from(last_two)
        .join(CourseAttendance, CourseAttendance.session_id == last_two.c.session_id)
        .join(
            CourseEnrolment,
            sa.and_(
                CourseEnrolment.group_id == last_two.c.group_id,
                CourseEnrolment.person_id == CourseAttendance.person_id,
                CourseEnrolment.left_on.is_(None),
            ),
        )
        .join(CourseGroup, CourseGroup.id == last_two.c.group_id)
        .join(Person, Person.id == CourseAttendance.person_id)
        .where(CourseAttendance.status == AttendanceStatus.ABSENT, Person.status.in_(OPEN_STATUSES))
        .group_by(Person.code, CourseGroup.id, CourseGroup.name)
        .having(sa.func.count() == 2)
    ).all()
    by_file = principal.can(Capability.VIEW_PERSON_FILES)
    return [
        _item(
            ItemKind.ABSENT_LEARNER,
            last_on,
            today,
            _file_link(code, FileTab.TIMELINE) if by_file else ItemLink(PageKey.COURSES, (("group", str(group_id)),)),
            code=code,
            subject=group_name,
        )
        for code, group_id, group_name, last_on in rows
    ]


def _course_rolls(principal: Principal) -> bool:
    return principal.can(Capability.TEACH_COURSES) and not principal.all_sites


def _workshop_rolls(principal: Principal) -> bool:
    return (
        principal.can(Capability.RUN_FIELD_ACTIVITIES)
        and principal.can(Capability.VIEW_PERSON_FILES)
        and not principal.all_sites
    )


def _roll_calls(session: Session, principal: Principal, today: date) -> list[WorkItem]:
    since = today - timedelta(days=ROLL_CALL_LOOKBACK_DAYS)
    items: list[WorkItem] = []
    if _course_rolls(principal):
        enrolled = select(CourseEnrolment.id).where(
            CourseEnrolment.group_id == CourseSession.group_id,
            CourseEnrolment.enrolled_on <= CourseSession.session_on,
            sa.or_(CourseEnrolment.left_on.is_(None), CourseEnrolment.left_on >= CourseSession.session_on),
        )
        marked = select(CourseAttendance.id).where(CourseAttendance.session_id == CourseSession.id)
        rows = session.exec(
            select(CourseSession.id, CourseSession.session_on, CourseGroup.name)
            .join(CourseGroup, CourseGroup.id == CourseSession.group_id)
            .where(
                visible_groups(principal),
                principal.site_filter(CourseSession.site_id),  # said again on the session: its (site, day) index
                CourseSession.session_on >= since,
                CourseSession.session_on < today,
                ~marked.exists(),  # first: most sessions have their roll, and this is one index lookup
                enrolled.exists(),
            )
        ).all()
        items += [
            _item(ItemKind.ROLL_CALL, on, today, _roll_link(PageKey.COURSES, session_id), subject=name)
            for session_id, on, name in rows
        ]
    if _workshop_rolls(principal):
        cycle = aliased(WorkshopEnrolment)
        expected = select(cycle.id).where(
            cycle.site_id == WorkshopSession.site_id,
            cycle.cycle_start_on <= WorkshopSession.session_on,
            sa.or_(cycle.left_on.is_(None), cycle.left_on >= WorkshopSession.session_on),
        )
        marked = select(WorkshopAttendance.id).where(WorkshopAttendance.session_id == WorkshopSession.id)
        statement = (
            select(WorkshopSession.id, WorkshopSession.session_on, WorkshopModule.name)
            .join(WorkshopModule, WorkshopModule.id == WorkshopSession.module_id)
            .where(
                principal.site_filter(WorkshopSession.site_id),
                WorkshopSession.session_on >= since,
                WorkshopSession.session_on < today,
                ~marked.exists(),  # first: most sessions have their roll, and this is one index lookup
                expected.exists(),
            )
        )
        if not principal.can(Capability.CONFIGURE_ACTIVITIES):  # the site's chef_service sees every session
            mine = select(WorkshopFacilitator.session_id).where(WorkshopFacilitator.user_id == principal.user_id)
            statement = statement.where(WorkshopSession.id.in_(mine))
        items += [
            _item(ItemKind.ROLL_CALL, on, today, _roll_link(PageKey.WORKSHOPS, session_id), subject=name)
            for session_id, on, name in session.exec(statement).all()
        ]
    return items


_QUERIES = {
    ItemKind.PSP_PERIOD: _psp_periods,
    ItemKind.RESIDENCE_PERMIT: _permits,
    ItemKind.VICTIM_PERMIT: _victim_permits,
    ItemKind.APS: _episode_ends(ItemKind.APS, PspEpisode.aps_end_on),
    ItemKind.AFIS: _episode_ends(ItemKind.AFIS, PspEpisode.afis_end_on),
    ItemKind.NO_CONTACT: _no_contact,
    ItemKind.ABSENT_LEARNER: _absent_learners,
    ItemKind.ROLL_CALL: _roll_calls,
    ItemKind.REFERRAL: _referrals,
}
