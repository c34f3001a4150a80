"""Mixins for the columns most tables share."""

from __future__ import annotations

from datetime import date, datetime

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


class KeptPerSiteDay(SQLModel):
    """Figures per site × day that the database keeps from the facts that count in statistics, never written by the
    app: triggers compute the site-days a write of the facts (or of a person's consent) concerns again, in its
    transaction (migration 0030, which says how to keep them when a migration recreates a source table). A read of
    it depends on the tables it is kept from (services.platform.data_version.DERIVED_FROM). A site-day whose facts
    are gone keeps a row of zeros."""

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    day: date = Field(primary_key=True)


def kept_count():
    """A count or sum of a KeptPerSiteDay table (0 until its triggers compute it)."""
    return Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
