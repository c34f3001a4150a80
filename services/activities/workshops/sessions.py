"""Workshop sessions: planning (date, time, duration, site, module, facilitators, partner, places) and
the lists of upcoming and past sessions with their attendance counts.

Planning: the workshop team of the session's site (see services/activities/workshops/modules.py). Lists: any role with
VIEW_FIELD_FIGURES on its sites (counts only: no person is named). The session form sends a `SessionInput`
(services.platform.inputs); the site's module, team and partner are checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _, message
from models.attendance import AttendanceStatus
from models.audit import AuditAction
from models.organisation import Site, User, UserSite
from models.partners import Partner
from models.workshops import WorkshopAttendance, WorkshopFacilitator, WorkshopModule, WorkshopSession
from services.activities.workshops.modules import require_figures, require_workshop_team
from services.platform import audit
from services.platform.errors import NotFound
from services.platform.inputs import (
    FormInput,
    Ids,
    as_of,
    checked,
    context,
    field_error,
    messages,
    raw_id,
    raw_ids,
    refuse_if,
    required_day,
)
from services.platform.principal import Principal
from services.platform.records import versioned_update

MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
MAX_PLACES = 50
PLAN_AHEAD_DAYS = 366
SESSION_NOT_FOUND = N_("Séance introuvable.")
MESSAGES = {
    "site": N_("Choisissez un de vos sites."),
    "site_rolled": N_("L'appel de cette séance est fait : elle ne peut plus changer de site."),
    "module": N_("Choisissez un module proposé sur ce site."),
    "facilitators": N_("Choisissez au moins un·e animateur·rice."),
    "facilitator_other": N_("Les animateur·rices doivent être des membres actifs de l'équipe du site."),
    "partner": N_("Choisissez un partenaire de ce site (ou aucun)."),
    "session_on": N_("La date de la séance est obligatoire."),
    "too_far": N_("Une séance se planifie au plus un an à l'avance."),
    "moved_to_future": N_("L'appel de cette séance est fait : elle ne peut pas être déplacée dans le futur."),
    "duration": N_("La durée doit être comprise entre 15 minutes et 8 heures."),
    "places": N_("Le nombre de places doit être compris entre 1 et {maximum}."),
}


class Period(StrEnum):
    UPCOMING = "upcoming"  # after today, soonest first
    HELD = "held"  # today and before, latest first (the roll can be taken)


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


@dataclass(frozen=True)
class SessionChoices:
    """What the session form of one site offers."""

    modules: list[Choice]
    facilitators: list[Choice]
    partners: list[Choice]


def session_choices(session: Session, principal: Principal, *, site_id: int) -> SessionChoices:
    """Active modules, active staff and active partners of one of the principal's sites."""
    require_workshop_team(principal)
    if not principal.may_see_site(site_id):
        raise NotFound(_("Site introuvable."))
    modules = session.exec(
        select(WorkshopModule.id, WorkshopModule.name)
        .where(WorkshopModule.site_id == site_id, WorkshopModule.is_active == sa.true())
        .order_by(WorkshopModule.sort_order, WorkshopModule.name)
    ).all()
    staff = session.exec(
        select(User.id, User.display_name)
        .join(UserSite, UserSite.user_id == User.id)
        .where(UserSite.site_id == site_id, User.is_active == sa.true())
        .order_by(User.display_name)
    ).all()
    partners = session.exec(
        select(Partner.id, Partner.name)
        .where(Partner.site_id == site_id, Partner.is_active == sa.true())
        .order_by(Partner.name)
    ).all()
    return SessionChoices([Choice(*m) for m in modules], [Choice(*u) for u in staff], [Choice(*p) for p in partners])


SessionDay = required_day(MESSAGES["session_on"])


class SessionInput(FormInput):
    """What the session form sends. Rules that need no database, each with its message; context: `as_of`
    (today), and for a session whose roll is taken `rolled=True` with its `recorded_site_id` (it keeps its
    site and stays in the past)."""

    site_id: int | None = Field(None, json_schema_extra=messages(MESSAGES["site"]))
    module_id: int = Field(json_schema_extra=messages(MESSAGES["module"]))
    session_on: SessionDay
    start_time: time | None = None
    duration_minutes: int = Field(ge=MIN_MINUTES, le=MAX_MINUTES, json_schema_extra=messages(MESSAGES["duration"]))
    planned_places: int = Field(ge=1, le=MAX_PLACES, json_schema_extra=messages(MESSAGES["places"], maximum=MAX_PLACES))
    facilitator_ids: Ids = Field(
        min_length=1,
        json_schema_extra=messages(MESSAGES["facilitator_other"], by_type={"too_short": MESSAGES["facilitators"]}),
    )
    partner_id: int | None = Field(None, json_schema_extra=messages(MESSAGES["partner"]))

    @field_validator("site_id")
    @classmethod
    def _site_kept_once_rolled(cls, value: int | None, info: ValidationInfo) -> int | None:
        if context(info, "rolled") and value != context(info, "recorded_site_id"):
            raise field_error(MESSAGES["site_rolled"])
        return value

    @field_validator("session_on")
    @classmethod
    def _within_a_year_and_past_once_rolled(cls, value: date, info: ValidationInfo) -> date:
        if value > as_of(info) + timedelta(days=PLAN_AHEAD_DAYS):
            raise field_error(MESSAGES["too_far"])
        if context(info, "rolled") and value > as_of(info):
            raise field_error(MESSAGES["moved_to_future"])
        return value


