"""Test data named after real situations. Each helper adds rows and flushes (no commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as _time
from itertools import count

from sqlmodel import Session

from models.appointments import Appointment, AppointmentKind
from models.attendance import AttendanceStatus
from models.audit import AuditEvent
from models.courses import (
    CefrLevel,
    CourseAttendance,
    CourseEnrolment,
    CourseGroup,
    CourseSession,
    CourseTeacher,
    LanguageAssessment,
    LanguageSkill,
    LearnerProfile,
    MainstreamTransition,
)
from models.finance import BudgetCategory, BudgetLine, Expense, Funder, FunderKind, Grant, GrantSite, Strand
from models.organisation import Role, Site, User, UserSite
from models.outreach import OutreachArea, OutreachMode, OutreachRound, OutreachRoundStaff
from models.partners import OUTCOME_CATEGORY_OF_TYPE, Outcome, OutcomeType, Partner, PartnerKind, Referral
from models.pathway import PrefectDecision, PspEpisode
from models.persons import ConsentScope, IntakeOrigin, Person, PersonStatus
from models.staffing import Post, PostFunding, PostStatusChange, PostType
from models.workshops import (
    WorkshopAttendance,
    WorkshopCompletion,
    WorkshopEnrolment,
    WorkshopModule,
    WorkshopSession,
    WorkshopTheme,
)
from services.accounts import passwords
from services.accounts.auth import principal_of
from services.persons import consent
from services.platform.crypto import FieldCipher
from services.platform.principal import Principal

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


def a_user(
    session: Session, role: Role, *sites: Site, username: str | None = None, funder_id: int | None = None
) -> User:
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


def an_appointment(
    session: Session,
    person: Person,
    on: date,
    *,
    kind: AppointmentKind = AppointmentKind.INTERVIEW,
    minutes: int = 45,
    site: Site | None = None,
    language: str | None = None,
) -> Appointment:
    """An appointment of `person` on `on`, at the file's site unless `site` says where (a file moved since)."""
    row = Appointment(
        person_id=person.id,
        site_id=person.site_id if site is None else site.id,
        appointment_on=on,
        kind=kind,
        duration_minutes=minutes,
        interpreter_language=language,
    )
    session.add(row)
    session.flush()
    return row


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
        line = BudgetLine(
            grant_id=grant.id, strand_id=strand.id, site_id=site.id, category=category, planned_cents=cents
        )
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


def a_workshop_session(
    session: Session, site: Site, *, session_on: date, module: WorkshopModule | None = None
) -> WorkshopSession:
    if module is None:
        module = WorkshopModule(
            site_id=site.id, theme=WorkshopTheme.SELF_ESTEEM, name=f"Estime de soi {next(_sequence)}"
        )
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


def a_learner(
    session: Session,
    group: CourseGroup,
    person: Person,
    *,
    enrolled_on: date | None = None,
    left_on: date | None = None,
) -> CourseEnrolment:
    enrolment = CourseEnrolment(
        group_id=group.id,
        person_id=person.id,
        site_id=group.site_id,
        enrolled_on=enrolled_on or group.starts_on,
        left_on=left_on,
    )
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
    course = CourseSession(
        group_id=group.id, site_id=group.site_id, session_on=session_on, duration_minutes=duration_minutes
    )
    session.add(course)
    session.flush()
    for person, status in [(p, AttendanceStatus.PRESENT) for p in present] + [
        (p, AttendanceStatus.ABSENT) for p in absent
    ]:
        session.add(CourseAttendance(session_id=course.id, person_id=person.id, site_id=group.site_id, status=status))
    session.flush()
    return course


def an_audit_event(
    session: Session, *, action: str, actor: str = "someone", occurred_at: datetime | None = None, success: bool = True
) -> AuditEvent:
    event = AuditEvent(
        actor_username=actor, action=action, success=success, **({"occurred_at": occurred_at} if occurred_at else {})
    )
    session.add(event)
    session.flush()
    return event


# --- workshops: modules, cycles, rolls (attendance and workshops helper) -------------------------


def a_person_called(
    session: Session,
    site: Site,
    first_name: str,
    *,
    cipher: FieldCipher,
    intake_on: date,
    status: PersonStatus = PersonStatus.ACTIVE,
) -> Person:
    """A file whose encrypted first name is `first_name` (as the intake form stores it)."""
    person = a_person_in_file_active(session, site, intake_on=intake_on, status=status)
    person.alias_encrypted = cipher.encrypt(first_name)
    session.flush()
    return person


