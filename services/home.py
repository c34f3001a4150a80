"""Key figures of the home page, per role, computed in SQL within the principal's scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import _, language
from models.attendance import AttendanceStatus
from models.audit import AuditEvent
from models.courses import CourseAttendance, CourseEnrolment, CourseGroup, CourseSession, CourseTeacher
from models.finance import Expense, Grant
from models.organisation import LoginThrottle, Role, User
from models.outreach import OutreachRound
from models.persons import Person, PersonStatus
from models.staffing import Post
from models.types import utcnow
from models.workshops import WorkshopSession
from services import worklist
from services.finance import consumption as budget_consumption
from services.finance.access import visible_lines
from services.platform import data_version
from services.platform.pages import PageKey, may_open
from services.platform.principal import Capability, Principal

OPEN_FILE_STATUSES = (PersonStatus.ACTIVE, PersonStatus.PAUSED)


class FigureKind(StrEnum):
    COUNT = "count"
    HOURS = "hours"
    FTE = "fte"  # hundredths of a full-time equivalent


@dataclass(frozen=True)
class KeyFigure:
    key: str  # stable English identifier (tests, translations); `label` is what users read
    label: str
    value: int
    kind: FigureKind = FigureKind.COUNT
    help: str | None = None


@dataclass(frozen=True)
class GrantConsumption:
    grant_name: str
    planned_cents: int
    spent_cents: int
    elapsed_share: float  # 0..1 of the grant period passed

    @property
    def consumed_share(self) -> float:
        return self.spent_cents / self.planned_cents if self.planned_cents else 0.0


@dataclass(frozen=True)
class MonthlyPoint:
    month: date
    series: str
    value: int


@dataclass
class HomeOverview:
    figures: list[KeyFigure] = field(default_factory=list)
    grants: list[GrantConsumption] = field(default_factory=list)
    monthly: list[MonthlyPoint] = field(default_factory=list)
    monthly_title: str | None = None
    worklist: list[worklist.KindCount] = field(default_factory=list)  # « À faire »: counts per kind


def _month_key(column: sa.ColumnElement) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    return sa.extract("year", column).label("y"), sa.extract("month", column).label("m")


def _monthly(session: Session, statement: sa.Select, series: str) -> list[MonthlyPoint]:
    return [MonthlyPoint(date(int(y), int(m), 1), series, int(v or 0)) for y, m, v in session.exec(statement).all()]


def _person_figures(session: Session, principal: Principal, today: date, overview: HomeOverview) -> None:
    in_scope = principal.site_filter(Person.site_id)
    month = clock.month_start(today)
    open_files = session.exec(
        select(sa.func.count()).select_from(Person).where(in_scope, Person.status.in_(OPEN_FILE_STATUSES))
    ).one()
    new_intakes = session.exec(
        select(sa.func.count())
        .select_from(Person)
        .where(in_scope, Person.intake_on >= month, Person.intake_on <= today)
    ).one()
    stale = session.exec(
        select(sa.func.count())
        .select_from(Person)
        .where(
            in_scope,
            Person.status.in_(OPEN_FILE_STATUSES),
            sa.or_(Person.last_contact_on.is_(None), Person.last_contact_on < today - timedelta(days=91)),
        )
    ).one()
    overview.figures += [
        KeyFigure(
            "open_files", _("Dossiers en file active"), open_files, help=_("Accompagnements en cours ou en pause.")
        ),
        KeyFigure("new_intakes", _("Nouveaux accueils ce mois-ci"), new_intakes),
        KeyFigure(
            "stale_files",
            _("Sans contact > 3 mois"),
            stale,
            help=_("Dossiers ouverts sans contact depuis plus de 3 mois : à relancer."),
        ),
    ]
    if principal.role == Role.INTERVENANT:
        mine = session.exec(
            select(sa.func.count())
            .select_from(Person)
            .where(in_scope, Person.referent_id == principal.user_id, Person.status.in_(OPEN_FILE_STATUSES))
        ).one()
        overview.figures.append(KeyFigure("my_files", _("Dont je suis référent·e"), mine))
    start = clock.month_start(month, -11)
    y, m = _month_key(Person.intake_on)
    overview.monthly += _monthly(
        session,
        select(y, m, sa.func.count())
        .where(in_scope, Person.intake_on >= start, Person.intake_on <= today)
        .group_by(y, m),
        _("Nouveaux accueils"),
    )
    overview.monthly_title = _("Activité des 12 derniers mois")


def _activity_figures(session: Session, principal: Principal, today: date, overview: HomeOverview) -> None:
    month = clock.month_start(today)
    rounds, met = session.exec(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(OutreachRound.persons_met), 0)).where(
            principal.site_filter(OutreachRound.site_id),
            OutreachRound.round_on >= month,
            OutreachRound.round_on <= today,
        )
    ).one()
    workshops = session.exec(
        select(sa.func.count())
        .select_from(WorkshopSession)
        .where(
            principal.site_filter(WorkshopSession.site_id),
            WorkshopSession.session_on >= month,
            WorkshopSession.session_on <= today,
        )
    ).one()
    overview.figures += [
        KeyFigure("outreach_rounds", _("Maraudes ce mois-ci"), rounds),
        KeyFigure("persons_met", _("Personnes rencontrées"), int(met), help=_("En maraude, ce mois-ci.")),
        KeyFigure("workshop_sessions", _("Ateliers ce mois-ci"), workshops),
        KeyFigure(
            "course_hours",
            _("Heures de français"),
            _course_minutes(session, principal, month, today) // 60,
            FigureKind.HOURS,
            help=_("Heures de présence cumulées des apprenant·es ce mois-ci."),
        ),
    ]
    start = clock.month_start(month, -11)
    y, m = _month_key(OutreachRound.round_on)
    overview.monthly += _monthly(
        session,
        select(y, m, sa.func.sum(OutreachRound.persons_met))
        .where(
            principal.site_filter(OutreachRound.site_id),
            OutreachRound.round_on >= start,
            OutreachRound.round_on <= today,
        )
        .group_by(y, m),
        _("Personnes rencontrées en maraude"),
    )
    overview.monthly_title = _("Activité des 12 derniers mois")


def _teacher_groups(principal: Principal) -> sa.Select:
    """Groups of a formateur: those they teach, on their sites."""
    return (
        select(CourseTeacher.group_id)
        .join(CourseGroup, CourseGroup.id == CourseTeacher.group_id)
        .where(CourseTeacher.user_id == principal.user_id, principal.site_filter(CourseGroup.site_id))
    )


def _course_minutes(session: Session, principal: Principal, start: date, end: date) -> int:
    statement = (
        select(sa.func.coalesce(sa.func.sum(CourseSession.duration_minutes), 0))
        .select_from(CourseAttendance)
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(
            principal.site_filter(CourseSession.site_id),
            CourseAttendance.status == AttendanceStatus.PRESENT,
            CourseSession.session_on >= start,
            CourseSession.session_on <= end,
        )
    )
    if principal.role == Role.FORMATEUR:
        statement = statement.where(CourseSession.group_id.in_(_teacher_groups(principal)))
    return int(session.exec(statement).one())


def _learner_figures(session: Session, principal: Principal, today: date, overview: HomeOverview) -> None:
    month = clock.month_start(today)
    groups = _teacher_groups(principal)
    group_count = session.exec(
        select(sa.func.count())
        .select_from(CourseGroup)
        .where(CourseGroup.id.in_(groups), sa.or_(CourseGroup.ends_on.is_(None), CourseGroup.ends_on >= today))
    ).one()
    learners = session.exec(
        select(sa.func.count(sa.distinct(CourseEnrolment.person_id))).where(
            CourseEnrolment.group_id.in_(groups), CourseEnrolment.left_on.is_(None)
        )
    ).one()
    sessions = session.exec(
        select(sa.func.count())
        .select_from(CourseSession)
        .where(CourseSession.group_id.in_(groups), CourseSession.session_on >= month, CourseSession.session_on <= today)
    ).one()
    overview.figures += [
        KeyFigure("my_groups", _("Mes groupes en cours"), group_count),
        KeyFigure("learners", _("Apprenant·es inscrit·es"), learners),
        KeyFigure("course_sessions", _("Séances ce mois-ci"), sessions),
        KeyFigure(
            "attendance_hours",
            _("Heures de présence"),
            _course_minutes(session, principal, month, today) // 60,
            FigureKind.HOURS,
        ),
    ]
    start = clock.month_start(month, -11)
    y, m = _month_key(CourseSession.session_on)
    overview.monthly += _monthly(
        session,
        select(y, m, sa.func.sum(CourseSession.duration_minutes) / 60)
        .select_from(CourseAttendance)
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(
            CourseSession.group_id.in_(groups),
            CourseAttendance.status == AttendanceStatus.PRESENT,
            CourseSession.session_on >= start,
            CourseSession.session_on <= today,
        )
        .group_by(y, m),
        _("Heures de présence"),
    )
    overview.monthly_title = _("Heures de présence dans mes groupes")


def _elapsed_share(starts_on: date, ends_on: date, today: date) -> float:
    """The one rule of services.finance.consumption (Suivi budgétaire shows the same share)."""
    return float(budget_consumption.elapsed_share(starts_on, ends_on, today))


def grant_consumption(session: Session, principal: Principal, today: date) -> list[GrantConsumption]:
    """Planned vs spent per current grant: all grants for direction/gestion, own-site lines for
    chef_service, the funder's own grants for financeur."""
    if not (principal.can(Capability.VIEW_BUDGET) or principal.can(Capability.VIEW_FUNDED_GRANTS)):
        return []
    totals = budget_consumption.grant_totals(visible_lines(principal), today)
    rows = session.exec(
        select(Grant.name, Grant.starts_on, Grant.ends_on, totals.c.planned, totals.c.spent)
        .join(totals, totals.c.grant_id == Grant.id)
        .where(Grant.ends_on >= today - timedelta(days=365))
        .order_by(Grant.ends_on)
    ).all()
    return [
        GrantConsumption(name, int(planned_cents), int(spent_cents), _elapsed_share(starts, ends, today))
        for name, starts, ends, planned_cents, spent_cents in rows
    ]


