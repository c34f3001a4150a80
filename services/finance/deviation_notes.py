"""gestion's explanation of a category's deviation beyond the convention's tolerance (financial report).

Reads: VIEW_BUDGET with every site (direction, gestion). Writes: EDIT_BUDGET (gestion); one note per
grant and category, versioned (an edit carries the version it was read at), at most 1 000 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from i18n import _
from models.finance import BudgetCategory, DeviationNote, Grant
from services.finance.access import visible_grants
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

EXPLANATION_MAX = 1000


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


def save_note(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    category: BudgetCategory,
    explanation: str,
    expected_version: int | None,
) -> int:
    """Create (expected_version None) or replace the explanation of a category's deviation. gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    grant = grant_for_report(session, principal, grant_id)
    text = (explanation or "").strip()
    if not text:
        raise ValidationFailed({"explanation": _("Rédigez l'explication de l'écart.")})
    if len(text) > EXPLANATION_MAX:
        raise ValidationFailed(
            {
                "explanation": _("L'explication ne peut dépasser {max} caractères ({count} saisis).").format(
                    max=EXPLANATION_MAX, count=len(text)
                )
            }
        )
    try:
        category = BudgetCategory(category)
    except ValueError as exc:
        raise ValidationFailed({"category": _("Choisissez une catégorie.")}) from exc
    existing = session.exec(
        select(DeviationNote).where(DeviationNote.grant_id == grant.id, DeviationNote.category == category)
    ).first()
    if existing is None:
        if expected_version is not None:
            raise StaleRecord()
        note = DeviationNote(grant_id=grant.id, category=category, explanation=text, updated_by_id=principal.user_id)
        session.add(note)
        session.flush()
        note_id = note.id
    else:
        if expected_version is None:
            raise StaleRecord()
        versioned_update(
            session,
            DeviationNote,
            existing.id,
            int(expected_version),
            {"explanation": text, "updated_by_id": principal.user_id},
        )
        note_id = existing.id
    audit.record(
        session, actor=principal, action="deviation_note.save", entity_type="budget_deviation_note", entity_id=note_id
    )
    session.commit()
    return note_id