def a_workshop_module(
    session: Session,
    site: Site,
    *,
    name: str | None = None,
    theme: WorkshopTheme = WorkshopTheme.SELF_ESTEEM,
    sort_order: int = 0,
    is_active: bool = True,
) -> WorkshopModule:
    module = WorkshopModule(
        site_id=site.id,
        theme=theme,
        name=name or f"Module {next(_sequence)}",
        sort_order=sort_order,
        is_active=is_active,
    )
    session.add(module)
    session.flush()
    return module


def a_workshop_cycle(
    session: Session, person: Person, *, starts_on: date, left_on: date | None = None
) -> WorkshopEnrolment:
    """The person joins the workshop cycle of its own site on `starts_on` (and leaves on `left_on`)."""
    enrolment = WorkshopEnrolment(
        person_id=person.id, site_id=person.site_id, cycle_start_on=starts_on, left_on=left_on
    )
    session.add(enrolment)
    session.flush()
    return enrolment


def a_workshop_roll(
    session: Session,
    workshop: WorkshopSession,
    *,
    present: tuple[Person, ...] = (),
    excused: tuple[Person, ...] = (),
    absent: tuple[Person, ...] = (),
) -> None:
    """The roll of a workshop session as it was taken (no access check, no audit)."""
    for people, status in (
        (present, AttendanceStatus.PRESENT),
        (excused, AttendanceStatus.EXCUSED),
        (absent, AttendanceStatus.ABSENT),
    ):
        for person in people:
            session.add(
                WorkshopAttendance(session_id=workshop.id, person_id=person.id, site_id=workshop.site_id, status=status)
            )
    session.flush()


def a_validated_module(
    session: Session, person: Person, module: WorkshopModule, *, completed_on: date
) -> WorkshopCompletion:
    completion = WorkshopCompletion(
        person_id=person.id, module_id=module.id, site_id=module.site_id, completed_on=completed_on
    )
    session.add(completion)
    session.flush()
    return completion


# --- outreach: rounds with their team, files opened after a round (outreach helper) -------------


def a_logged_round(
    session: Session,
    site: Site,
    *,
    round_on: date,
    team: tuple[User, ...] = (),
    mode: OutreachMode = OutreachMode.STREET,
    persons_met: int = 8,
    new_contacts: int = 2,
    conversations: int = 5,
    referred_to_intake: int = 1,
) -> OutreachRound:
    """A round as a team logs it (an evening street round by default, or an online one), with its team."""
    outreach = OutreachRound(
        site_id=site.id,
        round_on=round_on,
        start_time=_time(21, 0) if mode == OutreachMode.STREET else _time(14, 0),
        duration_minutes=180,
        mode=mode,
        area=OutreachArea.CITY_CENTRE if mode == OutreachMode.STREET else OutreachArea.SOCIAL_NETWORKS,
        persons_met=persons_met,
        new_contacts=new_contacts,
        conversations=conversations,
        referred_to_intake=referred_to_intake,
    )
    session.add(outreach)
    session.flush()
    session.add_all([OutreachRoundStaff(round_id=outreach.id, user_id=member.id) for member in team])
    session.flush()
    return outreach


def a_file_opened_after_round(
    session: Session, outreach: OutreachRound, *, intake_on: date, origin: IntakeOrigin = IntakeOrigin.OUTREACH
) -> Person:
    """A person met on a round who came to an intake later: the file points to that round."""
    site = session.get(Site, outreach.site_id)
    person = a_person_in_file_active(session, site, intake_on=intake_on)
    person.origin = origin
    person.outreach_round_id = outreach.id
    session.flush()
    return person


# --- staffing: grants with strands and 64 lines, posts with their history and funding (staffing helper) --


@dataclass
class StaffGrant:
    grant: Grant
    strand: Strand
    lines: dict[tuple[str, BudgetCategory], BudgetLine]  # by (site code, category)


def a_staff_grant(
    session: Session,
    funder: Funder,
    *sites: Site,
    starts_on: date = date(2025, 1, 1),
    ends_on: date = date(2026, 12, 31),
    planned: dict[BudgetCategory, int] | None = None,
    tolerance_bp: int = 1000,
) -> StaffGrant:
    """A convention covering `sites` with one strand and a line per site and category (64 by default),
    each line planned at the cents given in `planned`."""
    from models.finance import GrantSite

    planned = planned or {BudgetCategory.STAFF: 10_000_000}
    number = next(_sequence)
    grant = Grant(
        funder_id=funder.id,
        name=f"Convention {number}",
        convention_ref=f"STAFF-{number:05d}",
        amount_cents=sum(planned.values()) * len(sites),
        starts_on=starts_on,
        ends_on=ends_on,
        tolerance_bp=tolerance_bp,
    )
    session.add(grant)
    session.flush()
    strand = Strand(grant_id=grant.id, name="Aller-vers")
    session.add(strand)
    session.flush()
    lines: dict[tuple[str, BudgetCategory], BudgetLine] = {}
    for site in sites:
        session.add(GrantSite(grant_id=grant.id, site_id=site.id))
        for category, cents in planned.items():
            line = BudgetLine(
                grant_id=grant.id, strand_id=strand.id, site_id=site.id, category=category, planned_cents=cents
            )
            session.add(line)
            session.flush()
            lines[(site.code, category)] = line
    session.flush()
    return StaffGrant(grant, strand, lines)


