"""Helpers shared by the services of a person's sub-records (pathway, referrals, outcomes, the file)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, SQLModel, select

from i18n import _
from models.audit import AuditAction
from models.persons import Person, PersonStatus
from services.persons.access import _record_status_change, _require_writable, person_in_scope, touch_last_contact
from services.platform import audit
from services.platform.errors import NotFound
from services.platform.principal import Principal
from services.platform.records import versioned_update


def _writable_person(session: Session, principal: Principal, person_id: int) -> Person:
    person = person_in_scope(session, principal, person_id)
    _require_writable(principal, person)
    return person


def _owned_row(session: Session, principal: Principal, model: type, row_id: int) -> tuple[object, Person]:
    """A sub-record and its person, both within the principal's sites (else NotFound)."""
    row = session.exec(select(model).where(model.id == row_id, principal.site_filter(model.site_id))).first()
    if row is None:
        raise NotFound(_("Élément introuvable."))
    return row, person_in_scope(session, principal, row.person_id)


def _save_sub_record(
    session: Session, principal: Principal, person: Person, row: SQLModel, *, contact_on: date, action: str
) -> int:
    """Insert one sub-record of a person (one use case): it moves the last contact forward and is audited."""
    session.add(row)
    session.flush()
    touch_last_contact(session, person, contact_on)
    audit.record(
        session, actor=principal, action=action, entity_type=row.__tablename__, entity_id=row.id, site_id=person.site_id
    )
    session.commit()
    return row.id


def _update_person(
    session: Session,
    principal: Principal,
    person: Person,
    expected_version: int,
    values: dict,
    *,
    detail: str | None = None,
) -> None:
    """Change columns of a file (versioned: StaleRecord if it changed since `expected_version`), audited
    as person.update; the caller commits."""
    versioned_update(session, Person, person.id, int(expected_version), values)
    session.expire(person)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_UPDATE,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
        detail=detail,
    )


def _change_person_status(
    session: Session,
    principal: Principal,
    person: Person,
    *,
    expected_version: int,
    to_status: PersonStatus,
    on: date,
    reason: str | None,
) -> None:
    """Close (on `on`, with `reason`) or reopen a file: status history, versioned update, audit.

    The caller commits (an outcome that closes the file writes it in the same unit of work).
    """
    _record_status_change(session, principal, person, to_status=to_status, on=on, reason=reason)
    closing = to_status == PersonStatus.CLOSED
    versioned_update(
        session,
        Person,
        person.id,
        int(expected_version),
        {"status": to_status, "closed_on": on if closing else None, "closed_reason": reason if closing else None},
    )
    session.expire(person)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_CLOSE if closing else AuditAction.PERSON_REOPEN,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
    )
