"""A person's pathway: barriers, action-plan goals, the exit pathway (PSP) and notes.

Who may call: roles with VIEW_PERSON_FILES read (direction by code only, never notes); roles with
EDIT_PERSON_FILES write, on files of their sites that are not anonymised. A file outside the
principal's sites is "not found". Every write is one transaction with one audit entry (no values)
and counts as a contact with the person (person.last_contact_on), except the correction of a rating
entered by mistake.

Each form sends its values as they are; the service checks them first with the form's input model
(BarriersInput, BarrierCorrectionInput, GoalInput, GoalEditInput, GoalClosingInput, PspRequestInput,
PspEpisodeInput, PspPeriodInput, NoteInput: every field's message at once), then what needs the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

import clock
from i18n import N_, _, ngettext
from models.audit import AuditAction
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
from services.persons.access import _require_writable, readable_text, rows_in_scope, touch_last_contact
from services.persons.records import _owned_row, _save_sub_record, _writable_person
from services.platform import audit
from services.platform.crypto import FieldCipher
from services.platform.errors import ValidationFailed
from services.platform.inputs import (
    FormInput,
    OptionalPastDay,
    PastDay,
    PastDayOrAsOf,
    field_error,
    messages,
    optional_text,
    required_text,
)
from services.platform.money import typed_cents
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update as _versioned_update

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
    severity: BarrierSeverity  # as it stands (corrected, if it was)
    id: int = 0
    version: int = 1
    entered_severity: BarrierSeverity | None = None  # the level first entered, when it was corrected since
    corrected_at: datetime | None = None

    @property
    def corrected(self) -> bool:
        return self.corrected_at is not None


class BarriersInput(FormInput):
    """What the barriers form sends: the day of the assessment and a severity per barrier rated."""

    assessed_on: PastDay = Field(json_schema_extra=messages(N_("La date de l'évaluation est obligatoire.")))
    ratings: dict[Barrier, BarrierSeverity] = Field(
        min_length=1, json_schema_extra=messages(N_("Évaluez au moins un frein."))
    )


def record_barriers(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: BarriersInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Record an assessment: one row per barrier rated, all on the same date. Returns the count."""
    person = _writable_person(session, principal, person_id)
    checked = BarriersInput.validated(data, as_of=today or clock.today())
    for barrier, severity in checked.ratings.items():
        session.add(
            BarrierAssessment(
                person_id=person.id,
                site_id=person.site_id,
                assessed_on=checked.assessed_on,
                barrier=barrier,
                severity=severity,
                assessor_id=principal.user_id,
            )
        )
    touch_last_contact(session, person, checked.assessed_on)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.BARRIER_CREATE,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
    )
    session.commit()
    return len(checked.ratings)


def barrier_history(session: Session, principal: Principal, person_id: int) -> list[BarrierPoint]:
    """Every rating, oldest first (the chart of the evolution); a corrected one at its corrected level,
    with the level first entered and when it was corrected."""
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(BarrierAssessment)
        .where(BarrierAssessment.person_id == person_id)
        .order_by(BarrierAssessment.assessed_on, BarrierAssessment.id),
    )
    return [
        BarrierPoint(r.assessed_on, r.barrier, r.severity, r.id, r.version, r.entered_severity, r.corrected_at)
        for r in rows
    ]


class BarrierCorrectionInput(FormInput):
    """What the correction form sends: the level the rating should have had."""

    severity: BarrierSeverity = Field(json_schema_extra=messages(N_("Choisissez le niveau corrigé.")))


NOT_THE_LATEST = N_(
    "Seule la dernière évaluation d'un frein peut être corrigée : une évaluation plus récente existe. "
    "Pour un changement de situation, enregistrez une nouvelle évaluation."
)
SAME_LEVEL = N_("C'est déjà le niveau enregistré : choisissez le niveau corrigé.")


