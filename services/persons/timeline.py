"""One chronological timeline of a person's file across every module.

Who may call: roles with VIEW_PERSON_FILES, for files of their sites. Note bodies are
decrypted only for roles with VIEW_IDENTITY (others see that a note exists, not its text).
One query per source, whatever the length of the file: no per-row query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from clock import PARIS
from i18n import _, formats, ngettext
from models.appointments import Appointment
from models.attendance import AttendanceStatus
from models.courses import (
    CertificationAttempt,
    CourseAttendance,
    CourseSession,
    LanguageAssessment,
    MainstreamTransition,
)
from models.labels import label
from models.outreach import OutreachRound
from models.partners import Outcome, Partner, Referral, ReferralResult
from models.pathway import ActionGoal, BarrierAssessment, GoalStatus, PspEpisode, PspPeriod
from models.persons import Person, PersonNote, PersonStatus, PersonStatusChange
from models.workshops import WorkshopAttendance, WorkshopCompletion, WorkshopModule, WorkshopSession
from services.persons.access import person_in_scope, reads_written_text
from services.platform.crypto import FieldCipher
from services.platform.principal import Principal


@dataclass(frozen=True)
class TimelineEvent:
    on: date
    kind: str  # intake, outreach, workshop, course, assessment, certification, barrier, goal, psp, referral, …
    title: str
    detail: str | None = None


def _local(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("{hours} h {minutes}").format(hours=formats.number(hours), minutes=f"{rest:02d}")
    return _("{hours} h").format(hours=formats.number(hours))


def _numeric_day(day: date) -> str:
    """dd/mm/yyyy, as the timeline always wrote it (the same order in both languages)."""
    return f"{day:%d/%m/%Y}"


# --- one function per source, in the order they are read (events of the same day keep it) ---------


def _arrival(session: Session, person: Person) -> list[TimelineEvent]:
    """First contact (the round met on, else the first contact when before the intake) and the intake,
    with its origin and referring partner: one query each at most, the person row being loaded."""
    events: list[TimelineEvent] = []
    if person.outreach_round_id is not None:
        met = session.exec(
            select(OutreachRound.round_on, OutreachRound.mode, OutreachRound.area).where(
                OutreachRound.id == person.outreach_round_id
            )
        ).first()
        if met is not None:
            detail = f"{label(met.mode)} · {label(met.area)}"
            events.append(TimelineEvent(met.round_on, "outreach", _("Rencontre en maraude"), detail))
    elif person.first_contact_on != person.intake_on:
        events.append(TimelineEvent(person.first_contact_on, "outreach", _("Premier contact"), label(person.origin)))
    origin = label(person.origin)
    if person.referring_partner_id is not None:
        partner_name = session.exec(select(Partner.name).where(Partner.id == person.referring_partner_id)).first()
        if partner_name:
            origin = _("{origin} : {partner}").format(origin=origin, partner=partner_name)
    events.append(TimelineEvent(person.intake_on, "intake", _("Accueil — ouverture du dossier"), origin))
    return events


def _workshops(session: Session, person_id: int) -> list[TimelineEvent]:
    """Workshop attendance, then completed modules."""
    attended = session.exec(
        select(WorkshopSession.session_on, WorkshopModule.name, WorkshopAttendance.status)
        .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
        .join(WorkshopModule, WorkshopModule.id == WorkshopSession.module_id)
        .where(WorkshopAttendance.person_id == person_id)
    ).all()
    completed = session.exec(
        select(WorkshopCompletion.completed_on, WorkshopModule.name)
        .join(WorkshopModule, WorkshopModule.id == WorkshopCompletion.module_id)
        .where(WorkshopCompletion.person_id == person_id)
    ).all()
    return [
        TimelineEvent(row.session_on, "workshop", _("Atelier « {module} »").format(module=row.name), label(row.status))
        for row in attended
    ] + [
        TimelineEvent(row.completed_on, "workshop", _("Module validé : « {module} »").format(module=row.name))
        for row in completed
    ]


def _course_months(session: Session, person_id: int) -> list[TimelineEvent]:
    """French course: one event per month (hours present, sessions missed), on its last session; summed
    in SQL (a learner of two years has hundreds of marks, and the timeline is the file's first tab)."""
    year, month = sa.extract("year", CourseSession.session_on), sa.extract("month", CourseSession.session_on)
    is_present = CourseAttendance.status == AttendanceStatus.PRESENT
    rows = session.exec(
        select(
            sa.func.max(CourseSession.session_on).label("last_day"),
            sa.func.sum(sa.case((is_present, CourseSession.duration_minutes), else_=0)).label("minutes_present"),
            sa.func.sum(sa.case((is_present, 0), else_=1)).label("sessions_missed"),
        )
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(CourseAttendance.person_id == person_id)
        .group_by(year, month)
    ).all()
    return [
        TimelineEvent(
            row.last_day,
            "course",
            _("Cours de français — {month}").format(month=formats.month(row.last_day)),
            _course_detail(int(row.minutes_present), int(row.sessions_missed)),
        )
        for row in rows
    ]


def _course_detail(minutes_present: int, sessions_missed: int) -> str:
    if not sessions_missed:
        return _("{hours} de présence").format(hours=_hours(minutes_present))
    return ngettext(
        "{hours} de présence, {count} séance manquée",
        "{hours} de présence, {count} séances manquées",
        sessions_missed,
    ).format(hours=_hours(minutes_present), count=formats.number(sessions_missed))


def _french_results(session: Session, person_id: int, *, see_text: bool) -> list[TimelineEvent]:
    """Assessments per skill, certification attempts, moves to a mainstream course."""
    assessments = session.exec(
        select(
            LanguageAssessment.assessed_on,
            LanguageAssessment.skill,
            LanguageAssessment.level,
            LanguageAssessment.is_positioning,
        ).where(LanguageAssessment.person_id == person_id)
    ).all()
    attempts = session.exec(
        select(
            CertificationAttempt.attempted_on, CertificationAttempt.certification, CertificationAttempt.result
        ).where(CertificationAttempt.person_id == person_id)
    ).all()
    moves = session.exec(
        select(MainstreamTransition.moved_on, MainstreamTransition.destination).where(
            MainstreamTransition.person_id == person_id
        )
    ).all()
    return (
        [
            TimelineEvent(
                row.assessed_on,
                "assessment",
                _("Positionnement en français") if row.is_positioning else _("Évaluation en français"),
                _("{skill} : {level}").format(skill=label(row.skill), level=label(row.level)),
            )
            for row in assessments
        ]
        + [
            TimelineEvent(
                row.attempted_on,
                "certification",
                _("Certification {certification}").format(certification=label(row.certification)),
                label(row.result),
            )
            for row in attempts
        ]
        + [
            TimelineEvent(
                row.moved_on,
                "course",
                _("Passage vers un cours de droit commun"),
                row.destination if see_text else None,
            )
            for row in moves
        ]
    )


def _barriers(session: Session, person_id: int) -> list[TimelineEvent]:
    """One event per assessment date, listing its ratings."""
    ratings: dict[date, list[str]] = defaultdict(list)
    for row in session.exec(
        select(
            BarrierAssessment.assessed_on,
            BarrierAssessment.barrier,
            BarrierAssessment.severity,
            BarrierAssessment.entered_severity,
        )
        .where(BarrierAssessment.person_id == person_id)
        .order_by(BarrierAssessment.assessed_on, BarrierAssessment.id)
    ).all():
        if row.entered_severity is None:
            text = _("{barrier} : {severity}").format(barrier=label(row.barrier), severity=label(row.severity).lower())
        else:  # corrected since: the level first entered stays readable
            text = _("{barrier} : {severity} (corrigé ; saisi d'abord : {entered})").format(
                barrier=label(row.barrier),
                severity=label(row.severity).lower(),
                entered=label(row.entered_severity).lower(),
            )
        ratings[row.assessed_on].append(text)
    return [
        TimelineEvent(day, "barrier", _("Évaluation des freins"), ", ".join(items)) for day, items in ratings.items()
    ]


def _appointments(session: Session, person_id: int, *, see_text: bool) -> list[TimelineEvent]:
    """Each appointment or accompaniment: its kind, duration, interpreter; its note with `see_text`."""
    events: list[TimelineEvent] = []
    for row in session.exec(
        select(Appointment.appointment_on, Appointment.kind, Appointment.duration_minutes, Appointment.note)
        .where(Appointment.person_id == person_id)
        .order_by(Appointment.appointment_on, Appointment.id)
    ).all():
        detail = _hours(row.duration_minutes)
        if see_text and row.note:
            detail = f"{detail} — {row.note}"
        events.append(TimelineEvent(row.appointment_on, "appointment", label(row.kind), detail))
    return events


def _goals(session: Session, person_id: int, *, see_text: bool) -> list[TimelineEvent]:
    """Each goal when set (with its due date), and when achieved or abandoned; its wording with `see_text`."""
    events: list[TimelineEvent] = []
    for row in session.exec(
        select(
            ActionGoal.created_at,
            ActionGoal.axis,
            ActionGoal.goal,
            ActionGoal.status,
            ActionGoal.closed_on,
            ActionGoal.due_on,
        ).where(ActionGoal.person_id == person_id)
    ).all():
        wording = row.goal if see_text else None
        day = _numeric_day(row.due_on) if row.due_on else None
        if wording and day:
            goal = _("{goal} (échéance {day})").format(goal=wording, day=day)
        else:
            goal = wording or (_("échéance {day}").format(day=day) if day else None)
        title = _("Objectif fixé — {axis}").format(axis=label(row.axis))
        events.append(TimelineEvent(_local(row.created_at), "goal", title, goal))
        if row.closed_on and row.status in (GoalStatus.ACHIEVED, GoalStatus.ABANDONED):
            closed = _("Objectif atteint") if row.status == GoalStatus.ACHIEVED else _("Objectif abandonné")
            events.append(TimelineEvent(row.closed_on, "goal", closed, wording))
    return events


def _psp_steps(episode: PspEpisode) -> list[TimelineEvent]:
    """Request, commission, decision, APS, AFIS and end of one episode (those recorded)."""
    events = [TimelineEvent(episode.requested_on, "psp", _("Demande de parcours de sortie (PSP)"))]
    if episode.commission_on:
        opinion = label(episode.commission_opinion)
        events.append(TimelineEvent(episode.commission_on, "psp", _("Commission départementale"), opinion))
    if episode.decided_on:
        events.append(
            TimelineEvent(episode.decided_on, "psp", _("Décision du préfet"), label(episode.prefect_decision))
        )
    if episode.aps_start_on:
        aps = (
            _("Autorisation provisoire de séjour jusqu'au {day}").format(day=_numeric_day(episode.aps_end_on))
            if episode.aps_end_on
            else _("Autorisation provisoire de séjour")
        )
        events.append(TimelineEvent(episode.aps_start_on, "psp", _("APS délivrée"), aps))
    if episode.afis_start_on:
        afis = (
            _("Aide financière jusqu'au {day}").format(day=_numeric_day(episode.afis_end_on))
            if episode.afis_end_on
            else _("Aide financière")
        )
        events.append(TimelineEvent(episode.afis_start_on, "psp", _("AFIS ouverte"), afis))
    if episode.ended_on:
        events.append(TimelineEvent(episode.ended_on, "psp", _("Fin du parcours de sortie")))
    return events


def _psp(session: Session, person_id: int) -> list[TimelineEvent]:
    """The steps of every episode, then every authorisation period (first one or renewal)."""
    episodes = session.exec(select(PspEpisode).where(PspEpisode.person_id == person_id)).all()
    events = [event for episode in episodes for event in _psp_steps(episode)]
    if not episodes:
        return events
    for row in session.exec(
        select(PspPeriod.start_on, PspPeriod.end_on, PspPeriod.is_renewal).where(
            PspPeriod.episode_id.in_([episode.id for episode in episodes])
        )
    ).all():
        title = _("Renouvellement PSP") if row.is_renewal else _("Période PSP")
        detail = _("du {start} au {end}").format(start=_numeric_day(row.start_on), end=_numeric_day(row.end_on))
        events.append(TimelineEvent(row.start_on, "psp", title, detail))
    return events


def _referrals(session: Session, person_id: int, *, see_text: bool) -> list[TimelineEvent]:
    """Each referral (its reason, else the partner's kind), and its result once known."""
    events: list[TimelineEvent] = []
    for row in session.exec(
        select(Referral.referred_on, Referral.reason, Referral.result, Referral.result_on, Partner.name, Partner.kind)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.person_id == person_id)
    ).all():
        title = _("Orientation vers {partner}").format(partner=row.name)
        reason = row.reason if see_text else None
        events.append(TimelineEvent(row.referred_on, "referral", title, reason or label(row.kind)))
        if row.result != ReferralResult.PENDING and row.result_on:
            title = _("Résultat de l'orientation vers {partner}").format(partner=row.name)
            events.append(TimelineEvent(row.result_on, "referral", title, label(row.result)))
    return events