def _own_active_site(session: Session, principal: Principal, site_id: int | None) -> bool:
    return (
        site_id is not None
        and session.exec(
            select(Site.id).where(Site.id == site_id, Site.is_active == sa.true(), principal.site_filter(Site.id))
        ).first()
        is not None
    )


def _check_module(
    session: Session, errors: dict[str, str], module_id: int | None, site_id: int, current: WorkshopSession | None
) -> None:
    """An active module of the site, or the one the session already uses."""
    module = session.get(WorkshopModule, module_id) if module_id else None
    kept = current is not None and module is not None and module.id == current.module_id
    if module is None or module.site_id != site_id or not (module.is_active or kept):
        errors["module_id"] = message(MESSAGES, "module")


def _check_facilitators(
    session: Session, errors: dict[str, str], facilitators: set[int], site_id: int, kept: frozenset[int]
) -> None:
    """Members of the site's team, active (or already facilitating the session)."""
    staff = set(
        session.exec(
            select(User.id)
            .join(UserSite, UserSite.user_id == User.id)
            .where(
                UserSite.site_id == site_id,
                User.id.in_(sorted(facilitators)),
                sa.or_(User.is_active == sa.true(), User.id.in_(sorted(kept))),
            )
        ).all()
    )
    if facilitators - staff:
        errors["facilitator_ids"] = message(MESSAGES, "facilitator_other")


def _check_partner(
    session: Session, errors: dict[str, str], partner_id: int, site_id: int, current: WorkshopSession | None
) -> None:
    """An active partner of the site, or the one the session already has."""
    partner = session.get(Partner, partner_id)
    kept = current is not None and current.partner_id == partner_id
    if partner is None or partner.site_id != site_id or not (partner.is_active or kept):
        errors["partner_id"] = message(MESSAGES, "partner")


def _checked(
    session: Session,
    principal: Principal,
    data: SessionInput | Mapping[str, object],
    today: date,
    current: WorkshopSession | None = None,
    current_facilitators: frozenset[int] = frozenset(),
) -> SessionInput:
    """The input, or ValidationFailed with every field's message: the model's rules, then the site's
    choices (module, team, partner) for the fields that passed."""
    context: dict[str, object] = {"as_of": today}
    if current is not None:
        context |= {"rolled": _has_roll(session, current.id), "recorded_site_id": current.site_id}
    session_input, errors = checked(SessionInput, data, **context)
    site_id = raw_id(data, "site_id")
    if "site_id" not in errors and not _own_active_site(session, principal, site_id):
        errors["site_id"] = message(MESSAGES, "site")
    if "site_id" not in errors:
        if "module_id" not in errors:
            _check_module(session, errors, raw_id(data, "module_id"), site_id, current)
        if "facilitator_ids" not in errors:
            _check_facilitators(session, errors, raw_ids(data, "facilitator_ids"), site_id, current_facilitators)
        if "partner_id" not in errors and raw_id(data, "partner_id") is not None:
            _check_partner(session, errors, raw_id(data, "partner_id"), site_id, current)
    refuse_if(errors)
    return session_input


def _has_roll(session: Session, session_id: int) -> bool:
    return (
        session.exec(select(WorkshopAttendance.id).where(WorkshopAttendance.session_id == session_id).limit(1)).first()
        is not None
    )


def _set_facilitators(session: Session, session_id: int, user_ids: tuple[int, ...]) -> None:
    session.execute(sa.delete(WorkshopFacilitator).where(WorkshopFacilitator.session_id == session_id))
    for user_id in sorted(set(user_ids)):
        session.add(WorkshopFacilitator(session_id=session_id, user_id=user_id))


def _columns(checked_input: SessionInput) -> dict[str, object]:
    return {
        "site_id": checked_input.site_id,
        "module_id": checked_input.module_id,
        "session_on": checked_input.session_on,
        "start_time": checked_input.start_time,
        "duration_minutes": checked_input.duration_minutes,
        "partner_id": checked_input.partner_id,
        "planned_places": checked_input.planned_places,
    }


def create_session(
    session: Session,
    principal: Principal,
    *,
    data: SessionInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Plan a session (or record one already held) on one of the principal's sites. Returns its id."""
    require_workshop_team(principal)
    session_input = _checked(session, principal, data, today or clock.today())
    workshop = WorkshopSession(**_columns(session_input))
    session.add(workshop)
    session.flush()
    _set_facilitators(session, workshop.id, session_input.facilitator_ids)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_SESSION_CREATE,
        entity_type="workshop_session",
        entity_id=workshop.id,
        site_id=workshop.site_id,
    )
    session.commit()
    return workshop.id


