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
  `services.persons.pathway.psp_alert_rows`;
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

One statement per kind (per site for « sans contact »), never a query per person, and the database counts and
pages their UNION ALL: a site with 500 items due reads the 50 shown. Only codes leave here (never an alias): the
list is a caseload-like page, and the counts (`worklist_counts`) are aggregates the home page may cache per user.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import IntEnum, StrEnum

import sqlalchemy as sa
from cachetools import LRUCache
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
from services.platform import data_version, paging
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from services.platform.sql_days import plus_days

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
    due = _due_rows(principal, kinds, today, _site_delays(session, principal, kinds))
    if due is None:
        return Worklist([], [])
    rows = session.exec(_items_statement(due)).all()
    return Worklist(_items(rows, today), _count(session, due, kinds, today))


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
    """One page of the items of `kinds` (none chosen: every kind), and the counts of every kind. Counted and
    paged in SQL: a site with hundreds of items due reads the 50 shown, not all of them."""
    today = today or clock.today()
    counts = worklist_counts(session, principal, today=today)
    chosen = [count.kind for count in counts if not kinds or count.kind in kinds]
    total = sum(count.total for count in counts if count.kind in chosen)
    shown = paging.window(total, page, page_size)
    if not total:
        return WorklistPage([], counts, total, shown.page, shown.page_count)
    statement = _page_statement(principal, chosen, today, _site_delays(session, principal, chosen))
    rows = session.exec(statement, params={_OFFSET.key: shown.offset, _LIMIT.key: shown.page_size}).all()
    items = _items(rows, today)
    flagged = flagged_codes(session, principal, (item.code for item in items if item.code))
    items = [replace(item, safety_flag=True) if item.code in flagged else item for item in items]
    return WorklistPage(items, counts, total, shown.page, shown.page_count)


def worklist_counts(session: Session, principal: Principal, *, today: date | None = None) -> list[KindCount]:
    """The counts per kind of `worklist`: aggregates of the principal's own files, groups and sessions, kept
    per user and day until a table they read is written (services.platform.data_version), for the home page
    and the page's figures and filter."""
    today = today or clock.today()

    def compute() -> tuple[KindCount, ...]:
        kinds = kinds_for(principal)
        due = _due_rows(principal, kinds, today, _site_delays(session, principal, kinds))
        return tuple(_count(session, due, kinds, today)) if due is not None else ()

    key = (principal.scope, principal.user_id, today)
    return list(data_version.cached_aggregate(session, "worklist.counts", key, compute))


# --- one statement for every kind -------------------------------------------------------------------------
#
# Each kind's query gives the same columns (`_columns`), and their UNION ALL is counted (GROUP BY the kind; kept
# per user by `worklist_counts`) and paged (ORDER BY, LIMIT) by the database: the page reads 50 rows whatever
# the number due.


class _Target(IntEnum):
    """Where an item's link leads (the `target` column: an integer written in the SQL, not a parameter)."""

    FILE = 0  # the person file, at the kind's tab
    COURSE_GROUP = 1  # a French-course group (`ref`), for those who follow learners without opening files
    COURSE_ROLL = 2  # a French-course session's roll call (`ref`)
    WORKSHOP_ROLL = 3  # a workshop session's roll call (`ref`)


_RANK = {kind: rank for rank, kind in enumerate(ItemKind)}  # the kind's place in the order of a day's items
_KIND_OF_RANK = dict(enumerate(ItemKind))
_FILE_TAB = {
    ItemKind.PSP_PERIOD: FileTab.PSP,
    ItemKind.RESIDENCE_PERMIT: FileTab.SITUATION,
    ItemKind.VICTIM_PERMIT: FileTab.LEGAL,
    ItemKind.APS: FileTab.PSP,
    ItemKind.AFIS: FileTab.PSP,
    ItemKind.NO_CONTACT: FileTab.NOTES,
    ItemKind.ABSENT_LEARNER: FileTab.TIMELINE,
    ItemKind.REFERRAL: FileTab.REFERRALS,
}


def _number(value: int) -> sa.ColumnElement[int]:
    return sa.literal_column(str(int(value)), sa.Integer)