def _outcomes(session: Session, person_id: int, *, see_text: bool) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for row in session.exec(
        select(
            Outcome.outcome_on, Outcome.category, Outcome.outcome_type, Outcome.employer_sector, Outcome.closes_file
        ).where(Outcome.person_id == person_id)
    ).all():
        parts = [label(row.outcome_type)] + ([row.employer_sector] if row.employer_sector and see_text else [])
        if row.closes_file:
            parts.append(_("clôture le dossier"))
        title = _("Sortie : {category}").format(category=label(row.category))
        events.append(TimelineEvent(row.outcome_on, "outcome", title, " · ".join(parts)))
    return events


def _notes(session: Session, person_id: int, *, see_identity: bool, cipher: FieldCipher) -> list[TimelineEvent]:
    """Notes: their text only for roles that may read identity (never decrypted for others)."""
    columns = (PersonNote.noted_on, PersonNote.body_encrypted) if see_identity else (PersonNote.noted_on, PersonNote.id)
    return [
        TimelineEvent(row.noted_on, "note", _("Note"), cipher.decrypt(row.body_encrypted) if see_identity else None)
        for row in session.exec(select(*columns).where(PersonNote.person_id == person_id)).all()
    ]


def _closings(session: Session, person: Person, *, see_text: bool) -> list[TimelineEvent]:
    """Closing and reopening, from the status history (files closed before it existed: the row); their
    reasons with `see_text`."""
    changes = session.exec(
        select(PersonStatusChange.changed_on, PersonStatusChange.to_status, PersonStatusChange.reason)
        .where(PersonStatusChange.person_id == person.id)
        .order_by(PersonStatusChange.changed_on, PersonStatusChange.id)
    ).all()
    events = [
        TimelineEvent(row.changed_on, "close", _("Dossier clôturé"), row.reason if see_text else None)
        if row.to_status == PersonStatus.CLOSED
        else TimelineEvent(row.changed_on, "reopen", _("Dossier rouvert"), row.reason if see_text else None)
        for row in changes
    ]
    if person.closed_on and not changes:
        reason = person.closed_reason if see_text else None
        events.append(TimelineEvent(person.closed_on, "close", _("Dossier clôturé"), reason))
    return events


def person_timeline(
    session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher
) -> list[TimelineEvent]:
    """Everything dated in the file, newest first (same day: in the order the sources are read)."""
    person = person_in_scope(session, principal, person_id)
    see_identity = reads_written_text(principal)  # notes, goals' wording, reasons
    events = [
        *_arrival(session, person),
        *_workshops(session, person.id),
        *_course_months(session, person.id),
        *_french_results(session, person.id, see_text=see_identity),
        *_barriers(session, person.id),
        *_appointments(session, person.id, see_text=see_identity),
        *_goals(session, person.id, see_text=see_identity),
        *_psp(session, person.id),
        *_referrals(session, person.id, see_text=see_identity),
        *_outcomes(session, person.id, see_text=see_identity),
        *_notes(session, person.id, see_identity=see_identity, cipher=cipher),
        *_closings(session, person, see_text=see_identity),
    ]
    order = {id(event): index for index, event in enumerate(events)}
    return sorted(events, key=lambda event: (event.on, order[id(event)]), reverse=True)
