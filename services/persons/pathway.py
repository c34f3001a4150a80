"""A person's pathway: barriers, action-plan goals, the exit pathway (PSP) and notes.

Who may call: roles with VIEW_PERSON_FILES read (direction by code only, never notes); roles with
EDIT_PERSON_FILES write, on files of their sites that are not anonymised. A file outside the
principal's sites is "not found". Every write is one transaction with one audit entry (no values)
and counts as a contact with the person (person.last_contact_on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

import clock
from i18n import N_, _, ngettext
from models.organisation import User
from models.pathway import (
    ActionGoal,
    Barrier,
    BarrierAssessment,
    BarrierSeverity,
    CommissionOpinion,
    GoalAxis,
    GoalStatus,
    PrefectDecision,
    PspEpisode,
    PspPeriod,
)
from models.persons import Person, PersonNote, PersonStatus
from services.persons.access import person_in_scope, require_writable, touch_last_contact
from services.platform import audit
from services.platform.crypto import FieldCipher
from services.platform.errors import ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import not_future as _not_future
from services.platform.records import owned_row as _owned_row
from services.platform.records import save_sub_record
from services.platform.records import versioned_update as _versioned_update
from services.platform.records import writable_person as _writable_person

PSP_PERIOD_MONTHS = 6
PSP_MAX_MONTHS = 24  # loi 2016-444: authorisation of 6 months, renewable, 24 months in all
PSP_ALERT_DAYS = 30
GOAL_MAX = 200
ACTIONS_MAX = 1000
NOTE_MAX = 5000


# --- barriers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BarrierPoint:
    assessed_on: date
    barrier: Barrier
    severity: BarrierSeverity


def record_barriers(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    assessed_on: date,
    ratings: dict[Barrier, BarrierSeverity],
    today: date | None = None,
) -> int:
    """Record an assessment: one row per barrier rated, all on the same date. Returns the count."""
    today = today or clock.today()
    person = _writable_person(session, principal, person_id)
    errors: dict[str, str] = {}
    _not_future(errors, "assessed_on", assessed_on, today)
    if not ratings:
        errors["ratings"] = _("Évaluez au moins un frein.")
    if errors:
        raise ValidationFailed(errors)
    for barrier, severity in ratings.items():
        session.add(
            BarrierAssessment(
                person_id=person.id,
                site_id=person.site_id,
                assessed_on=assessed_on,
                barrier=Barrier(barrier),
                severity=BarrierSeverity(severity),
                assessor_id=principal.user_id,
            )
        )
    touch_last_contact(session, person, assessed_on)
    audit.record(
        session,
        actor=principal,
        action="barrier.create",
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
    )
    session.commit()
    return len(ratings)


def barrier_history(session: Session, principal: Principal, person_id: int) -> list[BarrierPoint]:
    """Every rating, oldest first (the chart of the evolution)."""
    person = person_in_scope(session, principal, person_id)
    rows = session.exec(
        select(BarrierAssessment.assessed_on, BarrierAssessment.barrier, BarrierAssessment.severity)
        .where(BarrierAssessment.person_id == person.id)
        .order_by(BarrierAssessment.assessed_on, BarrierAssessment.id)
    ).all()
    return [BarrierPoint(on, barrier, severity) for on, barrier, severity in rows]


def current_barriers(session: Session, principal: Principal, person_id: int) -> dict[Barrier, BarrierPoint]:
    """The latest rating of each barrier ever rated."""
    current: dict[Barrier, BarrierPoint] = {}
    for point in barrier_history(session, principal, person_id):
        current[point.barrier] = point  # oldest first: the last one wins
    return current


# --- action plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalRow:
    id: int
    axis: GoalAxis
    goal: str
    actions: str | None
    due_on: date | None
    status: GoalStatus
    closed_on: date | None
    version: int


GOAL_FIELDS = ("axis", "goal", "actions", "due_on", "status")
OPEN_STATUSES = (GoalStatus.OPEN, GoalStatus.IN_PROGRESS)


def _clean_goal(values: dict) -> dict:
    """Validate goal fields present in `values`; returns them cleaned (ValidationFailed by field)."""
    errors: dict[str, str] = {}
    cleaned = dict(values)
    if "goal" in values:
        text = (values["goal"] or "").strip()
        if not text:
            errors["goal"] = _("L'objectif est obligatoire.")
        elif len(text) > GOAL_MAX:
            errors["goal"] = _("L'objectif ne peut dépasser {max} caractères.").format(max=GOAL_MAX)
        cleaned["goal"] = text
    if "actions" in values:
        text = (values["actions"] or "").strip()
        if len(text) > ACTIONS_MAX:
            errors["actions"] = _("Les actions ne peuvent dépasser {max} caractères.").format(max=ACTIONS_MAX)
        cleaned["actions"] = text or None
    if "axis" in values:
        try:
            cleaned["axis"] = GoalAxis(values["axis"])
        except ValueError:
            errors["axis"] = _("Choisissez un axe.")
    if "status" in values:
        try:
            status = GoalStatus(values["status"])
        except ValueError:
            status = None
        if status not in OPEN_STATUSES:
            errors["status"] = _("Pour clore un objectif, utilisez « Clore l'objectif ».")
        cleaned["status"] = status
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def create_goal(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    axis: GoalAxis,
    goal: str,
    actions: str | None = None,
    due_on: date | None = None,
    today: date | None = None,
) -> int:
    """Add a goal to the action plan (status « À démarrer »). Returns its id."""
    today = today or clock.today()
    person = _writable_person(session, principal, person_id)
    values = _clean_goal({"axis": axis, "goal": goal, "actions": actions})
    row = ActionGoal(person_id=person.id, site_id=person.site_id, due_on=due_on, **values)
    return save_sub_record(session, principal, person, row, contact_on=today, action="goal.create")


def update_goal(
    session: Session,
    principal: Principal,
    goal_id: int,
    *,
    expected_version: int,
    changes: dict,
    today: date | None = None,
) -> None:
    """Change axis, goal, actions, due date or the open status; someone else's save meanwhile → StaleRecord."""
    today = today or clock.today()
    row, person = _owned_row(session, principal, ActionGoal, goal_id)
    require_writable(principal, person)
    unknown = set(changes) - set(GOAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown goal fields: {sorted(unknown)}")
    if row.status not in OPEN_STATUSES:
        raise ValidationFailed({"status": _("Cet objectif est clos : il ne peut plus être modifié.")})
    values = _clean_goal(changes)
    _versioned_update(session, ActionGoal, row.id, expected_version, values)
    touch_last_contact(session, person, today)
    audit.record(
        session,
        actor=principal,
        action="goal.update",
        entity_type="action_goal",
        entity_id=row.id,
        site_id=person.site_id,
    )
    session.commit()


def close_goal(
    session: Session,
    principal: Principal,
    goal_id: int,
    *,
    expected_version: int,
    status: GoalStatus,
    closed_on: date,
    today: date | None = None,
) -> None:
    """Close a goal as achieved or abandoned, on a date not in the future."""
    today = today or clock.today()
    row, person = _owned_row(session, principal, ActionGoal, goal_id)
    require_writable(principal, person)
    errors: dict[str, str] = {}
    if status not in (GoalStatus.ACHIEVED, GoalStatus.ABANDONED):
        errors["status"] = _("Un objectif se clôt comme atteint ou abandonné.")
    _not_future(errors, "closed_on", closed_on, today)
    if errors:
        raise ValidationFailed(errors)
    _versioned_update(session, ActionGoal, row.id, expected_version, {"status": status, "closed_on": closed_on})
    touch_last_contact(session, person, closed_on)
    audit.record(
        session,
        actor=principal,
        action="goal.update",
        entity_type="action_goal",
        entity_id=row.id,
        site_id=person.site_id,
    )
    session.commit()


def list_goals(session: Session, principal: Principal, person_id: int) -> list[GoalRow]:
    """Open goals first (by due date), then closed ones (latest first)."""
    person = person_in_scope(session, principal, person_id)
    rows = session.exec(select(ActionGoal).where(ActionGoal.person_id == person.id)).all()
    goals = [GoalRow(r.id, r.axis, r.goal, r.actions, r.due_on, r.status, r.closed_on, r.version) for r in rows]
    open_goals = sorted((g for g in goals if g.status in OPEN_STATUSES), key=lambda g: (g.due_on or date.max, g.id))
    closed = sorted(
        (g for g in goals if g.status not in OPEN_STATUSES), key=lambda g: (g.closed_on or date.min, g.id), reverse=True
    )
    return open_goals + closed


# --- exit pathway (PSP) -------------------------------------------------------------------------


@dataclass(frozen=True)
class PspPeriodView:
    id: int
    start_on: date
    end_on: date
    is_renewal: bool


@dataclass(frozen=True)
class PspEpisodeView:
    id: int
    requested_on: date
    commission_on: date | None
    commission_opinion: CommissionOpinion
    prefect_decision: PrefectDecision
    decided_on: date | None
    aps_start_on: date | None
    aps_end_on: date | None
    afis_start_on: date | None
    afis_end_on: date | None
    afis_monthly_cents: int | None
    ended_on: date | None
    version: int
    periods: tuple[PspPeriodView, ...]
    months_used: int
    alert: str | None


PSP_FIELDS = (
    "commission_on",
    "commission_opinion",
    "prefect_decision",
    "decided_on",
    "aps_start_on",
    "aps_end_on",
    "afis_start_on",
    "afis_end_on",
    "afis_monthly_cents",
    "ended_on",
)
_PSP_DATES = ("commission_on", "decided_on", "aps_start_on", "aps_end_on", "afis_start_on", "afis_end_on", "ended_on")


def period_end(start_on: date) -> date:
    """A period lasts 6 months: 1 March → 31 August."""
    return clock.add_months(start_on, PSP_PERIOD_MONTHS) - timedelta(days=1)


def period_alert(periods: list[PspPeriodView], *, today: date) -> str | None:
    """« La période se termine dans N jours » when the current period ends within 30 days
    and no later period (a renewal) is already recorded."""
    for period in periods:
        later = any(other.start_on > period.end_on for other in periods)
        if period.start_on <= today <= period.end_on and not later:
            days = (period.end_on - today).days
            if days <= PSP_ALERT_DAYS:
                if days == 0:
                    return _("La période se termine aujourd'hui")
                return ngettext(
                    "La période se termine dans {count} jour", "La période se termine dans {count} jours", days
                ).format(count=days)
    return None


def create_psp_episode(
    session: Session, principal: Principal, person_id: int, *, requested_on: date, today: date | None = None
) -> int:
    """Open a PSP request (commission and préfet decisions pending). Returns the episode id."""
    today = today or clock.today()
    person = _writable_person(session, principal, person_id)
    errors: dict[str, str] = {}
    _not_future(errors, "requested_on", requested_on, today)
    if errors:
        raise ValidationFailed(errors)
    episode = PspEpisode(person_id=person.id, site_id=person.site_id, requested_on=requested_on)
    return save_sub_record(session, principal, person, episode, contact_on=requested_on, action="psp.create")


def _clean_psp(episode: PspEpisode, changes: dict, today: date) -> dict:
    unknown = set(changes) - set(PSP_FIELDS)
    if unknown:
        raise ValueError(f"unknown PSP fields: {sorted(unknown)}")
    values = dict(changes)
    merged = {field: getattr(episode, field) for field in PSP_FIELDS} | values
    errors: dict[str, str] = {}
    for field in _PSP_DATES:
        if field in values:
            _not_future(errors, field, values[field], today)
    if merged["commission_on"] and merged["commission_on"] < episode.requested_on and "commission_on" not in errors:
        errors["commission_on"] = _("La commission ne peut précéder la demande.")
    if (
        merged["decided_on"]
        and merged["commission_on"]
        and merged["decided_on"] < merged["commission_on"]
        and "decided_on" not in errors
    ):
        errors["decided_on"] = _("La décision ne peut précéder la commission.")
    for start, end, message in (
        ("aps_start_on", "aps_end_on", N_("La fin de l'APS ne peut précéder son début.")),
        ("afis_start_on", "afis_end_on", N_("La fin de l'AFIS ne peut précéder son début.")),
    ):
        if merged[start] and merged[end] and merged[end] < merged[start]:
            errors[end] = _(message)
    cents = merged["afis_monthly_cents"]
    if cents is not None and (not isinstance(cents, int) or cents < 0):
        errors["afis_monthly_cents"] = _("Le montant mensuel de l'AFIS doit être positif.")
    for field, enum in (("commission_opinion", CommissionOpinion), ("prefect_decision", PrefectDecision)):
        if field in values:
            values[field] = enum(values[field])
    if errors:
        raise ValidationFailed(errors)
    return values


def update_psp_episode(
    session: Session,
    principal: Principal,
    episode_id: int,
    *,
    expected_version: int,
    changes: dict,
    today: date | None = None,
) -> None:
    """Record the commission, the préfet's decision, APS and AFIS (amount in cents), or the end."""
    today = today or clock.today()
    episode, person = _owned_row(session, principal, PspEpisode, episode_id)
    require_writable(principal, person)
    values = _clean_psp(episode, changes, today)
    _versioned_update(session, PspEpisode, episode.id, expected_version, values)
    event_dates = [values[f] for f in _PSP_DATES if values.get(f)]
    touch_last_contact(session, person, max(event_dates) if event_dates else today)
    audit.record(
        session,
        actor=principal,
        action="psp.update",
        entity_type="psp_episode",
        entity_id=episode.id,
        site_id=person.site_id,
    )
    session.commit()


def add_psp_period(
    session: Session,
    principal: Principal,
    episode_id: int,
    *,
    start_on: date,
    is_renewal: bool,
    today: date | None = None,
) -> int:
    """Add a 6-month period (end = start + 6 months − 1 day). The first period is the authorisation,
    every later one a renewal; periods may not overlap nor take the episode past 24 months in all.
    Only once the préfet has granted the PSP. Returns the period id."""
    today = today or clock.today()
    episode, person = _owned_row(session, principal, PspEpisode, episode_id)
    require_writable(principal, person)
    existing = session.exec(select(PspPeriod).where(PspPeriod.episode_id == episode.id)).all()
    end_on = period_end(start_on)
    errors: dict[str, str] = {}
    if episode.prefect_decision != PrefectDecision.GRANTED:
        errors["start_on"] = _("Le parcours doit d'abord être accordé par le préfet.")
    elif episode.ended_on is not None:
        errors["start_on"] = _("Ce parcours est terminé.")
    elif (len(existing) + 1) * PSP_PERIOD_MONTHS > PSP_MAX_MONTHS:
        used = len(existing) * PSP_PERIOD_MONTHS
        errors["start_on"] = _(
            "Renouvellement impossible : {used} mois déjà accordés, le parcours ne peut dépasser {max} mois au total."
        ).format(used=used, max=PSP_MAX_MONTHS)
    elif any(start_on <= p.end_on and end_on >= p.start_on for p in existing):
        errors["start_on"] = _("Cette période chevauche une période déjà enregistrée.")
    elif is_renewal and not existing:
        errors["is_renewal"] = _("La première période n'est pas un renouvellement.")
    elif not is_renewal and existing:
        errors["is_renewal"] = _("Une période après la première est un renouvellement.")
    if errors:
        raise ValidationFailed(errors)
    period = PspPeriod(
        episode_id=episode.id, site_id=episode.site_id, start_on=start_on, end_on=end_on, is_renewal=is_renewal
    )
    return save_sub_record(
        session,
        principal,
        person,
        period,
        contact_on=min(start_on, today),
        action="psp.renew" if is_renewal else "psp.update",
    )


def list_psp(
    session: Session, principal: Principal, person_id: int, *, today: date | None = None
) -> list[PspEpisodeView]:
    """The person's PSP episodes, latest request first, with periods, months granted and the alert."""
    today = today or clock.today()
    person = person_in_scope(session, principal, person_id)
    episodes = session.exec(
        select(PspEpisode)
        .where(PspEpisode.person_id == person.id)
        .order_by(PspEpisode.requested_on.desc(), PspEpisode.id.desc())
    ).all()
    periods = (
        session.exec(
            select(PspPeriod).where(PspPeriod.episode_id.in_([e.id for e in episodes])).order_by(PspPeriod.start_on)
        ).all()
        if episodes
        else []
    )
    views = []
    for e in episodes:
        own = [PspPeriodView(p.id, p.start_on, p.end_on, p.is_renewal) for p in periods if p.episode_id == e.id]
        views.append(
            PspEpisodeView(
                e.id,
                e.requested_on,
                e.commission_on,
                e.commission_opinion,
                e.prefect_decision,
                e.decided_on,
                e.aps_start_on,
                e.aps_end_on,
                e.afis_start_on,
                e.afis_end_on,
                e.afis_monthly_cents,
                e.ended_on,
                e.version,
                tuple(own),
                len(own) * PSP_PERIOD_MONTHS,
                None if e.ended_on else period_alert(own, today=today),
            )
        )
    return views


@dataclass(frozen=True)
class PspAlert:
    person_id: int
    code: str
    end_on: date


def psp_alerts(session: Session, principal: Principal, *, today: date | None = None) -> list[PspAlert]:
    """Files of the principal's sites whose current PSP period ends within 30 days with no renewal
    recorded yet (for the caseload). One query."""
    today = today or clock.today()
    principal.require(Capability.VIEW_PERSON_FILES)
    next_period = aliased(PspPeriod)
    later = sa.exists().where(next_period.episode_id == PspPeriod.episode_id, next_period.start_on > PspPeriod.end_on)
    rows = session.exec(
        select(Person.id, Person.code, PspPeriod.end_on)
        .join(PspEpisode, PspEpisode.id == PspPeriod.episode_id)
        .join(Person, Person.id == PspEpisode.person_id)
        .where(
            principal.site_filter(Person.site_id),
            Person.status.in_([PersonStatus.ACTIVE, PersonStatus.PAUSED]),
            PspEpisode.ended_on.is_(None),
            PspPeriod.start_on <= today,
            PspPeriod.end_on >= today,
            PspPeriod.end_on <= today + timedelta(days=PSP_ALERT_DAYS),
            ~later,
        )
        .order_by(PspPeriod.end_on, Person.code)
    ).all()
    return [PspAlert(person_id, code, end_on) for person_id, code, end_on in rows]


# --- notes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteView:
    id: int
    noted_on: date
    author_name: str | None
    body: str


def add_note(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    noted_on: date,
    body: str,
    cipher: FieldCipher,
    today: date | None = None,
) -> int:
    """A dated free-text note, encrypted at rest. Only roles that may see identity (and edit)."""
    today = today or clock.today()
    principal.require(Capability.VIEW_IDENTITY)
    person = _writable_person(session, principal, person_id)
    errors: dict[str, str] = {}
    text = (body or "").strip()
    if not text:
        errors["body"] = _("La note est vide.")
    elif len(text) > NOTE_MAX:
        errors["body"] = _("Une note ne peut dépasser {max} caractères.").format(max=NOTE_MAX)
    _not_future(errors, "noted_on", noted_on, today)
    if errors:
        raise ValidationFailed(errors)
    note = PersonNote(
        person_id=person.id,
        site_id=person.site_id,
        noted_on=noted_on,
        author_id=principal.user_id,
        body_encrypted=cipher.encrypt(text),
    )
    return save_sub_record(session, principal, person, note, contact_on=noted_on, action="note.create")


def list_notes(session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher) -> list[NoteView]:
    """The person's notes, latest first, decrypted. PermissionDenied without VIEW_IDENTITY (direction)."""
    principal.require(Capability.VIEW_IDENTITY)
    person = person_in_scope(session, principal, person_id)
    rows = session.exec(
        select(PersonNote.id, PersonNote.noted_on, User.display_name, PersonNote.body_encrypted)
        .outerjoin(User, User.id == PersonNote.author_id)
        .where(PersonNote.person_id == person.id)
        .order_by(PersonNote.noted_on.desc(), PersonNote.id.desc())
    ).all()
    return [NoteView(note_id, on, author, cipher.decrypt(token)) for note_id, on, author, token in rows]