def _columns(
    kind: ItemKind,
    due_on: sa.ColumnElement,
    *,
    tie: sa.ColumnElement[int],
    code: sa.ColumnElement[str] | None = None,
    subject: sa.ColumnElement[str] | None = None,
    target: _Target = _Target.FILE,
    ref: sa.ColumnElement[int] | None = None,
) -> tuple[sa.ColumnElement, ...]:
    """The columns of every kind's statement, in the order the UNION ALL needs. `tie` is a row id of the kind
    (a period, a session, a referral…): the order of items due the same day for the same code, so that a page
    never repeats or skips one."""
    return (
        _number(_RANK[kind]).label("rank"),
        _number(target).label("target"),
        sa.type_coerce(due_on, sa.Date).label("due_on"),
        (code if code is not None else sa.cast(sa.null(), sa.String)).label("code"),
        (subject if subject is not None else sa.cast(sa.null(), sa.String)).label("subject"),
        (ref if ref is not None else sa.cast(sa.null(), sa.Integer)).label("ref"),
        tie.label("tie"),
    )


SiteDelays = tuple[tuple[int, int], ...]  # (site id, days without contact before a file is due), by site id


def _site_delays(session: Session, principal: Principal, kinds: Collection[ItemKind]) -> SiteDelays:
    """Each site's `no_contact_days` (services.platform.organisation), when « sans contact » is asked for."""
    if ItemKind.NO_CONTACT not in kinds:
        return ()
    return tuple(
        sorted(session.exec(select(Site.id, Site.no_contact_days).where(principal.site_filter(Site.id))).all())
    )


def _due_rows(principal: Principal, kinds: list[ItemKind], today: date, delays: SiteDelays) -> sa.Subquery | None:
    statements = [statement for kind in kinds for statement in _QUERIES[kind](principal, today, delays)]
    if not statements:
        return None
    return sa.union_all(*statements).subquery("due")


def _count(session: Session, due: sa.Subquery, kinds: list[ItemKind], today: date) -> list[KindCount]:
    """Every kind of `kinds`, zeros included, in ItemKind order."""
    found = {
        rank: (total, overdue or 0)
        for rank, total, overdue in session.exec(
            select(due.c.rank, sa.func.count(), sa.func.sum(sa.case((due.c.due_on < today, 1), else_=0))).group_by(
                due.c.rank
            )
        ).all()
    }
    return [KindCount(kind, *found.get(_RANK[kind], (0, 0))) for kind in kinds]


def _items_statement(due: sa.Subquery) -> sa.Select:
    """The items, overdue first then by due day, kind, code and subject (then the row id)."""
    return select(due.c.rank, due.c.target, due.c.due_on, due.c.code, due.c.subject, due.c.ref).order_by(
        due.c.due_on,
        due.c.rank,
        sa.func.coalesce(due.c.code, ""),
        sa.func.coalesce(due.c.subject, ""),
        due.c.target,
        due.c.tie,
    )


# The page asked for is a parameter of the statement, which `_page_statement` keeps.
_OFFSET, _LIMIT = sa.bindparam("worklist_offset", type_=sa.Integer), sa.bindparam("worklist_limit", type_=sa.Integer)
PAGE_STATEMENTS_KEPT = 256
_page_statements: LRUCache = LRUCache(maxsize=PAGE_STATEMENTS_KEPT)  # least recently used first out
_page_statements_lock = threading.Lock()


def _page_statement(principal: Principal, kinds: list[ItemKind], today: date, delays: SiteDelays) -> sa.Select:
    """The page's statement, built once per scope, user, day, kinds and sites' delays, which are all it depends
    on (a statement, not data: the rows are read at each run). Building the nine statements and their cache key
    took half of a warm run of the service (6 of 13 ms for a Lyon intervenant on the large dataset)."""
    key = (principal.scope, principal.user_id, today, tuple(kinds), delays)
    with _page_statements_lock:
        statement = _page_statements.get(key)
    if statement is None:
        due = _due_rows(principal, kinds, today, delays)
        assert due is not None  # kinds with items counted
        statement = _items_statement(due).offset(_OFFSET).limit(_LIMIT)
        with _page_statements_lock:
            _page_statements[key] = statement
    return statement


