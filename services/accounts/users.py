"""User accounts: creation, sites, activation, password reset. Admin (or the CLI) only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from i18n import _
from models.finance import Funder
from models.organisation import LoginThrottle, Role, Site, User, UserSite
from models.types import utcnow
from services.accounts import passwords
from services.accounts.auth import normalise_username, store_new_password
from services.accounts.demo import DEMO_USERNAMES
from services.platform import audit
from services.platform.config import Settings
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import ALL_SITES_ROLES, SYSTEM_ACTOR, Capability, Principal

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
DISPLAY_NAME_MAX = 120  # app_user.display_name column
Actor = Principal | str  # a Principal from the app, SYSTEM_ACTOR from the command line


def _require_admin(actor: Actor) -> None:
    if isinstance(actor, Principal):
        actor.require(Capability.MANAGE_USERS)
    elif actor != SYSTEM_ACTOR:
        raise PermissionDenied()


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: Role
    site_codes: tuple[str, ...]
    is_active: bool
    is_locked: bool
    last_login_at: datetime | None


def list_users(session: Session, actor: Actor, *, now: datetime | None = None) -> list[UserRow]:
    _require_admin(actor)
    now = now or utcnow()
    users = session.exec(select(User).order_by(User.username)).all()
    site_links = session.exec(
        select(UserSite.user_id, Site.code).join(Site, Site.id == UserSite.site_id).order_by(Site.code)
    ).all()
    sites_by_user: dict[int, list[str]] = {}
    for user_id, code in site_links:
        sites_by_user.setdefault(user_id, []).append(code)
    locked = set(session.exec(select(LoginThrottle.username_key).where(LoginThrottle.locked_until > now)).all())
    return [
        UserRow(
            u.id,
            u.username,
            u.display_name,
            u.role,
            tuple(sites_by_user.get(u.id, [])),
            u.is_active,
            u.username in locked,
            u.last_login_at,
        )
        for u in users
    ]


def _site_ids(session: Session, site_codes: list[str]) -> list[int]:
    codes = sorted({code.strip().upper() for code in site_codes if code.strip()})
    if not codes:
        return []
    found = dict(session.exec(select(Site.code, Site.id).where(Site.code.in_(codes))).all())
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValidationFailed({"sites": _("Site(s) inconnu(s) : {codes}.").format(codes=", ".join(missing))})
    return [found[code] for code in codes]


def create_user(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    site_codes: list[str] | None = None,
    funder_name: str | None = None,
) -> int:
    """Create an account. Roles limited to sites need at least one; a financeur needs its funder."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    key = normalise_username(username)
    if not USERNAME_PATTERN.match(key):
        errors["username"] = _(
            "Identifiant invalide : 2 à 63 caractères parmi lettres minuscules, chiffres, point, tiret et souligné."
        )
    elif session.exec(select(User.id).where(User.username == key)).first() is not None:
        errors["username"] = _("Cet identifiant existe déjà.")
    if not display_name.strip():
        errors["display_name"] = _("Le nom affiché est obligatoire.")
    elif len(display_name.strip()) > DISPLAY_NAME_MAX:
        errors["display_name"] = _("Le nom affiché ne peut dépasser {count} caractères.").format(count=DISPLAY_NAME_MAX)
    try:
        passwords.check_policy(password)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    site_ids: list[int] = []
    try:
        site_ids = _site_ids(session, site_codes or [])
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if role not in ALL_SITES_ROLES and role != Role.FINANCEUR and not site_ids and "sites" not in errors:
        errors["sites"] = _("Ce rôle travaille sur des sites : choisissez-en au moins un.")
    funder_id = None
    if role == Role.FINANCEUR:
        funder_id = session.exec(select(Funder.id).where(Funder.name == (funder_name or ""))).first()
        if funder_id is None:
            errors["funder"] = _("Un compte financeur doit être rattaché à un financeur existant.")
    if errors:
        raise ValidationFailed(errors)
    user = User(
        username=key,
        display_name=display_name.strip(),
        password_hash=passwords.hash_password(password, rounds=settings.bcrypt_rounds),
        role=role,
        funder_id=funder_id,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    for site_id in site_ids:
        session.add(UserSite(user_id=user.id, site_id=site_id))
    audit.record(session, actor=actor, action="user.create", entity_type="user", entity_id=user.id)
    session.commit()
    return user.id


def _get(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    if user is None:
        raise NotFound(_("Compte introuvable."))
    return user


def set_active(session: Session, actor: Actor, username: str, *, active: bool) -> None:
    """Deactivating an account also revokes its sessions and cookies at once."""
    _require_admin(actor)
    user = _get(session, username)
    if isinstance(actor, Principal) and actor.user_id == user.id and not active:
        raise ValidationFailed({"username": _("Vous ne pouvez pas désactiver votre propre compte.")})
    user.is_active = active
    if not active:
        user.sessions_revoked_at = utcnow()
    user.version += 1
    audit.record(
        session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        entity_type="user",
        entity_id=user.id,
    )
    session.commit()


def reset_password(session: Session, settings: Settings, actor: Actor, username: str, *, new_password: str) -> None:
    _require_admin(actor)
    passwords.check_policy(new_password)
    user = _get(session, username)
    store_new_password(user, new_password, settings, utcnow())
    audit.record(session, actor=actor, action="user.password_reset", entity_type="user", entity_id=user.id)
    session.commit()


def unlock(session: Session, actor: Actor, username: str) -> None:
    _require_admin(actor)
    throttle = session.get(LoginThrottle, normalise_username(username))
    if throttle is not None:
        throttle.locked_until = None
        throttle.failure_count = 0
        throttle.window_started_at = None
    audit.record(session, actor=actor, action="user.unlock", entity_type="user", entity_id=normalise_username(username))
    session.commit()


@dataclass(frozen=True)
class DemoAccountRow:
    """A demo account as the login page lists it: no personal data, the accounts are fictitious."""

    username: str
    role: Role
    all_sites: bool
    site_codes: tuple[str, ...]
    funder_name: str | None


def demo_accounts(session: Session) -> list[DemoAccountRow]:
    """The showcase accounts of services.accounts.demo that this database holds as active demo accounts,
    in their order (the login page of a demo install lists them: what it lists exists here)."""
    order = {username: index for index, username in enumerate(DEMO_USERNAMES)}
    accounts = sorted(
        session.exec(
            select(User).where(
                User.is_demo == sa.true(), User.is_active == sa.true(), User.username.in_(list(DEMO_USERNAMES))
            )
        ).all(),
        key=lambda user: order[user.username],
    )
    sites = session.exec(
        select(UserSite.user_id, Site.code)
        .join(Site, Site.id == UserSite.site_id)
        .where(UserSite.user_id.in_([user.id for user in accounts]))
        .order_by(Site.code)
    ).all()
    funders = dict(session.exec(select(Funder.id, Funder.name)).all()) if accounts else {}
    by_user: dict[int, list[str]] = {}
    for user_id, code in sites:
        by_user.setdefault(user_id, []).append(code)
    return [
        DemoAccountRow(
            user.username,
            user.role,
            user.role in ALL_SITES_ROLES,
            tuple(by_user.get(user.id, ())),
            funders.get(user.funder_id),
        )
        for user in accounts
    ]


def demo_accounts_present(session: Session) -> bool:
    """Production refuses to start while an account with the published demo password exists."""
    return session.exec(select(sa.func.count()).select_from(User).where(User.is_demo == sa.true())).one() > 0


def list_site_codes(session: Session) -> list[str]:
    return list(session.exec(select(Site.code).where(Site.is_active == sa.true()).order_by(Site.code)).all())


def list_funder_names(session: Session) -> list[str]:
    return list(session.exec(select(Funder.name).order_by(Funder.name)).all())
