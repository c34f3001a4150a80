"""Audit log: who, when, what, which record — never the values (docs/design.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from models.audit import AuditAction, AuditEvent
from models.types import utcnow
from services.platform.principal import Capability, Principal


def record(
    session: Session,
    *,
    actor: Principal | str,
    action: AuditAction,
    entity_type: str | None = None,
    entity_id: object | None = None,
    site_id: int | None = None,
    success: bool = True,
    detail: str | None = None,
) -> None:
    """Add an audit event to the caller's unit of work (written with it, or not at all).

    `detail` holds non-personal facts only (counts, totals in cents, a period), never a value typed
    about a person."""
    action = AuditAction(action)  # an act the log does not know is a bug, not a new kind of event
    if isinstance(actor, Principal):
        username, role = actor.username, actor.role.value
    else:
        username, role = actor[:64], None
    session.add(
        AuditEvent(
            actor_username=username,
            actor_role=role,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            site_id=site_id,
            success=success,
            detail=None if detail is None else detail[:200],
        )
    )


@dataclass(frozen=True)
class AuditRow:
    occurred_at: datetime
    actor_username: str
    actor_role: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    success: bool
    detail: str | None = None


def list_events(
    session: Session,
    principal: Principal,
    *,
    action_prefix: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[AuditRow], int]:
    """Latest audit events, newest first, with the total matching count. Admin only."""
    principal.require(Capability.VIEW_AUDIT)
    conditions = []
    if action_prefix:
        conditions.append(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if actor:
        conditions.append(AuditEvent.actor_username == actor.strip().lower())
    if since:
        conditions.append(AuditEvent.occurred_at >= since)
    where = sa.and_(sa.true(), *conditions)
    total = session.exec(select(sa.func.count()).select_from(AuditEvent).where(where)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(where)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        AuditRow(
            r.occurred_at, r.actor_username, r.actor_role, r.action, r.entity_type, r.entity_id, r.success, r.detail
        )
        for r in rows
    ], total


def purge_older_than(session: Session, *, days: int, now: datetime | None = None) -> int:
    """Delete events past the retention period (1 year by default); returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = session.exec(sa.delete(AuditEvent).where(AuditEvent.occurred_at < cutoff))  # type: ignore[call-overload]
    return result.rowcount or 0
