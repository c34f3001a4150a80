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
from services.clock import PARIS
from services.crypto import FieldCipher
from services.person_access import person_in_scope
from services.principal import Capability, Principal

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


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
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


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
            select(OutreachRound.round_on, OutreachRound.mode, OutreachRound.area)
            .where(OutreachRound.id == person.outreach_round_id)
        ).first()
        if round_row is not None:
            add(TimelineEvent(round_row.round_on, "outreach", "Rencontre en maraude",
                              f"{label(round_row.mode)} · {label(round_row.area)}"))
    elif person.first_contact_on != person.intake_on:
        add(TimelineEvent(person.first_contact_on, "outreach", "Premier contact", label(person.origin)))
    origin = label(person.origin)
    if person.referring_partner_id is not None:
        partner_name = session.exec(select(Partner.name).where(Partner.id == person.referring_partner_id)).first()
        if partner_name:
            origin = f"{origin} : {partner_name}"
    add(TimelineEvent(person.intake_on, "intake", "Accueil — ouverture du dossier", origin))

    # Workshops: attendance and completed modules.
    for row in session.exec(
        select(WorkshopSession.session_on, WorkshopModule.name, WorkshopAttendance.status)
        .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
        .join(WorkshopModule, WorkshopModule.id == WorkshopSession.module_id)
        .where(WorkshopAttendance.person_id == pid)
    ).all():
        add(TimelineEvent(row.session_on, "workshop", f"Atelier « {row.name} »", label(row.status)))
    for row in session.exec(
        select(WorkshopCompletion.completed_on, WorkshopModule.name)
        .join(WorkshopModule, WorkshopModule.id == WorkshopCompletion.module_id)
        .where(WorkshopCompletion.person_id == pid)
    ).all():
        add(TimelineEvent(row.completed_on, "workshop", f"Module validé : « {row.name} »"))

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
        detail = f"{_hours(present[month])} de présence"
        if missed[month]:
            plural = "s" if missed[month] > 1 else ""
            detail += f", {missed[month]} séance{plural} manquée{plural}"
        add(TimelineEvent(day, "course", f"Cours de français — {MONTHS[month.month - 1]} {month.year}", detail))
    for row in session.exec(
        select(LanguageAssessment.assessed_on, LanguageAssessment.skill, LanguageAssessment.level,
               LanguageAssessment.is_positioning)
        .where(LanguageAssessment.person_id == pid)
    ).all():
        title = "Positionnement en français" if row.is_positioning else "Évaluation en français"
        add(TimelineEvent(row.assessed_on, "assessment", title, f"{label(row.skill)} : {label(row.level)}"))
    for row in session.exec(
        select(CertificationAttempt.attempted_on, CertificationAttempt.certification, CertificationAttempt.result)
        .where(CertificationAttempt.person_id == pid)
    ).all():
        add(TimelineEvent(row.attempted_on, "certification", f"Certification {label(row.certification)}",
                          label(row.result)))
    for row in session.exec(
        select(MainstreamTransition.moved_on, MainstreamTransition.destination)
        .where(MainstreamTransition.person_id == pid)
    ).all():
        add(TimelineEvent(row.moved_on, "course", "Passage vers un cours de droit commun", row.destination))

    # Barriers: one event per assessment date.
    ratings: dict[date, list[str]] = defaultdict(list)
    for row in session.exec(
        select(BarrierAssessment.assessed_on, BarrierAssessment.barrier, BarrierAssessment.severity)
        .where(BarrierAssessment.person_id == pid)
        .order_by(BarrierAssessment.assessed_on, BarrierAssessment.id)
    ).all():
        ratings[row.assessed_on].append(f"{label(row.barrier)} : {label(row.severity).lower()}")
    for day, items in ratings.items():
        add(TimelineEvent(day, "barrier", "Évaluation des freins", ", ".join(items)))

    # Action plan: created and closed goals.
    for row in session.exec(
        select(ActionGoal.created_at, ActionGoal.axis, ActionGoal.goal, ActionGoal.status, ActionGoal.closed_on,
               ActionGoal.due_on)
        .where(ActionGoal.person_id == pid)
    ).all():
        due = f" (échéance {row.due_on:%d/%m/%Y})" if row.due_on else ""
        add(TimelineEvent(_local(row.created_at), "goal", f"Objectif fixé — {label(row.axis)}", f"{row.goal}{due}"))
        if row.closed_on and row.status in (GoalStatus.ACHIEVED, GoalStatus.ABANDONED):
            add(TimelineEvent(row.closed_on, "goal", f"Objectif {label(row.status).lower()}", row.goal))

    # PSP: request, commission, decision, periods, APS and AFIS.
    episode_ids = []
    for row in session.exec(select(PspEpisode).where(PspEpisode.person_id == pid)).all():
        episode_ids.append(row.id)
        add(TimelineEvent(row.requested_on, "psp", "Demande de parcours de sortie (PSP)"))
        if row.commission_on:
            add(TimelineEvent(row.commission_on, "psp", "Commission départementale",
                              label(row.commission_opinion)))
        if row.decided_on:
            add(TimelineEvent(row.decided_on, "psp", "Décision du préfet", label(row.prefect_decision)))
        if row.aps_start_on:
            end = f" jusqu'au {row.aps_end_on:%d/%m/%Y}" if row.aps_end_on else ""
            add(TimelineEvent(row.aps_start_on, "psp", "APS délivrée", f"Autorisation provisoire de séjour{end}"))
        if row.afis_start_on:
            end = f" jusqu'au {row.afis_end_on:%d/%m/%Y}" if row.afis_end_on else ""
            add(TimelineEvent(row.afis_start_on, "psp", "AFIS ouverte", f"Aide financière{end}"))
        if row.ended_on:
            add(TimelineEvent(row.ended_on, "psp", "Fin du parcours de sortie"))
    if episode_ids:
        for row in session.exec(
            select(PspPeriod.start_on, PspPeriod.end_on, PspPeriod.is_renewal)
            .where(PspPeriod.episode_id.in_(episode_ids))
        ).all():
            title = "Renouvellement PSP" if row.is_renewal else "Période PSP"
            add(TimelineEvent(row.start_on, "psp", title,
                              f"du {row.start_on:%d/%m/%Y} au {row.end_on:%d/%m/%Y}"))

    # Referrals and their result.
    for row in session.exec(
        select(Referral.referred_on, Referral.reason, Referral.result, Referral.result_on, Partner.name, Partner.kind)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.person_id == pid)
    ).all():
        add(TimelineEvent(row.referred_on, "referral", f"Orientation vers {row.name}",
                          row.reason or label(row.kind)))
        if row.result != ReferralResult.PENDING and row.result_on:
            add(TimelineEvent(row.result_on, "referral", f"Résultat de l'orientation vers {row.name}",
                              label(row.result)))

    # Outcomes.
    for row in session.exec(
        select(Outcome.outcome_on, Outcome.category, Outcome.outcome_type, Outcome.employer_sector,
               Outcome.closes_file)
        .where(Outcome.person_id == pid)
    ).all():
        detail = label(row.outcome_type) + (f" · {row.employer_sector}" if row.employer_sector else "")
        if row.closes_file:
            detail += " · clôture le dossier"
        add(TimelineEvent(row.outcome_on, "outcome", f"Sortie : {label(row.category)}", detail))

    # Notes: the text only for roles that may read identity.
    see_identity = principal.can(Capability.VIEW_IDENTITY)
    columns = (PersonNote.noted_on, PersonNote.body_encrypted) if see_identity else (PersonNote.noted_on, PersonNote.id)
    for row in session.exec(select(*columns).where(PersonNote.person_id == pid)).all():
        add(TimelineEvent(row.noted_on, "note", "Note",
                          cipher.decrypt(row.body_encrypted) if see_identity else None))

    # Closing and reopening, from the status history (files closed before it existed: the row).
    changes = session.exec(
        select(PersonStatusChange.changed_on, PersonStatusChange.to_status, PersonStatusChange.reason)
        .where(PersonStatusChange.person_id == pid)
        .order_by(PersonStatusChange.changed_on, PersonStatusChange.id)
    ).all()
    for row in changes:
        if row.to_status == PersonStatus.CLOSED:
            add(TimelineEvent(row.changed_on, "close", "Dossier clôturé", row.reason))
        else:
            add(TimelineEvent(row.changed_on, "reopen", "Dossier rouvert", row.reason))
    if person.closed_on and not changes:
        add(TimelineEvent(person.closed_on, "close", "Dossier clôturé", person.closed_reason))

    order = {id(event): index for index, event in enumerate(events)}
    return sorted(events, key=lambda event: (event.on, order[id(event)]), reverse=True)
