"""Enrolment codes: the holder of an account sets its password, not the admin.

An account that can see identities (a role with VIEW_IDENTITY or VIEW_LEARNERS: chef_service,
intervenant, formateur) is the way to the persons' files. In production, nobody but its holder chooses
its password: creating it, re-enabling it or giving it a new password issues an enrolment code instead,
and the holder sets the password with that code on the login page ("Première connexion / code reçu").

A code is:
- random: 16 characters from a 32-letter alphabet (80 bits), shown in groups of four;
- shown once: only its SHA-256 digest is stored (80 random bits make a keyless digest safe to keep);
- single use, and the newest one only: issuing a code revokes the account's earlier ones;
- expiring: CODE_VALID_HOURS after it is issued;
- guarded by the login lockout: a wrong code counts as a failed sign-in of the typed username.

The admin's use cases issue codes (services.accounts.users: enrol_user, issue_enrolment_code,
set_active); this module makes, checks and redeems them. Issuing a code also makes the account's current
password unusable and closes its sessions, so an admin who knew an old password cannot use it once the
account is re-enabled or reset. Every act is audited, and services.accounts.changes shows it to
direction on its home page.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationInfo, field_validator
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.organisation import AccountEnrolment, Role, User
from models.types import utcnow
from services.accounts import passwords
from services.accounts.auth import (
    LOGIN_MESSAGES,
    UNKNOWN_ACCOUNT,
    LoginOutcome,
    clear_attempts,
    confirmed,
    limits_of,
    normalise_username,
    reserve_attempt,
    store_new_password,
    throttle_key,
)
from services.platform import audit
from services.platform.config import Settings
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, field_error
from services.platform.principal import ROLE_CAPABILITIES, Capability, Principal

CODE_VALID_HOURS = 72
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1: nothing to misread on paper
CODE_LENGTH = 16
# The password hash of an account waiting for its holder: not a bcrypt hash, so no password matches it.
NO_PASSWORD = "!enrolment-pending"

CODE_REFUSED = N_("Code invalide, expiré ou déjà utilisé. Demandez un nouveau code à l'administration.")
CODE_REQUIRED = N_("Saisissez le code reçu.")
USERNAME_REQUIRED = N_("Saisissez votre identifiant.")
HOLDER_SETS_PASSWORD = N_(
    "Ce compte voit l'identité des personnes : en production, seul·e son ou sa titulaire choisit le mot de "
    "passe. Laissez ce champ vide pour lui remettre un code à usage unique."
)
HOLDER_SETS_RESET = N_(
    "Ce compte voit l'identité des personnes : en production, seul·e son ou sa titulaire choisit le mot de "
    "passe. Remettez-lui plutôt un code à usage unique."
)

Actor = Principal | str


def sees_identities(role: Role) -> bool:
    """Whether an account of this role can read who the persons are (identities, or learners' first names)."""
    capabilities = ROLE_CAPABILITIES.get(role, frozenset())
    return Capability.VIEW_IDENTITY in capabilities or Capability.VIEW_LEARNERS in capabilities


def holder_sets_password(settings: Settings, role: Role) -> bool:
    """In production, the password of an account that sees identities is chosen by its holder only."""
    return not settings.is_demo and sees_identities(role)


@dataclass(frozen=True)
class IssuedCode:
    """A code as issued: the only time it exists in clear. Show it once, to be handed to the holder."""

    username: str
    code: str
    expires_at: datetime


def new_code() -> str:
    """A fresh code, in groups of four: « ABCD-EFGH-JKMN-PQRS »."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[index : index + 4] for index in range(0, CODE_LENGTH, 4))


def code_digest(code: str) -> str:
    """The stored digest of a code as typed: case, spaces and dashes do not matter."""
    normal = "".join(character for character in code.upper() if character.isalnum())
    return hashlib.sha256(normal.encode("ascii", "replace")).hexdigest()


class CodeInput(FormInput):
    """The username and the code received (to link a single sign-on identity: services.accounts.sso)."""

    username: str
    code: str

    @field_validator("username")
    @classmethod
    def _a_username(cls, value: str) -> str:
        if not value.strip():
            raise field_error(USERNAME_REQUIRED)
        return normalise_username(value)

    @field_validator("code")
    @classmethod
    def _a_code(cls, value: str) -> str:
        if not value.strip():
            raise field_error(CODE_REQUIRED)
        return value


class EnrolmentInput(CodeInput):
    """What the holder types on the login page: the username, the code received, the new password twice."""

    new: passwords.NewPassword
    confirmation: passwords.OptionalTypedPassword = None

    @field_validator("confirmation")
    @classmethod
    def _typed_twice(cls, value: str | None, info: ValidationInfo) -> str | None:
        return confirmed(value, info)


def set_password_with_code(
    session: Session,
    settings: Settings,
    *,
    data: EnrolmentInput | Mapping[str, object],
    now: datetime | None = None,
) -> str:
    """Anyone (signed out): the holder sets the account's password with its newest unused, unexpired code.
    Returns the username; the holder then signs in with the new password.

    A wrong code counts as a failed sign-in of the typed username (same lockout, same answer whether the
    account exists or not); a right code with a password that breaks the rules is not used up."""
    now = now or utcnow()
    entry = data if isinstance(data, EnrolmentInput) else EnrolmentInput.validated(data)
    user, enrolment = redeemable_code(session, settings, entry, now)
    passwords.check_not_guessable(entry.new, settings=settings, user=user, field="new")
    store_new_password(user, entry.new, settings, now)
    enrolment.used_at = now
    user.failed_login_count = 0
    audit.record(
        session, actor=user.username, action=AuditAction.USER_ENROLMENT_COMPLETED, entity_type="user", entity_id=user.id
    )
    session.commit()
    return user.username


def redeemable_code(
    session: Session, settings: Settings, entry: CodeInput, now: datetime
) -> tuple[User, AccountEnrolment]:
    """The active account and its newest unused, unexpired code that `entry` names, the lockout counter of
    the username cleared (committed); otherwise ValidationFailed on "code", the failure counted against the
    typed username (locked: the lockout message) and audited. The caller uses the code up and commits."""
    user = session.exec(select(User).where(User.username == entry.username)).first()
    key = throttle_key(settings, entry.username, user)
    actor, detail = (entry.username, None) if user is not None else (UNKNOWN_ACCOUNT, f"nom={key[1:]}")
    locked = _(LOGIN_MESSAGES[LoginOutcome.LOCKED]).format(**limits_of(settings))
    attempts = reserve_attempt(session, settings, key, now)
    if attempts is None:
        audit.record(session, actor=actor, action=AuditAction.USER_ENROLMENT_REFUSED, success=False, detail=detail)
        session.commit()
        raise ValidationFailed({"code": locked})
    enrolment = None
    if user is not None and user.is_active:
        enrolment = session.exec(
            select(AccountEnrolment).where(
                AccountEnrolment.user_id == user.id,
                AccountEnrolment.code_digest == code_digest(entry.code),
                AccountEnrolment.used_at.is_(None),
                AccountEnrolment.revoked_at.is_(None),
                AccountEnrolment.expires_at > now,
            )
        ).first()
    if enrolment is None:
        audit.record(session, actor=actor, action=AuditAction.USER_ENROLMENT_REFUSED, success=False, detail=detail)
        session.commit()
        raise ValidationFailed({"code": locked if attempts >= settings.lockout_threshold else _(CODE_REFUSED)})
    clear_attempts(session, key)
    session.commit()
    return user, enrolment