def _budget_figures(session: Session, principal: Principal, today: date, overview: HomeOverview) -> None:
    overview.grants = grant_consumption(session, principal, today)
    if principal.can(Capability.VIEW_STAFFING):
        in_scope = principal.site_filter(Post.site_id)
        current = sa.and_(in_scope, Post.starts_on <= today, sa.or_(Post.ends_on.is_(None), Post.ends_on >= today))
        funded, filled, vacant = session.exec(
            select(
                sa.func.coalesce(sa.func.sum(Post.fte_hundredths), 0),
                sa.func.coalesce(sa.func.sum(sa.case((Post.is_filled, Post.fte_hundredths), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((Post.is_filled, 0), else_=1)), 0),
            ).where(current)
        ).one()
        overview.figures += [
            KeyFigure("fte_funded", _("ETP financés"), int(funded), FigureKind.FTE),
            KeyFigure("fte_filled", _("ETP pourvus"), int(filled), FigureKind.FTE),
            KeyFigure("vacant_posts", _("Postes vacants"), int(vacant)),
        ]
    if principal.role == Role.GESTION:
        month = clock.month_start(today)
        count = session.exec(
            select(sa.func.count()).select_from(Expense).where(Expense.spent_on >= month, Expense.spent_on <= today)
        ).one()
        overview.figures.append(KeyFigure("expenses_this_month", _("Dépenses saisies ce mois-ci"), count))
        start = clock.month_start(month, -11)
        y, m = _month_key(Expense.spent_on)
        overview.monthly += _monthly(
            session,
            select(y, m, sa.func.sum(Expense.amount_cents) / 100)
            .where(Expense.spent_on >= start, Expense.spent_on <= today)
            .group_by(y, m),
            _("Dépenses (€)"),
        )
        overview.monthly_title = _("Dépenses des 12 derniers mois (€)")


def _admin_figures(session: Session, today: date, overview: HomeOverview) -> None:
    now = utcnow()
    day_ago = now - timedelta(days=1)
    active = session.exec(select(sa.func.count()).select_from(User).where(User.is_active == sa.true())).one()
    locked = session.exec(
        select(sa.func.count()).select_from(LoginThrottle).where(LoginThrottle.locked_until > now)
    ).one()
    failures = session.exec(
        select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action.in_(["login.failure", "login.locked"]), AuditEvent.occurred_at >= day_ago)
    ).one()
    events = session.exec(
        select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.occurred_at >= day_ago)
    ).one()
    overview.figures += [
        KeyFigure("active_accounts", _("Comptes actifs"), active),
        KeyFigure(
            "locked_usernames",
            _("Identifiants verrouillés"),
            locked,
            help=_("Après 5 échecs en 15 minutes, pour 15 minutes."),
        ),
        KeyFigure("login_failures", _("Échecs de connexion (24 h)"), failures),
        KeyFigure("audit_events", _("Événements journalisés (24 h)"), events),
    ]


