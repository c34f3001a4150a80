"""Workshop sessions: planning (date, time, duration, site, module, facilitators, partner, places) and
the lists of upcoming and past sessions with their attendance counts.

Planning: the workshop team of the session's site (see services/activities/workshops/modules.py). Lists: any role with
VIEW_ACTIVITY_FIGURES on its sites (counts only: no person is named).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.attendance import AttendanceStatus
from models.organisation import Site, User, UserSite
from models.partners import Partner
from models.workshops import WorkshopAttendance, WorkshopFacilitator, WorkshopModule, WorkshopSession
from services.activities.workshops.modules import require_figures, require_workshop_team
from services.platform import audit
from services.platform.errors import NotFound, ValidationFailed
from services.platform.principal import Principal
from services.platform.records import versioned_update

MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
MAX_PLACES = 50
PLAN_AHEAD_DAYS = 366
SESSION_NOT_FOUND = N_("Séance introuvable.")


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


@dataclass(frozen=True)
class SessionInput:
    site_id: int | None
    module_id: int | None
    session_on: date | None
    start_time: time | None
    duration_minutes: int | None
    planned_places: int | None
    facilitator_ids: tuple[int, ...] = ()
    partner_id: int | None = None


def _validate(
    session: Session,
    principal: Principal,
    data: SessionInput,
    today: date,
    current: WorkshopSession | None = None,
    current_facilitators: frozenset[int] = frozenset(),
) -> None:
    errors: dict[str, str] = {}
    site_ok = (
        data.site_id is not None
        and session.exec(
            select(Site.id).where(Site.id == data.site_id, Site.is_active == sa.true(), principal.site_filter(Site.id))
        ).first()
        is not None
    )
    if not site_ok:
        errors["site_id"] = _("Choisissez un de vos sites.")
    elif current is not None and data.site_id != current.site_id and _has_roll(session, current.id):
        errors["site_id"] = _("L'appel de cette séance est fait : elle ne peut plus changer de site.")
    if site_ok:
        module = session.get(WorkshopModule, data.module_id) if data.module_id else None
        kept = current is not None and module is not None and module.id == current.module_id
        if module is None or module.site_id != data.site_id or not (module.is_active or kept):
            errors["module_id"] = _("Choisissez un module proposé sur ce site.")
        facilitators = set(data.facilitator_ids)
        if not facilitators:
            errors["facilitator_ids"] = _("Choisissez au moins un·e animateur·rice.")
        else:
            staff = set(
                session.exec(
                    select(User.id)
                    .join(UserSite, UserSite.user_id == User.id)
                    .where(
                        UserSite.site_id == data.site_id,
                        User.id.in_(sorted(facilitators)),
                        sa.or_(User.is_active == sa.true(), User.id.in_(sorted(current_facilitators))),
                    )
                ).all()
            )
            if facilitators - staff:
                errors["facilitator_ids"] = _(
                    "Les animateur·rices doivent être des membres actifs de l'équipe du site."
                )
        if data.partner_id is not None:
            partner = session.get(Partner, data.partner_id)
            kept = current is not None and current.partner_id == data.partner_id
            if partner is None or partner.site_id != data.site_id or not (partner.is_active or kept):
                errors["partner_id"] = _("Choisissez un partenaire de ce site (ou aucun).")
    if data.session_on is None:
        errors["session_on"] = _("La date de la séance est obligatoire.")
    elif data.session_on > today + timedelta(days=PLAN_AHEAD_DAYS):
        errors["session_on"] = _("Une séance se planifie au plus un an à l'avance.")
    elif current is not None and data.session_on > today and _has_roll(session, current.id):
        errors["session_on"] = _("L'appel de cette séance est fait : elle ne peut pas être déplacée dans le futur.")
    if data.duration_minutes is None or not MIN_MINUTES <= data.duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"] = _("La durée doit être comprise entre 15 minutes et 8 heures.")
    if data.planned_places is None or not 1 <= data.planned_places <= MAX_PLACES:
        errors["planned_places"] = _("Le nombre de places doit être compris entre 1 et {maximum}.").format(
            maximum=MAX_PLACES
        )
    if errors:
        raise ValidationFailed(errors)


def _has_roll(session: Session, session_id: int) -> bool:
    return (
        session.exec(select(WorkshopAttendance.id).where(WorkshopAttendance.session_id == session_id).limit(1)).first()
        is not None
    )


def _set_facilitators(session: Session, session_id: int, user_ids: tuple[int, ...]) -> None:
    session.execute(sa.delete(WorkshopFacilitator).where(WorkshopFacilitator.session_id == session_id))
    for user_id in sorted(set(user_ids)):
        session.add(WorkshopFacilitator(session_id=session_id, user_id=user_id))


def create_session(session: Session, principal: Principal, data: SessionInput, *, today: date | None = None) -> int:
    """Plan a session (or record one already held) on one of the principal's sites. Returns its id."""
    require_workshop_team(principal)
    _validate(session, principal, data, today or clock.today())
    workshop = WorkshopSession(
        site_id=data.site_id,
        module_id=data.module_id,
        session_on=data.session_on,
        start_time=data.start_time,
        duration_minutes=data.duration_minutes,
        partner_id=data.partner_id,
        planned_places=data.planned_places,
    )
    session.add(workshop)
    session.flush()
    _set_facilitators(session, workshop.id, data.facilitator_ids)
    audit.record(
        session,
        actor=principal,
        action="workshop.session_create",
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
    data: SessionInput,
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
    _validate(session, principal, data, today or clock.today(), current, facilitators)
    versioned_update(
        session,
        WorkshopSession,
        current.id,
        expected_version,
        {
            "site_id": data.site_id,
            "module_id": data.module_id,
            "session_on": data.session_on,
            "start_time": data.start_time,
            "duration_minutes": data.duration_minutes,
            "partner_id": data.partner_id,
            "planned_places": data.planned_places,
        },
    )
    _set_facilitators(session, current.id, data.facilitator_ids)
    audit.record(
        session,
        actor=principal,
        action="workshop.session_update",
        entity_type="workshop_session",
        entity_id=current.id,
        site_id=data.site_id,
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
    counts: dict[int, tuple[int, int]] = {}
    names: dict[int, list[tuple[int, str]]] = {}
    if ids:
        present = sa.func.sum(sa.case((WorkshopAttendance.status == AttendanceStatus.PRESENT, 1), else_=0))
        for session_id, present_count, marked in session.exec(
            select(WorkshopAttendance.session_id, present, sa.func.count())
            .where(WorkshopAttendance.session_id.in_(ids))
            .group_by(WorkshopAttendance.session_id)
        ).all():
            counts[session_id] = (int(present_count or 0), int(marked))
        for session_id, user_id, display_name in session.exec(
            select(WorkshopFacilitator.session_id, User.id, User.display_name)
            .join(User, User.id == WorkshopFacilitator.user_id)
            .where(WorkshopFacilitator.session_id.in_(ids))
            .order_by(User.display_name)
        ).all():
            names.setdefault(session_id, []).append((user_id, display_name))
    return SessionPage(
        rows=[
            SessionRow(
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
                present=counts.get(w.id, (0, 0))[0],
                marked=counts.get(w.id, (0, 0))[1],
                facilitator_ids=tuple(uid for uid, _unused in names.get(w.id, [])),
                facilitators=tuple(name for _unused, name in names.get(w.id, [])),
            )
            for w, code, module_name, partner_name in rows
        ],
        total=int(total),
    )
