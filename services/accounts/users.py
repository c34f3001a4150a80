"""User accounts: creation, sites, activation, password reset, enrolment codes. Admin (or the CLI) only.

In production an account that sees identities gets no password from the admin: it is created, re-enabled
or reset with an enrolment code that its holder redeems (services.accounts.enrolment)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.finance import Funder
from models.organisation import AccountEnrolment, EnrolmentReason, LoginThrottle, Role, Site, User, UserSite
from models.types import utcnow
from services.accounts import enrolment, passwords
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


def require_admin(actor: Actor) -> None:
    """An admin of the app, or the command line (SYSTEM_ACTOR); anyone else is refused."""
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
    code_expires_at: datetime | None = None  # an enrolment code waits for the holder until then
    sso_linked: bool = False  # its holder signs in through single sign-on


def list_users(session: Session, actor: Actor, *, now: datetime | None = None) -> list[UserRow]:
    require_admin(actor)
    now = now or utcnow()
    users = session.exec(select(User).order_by(User.username)).all()
    site_links = session.exec(
        select(UserSite.user_id, Site.code).join(Site, Site.id == UserSite.site_id).order_by(Site.code)
    ).all()
    sites_by_user: dict[int, list[str]] = {}
    for user_id, code in site_links:
        sites_by_user.setdefault(user_id, []).append(code)
    locked = set(session.exec(select(LoginThrottle.username_key).where(LoginThrottle.locked_until > now)).all())
    pending = dict(
        session.exec(
            select(AccountEnrolment.user_id, AccountEnrolment.expires_at).where(
                AccountEnrolment.used_at.is_(None),
                AccountEnrolment.revoked_at.is_(None),
                AccountEnrolment.expires_at > now,
            )
        ).all()
    )
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
            pending.get(u.id),
            u.sso_identity is not None,
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


class AccountInput(FormInput):
    """An account without its password (enrol_user: its holder will set it). `site_codes` are site codes
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
    def _codes(cls, value: object) -> object:
        # anything but a list of codes (or nothing) is left to the field's type, which refuses it
        return site_code_list(value) if value is None or isinstance(value, (list, tuple, set, frozenset)) else value

    @field_validator("site_codes")
    @classmethod
    def _a_site_for_site_roles(cls, value: list[str], info: ValidationInfo) -> list[str]:
        role = info.data.get("role")
        if role is not None and role not in ALL_SITES_ROLES and role != Role.FINANCEUR and not value:
            raise field_error(SITES_REQUIRED)
        return value


class NewUserInput(AccountInput):
    """What the account form sends with a password (and the command line: ops.cli create-user)."""

    password: passwords.NewPassword


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


def _actor_name(actor: Actor) -> str:
    return actor.username if isinstance(actor, Principal) else str(actor)[:64]


def _issue_code(
    session: Session, actor: Actor, user: User, reason: EnrolmentReason, *, now: datetime | None = None
) -> enrolment.IssuedCode:
    """Issue an enrolment code for `user` in the caller's unit of work (the caller checks the actor, commits):
    earlier codes revoked, the current password unusable, every session closed, the act audited."""
    now = now or utcnow()
    _revoke_pending(session, user.id, now)
    code = enrolment.new_code()
    expires_at = now + timedelta(hours=enrolment.CODE_VALID_HOURS)
    session.add(
        AccountEnrolment(
            user_id=user.id,
            code_digest=enrolment.code_digest(code),
            reason=reason,
            issued_by=_actor_name(actor),
            issued_at=now,
            expires_at=expires_at,
        )
    )
    user.password_hash = enrolment.NO_PASSWORD
    user.sso_identity = None  # every way in starts again from the code
    user.sessions_revoked_at = now
    user.version += 1
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_ENROLMENT_ISSUED,
        entity_type="user",
        entity_id=user.id,
        detail=f"motif={reason.value}",
    )
    return enrolment.IssuedCode(user.username, code, expires_at)


