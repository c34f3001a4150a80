"""One chronological timeline of a person's file across every module.

Who may call: roles with VIEW_PERSON_FILES, for files of their sites. Note bodies are
decrypted only for roles with VIEW_IDENTITY (others see that a note exists, not its text).
One query per source, whatever the length of the file: no per-row query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from clock import PARIS
from i18n import _, formats, ngettext
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
from models.persons import PersonNote, PersonStatus, PersonStatusChange
from models.workshops import WorkshopAttendance, WorkshopCompletion, WorkshopModule, WorkshopSession
from services.persons.access import person_in_scope
from services.platform.crypto import FieldCipher
from services.platform.principal import Capability, Principal


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


def person_timeline(
    session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher
) -> list[TimelineEvent]:
    """Everything dated in the file, newest first (same day: in the order the sources are read)."""
    person = person_in_scope(session, principal, person_id)
    pid = person.id
    events: list[TimelineEvent] = []
    add = events.append

    # Origin and intake (the person row is already loaded; its round and partner: one query each at most).
    if person.outreach_round_id is not None:
        round_row = session.exec(
            select(OutreachRound.round_on, OutreachRound.mode, OutreachRound.area).where(
                OutreachRound.id == person.outreach_round_id
            )
        ).first()
        if round_row is not None:
            add(
                TimelineEvent(
                    round_row.round_on,
                    "outreach",
                    _("Rencontre en maraude"),
                    f"{label(round_row.mode)} · {label(round_row.area)}",
                )
            )
    elif person.first_contact_on != person.intake_on:
        add(TimelineEvent(person.first_contact_on, "outreach", _("Premier contact"), label(person.origin)))
    origin = label(person.origin)
    if person.referring_partner_id is not None:
        partner_name = session.exec(select(Partner.name).where(Partner.id == person.referring_partner_id)).first()
        if partner_name:
            origin = _("{origin} : {partner}").format(origin=origin, partner=partner_name)
    add(TimelineEvent(person.intake_on, "intake", _("Accueil — ouverture du dossier"), origin))

    # Workshops: attendance and completed modules.
    for row in session.exec(
        select(WorkshopSession.session_on, WorkshopModule.name, WorkshopAttendance.status)
        .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
        .join(WorkshopModule, WorkshopModule.id == WorkshopSession.module_id)
        .where(WorkshopAttendance.person_id == pid)
    ).all():
        add(
            TimelineEvent(
                row.session_on, "workshop", _("Atelier « {module} »").format(module=row.name), label(row.status)
            )
        )
    for row in session.exec(
        select(WorkshopCompletion.completed_on, WorkshopModule.name)
        .join(WorkshopModule, WorkshopModule.id == WorkshopCompletion.module_id)
        .where(WorkshopCompletion.person_id == pid)
    ).all():
        add(TimelineEvent(row.completed_on, "workshop", _("Module validé : « {module} »").format(module=row.name)))

    # French course: one event per month (hours present, sessions missed).
    present: dict[date, int] = defaultdict(int)
    missed: dict[date, int] = defaultdict(int)
    last_day: dict[date, date] = {}
    for row in session.exec(
        select(CourseSession.session_on, CourseSession.duration_minutes, CourseAttendance.status)
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(CourseAttendance.person_id == pid)
    ).all():
        month = row.session_on.replace(day=1)
        last_day[month] = max(last_day.get(month, row.session_on), row.session_on)
        if row.status == AttendanceStatus.PRESENT:
            present[month] += row.duration_minutes
        else:
            missed[month] += 1
    for month, day in last_day.items():
        if missed[month]:
            detail = ngettext(
                "{hours} de présence, {count} séance manquée",
                "{hours} de présence, {count} séances manquées",
                missed[month],
            ).format(hours=_hours(present[month]), count=formats.number(missed[month]))
        else:
            detail = _("{hours} de présence").format(hours=_hours(present[month]))
        add(TimelineEvent(day, "course", _("Cours de français — {month}").format(month=formats.month(month)), detail))
    for row in session.exec(
        select(
            LanguageAssessment.assessed_on,
            LanguageAssessment.skill,
            LanguageAssessment.level,
            LanguageAssessment.is_positioning,
        ).where(LanguageAssessment.person_id == pid)
    ).all():
        title = _("Positionnement en français") if row.is_positioning else _("Évaluation en français")
        add(
            TimelineEvent(
                row.assessed_on,
                "assessment",
                title,
                _("{skill} : {level}").format(skill=label(row.skill), level=label(row.level)),
            )
        )
    for row in session.exec(
        select(
            CertificationAttempt.attempted_on, CertificationAttempt.certification, CertificationAttempt.result
        ).where(CertificationAttempt.person_id == pid)
    ).all():
        add(
            TimelineEvent(
                row.attempted_on,
                "certification",
                _("Certification {certification}").format(certification=label(row.certification)),
                label(row.result),
            )
        )
    for row in session.exec(
        select(MainstreamTransition.moved_on, MainstreamTransition.destination).where(
            MainstreamTransition.person_id == pid
        )
    ).all():
        add(TimelineEvent(row.moved_on, "course", _("Passage vers un cours de droit commun"), row.destination))

    # Barriers: one event per assessment date.
    ratings: dict[date, list[str]] = defaultdict(list)
    for row in session.exec(
        select(BarrierAssessment.assessed_on, BarrierAssessment.barrier, BarrierAssessment.severity)
        .where(BarrierAssessment.person_id == pid)
        .order_by(BarrierAssessment.assessed_on, BarrierAssessment.id)
    ).all():
        ratings[row.assessed_on].append(
            _("{barrier} : {severity}").format(barrier=label(row.barrier), severity=label(row.severity).lower())
        )
    for day, items in ratings.items():
        add(TimelineEvent(day, "barrier", _("Évaluation des freins"), ", ".join(items)))

    # Action plan: created and closed goals.
    for row in session.exec(
        select(
            ActionGoal.created_at,
            ActionGoal.axis,
            ActionGoal.goal,
            ActionGoal.status,
            ActionGoal.closed_on,
            ActionGoal.due_on,
        ).where(ActionGoal.person_id == pid)
    ).all():
        goal = (
            _("{goal} (échéance {day})").format(goal=row.goal, day=_numeric_day(row.due_on)) if row.due_on else row.goal
        )
        add(
            TimelineEvent(
                _local(row.created_at), "goal", _("Objectif fixé — {axis}").format(axis=label(row.axis)), goal
            )
        )
        if row.closed_on and row.status in (GoalStatus.ACHIEVED, GoalStatus.ABANDONED):
            closed = _("Objectif atteint") if row.status == GoalStatus.ACHIEVED else _("Objectif abandonné")
            add(TimelineEvent(row.closed_on, "goal", closed, row.goal))

    # PSP: request, commission, decision, periods, APS and AFIS.
    episode_ids = []
    for row in session.exec(select(PspEpisode).where(PspEpisode.person_id == pid)).all():
        episode_ids.append(row.id)
        add(TimelineEvent(row.requested_on, "psp", _("Demande de parcours de sortie (PSP)")))
        if row.commission_on:
            add(TimelineEvent(row.commission_on, "psp", _("Commission départementale"), label(row.commission_opinion)))
        if row.decided_on:
            add(TimelineEvent(row.decided_on, "psp", _("Décision du préfet"), label(row.prefect_decision)))
        if row.aps_start_on:
            aps = (
                _("Autorisation provisoire de séjour jusqu'au {day}").format(day=_numeric_day(row.aps_end_on))
                if row.aps_end_on
                else _("Autorisation provisoire de séjour")
            )
            add(TimelineEvent(row.aps_start_on, "psp", _("APS délivrée"), aps))
        if row.afis_start_on:
            afis = (
                _("Aide financière jusqu'au {day}").format(day=_numeric_day(row.afis_end_on))
                if row.afis_end_on
                else _("Aide financière")
            )
            add(TimelineEvent(row.afis_start_on, "psp", _("AFIS ouverte"), afis))
        if row.ended_on:
            add(TimelineEvent(row.ended_on, "psp", _("Fin du parcours de sortie")))
    if episode_ids:
        for row in session.exec(
            select(PspPeriod.start_on, PspPeriod.end_on, PspPeriod.is_renewal).where(
                PspPeriod.episode_id.in_(episode_ids)
            )
        ).all():
            title = _("Renouvellement PSP") if row.is_renewal else _("Période PSP")
            add(
                TimelineEvent(
                    row.start_on,
                    "psp",
                    title,
                    _("du {start} au {end}").format(start=_numeric_day(row.start_on), end=_numeric_day(row.end_on)),
                )
            )

    # Referrals and their result.
    for row in session.exec(
        select(Referral.referred_on, Referral.reason, Referral.result, Referral.result_on, Partner.name, Partner.kind)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.person_id == pid)
    ).all():
        add(
            TimelineEvent(
                row.referred_on,
                "referral",
                _("Orientation vers {partner}").format(partner=row.name),
                row.reason or label(row.kind),
            )
        )
        if row.result != ReferralResult.PENDING and row.result_on:
            add(
                TimelineEvent(
                    row.result_on,
                    "referral",
                    _("Résultat de l'orientation vers {partner}").format(partner=row.name),
                    label(row.result),
                )
            )

    # Outcomes.
    for row in session.exec(
        select(
            Outcome.outcome_on, Outcome.category, Outcome.outcome_type, Outcome.employer_sector, Outcome.closes_file
        ).where(Outcome.person_id == pid)
    ).all():
        parts = [label(row.outcome_type)] + ([row.employer_sector] if row.employer_sector else [])
        if row.closes_file:
            parts.append(_("clôture le dossier"))
        add(
            TimelineEvent(
                row.outcome_on,
                "outcome",
                _("Sortie : {category}").format(category=label(row.category)),
                " · ".join(parts),
            )
        )

    # Notes: the text only for roles that may read identity.
    see_identity = principal.can(Capability.VIEW_IDENTITY)
    columns = (PersonNote.noted_on, PersonNote.body_encrypted) if see_identity else (PersonNote.noted_on, PersonNote.id)
    for row in session.exec(select(*columns).where(PersonNote.person_id == pid)).all():
        add(
            TimelineEvent(row.noted_on, "note", _("Note"), cipher.decrypt(row.body_encrypted) if see_identity else None)
        )

    # Closing and reopening, from the status history (files closed before it existed: the row).
    changes = session.exec(
        select(PersonStatusChange.changed_on, PersonStatusChange.to_status, PersonStatusChange.reason)
        .where(PersonStatusChange.person_id == pid)
        .order_by(PersonStatusChange.changed_on, PersonStatusChange.id)
    ).all()
    for row in changes:
        if row.to_status == PersonStatus.CLOSED:
            add(TimelineEvent(row.changed_on, "close", _("Dossier clôturé"), row.reason))
        else:
            add(TimelineEvent(row.changed_on, "reopen", _("Dossier rouvert"), row.reason))
    if person.closed_on and not changes:
        add(TimelineEvent(person.closed_on, "close", _("Dossier clôturé"), person.closed_reason))

    order = {id(event): index for index, event in enumerate(events)}
    return sorted(events, key=lambda event: (event.on, order[id(event)]), reverse=True)
