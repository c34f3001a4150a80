"""Login, lockout and server-side session validity.

streamlit-authenticator draws the form and keeps the cookie; every decision is
taken here against the database:
- lockout: 5 failures within 15 minutes lock the typed username for 15 minutes,
  whether or not the account exists (no username enumeration);
- a session or cookie issued before the user's `sessions_revoked_at` (logout,
  password change, deactivation) is refused, so is one older than 12 hours or
  idle for 30 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.organisation import LoginThrottle, User, UserSite
from models.types import UtcDateTime, utcnow
from services.accounts import passwords
from services.platform import audit
from services.platform.config import Settings
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, field_error, searchable
from services.platform.principal import Principal

LAST_SEEN_WRITE_INTERVAL = timedelta(minutes=1)


class LoginOutcome(StrEnum):
    SUCCESS = "success"
    INVALID = "invalid"  # unknown username, wrong password or inactive account: same answer
    LOCKED = "locked"


class SessionEnd(StrEnum):
    IDLE = "idle"
    EXPIRED = "expired"
    REVOKED = "revoked"


# French ids (marked N_): the UI translates them where it shows them, `_(message)`.
SESSION_END_MESSAGES = {
    SessionEnd.IDLE: N_("Votre session a expiré après {idle_minutes} minutes d'inactivité : reconnectez-vous."),
    SessionEnd.EXPIRED: N_("Votre session a dépassé {session_hours} heures : reconnectez-vous."),
    SessionEnd.REVOKED: N_(
        "Votre session a été fermée (déconnexion, changement de mot de passe ou compte désactivé) : reconnectez-vous."
    ),
}

LOGIN_MESSAGES = {
    LoginOutcome.INVALID: N_("Identifiant ou mot de passe incorrect."),
    LoginOutcome.LOCKED: N_(
        "Trop de tentatives infructueuses : ce compte est verrouillé pendant "
        "{lockout_minutes} minutes. Réessayez plus tard ou contactez l'administration."
    ),
}


def limits_of(settings: Settings) -> dict[str, int]:
    """The configured limits the login and session messages quote ({idle_minutes}…): fill a message with
    `_(message).format(**limits_of(settings))`."""
    return {
        "idle_minutes": settings.idle_timeout_minutes,
        "session_hours": settings.session_max_hours,
        "lockout_minutes": settings.lockout_minutes,
    }


# A failed login on no account is audited without the text typed (it may be a password typed in the wrong
# box): this actor, and a keyed digest of the text, enough to see the same name tried again.
UNKNOWN_ACCOUNT = "?compte-inconnu"


def typed_name_digest(settings: Settings, typed: str) -> str:
    """The first 12 hex digits of HMAC-SHA256(cookie key, typed name): not reversible without the key."""
    return hmac.new(settings.cookie_key.encode(), typed.encode(), hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    principal: Principal | None = None


def normalise_username(username: str) -> str:
    return searchable(username.strip().lower()[:64])


def load_principal(session: Session, username: str) -> Principal | None:
    """The active user with this username as a principal, or None."""
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    if user is None or not user.is_active:
        return None
    return principal_of(session, user)


def principal_of(session: Session, user: User) -> Principal:
    site_ids = session.exec(select(UserSite.site_id).where(UserSite.user_id == user.id)).all()
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        site_ids=frozenset(site_ids),
        funder_id=user.funder_id,
    )


def reserve_attempt(session: Session, settings: Settings, key: str, now: datetime) -> int | None:
    """Count this attempt against `key` BEFORE its password is checked, in one atomic statement
    committed at once; None when `key` is locked (the password is then not checked at all).

    Checking first and counting after let simultaneous guesses all through (the review sent ten at
    once, then the right password): each read the count before any had written it. Here the count is
    taken and tested by a single UPDATE (a row lock on PostgreSQL, the database write lock on SQLite),
    whatever the number of threads and processes; the attempt that reaches the threshold sets the lock.
    Returns the attempts counted in the current window, this one included."""
    throttle = LoginThrottle.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(throttle)
        .values(username_key=key, failure_count=0)
        .on_conflict_do_nothing(index_elements=["username_key"])
    )
    at = sa.literal(now, UtcDateTime())
    window_start = sa.literal(now - timedelta(minutes=settings.lockout_window_minutes), UtcDateTime())
    fresh_window = sa.or_(
        throttle.c.window_started_at.is_(None),
        throttle.c.window_started_at < window_start,
        throttle.c.locked_until <= at,  # a lock that has expired starts a new window
    )
    counted = sa.case((fresh_window, 1), else_=throttle.c.failure_count + 1)
    locks = sa.literal(now + timedelta(minutes=settings.lockout_minutes), UtcDateTime())
    reserved = session.execute(
        sa.update(throttle)
        .where(throttle.c.username_key == key, sa.or_(throttle.c.locked_until.is_(None), throttle.c.locked_until <= at))
        .values(
            failure_count=counted,
            window_started_at=sa.case((fresh_window, at), else_=throttle.c.window_started_at),
            locked_until=sa.case((counted >= settings.lockout_threshold, locks), else_=None),
        )
        .returning(throttle.c.failure_count)
    ).first()
    session.commit()
    return None if reserved is None else int(reserved[0])


def clear_attempts(session: Session, key: str) -> None:
    """Forget the failures counted against `key` (a successful sign-in or enrolment), in the caller's unit
    of work."""
    throttle = LoginThrottle.__table__
    session.execute(
        sa.update(throttle)
        .where(throttle.c.username_key == key)
        .values(failure_count=0, window_started_at=None, locked_until=None)
    )


def throttle_key(settings: Settings, typed: str, user: User | None) -> str:
    """The lockout counter of a typed username: the name itself for an account, a keyed digest otherwise
    (neither the throttle table nor the audit log holds a name typed for no account)."""
    return typed if user is not None else f"?{typed_name_digest(settings, typed)}"


def authenticate(
    session: Session, settings: Settings, username: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """Check a login attempt, update the lockout counters and audit it. Anyone may call it."""
    now = now or utcnow()
    typed = normalise_username(username)
    user = session.exec(select(User).where(User.username == typed)).first()
    key = throttle_key(settings, typed, user)
    actor, detail = (typed, None) if user is not None else (UNKNOWN_ACCOUNT, f"nom={key[1:]}")
    attempts = reserve_attempt(session, settings, key, now)
    if attempts is None:
        passwords.burn_equivalent_time(rounds=settings.bcrypt_rounds)
        audit.record(session, actor=actor, action=AuditAction.LOGIN_LOCKED, success=False, detail=detail)
        session.commit()
        return LoginResult(LoginOutcome.LOCKED)

    if user is None:
        passwords.burn_equivalent_time(rounds=settings.bcrypt_rounds)
        valid = False
    else:
        valid = passwords.verify_password(password, user.password_hash) and user.is_active

    if valid:
        clear_attempts(session, key)
        user.failed_login_count = 0
        user.last_login_at = now
        user.last_seen_at = now
        audit.record(
            session, actor=user.username, action=AuditAction.LOGIN_SUCCESS, entity_type="user", entity_id=user.id
        )
        principal = principal_of(session, user)
        session.commit()
        return LoginResult(LoginOutcome.SUCCESS, principal)

    if user is not None:
        user.failed_login_count += 1
        user.last_failed_login_at = now
    audit.record(session, actor=actor, action=AuditAction.LOGIN_FAILURE, success=False, detail=detail)
    session.commit()
    return LoginResult(LoginOutcome.LOCKED if attempts >= settings.lockout_threshold else LoginOutcome.INVALID)


def resume_from_cookie(
    session: Session, settings: Settings, username: str, issued_at: datetime, *, now: datetime | None = None
) -> Principal | None:
    """Accept a re-authentication cookie only if the server still considers it valid."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    reason = session_problem(user, settings, issued_at, user.last_seen_at if user else None, now)
    if reason is not None or user is None:
        audit.record(
            session, actor=normalise_username(username), action=AuditAction.SESSION_COOKIE_REFUSED, success=False
        )
        session.commit()
        return None
    user.last_seen_at = now
    audit.record(
        session, actor=user.username, action=AuditAction.SESSION_RESUMED, entity_type="user", entity_id=user.id
    )
    principal = principal_of(session, user)
    session.commit()
    return principal