def a_funded_post(
    session: Session,
    site: Site,
    *,
    monthly_cost_cents: int,
    funding: list[tuple[StaffGrant, int]],
    history: list[tuple[date, bool]] | None = None,
    starts_on: date = date(2025, 1, 1),
    ends_on: date | None = None,
    fte_hundredths: int = 100,
    post_type: PostType = PostType.CIP,
    holder_name: str | None = "Camille Martin",
) -> Post:
    """A post funded by (grant, share in basis points) whose history is (date, filled?) — filled from its
    start when no history is given."""
    history = history if history is not None else [(starts_on, True)]
    last_day, filled = history[-1] if history else (starts_on, False)
    post = Post(
        site_id=site.id,
        post_type=post_type,
        fte_hundredths=fte_hundredths,
        monthly_cost_cents=monthly_cost_cents,
        starts_on=starts_on,
        ends_on=ends_on,
        is_filled=filled,
        status_since=last_day,
        holder_name=holder_name if filled else None,
    )
    session.add(post)
    session.flush()
    for day, is_filled in history:
        session.add(
            PostStatusChange(
                post_id=post.id, changed_on=day, is_filled=is_filled, holder_name=holder_name if is_filled else None
            )
        )
    for staff_grant, share_bp in funding:
        session.add(
            PostFunding(
                post_id=post.id, grant_id=staff_grant.grant.id, share_bp=share_bp, strand_id=staff_grant.strand.id
            )
        )
    session.flush()
    return post


# --- budget consumption: a convention in strands × sites × categories (budget helper) -------------


@dataclass
class BudgetedGrant:
    grant: Grant
    strands: dict[str, Strand]  # by name
    lines: dict[tuple[str, str, BudgetCategory], BudgetLine]  # by (strand name, site code, category)


def a_budgeted_grant(
    session: Session,
    funder: Funder,
    *,
    starts_on: date,
    ends_on: date,
    planned: list[tuple[str, Site, BudgetCategory, int]],
    tolerance_bp: int = 1000,
    name: str | None = None,
) -> BudgetedGrant:
    """A convention whose lines are (strand name, site, category, planned cents); its amount is their sum."""
    from models.finance import GrantSite

    number = next(_sequence)
    grant = Grant(
        funder_id=funder.id,
        name=name or f"Convention budgétée {number}",
        convention_ref=f"BUDG-{number:05d}",
        amount_cents=sum(row[3] for row in planned),
        starts_on=starts_on,
        ends_on=ends_on,
        tolerance_bp=tolerance_bp,
    )
    session.add(grant)
    session.flush()
    strands: dict[str, Strand] = {}
    lines: dict[tuple[str, str, BudgetCategory], BudgetLine] = {}
    for site_id in sorted({site.id for _, site, _, _ in planned}):
        session.add(GrantSite(grant_id=grant.id, site_id=site_id))
    for strand_name, site, category, cents in planned:
        if strand_name not in strands:
            strands[strand_name] = Strand(grant_id=grant.id, name=strand_name)
            session.add(strands[strand_name])
            session.flush()
        line = BudgetLine(
            grant_id=grant.id,
            strand_id=strands[strand_name].id,
            site_id=site.id,
            category=category,
            planned_cents=cents,
        )
        session.add(line)
        session.flush()
        lines[(strand_name, site.code, category)] = line
    return BudgetedGrant(grant, strands, lines)


# --- grants, budget lines and expenses (grants and expenses helper) ------------------------------


@dataclass
class Convention:
    grant: Grant
    strands: dict[str, Strand]  # by name
    lines: dict[str, BudgetLine]  # by accounting code