def correct_barrier_rating(
    session: Session,
    principal: Principal,
    assessment_id: int,
    *,
    expected_version: int,
    data: BarrierCorrectionInput | Mapping[str, object],
) -> None:
    """Correct a rating entered by mistake, in place: the same roles as recording one (EDIT_PERSON_FILES on
    a file of their sites, not anonymised). Only the latest rating of its barrier: an older one was followed
    by a new assessment, and changing it would rewrite what the team saw then. The row keeps the level first
    entered (the first correction sets it) and when and by whom it was corrected; the history shows it as
    corrected. Not a contact with the person (last contact unchanged). Audited as barrier.correct (no
    values); someone else's correction meanwhile → StaleRecord (merged by the form)."""
    row, person = _owned_row(session, principal, BarrierAssessment, assessment_id)
    _require_writable(principal, person)
    checked = BarrierCorrectionInput.validated(data)
    later = session.exec(
        select(BarrierAssessment.id).where(
            BarrierAssessment.person_id == row.person_id,
            BarrierAssessment.barrier == row.barrier,
            sa.or_(
                BarrierAssessment.assessed_on > row.assessed_on,
                sa.and_(BarrierAssessment.assessed_on == row.assessed_on, BarrierAssessment.id > row.id),
            ),
        )
    ).first()
    if later is not None:
        raise ValidationFailed({"severity": _(NOT_THE_LATEST)})
    if checked.severity == row.severity and row.version == expected_version:
        raise ValidationFailed({"severity": _(SAME_LEVEL)})
    values: dict[str, object] = {
        "severity": checked.severity,
        "corrected_at": clock.now(),
        "corrected_by_id": principal.user_id,
    }
    if row.entered_severity is None:
        values["entered_severity"] = row.severity
    _versioned_update(session, BarrierAssessment, row.id, expected_version, values)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.BARRIER_CORRECT,
        entity_type="barrier_assessment",
        entity_id=row.id,
        site_id=person.site_id,
    )
    session.commit()


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
    goal: str | None  # None without VIEW_IDENTITY (services.persons.access.readable_text)
    actions: str | None
    due_on: date | None
    status: GoalStatus
    closed_on: date | None
    version: int


OPEN_STATUSES = (GoalStatus.OPEN, GoalStatus.IN_PROGRESS)
CLOSED_STATUSES = (GoalStatus.ACHIEVED, GoalStatus.ABANDONED)
GoalText = required_text(
    GOAL_MAX, N_("L'objectif est obligatoire."), N_("L'objectif ne peut dépasser {max} caractères.")
)
GoalActions = optional_text(ACTIONS_MAX, N_("Les actions ne peuvent dépasser {max} caractères."))
USE_THE_CLOSING_FORM = N_("Pour clore un objectif, utilisez « Clore l'objectif ».")
ACHIEVED_OR_ABANDONED = N_("Un objectif se clôt comme atteint ou abandonné.")


class GoalInput(FormInput):
    """What the new-goal form sends."""

    axis: GoalAxis = Field(json_schema_extra=messages(N_("Choisissez un axe.")))
    goal: GoalText
    actions: GoalActions = None
    due_on: date | None = None


class GoalEditInput(GoalInput):
    """What the goal form sends to change a goal; its status stays open (closing has its own form)."""

    status: GoalStatus = Field(json_schema_extra=messages(USE_THE_CLOSING_FORM))

    @field_validator("status")
    @classmethod
    def _still_open(cls, value: GoalStatus) -> GoalStatus:
        if value not in OPEN_STATUSES:
            raise field_error(USE_THE_CLOSING_FORM)
        return value


class GoalClosingInput(FormInput):
    """What the closing form sends: achieved or abandoned, on a day (empty: the day of reference)."""

    status: GoalStatus = Field(json_schema_extra=messages(ACHIEVED_OR_ABANDONED))
    closed_on: PastDayOrAsOf = Field(None, validate_default=True)

    @field_validator("status")
    @classmethod
    def _a_closing_status(cls, value: GoalStatus) -> GoalStatus:
        if value not in CLOSED_STATUSES:
            raise field_error(ACHIEVED_OR_ABANDONED)
        return value


