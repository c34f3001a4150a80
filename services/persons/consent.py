"""Consent to anonymous statistics, applied where figures are computed (docs/design.md §4).

A person who refused « statistiques anonymes » (Person.consent_statistics false) counts in no figure:
indicators, the director dashboard, the funder space and its pack, the activity figures of outreach,
workshops and French courses. Every query that aggregates rows about persons keeps its rows with
`counted(<its person id column>)`; the lists a team works from (caseload, rolls, its own group) still
show the person, whose file is accompanied whatever the consent.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from models.persons import Person


def counted(person_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """WHERE clause: rows about persons who did not refuse statistics (the refusals are few: a NOT IN on
    them costs one index scan)."""
    refused = select(Person.id).where(Person.consent_statistics.is_(False))
    return person_id.not_in(refused)
