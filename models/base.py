"""Mixins for the columns most tables share."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.types import UtcDateTime, utcnow


class Timestamped(SQLModel):
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UtcDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Versioned(Timestamped):
    """Editable record: services update `WHERE version = :seen` and bump it (optimistic lock)."""

    version: int = Field(default=1, nullable=False)


def site_fk(index: bool = True):
    """The owning site of a record; every scope filter runs on this column."""
    return Field(foreign_key="site.id", index=index, nullable=False)


def national_or_site_fk():
    """The site of a post, budget line or expense; NULL means « National »: the association as a whole (its
    head office's work, the national project officers). A site-scoped principal's filter `site_id IN (…)`
    never matches NULL, so only association-wide principals see national rows."""
    return Field(default=None, foreign_key="site.id", index=True, nullable=True)