def update_session(
    session: Session,
    principal: Principal,
    session_id: int,
    *,
    expected_version: int,
    data: SessionInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Change a session. Once its roll is taken it keeps its site and stays in the past."""
    require_workshop_team(principal)
    current = session.exec(
        select(WorkshopSession).where(WorkshopSession.id == session_id, principal.site_filter(WorkshopSession.site_id))
    ).first()
    if current is None:
        raise NotFound(_(SESSION_NOT_FOUND))
    facilitators = frozenset(
        session.exec(select(WorkshopFacilitator.user_id).where(WorkshopFacilitator.session_id == session_id)).all()
    )
    session_input = _checked(session, principal, data, today or clock.today(), current, facilitators)
    versioned_update(session, WorkshopSession, current.id, expected_version, _columns(session_input))
    _set_facilitators(session, current.id, session_input.facilitator_ids)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_SESSION_UPDATE,
        entity_type="workshop_session",
        entity_id=current.id,
        site_id=session_input.site_id,
    )
    session.commit()


@dataclass(frozen=True)
class SessionRow:
    id: int
    site_id: int
    site_code: str
    module_id: int
    module_name: str
    session_on: date
    start_time: time | None
    duration_minutes: int
    planned_places: int
    partner_id: int | None
    partner_name: str | None
    version: int
    present: int = 0  # persons marked present
    marked: int = 0  # persons whose attendance is recorded (present, excused or absent)
    facilitator_ids: tuple[int, ...] = ()
    facilitators: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SessionPage:
    rows: list[SessionRow]
    total: int


def _marks_of(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Session id → (persons marked present, persons marked), one GROUP BY."""
    present = sa.func.sum(sa.case((WorkshopAttendance.status == AttendanceStatus.PRESENT, 1), else_=0))
    rows = session.exec(
        select(WorkshopAttendance.session_id, present, sa.func.count())
        .where(WorkshopAttendance.session_id.in_(ids))
        .group_by(WorkshopAttendance.session_id)
    ).all()
    return {session_id: (int(present_count or 0), int(marked)) for session_id, present_count, marked in rows}


def _facilitators_of(session: Session, ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Session id → (user id, display name) of its facilitators, by name."""
    names: dict[int, list[tuple[int, str]]] = {}
    for session_id, user_id, display_name in session.exec(
        select(WorkshopFacilitator.session_id, User.id, User.display_name)
        .join(User, User.id == WorkshopFacilitator.user_id)
        .where(WorkshopFacilitator.session_id.in_(ids))
        .order_by(User.display_name)
    ).all():
        names.setdefault(session_id, []).append((user_id, display_name))
    return names


def _row(
    w: WorkshopSession,
    code: str,
    module_name: str,
    partner_name: str | None,
    marks: tuple[int, int],
    facilitators: list[tuple[int, str]],
) -> SessionRow:
    return SessionRow(
        id=w.id,
        site_id=w.site_id,
        site_code=code,
        module_id=w.module_id,
        module_name=module_name,
        session_on=w.session_on,
        start_time=w.start_time,
        duration_minutes=w.duration_minutes,
        planned_places=w.planned_places,
        partner_id=w.partner_id,
        partner_name=partner_name,
        version=w.version,
        present=marks[0],
        marked=marks[1],
        facilitator_ids=tuple(uid for uid, _unused in facilitators),
        facilitators=tuple(name for _unused, name in facilitators),
    )


def list_sessions(
    session: Session,
    principal: Principal,
    *,
    period: Period,
    site_id: int | None = None,
    limit: int = 20,
    offset: int = 0,
    today: date | None = None,
) -> SessionPage:
    """One page of the sessions of the principal's sites, with present / recorded counts and
    facilitators. Four statements whatever the page size (count, page, counts, facilitators)."""
    require_figures(principal)
    today = today or clock.today()
    conditions = [principal.site_filter(WorkshopSession.site_id)]
    if site_id is not None:
        conditions.append(WorkshopSession.site_id == site_id)
    if Period(period) == Period.UPCOMING:
        conditions.append(WorkshopSession.session_on > today)
        order = (WorkshopSession.session_on, WorkshopSession.start_time, WorkshopSession.id)
    else:
        conditions.append(WorkshopSession.session_on <= today)
        order = (WorkshopSession.session_on.desc(), WorkshopSession.start_time.desc(), WorkshopSession.id.desc())
    total = session.exec(select(sa.func.count()).select_from(WorkshopSession).where(*conditions)).one()
    rows = session.exec(
        select(WorkshopSession, Site.code, WorkshopModule.name, Partner.name)
        .join(Site, Site.id == WorkshopSession.site_id)
        .join(WorkshopModule, WorkshopModule.id == WorkshopSession.module_id)
        .outerjoin(Partner, Partner.id == WorkshopSession.partner_id)
        .where(*conditions)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    ids = [row[0].id for row in rows]
    marks = _marks_of(session, ids) if ids else {}
    names = _facilitators_of(session, ids) if ids else {}
    return SessionPage(
        rows=[
            _row(w, code, module_name, partner_name, marks.get(w.id, (0, 0)), names.get(w.id, []))
            for w, code, module_name, partner_name in rows
        ],
        total=int(total),
    )
