"""Audit trail: who did what to which record, never the values."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime, utcnow


class AuditAction(StrEnum):
    """Every act the audit log records, stored as its value (the audit page filters on its prefix).
    Never delete a value: old events keep it."""

    APPOINTMENT_CREATE = "appointment.create"
    APPOINTMENT_DELETE = "appointment.delete"
    APPOINTMENT_UPDATE = "appointment.update"
    ASSOCIATION_UPDATE = "association.update"
    ATTENDANCE_LATE_EDIT = "attendance.late_edit"
    ATTENDANCE_ROLL_SAVED = "attendance.roll_saved"
    BARRIER_CORRECT = "barrier.correct"
    BARRIER_CREATE = "barrier.create"
    BUDGET_REVISED = "budget.revised"
    BUDGET_LINES_SAVED = "budget_lines.saved"
    CERTIFICATION_ATTEMPT_CREATE = "certification_attempt.create"
    CERTIFICATION_ATTEMPT_RESULT = "certification_attempt.result"
    CONSENT_CHANGE = "consent.change"
    COURSE_ENROLMENT_CREATE = "course_enrolment.create"
    COURSE_ENROLMENT_LEAVE = "course_enrolment.leave"
    COURSE_ENROLMENT_RETURN = "course_enrolment.return"
    COURSE_GROUP_CREATE = "course_group.create"
    COURSE_GROUP_UPDATE = "course_group.update"
    COURSE_SESSION_CREATE = "course_session.create"
    DEVIATION_NOTE_SAVE = "deviation_note.save"
    GRANT_RESOURCE_ADDED = "grant_resource.added"
    GRANT_RESOURCE_DELETED = "grant_resource.deleted"
    EXPENSE_DELETED = "expense.deleted"
    EXPENSE_RECORDED = "expense.recorded"
    EXPENSES_IMPORTED = "expenses.imported"
    FUNDER_CREATED = "funder.created"
    GOAL_CREATE = "goal.create"
    GOAL_UPDATE = "goal.update"
    GRANT_CREATED = "grant.created"
    GRANT_UPDATED = "grant.updated"
    GRANT_COFUNDING_CREATE = "grant_cofunding.create"
    GRANT_COFUNDING_UPDATE = "grant_cofunding.update"
    GRANT_REPORT_CREATE = "grant_report.create"
    GRANT_REPORT_UPDATE = "grant_report.update"
    GRANT_TRANCHE_CREATE = "grant_tranche.create"
    GRANT_TRANCHE_UPDATE = "grant_tranche.update"
    KEYS_ROTATE = "keys.rotate"
    LANGUAGE_ASSESSMENT_CREATE = "language_assessment.create"
    LEGAL_EVENT_CREATE = "legal_event.create"
    LOGIN_FAILURE = "login.failure"
    LOGIN_LOCKED = "login.locked"
    LOGIN_SUCCESS = "login.success"
    LOGOUT = "logout"
    MAINSTREAM_TRANSITION_CREATE = "mainstream_transition.create"
    NOTE_CREATE = "note.create"
    OUTCOME_CREATE = "outcome.create"
    OUTREACH_ROUND_LOGGED = "outreach.round_logged"
    OUTREACH_ROUND_UPDATED = "outreach.round_updated"
    PARTNER_CREATE = "partner.create"
    PARTNER_UPDATE = "partner.update"
    PERSON_ANONYMISE = "person.anonymise"
    PERSON_CLOSE = "person.close"
    PERSON_CORRECT = "person.correct"
    PERSON_CREATE = "person.create"
    PERSON_ERASE = "person.erase"
    PERSON_EXPORT = "person.export"
    PERSON_REOPEN = "person.reopen"
    PERSON_SAFETY_CLEAR = "person.safety_clear"
    PERSON_SAFETY_SET = "person.safety_set"
    PERSON_SEARCH = "person.search"
    PERSON_TRANSFER = "person.transfer"
    PERSON_UPDATE = "person.update"
    PERSON_VIEW = "person.view"
    POST_CREATE = "post.create"
    POST_FILL = "post.fill"
    POST_FUNDING = "post.funding"
    POST_RECRUITMENT_SAVE = "post.recruitment_save"
    POST_UPDATE = "post.update"
    POST_VACATE = "post.vacate"
    PRACTICE_GUIDE_CREATE = "practice_guide.create"
    PRACTICE_GUIDE_EXPORT = "practice_guide.export"
    PRACTICE_GUIDE_UPDATE = "practice_guide.update"
    PRACTICE_NOTE_CREATE = "practice_note.create"
    PRACTICE_NOTE_FIGURES = "practice_note.figures"
    PRACTICE_NOTE_UPDATE = "practice_note.update"
    PSP_CREATE = "psp.create"
    PSP_RENEW = "psp.renew"
    PSP_UPDATE = "psp.update"
    REFERRAL_CREATE = "referral.create"
    REFERRAL_UPDATE = "referral.update"
    REPORT_ACTIVITY_EXPORTED = "report.activity_exported"
    REPORT_DASHBOARD_EXPORTED = "report.dashboard_exported"
    REPORT_FINANCIAL_EXPORTED = "report.financial_exported"
    REPORT_PACK_EXPORTED = "report.pack_exported"
    SITE_CLOSE = "site.close"
    SITE_CREATE = "site.create"
    SITE_REOPEN = "site.reopen"
    SITE_UPDATE = "site.update"
    STRAND_CREATE = "strand.create"
    STRAND_UPDATE = "strand.update"
    SESSION_COOKIE_REFUSED = "session.cookie_refused"
    SESSION_RESUMED = "session.resumed"
    STAFF_CHARGED = "staff.charged"
    USER_ACTIVATE = "user.activate"
    USER_CREATE = "user.create"
    USER_DEACTIVATE = "user.deactivate"
    USER_ENROLMENT_COMPLETED = "user.enrolment_completed"
    USER_ENROLMENT_ISSUED = "user.enrolment_issued"
    USER_ENROLMENT_REFUSED = "user.enrolment_refused"
    USER_PASSWORD_CHANGE = "user.password_change"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_SSO_LINKED = "user.sso_linked"
    USER_UNLOCK = "user.unlock"
    WORKSHOP_COMPLETION = "workshop.completion"
    WORKSHOP_ENROL = "workshop.enrol"
    WORKSHOP_LEAVE = "workshop.leave"
    WORKSHOP_MODULE_CREATE = "workshop.module_create"
    WORKSHOP_MODULE_REORDER = "workshop.module_reorder"
    WORKSHOP_MODULE_UPDATE = "workshop.module_update"
    WORKSHOP_SESSION_CREATE = "workshop.session_create"
    WORKSHOP_SESSION_UPDATE = "workshop.session_update"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_actor_time", "actor_username", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False, index=True)
    # The actor; a failed login on no account is "?compte-inconnu" (the typed text is never kept: it may be
    # a password typed in the wrong box), with a keyed digest of it in `detail`.
    actor_username: str = Field(max_length=64, nullable=False)
    actor_role: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64, nullable=False, index=True)  # e.g. login.failure, person.view
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    # Facts about the act that are never personal: counts, totals, a period ("n=120 total=1234567").
    detail: str | None = Field(default=None, max_length=200)
    success: bool = Field(default=True, nullable=False)
