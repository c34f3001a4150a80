"""Who saved a record last, and when: what an editor in conflict is told about the colleague's version.

Read from the audit log (it holds who, when and which record, never the values). The colleague's name is
told only to someone who works beside them: the principal's sites and the author's share one, or the
principal's work spans every site; anyone else reads « un·e collègue » (the UI's word for None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from models.audit import AuditAction, AuditEvent
from models.organisation import User, UserSite
from services.platform.principal import Principal


@dataclass(frozen=True)
class LastWrite:
    at: datetime
    author: str | None  # display name, None when the principal may not know who it was


def last_write(
    session: Session,
    principal: Principal,
    *,
    entity_type: str,
    entity_id: int,
    actions: Iterable[AuditAction],
) -> LastWrite | None:
    """The newest successful write among `actions` on (entity_type, entity_id), within the principal's sites
    when the event names a site. Any signed-in principal: it says nothing about the record's values."""
    event = session.exec(
        select(AuditEvent.occurred_at, AuditEvent.actor_username)
        .where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id == str(entity_id),
            AuditEvent.action.in_([AuditAction(a).value for a in actions]),
            AuditEvent.success,
            sa.or_(AuditEvent.site_id.is_(None), principal.site_filter(AuditEvent.site_id)),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    ).first()
    if event is None:
        return None
    return LastWrite(at=event.occurred_at, author=_name_if_colleague(session, principal, event.actor_username))


def _name_if_colleague(session: Session, principal: Principal, username: str) -> str | None:
    author = session.exec(select(User.id, User.display_name).where(User.username == username)).first()
    if author is None:
        return None
    if principal.all_sites or author.id == principal.user_id:
        return author.display_name
    shared = session.exec(
        select(UserSite.site_id).where(UserSite.user_id == author.id, principal.site_filter(UserSite.site_id))
    ).first()
    return author.display_name if shared is not None else None