def _items(rows: Sequence[sa.Row], today: date) -> list[WorkItem]:
    items = []
    for rank, target, due_on, code, subject, ref in rows:
        kind = _KIND_OF_RANK[rank]
        items.append(WorkItem(kind, due_on, code, subject, _link(kind, _Target(target), code, ref), due_on < today))
    return items


# --- links ----------------------------------------------------------------------------------------------


def _link(kind: ItemKind, target: _Target, code: str | None, ref: int | None) -> ItemLink:
    if target is _Target.FILE:
        return ItemLink(PageKey.PERSON_FILE, (("code", code), ("tab", _FILE_TAB[kind].value)))
    if target is _Target.COURSE_GROUP:
        return ItemLink(PageKey.COURSES, (("group", str(ref)),))
    page = PageKey.COURSES if target is _Target.COURSE_ROLL else PageKey.WORKSHOPS
    return ItemLink(page, (("roll", str(ref)),))


# --- person items -----------------------------------------------------------------------------------------


def _open_files(principal: Principal) -> sa.ColumnElement[bool]:
    return sa.and_(principal.site_filter(Person.site_id), Person.status.in_(OPEN_STATUSES))


def _psp_periods(principal: Principal, today: date, _delays: SiteDelays) -> list[sa.Select]:
    alerts = pathway.psp_alert_rows(principal, today).subquery("psp_alert")
    return [
        select(*_columns(ItemKind.PSP_PERIOD, alerts.c.end_on, code=alerts.c.code, tie=alerts.c.period_id)).select_from(
            alerts
        )
    ]


def _permits(principal: Principal, today: date, _delays: SiteDelays) -> list[sa.Select]:
    return [
        select(*_columns(ItemKind.RESIDENCE_PERMIT, Person.permit_ends_on, code=Person.code, tie=Person.id)).where(
            _open_files(principal), Person.permit_ends_on <= today + timedelta(days=ENDING_SOON_DAYS)
        )
    ]


def _victim_permits(principal: Principal, today: date, _delays: SiteDelays) -> list[sa.Select]:
    """The victim residence permit (art. L425-1 CESEDA) granted in the legal follow-up: the latest one
    granted to each file, listed from 60 days before its end; recording its renewal there clears it."""
    ends_on = sa.func.max(LegalEvent.valid_until)
    return [
        select(*_columns(ItemKind.VICTIM_PERMIT, ends_on, code=Person.code, tie=Person.id))
        .join(Person, Person.id == LegalEvent.person_id)
        .where(
            _open_files(principal),
            principal.site_filter(LegalEvent.site_id),
            LegalEvent.kind == LegalEventKind.RESIDENCE_PERMIT,
            LegalEvent.decision == LegalDecision.GRANTED,
            LegalEvent.valid_until.is_not(None),
        )
        .group_by(Person.id, Person.code)
        .having(ends_on <= today + timedelta(days=ENDING_SOON_DAYS))
    ]


def _episode_ends(kind: ItemKind, column: sa.ColumnElement) -> Callable[[Principal, date, SiteDelays], list[sa.Select]]:
    def query(principal: Principal, today: date, _delays: SiteDelays) -> list[sa.Select]:
        return [
            select(*_columns(kind, column, code=Person.code, tie=PspEpisode.id))
            .join(Person, Person.id == PspEpisode.person_id)
            .where(
                _open_files(principal),
                principal.site_filter(PspEpisode.site_id),
                PspEpisode.ended_on.is_(None),
                column <= today + timedelta(days=ENDING_SOON_DAYS),
            )
        ]

    return query


def _no_contact(principal: Principal, today: date, delays: SiteDelays) -> list[sa.Select]:
    """Due on the last contact (else the intake) plus the site's number of days; each site its own. One
    statement per site: each reads the open files of its site through person's (site, status, last contact,
    intake) index, where sites said together in one OR read every file of each site."""
    last_seen = sa.func.coalesce(Person.last_contact_on, Person.intake_on)
    return [
        select(*_columns(ItemKind.NO_CONTACT, plus_days(last_seen, days), code=Person.code, tie=Person.id)).where(
            Person.site_id == site_id,
            Person.status.in_(OPEN_STATUSES),
            last_contact_on_or_before(today - timedelta(days=days)),
        )
        for site_id, days in delays
    ]


