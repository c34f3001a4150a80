"""Test data named after real situations. Each helper adds rows and flushes (no commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import count

from sqlmodel import Session

from models.attendance import AttendanceStatus
from models.audit import AuditEvent
from models.courses import (
    CefrLevel,
    CourseAttendance,
    CourseEnrolment,
    CourseGroup,
    CourseSession,
    CourseTeacher,
    LearnerProfile,
)
from models.finance import BudgetCategory, BudgetLine, Expense, Funder, FunderKind, Grant, Strand
from models.organisation import Role, Site, User, UserSite
from models.outreach import OutreachArea, OutreachMode, OutreachRound
from models.persons import IntakeOrigin, Person, PersonStatus
from models.staffing import Post, PostType
from models.workshops import WorkshopModule, WorkshopSession, WorkshopTheme
from services import passwords
from services.auth import principal_of
from services.principal import Principal

PASSWORD = "correct horse battery"
_sequence = count(1)
_HASH: dict[str, str] = {}


def password_hash() -> str:
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = passwords.hash_password(PASSWORD, rounds=4)
    return _HASH[PASSWORD]


def a_site(session: Session, code: str, name: str | None = None) -> Site:
    site = Site(code=code, name=name or f"Site {code}", city=name or code)
    session.add(site)
    session.flush()
    return site


def lyon_and_grenoble(session: Session) -> tuple[Site, Site]:
    return a_site(session, "LYO", "Lyon"), a_site(session, "GRE", "Grenoble")


def a_user(session: Session, role: Role, *sites: Site, username: str | None = None, funder_id: int | None = None) -> User:
    user = User(
        username=username or f"{role.value}.{next(_sequence)}",
        display_name=f"Agent {role.value}",
        password_hash=password_hash(),
        role=role,
        funder_id=funder_id,
    )
    session.add(user)
    session.flush()
    for site in sites:
        session.add(UserSite(user_id=user.id, site_id=site.id))
    session.flush()
    return user


def principal(session: Session, user: User) -> Principal:
    return principal_of(session, user)


def a_person_in_file_active(
    session: Session,
    site: Site,
    *,
    intake_on: date,
    referent: User | None = None,
    last_contact_on: date | None = None,
    status: PersonStatus = PersonStatus.ACTIVE,
) -> Person:
    number = next(_sequence)
    person = Person(
        code=f"{site.code}-{intake_on.year}-{number:04d}",
        site_id=site.id,
        code_year=intake_on.year,
        code_number=number,
        status=status,
        first_contact_on=intake_on,
        intake_on=intake_on,
        origin=IntakeOrigin.OUTREACH,
        consent_on=intake_on,
        referent_id=referent.id if referent else None,
        last_contact_on=last_contact_on or intake_on,
    )
    session.add(person)
    session.flush()
    return person


# --- more situations: users, money, posts, activities -------------------------------------------


def an_inactive_user(session: Session, role: Role, *sites: Site, username: str | None = None) -> User:
    user = a_user(session, role, *sites, username=username)
    user.is_active = False
    session.flush()
    return user


def a_demo_account(session: Session, role: Role = Role.DIRECTION, username: str | None = None) -> User:
    """An account carrying the published demo password (production must refuse to start with it)."""
    user = a_user(session, role, username=username)
    user.is_demo = True
    session.flush()
    return user


def a_funder(session: Session, name: str = "AGRASC", kind: FunderKind = FunderKind.AGRASC) -> Funder:
    funder = Funder(name=name, kind=kind)
    session.add(funder)
    session.flush()
    return funder


@dataclass
class GrantWithLines:
    grant: Grant
    lines: dict[str, BudgetLine]  # by site code


def a_grant_with_lines(
    session: Session,
    funder: Funder,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    planned: list[tuple[Site, int]],
    spent: list[tuple[Site, date, int]] = (),
    category: BudgetCategory = BudgetCategory.STAFF,
) -> GrantWithLines:
    """A convention with one budget line per site, `planned` as (site, cents), and the expenses booked
    on them, `spent` as (site, day, cents)."""
    number = next(_sequence)
    grant = Grant(
        funder_id=funder.id,
        name=name,
        convention_ref=f"CONV-{number:05d}",
        amount_cents=sum(cents for _, cents in planned),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    session.add(grant)
    session.flush()
    strand = Strand(grant_id=grant.id, name="Insertion socio-professionnelle")
    session.add(strand)
    session.flush()
    lines: dict[str, BudgetLine] = {}
    for site, cents in planned:
        line = BudgetLine(grant_id=grant.id, strand_id=strand.id, site_id=site.id, category=category,
                          planned_cents=cents)
        session.add(line)
        session.flush()
        lines[site.code] = line
    for site, spent_on, cents in spent:
        an_expense(session, lines[site.code], spent_on=spent_on, amount_cents=cents)
    return GrantWithLines(grant, lines)


def an_expense(session: Session, line: BudgetLine, *, spent_on: date, amount_cents: int) -> Expense:
    expense = Expense(
        budget_line_id=line.id,
        grant_id=line.grant_id,
        site_id=line.site_id,
        spent_on=spent_on,
        amount_cents=amount_cents,
        label="Salaire chargé",
    )
    session.add(expense)
    session.flush()
    return expense


def a_post(
    session: Session,
    site: Site,
    *,
    fte_hundredths: int = 100,
    is_filled: bool = True,
    starts_on: date = date(2025, 1, 1),
    ends_on: date | None = None,
    post_type: PostType = PostType.CIP,
) -> Post:
    post = Post(
        site_id=site.id,
        post_type=post_type,
        fte_hundredths=fte_hundredths,
        monthly_cost_cents=420_000,
        starts_on=starts_on,
        ends_on=ends_on,
        is_filled=is_filled,
        status_since=starts_on,
    )
    session.add(post)
    session.flush()
    return post


def an_outreach_round(
    session: Session, site: Site, *, round_on: date, persons_met: int = 3, mode: OutreachMode = OutreachMode.STREET
) -> OutreachRound:
    outreach = OutreachRound(
        site_id=site.id,
        round_on=round_on,
        duration_minutes=180,
        mode=mode,
        area=OutreachArea.ROADSIDE_VANS if mode == OutreachMode.STREET else OutreachArea.CLASSIFIED_ADS,
        persons_met=persons_met,
        new_contacts=1,
    )
    session.add(outreach)
    session.flush()
    return outreach


def a_workshop_session(session: Session, site: Site, *, session_on: date, module: WorkshopModule | None = None
                       ) -> WorkshopSession:
    if module is None:
        module = WorkshopModule(site_id=site.id, theme=WorkshopTheme.SELF_ESTEEM,
                                name=f"Estime de soi {next(_sequence)}")
        session.add(module)
        session.flush()
    workshop = WorkshopSession(site_id=site.id, module_id=module.id, session_on=session_on)
    session.add(workshop)
    session.flush()
    return workshop


def a_course_group(
    session: Session,
    site: Site,
    *,
    teacher: User | None = None,
    starts_on: date = date(2026, 9, 1),
    ends_on: date | None = None,
    profile: LearnerProfile = LearnerProfile.FLE,
) -> CourseGroup:
    group = CourseGroup(
        site_id=site.id,
        name=f"FLE {site.code} {next(_sequence)}",
        profile=profile,
        target_level=CefrLevel.A2,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    session.add(group)
    session.flush()
    if teacher is not None:
        session.add(CourseTeacher(group_id=group.id, user_id=teacher.id))
        session.flush()
    return group


def a_learner(session: Session, group: CourseGroup, person: Person, *, enrolled_on: date | None = None,
              left_on: date | None = None) -> CourseEnrolment:
    enrolment = CourseEnrolment(group_id=group.id, person_id=person.id, site_id=group.site_id,
                                enrolled_on=enrolled_on or group.starts_on, left_on=left_on)
    session.add(enrolment)
    session.flush()
    return enrolment


def a_course_session(
    session: Session,
    group: CourseGroup,
    *,
    session_on: date,
    duration_minutes: int = 150,
    present: tuple[Person, ...] = (),
    absent: tuple[Person, ...] = (),
) -> CourseSession:
    """A class of the group with its roll call (present and absent learners)."""
    course = CourseSession(group_id=group.id, site_id=group.site_id, session_on=session_on,
                           duration_minutes=duration_minutes)
    session.add(course)
    session.flush()
    for person, status in [(p, AttendanceStatus.PRESENT) for p in present] + [
        (p, AttendanceStatus.ABSENT) for p in absent
    ]:
        session.add(CourseAttendance(session_id=course.id, person_id=person.id, site_id=group.site_id,
                                     status=status))
    session.flush()
    return course


def an_audit_event(session: Session, *, action: str, actor: str = "someone", occurred_at: datetime | None = None,
                   success: bool = True) -> AuditEvent:
    event = AuditEvent(actor_username=actor, action=action, success=success,
                       **({"occurred_at": occurred_at} if occurred_at else {}))
    session.add(event)
    session.flush()
    return event