def session_problem(
    user: User | None, settings: Settings, started_at: datetime, last_activity_at: datetime | None, now: datetime
) -> SessionEnd | None:
    if user is None or not user.is_active:
        return SessionEnd.REVOKED
    for revoked in (user.sessions_revoked_at, user.password_changed_at):
        if revoked is not None and started_at <= revoked:
            return SessionEnd.REVOKED
    if now - started_at > timedelta(hours=settings.session_max_hours):
        return SessionEnd.EXPIRED
    if last_activity_at is None or now - last_activity_at > timedelta(minutes=settings.idle_timeout_minutes):
        return SessionEnd.IDLE
    return None


def check_session(
    session: Session,
    settings: Settings,
    username: str,
    *,
    started_at: datetime,
    last_activity_at: datetime,
    now: datetime | None = None,
) -> Principal | SessionEnd:
    """Validate a live session at each page run; returns the fresh principal or why it ended."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    problem = session_problem(user, settings, started_at, last_activity_at, now)
    if problem is not None:
        return problem
    if user.last_seen_at is None or now - user.last_seen_at > LAST_SEEN_WRITE_INTERVAL:
        user.last_seen_at = now
        session.commit()
    return principal_of(session, user)


def logout(session: Session, username: str, *, now: datetime | None = None) -> None:
    """Revoke every session and cookie of this user (all devices) and audit it."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    if user is None:
        return
    user.sessions_revoked_at = now
    audit.record(session, actor=user.username, action=AuditAction.LOGOUT, entity_type="user", entity_id=user.id)
    session.commit()