def _worklist_counts(session: Session, principal: Principal, today: date, overview: HomeOverview) -> None:
    overview.worklist = worklist.worklist_counts(session, principal, today=today)


def overview_for(session: Session, principal: Principal, *, today: date | None = None) -> HomeOverview:
    """Everything the home page shows for this principal; each block only if its capability allows."""
    today = today or clock.today()
    overview = HomeOverview()
    if principal.role == Role.ADMIN:
        _admin_figures(session, today, overview)  # the audit log and lockouts: not behind the data version
    if principal.can(Capability.VIEW_PERSON_FILES):
        _add_block(overview, session, principal, today, _person_figures, per_user=True)
    if principal.can(Capability.VIEW_FIELD_FIGURES):
        _add_block(overview, session, principal, today, _activity_figures)
    elif principal.can(Capability.TEACH_COURSES):
        _add_block(overview, session, principal, today, _learner_figures, per_user=True)
    if principal.can(Capability.VIEW_BUDGET) or principal.can(Capability.VIEW_FUNDED_GRANTS):
        _add_block(overview, session, principal, today, _budget_figures)
    if may_open(principal, PageKey.WORKLIST):  # counts of the user's own groups and sessions: per user
        _add_block(overview, session, principal, today, _worklist_counts, per_user=True)
    return overview


def _add_block(
    overview: HomeOverview,
    session: Session,
    principal: Principal,
    today: date,
    fill: Callable[[Session, Principal, date, HomeOverview], None],
    *,
    per_user: bool = False,
) -> None:
    """Add one block of figures, cached per data version (services.platform.data_version): counts and sums
    of the principal's scope, and of the user's own files or groups when `per_user`."""

    def compute() -> HomeOverview:
        block = HomeOverview()
        fill(session, principal, today, block)
        return block

    key = (principal.scope, principal.user_id if per_user else None, today, language())
    block = data_version.cached_aggregate(session, f"home.{fill.__name__}", key, compute)
    overview.figures += block.figures
    overview.grants = overview.grants + block.grants
    overview.monthly += block.monthly
    overview.monthly_title = block.monthly_title or overview.monthly_title
    overview.worklist = overview.worklist + block.worklist
