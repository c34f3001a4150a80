"""Versioned updates: the one way a row edited in a form is saved over the version its editor saw."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from services.platform.errors import StaleRecord


def versioned_update(session: Session, model: type, row_id: int, expected_version: int, values: dict) -> None:
    """UPDATE … WHERE id = :id AND version = :seen, bumping the version; nothing matched → StaleRecord."""
    result = session.execute(
        sa.update(model)
        .where(model.id == row_id, model.version == expected_version)
        .values(**values, version=model.version + 1)
    )
    if result.rowcount != 1:
        raise StaleRecord()
