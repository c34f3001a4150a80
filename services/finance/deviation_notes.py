"""gestion's explanation of a category's deviation beyond the convention's tolerance (financial report).

Reads: VIEW_BUDGET with every site (direction, gestion). Writes: EDIT_BUDGET (gestion); one note per
grant and category, versioned (an edit carries the version it was read at), at most 1 000 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import Field, field_validator
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.finance import BudgetCategory, DeviationNote, Grant
from services.finance.access import visible_grants
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, StaleRecord
from services.platform.inputs import FormInput, field_error, messages
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

EXPLANATION_MAX = 1000
CHOOSE_CATEGORY = N_("Choisissez une catégorie.")
EXPLANATION_REQUIRED = N_("Rédigez l'explication de l'écart.")
EXPLANATION_TOO_LONG = N_("L'explication ne peut dépasser {max} caractères ({count} saisis).")


@dataclass(frozen=True)
class Note:
    id: int
    grant_id: int
    category: BudgetCategory
    explanation: str
    version: int


def grant_for_report(session: Session, principal: Principal, grant_id: int) -> Grant:
    if not (principal.can(Capability.VIEW_BUDGET) and principal.all_sites):
        raise PermissionDenied()
    grant = session.exec(select(Grant).where(Grant.id == grant_id, visible_grants(principal))).first()
    if grant is None:
        raise NotFound(_("Convention introuvable."))
    return grant


def notes_of_grant(session: Session, principal: Principal, *, grant_id: int) -> dict[BudgetCategory, Note]:
    grant = grant_for_report(session, principal, grant_id)
    rows = session.exec(select(DeviationNote).where(DeviationNote.grant_id == grant.id)).all()
    return {
        BudgetCategory(r.category): Note(r.id, r.grant_id, BudgetCategory(r.category), r.explanation, r.version)
        for r in rows
    }


class NoteInput(FormInput):
    """What the explanation form of one category's deviation sends."""

    category: BudgetCategory = Field(json_schema_extra=messages(CHOOSE_CATEGORY))
    explanation: str = Field(min_length=1, json_schema_extra=messages(EXPLANATION_REQUIRED))

    @field_validator("explanation")
    @classmethod
    def _not_too_long(cls, value: str) -> str:
        if len(value) > EXPLANATION_MAX:
            raise field_error(EXPLANATION_TOO_LONG, max=EXPLANATION_MAX, count=len(value))
        return value


def save_note(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    data: NoteInput | Mapping[str, object],
    expected_version: int | None,
) -> int:
    """Create (expected_version None) or replace the explanation of a category's deviation. gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    grant = grant_for_report(session, principal, grant_id)
    note = NoteInput.validated(data)
    existing = session.exec(
        select(DeviationNote).where(DeviationNote.grant_id == grant.id, DeviationNote.category == note.category)
    ).first()
    if (existing is None) != (expected_version is None):
        raise StaleRecord()  # created or deleted by someone else since the form was shown
    if existing is None:
        row = DeviationNote(
            grant_id=grant.id, category=note.category, explanation=note.explanation, updated_by_id=principal.user_id
        )
        session.add(row)
        session.flush()
        note_id = row.id
    else:
        versioned_update(
            session,
            DeviationNote,
            existing.id,
            int(expected_version),
            {"explanation": note.explanation, "updated_by_id": principal.user_id},
        )
        note_id = existing.id
    audit.record(
        session,
        actor=principal,
        action=AuditAction.DEVIATION_NOTE_SAVE,
        entity_type="budget_deviation_note",
        entity_id=note_id,
    )
    session.commit()
    return note_id