def a_convention(
    session: Session,
    funder: Funder,
    *,
    sites: tuple[Site, ...],
    starts_on: date,
    ends_on: date,
    lines: list[tuple[str, Site, BudgetCategory, int, str]],
    strands: tuple[str, ...] = ("Aller-vers", "Insertion socio-professionnelle"),
    amount_cents: int | None = None,
    name: str = "Fonds de concours",
) -> Convention:
    """A convention on `sites` with its strands and its lines given as (strand, site, category, planned
    cents, accounting code); the grant amount is the sum of the lines unless `amount_cents` is given."""
    number = next(_sequence)
    grant = Grant(
        funder_id=funder.id,
        name=f"{name} {number}",
        convention_ref=f"CONV-{number:05d}",
        amount_cents=sum(line[3] for line in lines) if amount_cents is None else amount_cents,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    session.add(grant)
    session.flush()
    session.add_all([GrantSite(grant_id=grant.id, site_id=site.id) for site in sites])
    by_name = {strand: Strand(grant_id=grant.id, name=strand) for strand in strands}
    session.add_all(by_name.values())
    session.flush()
    by_code: dict[str, BudgetLine] = {}
    for strand, site, category, cents, code in lines:
        line = BudgetLine(
            grant_id=grant.id,
            strand_id=by_name[strand].id,
            site_id=site.id,
            category=category,
            planned_cents=cents,
            accounting_code=code,
        )
        session.add(line)
        session.flush()
        by_code[code] = line
    return Convention(grant, by_name, by_code)


# --- funder space (issue 6): a funded grant with a little activity ------------------------------


def persons_taken_in(session: Session, site: Site, *, on: date, count: int) -> list[Person]:
    """`count` files opened at `site` on the same day (new intakes of that month)."""
    return [a_person_in_file_active(session, site, intake_on=on) for _ in range(count)]


# --- director dashboard (issue 6): pathway events dated for period boundaries ---------------------


def a_file_closed_on(
    session: Session, site: Site, *, intake_on: date, closed_on: date | None, status: PersonStatus = PersonStatus.CLOSED
) -> Person:
    """A file that left the active list: closed on `closed_on` (or anonymised without a closing date)."""
    person = a_person_in_file_active(session, site, intake_on=intake_on, status=status)
    person.closed_on = closed_on
    session.flush()
    return person


def a_partner_of_kind(session: Session, site: Site, kind: PartnerKind) -> Partner:
    partner = Partner(site_id=site.id, name=f"{kind.value} {next(_sequence)}", kind=kind)
    session.add(partner)
    session.flush()
    return partner


def a_referral_to(session: Session, person: Person, partner: Partner, *, on: date) -> Referral:
    referral = Referral(person_id=person.id, site_id=person.site_id, partner_id=partner.id, referred_on=on)
    session.add(referral)
    session.flush()
    return referral


def an_outcome_of(session: Session, person: Person, outcome_type: OutcomeType, *, on: date) -> Outcome:
    outcome = Outcome(
        person_id=person.id,
        site_id=person.site_id,
        outcome_on=on,
        outcome_type=outcome_type,
        category=OUTCOME_CATEGORY_OF_TYPE[outcome_type],
    )
    session.add(outcome)
    session.flush()
    return outcome


def a_psp_requested(
    session: Session,
    person: Person,
    *,
    on: date,
    ended_on: date | None = None,
    decision: PrefectDecision = PrefectDecision.PENDING,
    decided_on: date | None = None,
) -> PspEpisode:
    episode = PspEpisode(
        person_id=person.id,
        site_id=person.site_id,
        requested_on=on,
        ended_on=ended_on,
        prefect_decision=decision,
        decided_on=decided_on,
    )
    session.add(episode)
    session.flush()
    return episode


def an_assessment(
    session: Session, person: Person, skill: LanguageSkill, level: CefrLevel, *, on: date, site: Site | None = None
) -> LanguageAssessment:
    """Made at the person's site (at `site`, when given)."""
    assessment = LanguageAssessment(
        person_id=person.id,
        site_id=person.site_id if site is None else site.id,
        assessed_on=on,
        skill=skill,
        level=level,
    )
    session.add(assessment)
    session.flush()
    return assessment


def a_move_to_mainstream(session: Session, person: Person, *, on: date) -> MainstreamTransition:
    move = MainstreamTransition(
        person_id=person.id, site_id=person.site_id, moved_on=on, destination="Cours municipaux de FLE"
    )
    session.add(move)
    session.flush()
    return move


def consent_changed(
    session: Session,
    principal: Principal,
    person: Person,
    given: bool,
    day: date,
    scope: ConsentScope = ConsentScope.STATISTICS,
    *,
    today: date,
) -> None:
    """The person's consent withdrawn (`given` false) or given again from `day`, through the consent form's service,
    recorded on `today` (a change may not reach back before the current quarter)."""
    consent.record_consent_change(
        session, principal, person.id, data={"scope": scope, "given": given, "effective_on": day}, today=today
    )


def refused_statistics_at_intake(session: Session, person: Person) -> None:
    """The person refused « statistiques anonymes » at intake: the file's answer and its row of the history."""
    person.consent_statistics = False
    session.add(person)
    consent.record_intake_refusals(session, person, author_id=None)
    session.flush()
