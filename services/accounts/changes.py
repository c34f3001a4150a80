"""What direction is shown of the accounts that see identities: who created, re-enabled or reset one, when.

An admin cannot read the persons' files, but could make an account that can (a chef_service) and sign in
as it. Each such act is in the audit log; direction, who answers for the files, sees it on its home page
too: the last RECENT_DAYS days of creations, re-enablings, passwords set by an admin, enrolment codes
issued, and codes used by their holder. Read from the audit log (who, when, which account: no values).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, select

from i18n import N_
from models.audit import AuditAction, AuditEvent
from models.organisation import Role, Site, User, UserSite
from models.types import utcnow
from services.accounts.enrolment import sees_identities
from services.platform.principal import Capability, Principal

RECENT_DAYS = 90
MAX_ROWS = 200


class AccountChange(StrEnum):
    CREATED = "created"
    REACTIVATED = "reactivated"
    PASSWORD_SET_BY_ADMIN = "password_set_by_admin"
    CODE_ISSUED = "code_issued"
    CODE_USED = "code_used"
    SSO_LINKED = "sso_linked"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.CREATED: N_("Compte créé"),
            cls.REACTIVATED: N_("Compte réactivé"),
            cls.PASSWORD_SET_BY_ADMIN: N_("Mot de passe fixé par l'administration"),
            cls.CODE_ISSUED: N_("Code d'activation remis"),
            cls.CODE_USED: N_("Mot de passe choisi par le ou la titulaire"),
            cls.SSO_LINKED: N_("Authentification unique liée par le ou la titulaire"),
        }


CHANGE_OF_ACTION = {
    AuditAction.USER_CREATE: AccountChange.CREATED,
    AuditAction.USER_ACTIVATE: AccountChange.REACTIVATED,
    AuditAction.USER_PASSWORD_RESET: AccountChange.PASSWORD_SET_BY_ADMIN,
    AuditAction.USER_ENROLMENT_ISSUED: AccountChange.CODE_ISSUED,
    AuditAction.USER_ENROLMENT_COMPLETED: AccountChange.CODE_USED,
    AuditAction.USER_SSO_LINKED: AccountChange.SSO_LINKED,
}


@dataclass(frozen=True)
class PrivilegedAccountChange:
    occurred_at: datetime
    by: str  # the actor's username ("system": the command line)
    username: str
    role: Role
    site_codes: tuple[str, ...]
    change: AccountChange


def privileged_account_changes(
    session: Session, principal: Principal, *, now: datetime | None = None
) -> list[PrivilegedAccountChange]:
    """Direction only: the acts of the last RECENT_DAYS days that gave someone a way into an account that
    sees identities, newest first (at most MAX_ROWS)."""
    principal.require(Capability.REVIEW_ACCOUNT_CHANGES)
    now = now or utcnow()
    identity_roles = [role for role in Role if sees_identities(role)]
    rows = session.exec(
        select(AuditEvent.occurred_at, AuditEvent.actor_username, AuditEvent.action, User.id, User.username, User.role)
        .join(User, AuditEvent.entity_id == sa.cast(User.id, sa.String))
        .where(
            AuditEvent.entity_type == "user",
            AuditEvent.success == sa.true(),
            AuditEvent.action.in_([action.value for action in CHANGE_OF_ACTION]),
            AuditEvent.occurred_at >= now - timedelta(days=RECENT_DAYS),
            User.role.in_(identity_roles),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(MAX_ROWS)
    ).all()
    user_ids = sorted({row[3] for row in rows})
    sites: dict[int, list[str]] = {}
    if user_ids:
        for user_id, code in session.exec(
            select(UserSite.user_id, Site.code)
            .join(Site, Site.id == UserSite.site_id)
            .where(UserSite.user_id.in_(user_ids))
            .order_by(Site.code)
        ).all():
            sites.setdefault(user_id, []).append(code)
    return [
        PrivilegedAccountChange(
            occurred_at,
            by,
            username,
            role,
            tuple(sites.get(user_id, ())),
            CHANGE_OF_ACTION[AuditAction(action)],
        )
        for occurred_at, by, action, user_id, username, role in rows
    ]