SAME_PASSWORD = N_("Le nouveau mot de passe doit être différent de l'actuel.")
CONFIRMATION_DIFFERS = N_("Les deux saisies du nouveau mot de passe diffèrent.")


def confirmed(value: str | None, info: ValidationInfo) -> str | None:
    """A new password's confirmation field: the same text as `new` (every form that sets a password)."""
    new = info.data.get("new")
    if value is not None and new is not None and value != new:
        raise field_error(CONFIRMATION_DIFFERS)
    return value


class PasswordChangeInput(FormInput):
    """What the password change form sends: the current password, the new one and (from the form) the new
    one typed again."""

    current: passwords.TypedPassword
    new: passwords.NewPassword
    confirmation: passwords.OptionalTypedPassword = None

    @field_validator("new")
    @classmethod
    def _another_password(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("current"):
            raise field_error(SAME_PASSWORD)
        return value

    @field_validator("confirmation")
    @classmethod
    def _typed_twice(cls, value: str | None, info: ValidationInfo) -> str | None:
        return confirmed(value, info)


def change_password(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    data: PasswordChangeInput | Mapping[str, object],
    now: datetime | None = None,
) -> None:
    """Any signed-in user changes their own password; all their sessions are then revoked. A wrong current
    password is audited (and reported alone: nothing else is said to whoever does not know it)."""
    now = now or utcnow()
    user = session.get(User, principal.user_id)
    current = data.current if isinstance(data, PasswordChangeInput) else data.get("current")
    if user is None or not passwords.verify_password(str(current or ""), user.password_hash):
        audit.record(
            session,
            actor=principal,
            action=AuditAction.USER_PASSWORD_CHANGE,
            entity_type="user",
            entity_id=principal.user_id,
            success=False,
        )
        session.commit()
        raise ValidationFailed({"current": _("Mot de passe actuel incorrect.")})
    change = PasswordChangeInput.validated(data)
    passwords.check_not_guessable(change.new, settings=settings, user=user, field="new")
    store_new_password(user, change.new, settings, now)
    audit.record(
        session, actor=principal, action=AuditAction.USER_PASSWORD_CHANGE, entity_type="user", entity_id=user.id
    )
    session.commit()


def store_new_password(user: User, password: str, settings: Settings, now: datetime) -> None:
    """Hash and store a new password; every session and cookie issued before now is revoked."""
    user.password_hash = passwords.hash_password(password, rounds=settings.bcrypt_rounds)
    user.password_changed_at = now
    user.sessions_revoked_at = now
    user.version += 1


def credentials_for_authenticator(session: Session) -> dict:
    """Active users in streamlit-authenticator's credentials shape (hashes already made)."""
    rows = session.exec(
        select(User.username, User.display_name, User.password_hash, User.role).where(User.is_active == sa.true())
    ).all()
    return {
        "usernames": {
            username: {"name": name, "password": password_hash, "roles": [role.value], "email": None}
            for username, name, password_hash, role in rows
        }
    }
