"""User accounts: creation, sites, activation, password reset. Admin (or the CLI) only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.finance import Funder
from models.organisation import LoginThrottle, Role, Site, User, UserSite
from models.types import utcnow
from services.accounts import passwords
from services.accounts.auth import normalise_username, store_new_password
from services.accounts.demo import DEMO_USERNAMES
from services.platform import audit
from services.platform.config import Settings
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.inputs import FormInput, field_error, messages
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


USERNAME_INVALID = N_(
    "Identifiant invalide : 2 à 63 caractères parmi lettres minuscules, chiffres, point, tiret et souligné."
)
DISPLAY_NAME_REQUIRED = N_("Le nom affiché est obligatoire.")
DISPLAY_NAME_TOO_LONG = N_("Le nom affiché ne peut dépasser {count} caractères.")
SITES_REQUIRED = N_("Ce rôle travaille sur des sites : choisissez-en au moins un.")
FUNDER_REQUIRED = N_("Un compte financeur doit être rattaché à un financeur existant.")


class NewUserInput(FormInput):
    """What the account form sends (and the command line: ops.cli create-user). `site_codes` are site codes
    (any case), `funder_name` the funder of a financeur account."""

    username: str = Field(json_schema_extra=messages(USERNAME_INVALID))
    display_name: str = Field(
        min_length=1,
        max_length=DISPLAY_NAME_MAX,
        json_schema_extra=messages(
            DISPLAY_NAME_REQUIRED, by_type={"string_too_long": DISPLAY_NAME_TOO_LONG}, count=DISPLAY_NAME_MAX
        ),
    )
    role: Role
    password: passwords.NewPassword
    site_codes: list[str] = Field(default_factory=list)
    funder_name: str | None = None

    @field_validator("username")
    @classmethod
    def _a_username(cls, value: str) -> str:
        key = normalise_username(value)
        if not USERNAME_PATTERN.match(key):
            raise field_error(USERNAME_INVALID)
        return key

    @field_validator("site_codes", mode="before")
    @classmethod
    def _codes(cls, value: object) -> list[str]:
        return site_code_list(value)

    @field_validator("site_codes")
    @classmethod
    def _a_site_for_site_roles(cls, value: list[str], info: ValidationInfo) -> list[str]:
        role = info.data.get("role")
        if role is not None and role not in ALL_SITES_ROLES and role != Role.FINANCEUR and not value:
            raise field_error(SITES_REQUIRED)
        return value


def site_code_list(value: object) -> list[str]:
    """Site codes as typed or chosen: upper case, each once, blank ones dropped, sorted."""
    return sorted({str(code).strip().upper() for code in value or () if str(code).strip()})


def _site_ids(session: Session, site_codes: list[str], errors: dict[str, str]) -> list[int]:
    """The ids of the sites named by their codes; a message under "site_codes" names the unknown ones."""
    found = dict(session.exec(select(Site.code, Site.id).where(Site.code.in_(site_codes))).all()) if site_codes else {}
    missing = [code for code in site_codes if code not in found]
    if missing:
        errors["site_codes"] = _("Site(s) inconnu(s) : {codes}.").format(codes=", ".join(missing))
    return [found[code] for code in site_codes if code in found]


def create_user(
    session: Session,
    settings: Settings,
    actor: Actor,
    data: NewUserInput | Mapping[str, object] | None = None,
    **fields: object,
) -> int:
    """Create an account from `data` (the form) or the same fields as keywords (the command line). Roles
    limited to sites need at least one; a financeur needs its funder."""
    _require_admin(actor)
    values = (data.model_dump() if isinstance(data, NewUserInput) else dict(data or {})) | fields
    try:
        user, errors = NewUserInput.validated(values), {}
    except ValidationFailed as exc:
        user, errors = None, dict(exc.errors)
    if user is not None:
        problem = passwords.guessable_problem(
            user.password, settings=settings, names=[user.username, user.display_name]
        )
        if problem:
            errors["password"] = problem
    if "username" not in errors:
        key = normalise_username(str(values["username"]))
        if session.exec(select(User.id).where(User.username == key)).first() is not None:
            errors["username"] = _("Cet identifiant existe déjà.")
    codes = site_code_list(values.get("site_codes")) if "site_codes" not in errors else []
    site_ids = _site_ids(session, codes, errors)
    funder_id = None
    if values.get("role") == Role.FINANCEUR:
        funder_id = session.exec(select(Funder.id).where(Funder.name == (values.get("funder_name") or ""))).first()
        if funder_id is None:
            errors["funder_name"] = _(FUNDER_REQUIRED)
    if errors:
        raise ValidationFailed(errors)
    row = User(
        username=user.username,
        display_name=user.display_name,
        password_hash=passwords.hash_password(user.password, rounds=settings.bcrypt_rounds),
        role=user.role,
        funder_id=funder_id,
        password_changed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    for site_id in site_ids:
        session.add(UserSite(user_id=row.id, site_id=site_id))
    audit.record(session, actor=actor, action=AuditAction.USER_CREATE, entity_type="user", entity_id=row.id)
    session.commit()
    return row.id


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
        action=AuditAction.USER_ACTIVATE if active else AuditAction.USER_DEACTIVATE,
        entity_type="user",
        entity_id=user.id,
    )
    session.commit()


class ResetInput(FormInput):
    """What the password reset form sends (and the command line: ops.cli set-password)."""

    password: passwords.NewPassword


def reset_password(session: Session, settings: Settings, actor: Actor, username: str, *, new_password: str) -> None:
    """Give an account a new password (within the policy); its sessions and cookies are revoked."""
    _require_admin(actor)
    checked = ResetInput.validated({"password": new_password})
    user = _get(session, username)
    passwords.check_not_guessable(checked.password, settings=settings, user=user, field="password")
    store_new_password(user, checked.password, settings, utcnow())
    audit.record(session, actor=actor, action=AuditAction.USER_PASSWORD_RESET, entity_type="user", entity_id=user.id)
    session.commit()


def unlock(session: Session, actor: Actor, username: str) -> None:
    _require_admin(actor)
    throttle = session.get(LoginThrottle, normalise_username(username))
    if throttle is not None:
        throttle.locked_until = None
        throttle.failure_count = 0
        throttle.window_started_at = None
    audit.record(
        session, actor=actor, action=AuditAction.USER_UNLOCK, entity_type="user", entity_id=normalise_username(username)
    )
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
