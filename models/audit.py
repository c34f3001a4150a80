"""Audit trail: who did what to which record, never the values."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_actor_time", "actor_username", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False, index=True)
    # Username as typed for failed logins (so unknown names are traced too), else the actor.
    actor_username: str = Field(max_length=64, nullable=False)
    actor_role: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64, nullable=False, index=True)  # e.g. login.failure, person.view
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    # Facts about the act that are never personal: counts, totals, a period ("n=120 total=1234567").
    detail: str | None = Field(default=None, max_length=200)
    success: bool = Field(default=True, nullable=False)
