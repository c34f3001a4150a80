"""Helpers shared by the services of a person's sub-records (pathway, referrals, outcomes)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from models.persons import Person
from services.errors import NotFound, StaleRecord
from services.person_access import person_in_scope, require_writable
from services.principal import Principal

FUTURE_DATE = "La date ne peut pas être dans le futur."


def not_future(errors: dict[str, str], field: str, value: date | None, today: date) -> None:
    if value is not None and value > today:
        errors[field] = FUTURE_DATE


def writable_person(session: Session, principal: Principal, person_id: int) -> Person:
    person = person_in_scope(session, principal, person_id)
    require_writable(principal, person)
    return person


def owned_row(session: Session, principal: Principal, model: type, row_id: int) -> tuple[object, Person]:
    """A sub-record and its person, both within the principal's sites (else NotFound)."""
    row = session.exec(select(model).where(model.id == row_id, principal.site_filter(model.site_id))).first()
    if row is None:
        raise NotFound("Élément introuvable.")
    return row, person_in_scope(session, principal, row.person_id)


def versioned_update(session: Session, model: type, row_id: int, expected_version: int, values: dict) -> None:
    """UPDATE … WHERE id = :id AND version = :seen, bumping the version; nothing matched → StaleRecord."""
    result = session.execute(
        sa.update(model)
        .where(model.id == row_id, model.version == expected_version)
        .values(**values, version=model.version + 1)
    )
    if result.rowcount != 1:
        raise StaleRecord()