def _revoke_pending(session: Session, user_id: int, now: datetime) -> None:
    """Revoke the account's unused codes, in the caller's unit of work."""
    table = AccountEnrolment.__table__
    session.execute(
        sa.update(table)
        .where(table.c.user_id == user_id, table.c.used_at.is_(None), table.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _checked_account(
    session: Session, settings: Settings, values: dict[str, object], *, with_password: bool
) -> tuple[AccountInput, list[int], int | None]:
    """The account's fields checked (shape, then what needs the database), its site ids and funder id;
    ValidationFailed with every field's message at once."""
    model = NewUserInput if with_password else AccountInput
    try:
        account, errors = model.validated(values), {}
    except ValidationFailed as exc:
        account, errors = None, dict(exc.errors)
    if with_password and "role" not in errors and enrolment.holder_sets_password(settings, Role(values["role"])):
        errors["password"] = _(enrolment.HOLDER_SETS_PASSWORD)
    elif isinstance(account, NewUserInput):
        problem = passwords.guessable_problem(
            account.password, settings=settings, names=[account.username, account.display_name]
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
    if values.get("role") == Role.FINANCEUR and "funder_name" not in errors:  # else a text, checked by the model
        funder_id = session.exec(select(Funder.id).where(Funder.name == (values.get("funder_name") or ""))).first()
    if values.get("role") == Role.FINANCEUR and funder_id is None:
        errors.setdefault("funder_name", _(FUNDER_REQUIRED))
    if errors:
        raise ValidationFailed(errors)
    return account, site_ids, funder_id


def _add_account(
    session: Session,
    actor: Actor,
    account: AccountInput,
    site_ids: list[int],
    funder_id: int | None,
    password_hash: str,
) -> User:
    row = User(
        username=account.username,
        display_name=account.display_name,
        password_hash=password_hash,
        role=account.role,
        funder_id=funder_id,
        password_changed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    for site_id in site_ids:
        session.add(UserSite(user_id=row.id, site_id=site_id))
    audit.record(session, actor=actor, action=AuditAction.USER_CREATE, entity_type="user", entity_id=row.id)
    return row


def create_user(
    session: Session,
    settings: Settings,
    actor: Actor,
    data: NewUserInput | Mapping[str, object] | None = None,
    **fields: object,
) -> int:
    """Create an account with a password from `data` (the form) or the same fields as keywords (the command
    line). Roles limited to sites need at least one; a financeur needs its funder. In production an account
    that sees identities is refused here: enrol_user creates it, and its holder sets the password."""
    require_admin(actor)
    values = (data.model_dump() if isinstance(data, NewUserInput) else dict(data or {})) | fields
    account, site_ids, funder_id = _checked_account(session, settings, values, with_password=True)
    password_hash = passwords.hash_password(account.password, rounds=settings.bcrypt_rounds)
    row = _add_account(session, actor, account, site_ids, funder_id, password_hash)
    session.commit()
    return row.id


def enrol_user(
    session: Session,
    settings: Settings,
    actor: Actor,
    data: AccountInput | Mapping[str, object] | None = None,
    **fields: object,
) -> enrolment.IssuedCode:
    """Create an account without a password and issue its enrolment code (shown once, handed to the holder,
    who sets the password on the login page). Any role may be created so; in production it is the only way
    for an account that sees identities. A password among the fields is ignored."""
    require_admin(actor)
    values = (data.model_dump() if isinstance(data, AccountInput) else dict(data or {})) | fields
    values.pop("password", None)
    account, site_ids, funder_id = _checked_account(session, settings, values, with_password=False)
    row = _add_account(session, actor, account, site_ids, funder_id, enrolment.NO_PASSWORD)
    issued = _issue_code(session, actor, row, EnrolmentReason.CREATED)
    session.commit()
    return issued


def get_account(session: Session, username: str) -> User:
    """The account with this username (any case); NotFound otherwise. The caller checks who asks."""
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    if user is None:
        raise NotFound(_("Compte introuvable."))
    return user


def set_active(
    session: Session, settings: Settings, actor: Actor, username: str, *, active: bool
) -> enrolment.IssuedCode | None:
    """Deactivating an account also revokes its sessions, cookies and unused enrolment codes at once. In
    production, re-enabling an account that sees identities issues an enrolment code (returned, to be shown
    once): the password it had no longer works, its holder sets a new one."""
    require_admin(actor)
    user = get_account(session, username)
    if isinstance(actor, Principal) and actor.user_id == user.id and not active:
        raise ValidationFailed({"username": _("Vous ne pouvez pas désactiver votre propre compte.")})
    now = utcnow()
    user.is_active = active
    if not active:
        user.sessions_revoked_at = now
        _revoke_pending(session, user.id, now)
    user.version += 1
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_ACTIVATE if active else AuditAction.USER_DEACTIVATE,
        entity_type="user",
        entity_id=user.id,
    )
    issued = None
    if active and enrolment.holder_sets_password(settings, user.role):
        issued = _issue_code(session, actor, user, EnrolmentReason.REACTIVATED, now=now)
    session.commit()
    return issued


class ResetInput(FormInput):
    """What the password reset form sends (and the command line: ops.cli set-password)."""

    password: passwords.NewPassword


def reset_password(session: Session, settings: Settings, actor: Actor, username: str, *, new_password: str) -> None:
    """Give an account a new password (within the policy); its sessions and cookies are revoked. In
    production an account that sees identities is refused: issue_enrolment_code gives its holder a code."""
    require_admin(actor)
    user = get_account(session, username)
    if enrolment.holder_sets_password(settings, user.role):
        raise ValidationFailed({"password": _(enrolment.HOLDER_SETS_RESET)})
    checked = ResetInput.validated({"password": new_password})
    passwords.check_not_guessable(checked.password, settings=settings, user=user, field="password")
    store_new_password(user, checked.password, settings, utcnow())
    audit.record(session, actor=actor, action=AuditAction.USER_PASSWORD_RESET, entity_type="user", entity_id=user.id)
    session.commit()


INACTIVE_ACCOUNT = N_("Ce compte est désactivé : réactivez-le d'abord.")


def issue_enrolment_code(session: Session, actor: Actor, username: str) -> enrolment.IssuedCode:
    """Give an active account a new enrolment code (shown once, handed to its holder); its password stops
    working at once and its sessions close. Any role may be reset so, in demo mode too; in production it
    is the only way to a new password for an account that sees identities."""
    require_admin(actor)
    user = get_account(session, username)
    if not user.is_active:
        raise ValidationFailed({"username": _(INACTIVE_ACCOUNT)})
    issued = _issue_code(session, actor, user, EnrolmentReason.RESET)
    session.commit()
    return issued


def unlock(session: Session, actor: Actor, username: str) -> None:
    require_admin(actor)
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