def _referrals(principal: Principal, today: date, _delays: SiteDelays) -> list[sa.Select]:
    return [
        select(
            *_columns(
                ItemKind.REFERRAL,
                plus_days(Referral.referred_on, REFERRAL_RESULT_DAYS),
                code=Person.code,
                subject=Partner.name,
                tie=Referral.id,
            )
        )
        .join(Person, Person.id == Referral.person_id)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(
            principal.site_filter(Referral.site_id),
            _open_files(principal),
            Referral.result == ReferralResult.PENDING,
            Referral.referred_on <= today - timedelta(days=REFERRAL_RESULT_DAYS),
        )
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


def _absent_learners(principal: Principal, today: date, _delays: SiteDelays) -> list[sa.Select]:
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
    by_file = principal.can(Capability.VIEW_PERSON_FILES)
    return [
        select(
            *_columns(
                ItemKind.ABSENT_LEARNER,
                sa.func.max(last_two.c.session_on),
                code=Person.code,
                subject=CourseGroup.name,
                target=_Target.FILE if by_file else _Target.COURSE_GROUP,
                ref=CourseGroup.id,
                tie=Person.id,
            )
        )
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
        .group_by(Person.id, Person.code, CourseGroup.id, CourseGroup.name)
        .having(sa.func.count() == 2)
    ]


def _course_rolls(principal: Principal) -> bool:
    return principal.can(Capability.TEACH_COURSES) and not principal.all_sites


def _workshop_rolls(principal: Principal) -> bool:
    return (
        principal.can(Capability.RUN_FIELD_ACTIVITIES)
        and principal.can(Capability.VIEW_PERSON_FILES)
        and not principal.all_sites
    )


def _roll_columns(
    session_id: sa.ColumnElement[int], day: sa.ColumnElement, name: sa.ColumnElement[str], target: _Target
) -> tuple[sa.ColumnElement, ...]:
    """A session whose roll was not taken: due on its day, named by its group or module, linked to its roll."""
    return _columns(ItemKind.ROLL_CALL, day, subject=name, target=target, ref=session_id, tie=session_id)


def _roll_calls(principal: Principal, today: date, _delays: SiteDelays) -> list[sa.Select]:
    since = today - timedelta(days=ROLL_CALL_LOOKBACK_DAYS)
    statements: list[sa.Select] = []
    if _course_rolls(principal):
        enrolled = select(CourseEnrolment.id).where(
            CourseEnrolment.group_id == CourseSession.group_id,
            CourseEnrolment.enrolled_on <= CourseSession.session_on,
            sa.or_(CourseEnrolment.left_on.is_(None), CourseEnrolment.left_on >= CourseSession.session_on),
        )
        marked = select(CourseAttendance.id).where(CourseAttendance.session_id == CourseSession.id)
        statements.append(
            select(*_roll_columns(CourseSession.id, CourseSession.session_on, CourseGroup.name, _Target.COURSE_ROLL))
            .join(CourseGroup, CourseGroup.id == CourseSession.group_id)
            .where(
                visible_groups(principal),
                principal.site_filter(CourseSession.site_id),  # said again on the session: its (site, day) index
                CourseSession.session_on >= since,
                CourseSession.session_on < today,
                ~marked.exists(),  # first: most sessions have their roll, and this is one index lookup
                enrolled.exists(),
            )
        )
    if _workshop_rolls(principal):
        cycle = aliased(WorkshopEnrolment)
        expected = select(cycle.id).where(
            cycle.site_id == WorkshopSession.site_id,
            cycle.cycle_start_on <= WorkshopSession.session_on,
            sa.or_(cycle.left_on.is_(None), cycle.left_on >= WorkshopSession.session_on),
        )
        marked = select(WorkshopAttendance.id).where(WorkshopAttendance.session_id == WorkshopSession.id)
        statement = (
            select(
                *_roll_columns(
                    WorkshopSession.id, WorkshopSession.session_on, WorkshopModule.name, _Target.WORKSHOP_ROLL
                )
            )
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
        statements.append(statement)
    return statements


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
