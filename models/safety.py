"""Safety of a person and moves of a file between sites.

A danger flag with safe-contact instructions is kept as a history of changes (`PersonSafetyChange`):
the latest row of a person is its current state. The instructions are free text about the person
(`EncryptedText`): read only by the file's team (VIEW_IDENTITY), never exported, destroyed by
anonymisation. A move of a file to another site (`PersonTransfer`) keeps the code the file had there.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Timestamped, site_fk
from models.types import EncryptedText


class PersonSafetyChange(Timestamped, table=True):
    """One setting, change or removal of the danger flag of a person: who (`author_id`), when
    (`created_at`), flagged or not, and the safe-contact instructions (None when removed)."""

    __tablename__ = "person_safety_change"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    flagged: bool = Field(nullable=False)
    instructions: str | None = Field(default=None, sa_type=EncryptedText)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")


class PersonTransfer(Timestamped, table=True):
    """A move of a file from one site to another: the code it had there (`old_code`, SITE-YEAR-NNNN of
    the source site) and the one it got (`new_code`), by whom, on which day, why (encrypted, cleared on
    anonymisation). `site_id` is the destination: the file's site since the move."""

    __tablename__ = "person_transfer"
    __table_args__ = (sa.Index("ix_person_transfer_from_site_year", "from_site_id", "old_code_year"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    from_site_id: int = Field(foreign_key="site.id", nullable=False)
    old_code: str = Field(max_length=20, nullable=False)
    # The old code's year and number: its source site never gives them again (services.persons.files).
    old_code_year: int = Field(nullable=False)
    old_code_number: int = Field(nullable=False)
    new_code: str = Field(max_length=20, nullable=False)
    transferred_on: date = Field(nullable=False)
    reason: str | None = Field(default=None, sa_type=EncryptedText)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