def create_goal(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: GoalInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Add a goal to the action plan (status « À démarrer »). Returns its id."""
    person = _writable_person(session, principal, person_id)
    checked = GoalInput.validated(data)
    row = ActionGoal(person_id=person.id, site_id=person.site_id, **checked.model_dump())
    return _save_sub_record(
        session, principal, person, row, contact_on=today or clock.today(), action=AuditAction.GOAL_CREATE
    )


def _audit_goal_update(session: Session, principal: Principal, row: ActionGoal, person: Person) -> None:
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GOAL_UPDATE,
        entity_type="action_goal",
        entity_id=row.id,
        site_id=person.site_id,
    )
    session.commit()


def update_goal(
    session: Session,
    principal: Principal,
    goal_id: int,
    *,
    expected_version: int,
    data: GoalEditInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Change axis, goal, actions, due date or the open status; someone else's save meanwhile → StaleRecord."""
    row, person = _owned_row(session, principal, ActionGoal, goal_id)
    _require_writable(principal, person)
    if row.status not in OPEN_STATUSES:
        raise ValidationFailed({"status": _("Cet objectif est clos : il ne peut plus être modifié.")})
    checked = GoalEditInput.validated(data)
    _versioned_update(session, ActionGoal, row.id, expected_version, checked.model_dump())
    touch_last_contact(session, person, today or clock.today())
    _audit_goal_update(session, principal, row, person)


def close_goal(
    session: Session,
    principal: Principal,
    goal_id: int,
    *,
    expected_version: int,
    data: GoalClosingInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Close a goal as achieved or abandoned, on a date not in the future."""
    row, person = _owned_row(session, principal, ActionGoal, goal_id)
    _require_writable(principal, person)
    checked = GoalClosingInput.validated(data, as_of=today or clock.today())
    _versioned_update(session, ActionGoal, row.id, expected_version, checked.model_dump())
    touch_last_contact(session, person, checked.closed_on)
    _audit_goal_update(session, principal, row, person)


def list_goals(session: Session, principal: Principal, person_id: int) -> list[GoalRow]:
    """Open goals first (by due date), then closed ones (latest first); their wording only with VIEW_IDENTITY."""
    rows = rows_in_scope(session, principal, person_id, select(ActionGoal).where(ActionGoal.person_id == person_id))
    goals = [
        GoalRow(
            r.id,
            r.axis,
            readable_text(principal, r.goal),
            readable_text(principal, r.actions),
            r.due_on,
            r.status,
            r.closed_on,
            r.version,
        )
        for r in rows
    ]
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


_PSP_DATES = ("commission_on", "decided_on", "aps_start_on", "aps_end_on", "afis_start_on", "afis_end_on", "ended_on")
AFIS_AMOUNT_INVALID = N_("Montant invalide : par exemple 343,00.")


def _euros_typed(value: object) -> object:
    """An AFIS amount as typed (services.platform.money.typed_cents) → cents; already cents: kept."""
    if not isinstance(value, str):
        return value
    try:
        return typed_cents(value)
    except ValueError:
        raise field_error(AFIS_AMOUNT_INVALID) from None


class PspRequestInput(FormInput):
    """What the new-request form sends: the day of the request (empty: the day of reference)."""

    requested_on: PastDayOrAsOf = Field(None, validate_default=True)


class PspEpisodeInput(FormInput):
    """What the PSP form sends: the commission, the préfet's decision, APS, AFIS and the end, as the
    form shows them (every field written). Context: `as_of` (no date after it), `requested_on` (the
    request's date, recorded: the commission cannot precede it)."""

    commission_on: OptionalPastDay = None
    commission_opinion: CommissionOpinion = CommissionOpinion.PENDING
    prefect_decision: PrefectDecision = PrefectDecision.PENDING
    decided_on: OptionalPastDay = None
    aps_start_on: OptionalPastDay = None
    aps_end_on: OptionalPastDay = None
    afis_start_on: OptionalPastDay = None
    afis_end_on: OptionalPastDay = None
    afis_monthly_cents: Annotated[int | None, BeforeValidator(_euros_typed)] = Field(
        None, ge=0, json_schema_extra=messages(N_("Le montant mensuel de l'AFIS doit être positif."))
    )
    ended_on: OptionalPastDay = None

    @field_validator("commission_on")
    @classmethod
    def _after_the_request(cls, value: date | None, info: ValidationInfo) -> date | None:
        requested_on = (info.context or {}).get("requested_on")
        if value is not None and requested_on is not None and value < requested_on:
            raise field_error(N_("La commission ne peut précéder la demande."))
        return value

    @field_validator("decided_on")
    @classmethod
    def _after_the_commission(cls, value: date | None, info: ValidationInfo) -> date | None:
        commission_on = info.data.get("commission_on")
        if value is not None and commission_on is not None and value < commission_on:
            raise field_error(N_("La décision ne peut précéder la commission."))
        return value

    @field_validator("aps_end_on", "afis_end_on")
    @classmethod
    def _not_before_its_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get(info.field_name.replace("_end_on", "_start_on"))
        if value is not None and start is not None and value < start:
            raise field_error(
                N_("La fin de l'APS ne peut précéder son début.")
                if info.field_name == "aps_end_on"
                else N_("La fin de l'AFIS ne peut précéder son début.")
            )
        return value


class PspPeriodInput(FormInput):
    """What the period form sends: its first day, and whether it renews an earlier period."""

    start_on: date = Field(json_schema_extra=messages(N_("La date de début est obligatoire.")))
    is_renewal: bool = False


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
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: PspRequestInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Open a PSP request (commission and préfet decisions pending). Returns the episode id."""
    person = _writable_person(session, principal, person_id)
    checked = PspRequestInput.validated(data, as_of=today or clock.today())
    episode = PspEpisode(person_id=person.id, site_id=person.site_id, requested_on=checked.requested_on)
    return _save_sub_record(
        session, principal, person, episode, contact_on=checked.requested_on, action=AuditAction.PSP_CREATE
    )


def update_psp_episode(
    session: Session,
    principal: Principal,
    episode_id: int,
    *,
    expected_version: int,
    data: PspEpisodeInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Record the commission, the préfet's decision, APS and AFIS (amount in cents), or the end."""
    today = today or clock.today()
    episode, person = _owned_row(session, principal, PspEpisode, episode_id)
    _require_writable(principal, person)
    values = PspEpisodeInput.validated(data, as_of=today, requested_on=episode.requested_on).model_dump()
    _versioned_update(session, PspEpisode, episode.id, expected_version, values)
    event_dates = [values[f] for f in _PSP_DATES if values.get(f)]
    touch_last_contact(session, person, max(event_dates) if event_dates else today)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PSP_UPDATE,
        entity_type="psp_episode",
        entity_id=episode.id,
        site_id=person.site_id,
    )
    session.commit()


def _period_refusal(episode: PspEpisode, existing: list[PspPeriod], start_on: date, is_renewal: bool) -> dict:
    """Why the period cannot be added to the episode as it is recorded ({} if it can)."""
    end_on = period_end(start_on)
    if episode.prefect_decision != PrefectDecision.GRANTED:
        return {"start_on": _("Le parcours doit d'abord être accordé par le préfet.")}
    if episode.ended_on is not None:
        return {"start_on": _("Ce parcours est terminé.")}
    if (len(existing) + 1) * PSP_PERIOD_MONTHS > PSP_MAX_MONTHS:
        used = len(existing) * PSP_PERIOD_MONTHS
        return {
            "start_on": _(
                "Renouvellement impossible : {used} mois déjà accordés, "
                "le parcours ne peut dépasser {max} mois au total."
            ).format(used=used, max=PSP_MAX_MONTHS)
        }
    if any(start_on <= p.end_on and end_on >= p.start_on for p in existing):
        return {"start_on": _("Cette période chevauche une période déjà enregistrée.")}
    if is_renewal and not existing:
        return {"is_renewal": _("La première période n'est pas un renouvellement.")}
    if not is_renewal and existing:
        return {"is_renewal": _("Une période après la première est un renouvellement.")}
    return {}


def add_psp_period(
    session: Session,
    principal: Principal,
    episode_id: int,
    *,
    data: PspPeriodInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Add a 6-month period (end = start + 6 months − 1 day). The first period is the authorisation,
    every later one a renewal; periods may not overlap nor take the episode past 24 months in all.
    Only once the préfet has granted the PSP. Returns the period id."""
    episode, person = _owned_row(session, principal, PspEpisode, episode_id)
    _require_writable(principal, person)
    checked = PspPeriodInput.validated(data)
    existing = list(session.exec(select(PspPeriod).where(PspPeriod.episode_id == episode.id)).all())
    refusal = _period_refusal(episode, existing, checked.start_on, checked.is_renewal)
    if refusal:
        raise ValidationFailed(refusal)
    period = PspPeriod(
        episode_id=episode.id,
        site_id=episode.site_id,
        start_on=checked.start_on,
        end_on=period_end(checked.start_on),
        is_renewal=checked.is_renewal,
    )
    return _save_sub_record(
        session,
        principal,
        person,
        period,
        contact_on=min(checked.start_on, today or clock.today()),
        action=AuditAction.PSP_RENEW if checked.is_renewal else AuditAction.PSP_UPDATE,
    )


def list_psp(
    session: Session, principal: Principal, person_id: int, *, today: date | None = None
) -> list[PspEpisodeView]:
    """The person's PSP episodes, latest request first, with periods, months granted and the alert."""
    today = today or clock.today()
    episodes = rows_in_scope(
        session,
        principal,
        person_id,
        select(PspEpisode)
        .where(PspEpisode.person_id == person_id)
        .order_by(PspEpisode.requested_on.desc(), PspEpisode.id.desc()),
    )
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


def psp_alert_rows(principal: Principal, today: date) -> sa.Select:
    """Files of the principal's sites whose current PSP period ends within PSP_ALERT_DAYS (30) days with no
    renewal recorded yet, as a statement (person_id, code, end_on, period_id): « À faire » (services/worklist.py)
    counts and pages it with its other kinds in SQL. The caller checks the principal may see person files."""
    next_period = aliased(PspPeriod)
    later = sa.exists().where(next_period.episode_id == PspPeriod.episode_id, next_period.start_on > PspPeriod.end_on)
    return (
        select(
            Person.id.label("person_id"),
            Person.code.label("code"),
            PspPeriod.end_on.label("end_on"),
            PspPeriod.id.label("period_id"),
        )
        .join(PspEpisode, PspEpisode.id == PspPeriod.episode_id)
        .join(Person, Person.id == PspEpisode.person_id)
        .where(
            principal.site_filter(Person.site_id),
            principal.site_filter(PspPeriod.site_id),  # said again on the period: its (site, end) index
            Person.status.in_([PersonStatus.ACTIVE, PersonStatus.PAUSED]),
            PspEpisode.ended_on.is_(None),
            PspPeriod.start_on <= today,
            PspPeriod.end_on >= today,
            PspPeriod.end_on <= today + timedelta(days=PSP_ALERT_DAYS),
            ~later,
        )
    )


# --- notes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteView:
    id: int
    noted_on: date
    author_name: str | None
    body: str


NoteBody = required_text(NOTE_MAX, N_("La note est vide."), N_("Une note ne peut dépasser {max} caractères."))


class NoteInput(FormInput):
    """What the note form sends: its day (empty: the day of reference) and its text."""

    noted_on: PastDayOrAsOf = Field(None, validate_default=True)
    body: NoteBody


def add_note(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: NoteInput | Mapping[str, object],
    cipher: FieldCipher,
    today: date | None = None,
) -> int:
    """A dated free-text note, encrypted at rest. Only roles that may see identity (and edit)."""
    principal.require(Capability.VIEW_IDENTITY)
    person = _writable_person(session, principal, person_id)
    checked = NoteInput.validated(data, as_of=today or clock.today())
    note = PersonNote(
        person_id=person.id,
        site_id=person.site_id,
        noted_on=checked.noted_on,
        author_id=principal.user_id,
        body_encrypted=cipher.encrypt(checked.body),
    )
    return _save_sub_record(
        session, principal, person, note, contact_on=checked.noted_on, action=AuditAction.NOTE_CREATE
    )


def list_notes(session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher) -> list[NoteView]:
    """The person's notes, latest first, decrypted. PermissionDenied without VIEW_IDENTITY (direction)."""
    principal.require(Capability.VIEW_IDENTITY)
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(PersonNote.id, PersonNote.noted_on, User.display_name, PersonNote.body_encrypted)
        .outerjoin(User, User.id == PersonNote.author_id)
        .where(PersonNote.person_id == person_id)
        .order_by(PersonNote.noted_on.desc(), PersonNote.id.desc()),
    )
    return [NoteView(note_id, on, author, cipher.decrypt(token)) for note_id, on, author, token in rows]
