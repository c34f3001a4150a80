"""Single sign-on (OpenID Connect), as an option: the identity provider says who someone is, Parcours
still says what they may do.

Streamlit's st.login talks to the provider ([auth] in .streamlit/secrets.toml) and hands the app the
ID token's claims; this module decides, against the database:
- an identity (issuer + subject) opens the account it is linked to, with that account's role and sites;
  an identity linked to no account gets no access at all (audited as a failed sign-in);
- the link is made by the account's holder, signed in at the provider, with the enrolment code the
  admin handed over (services.accounts.enrolment): the admin never chooses whose identity opens an
  account, as they never choose its password. Issuing a new code for the account removes the link;
- the provider's sign-in counts as the session's start (the token's `iat`): the server-side rules of
  local sessions apply unchanged (revoked by logout, password change, new code or deactivation; 12 hours
  at most; 30 minutes idle once the sign-in is older than FRESH_SIGN_IN).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.organisation import User
from models.types import utcnow
from services.accounts.auth import UNKNOWN_ACCOUNT, SessionEnd, principal_of, session_problem, typed_name_digest
from services.accounts.enrolment import CodeInput, redeemable_code
from services.platform import audit
from services.platform.config import Settings
from services.platform.errors import ValidationFailed
from services.platform.principal import Principal

# A provider sign-in younger than this is a new sign-in; older, it resumes a session (idle rule applies).
FRESH_SIGN_IN = timedelta(minutes=5)
IDENTITY_MAX = 255  # app_user.sso_identity
ALREADY_LINKED = N_("Cette identité est déjà liée à un autre compte : adressez-vous à l'administration.")


class SsoOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    UNLINKED = "unlinked"  # no account for this identity: no access
    ENDED = "ended"  # the account's session rules refuse this sign-in: sign in at the provider again


@dataclass(frozen=True)
class SsoResult:
    outcome: SsoOutcome
    principal: Principal | None = None
    ended: SessionEnd | None = None


def identity_of(issuer: str, subject: str) -> str:
    """The stored form of an identity: its issuer and its subject (unique per issuer, OIDC Core §2)."""
    identity = f"{issuer.strip()} {subject.strip()}"
    if not issuer.strip() or not subject.strip() or len(identity) > IDENTITY_MAX:
        raise ValidationFailed({"identity": _("Identité du fournisseur inutilisable.")})
    return identity


def sign_in_with_identity(
    session: Session,
    settings: Settings,
    *,
    issuer: str,
    subject: str,
    signed_in_at: datetime,
    now: datetime | None = None,
) -> SsoResult:
    """Anyone the provider vouched for: the account linked to this identity, if any, and if its session
    rules accept a sign-in made at `signed_in_at` (the ID token's iat, on the app's clock). Audited."""
    now = now or utcnow()
    identity = identity_of(issuer, subject)
    user = session.exec(select(User).where(User.sso_identity == identity)).first()
    if user is None:
        detail = f"sso={typed_name_digest(settings, identity)}"
        audit.record(session, actor=UNKNOWN_ACCOUNT, action=AuditAction.LOGIN_FAILURE, success=False, detail=detail)
        session.commit()
        return SsoResult(SsoOutcome.UNLINKED)
    fresh = now - signed_in_at <= FRESH_SIGN_IN
    problem = session_problem(user, settings, signed_in_at, now if fresh else user.last_seen_at, now)
    if problem is not None:
        action = AuditAction.LOGIN_FAILURE if fresh else AuditAction.SESSION_COOKIE_REFUSED
        audit.record(session, actor=user.username, action=action, success=False, detail="sso")
        session.commit()
        return SsoResult(SsoOutcome.ENDED, ended=problem)
    if fresh:
        user.last_login_at = now
    user.last_seen_at = now
    audit.record(
        session,
        actor=user.username,
        action=AuditAction.LOGIN_SUCCESS if fresh else AuditAction.SESSION_RESUMED,
        entity_type="user",
        entity_id=user.id,
        detail="sso",
    )
    principal = principal_of(session, user)
    session.commit()
    return SsoResult(SsoOutcome.SIGNED_IN, principal)


def link_identity(
    session: Session,
    settings: Settings,
    *,
    issuer: str,
    subject: str,
    data: CodeInput | Mapping[str, object],
    now: datetime | None = None,
) -> str:
    """The holder, signed in at the provider with an identity linked to no account, links it to their
    account with its enrolment code (used up). Returns the username; the holder then signs in through
    the provider. A wrong code counts as a failed sign-in of the typed username, as on the password path."""
    now = now or utcnow()
    identity = identity_of(issuer, subject)
    entry = data if isinstance(data, CodeInput) else CodeInput.validated(data)
    if session.exec(select(User.id).where(User.sso_identity == identity)).first() is not None:
        raise ValidationFailed({"code": _(ALREADY_LINKED)})
    user, enrolment = redeemable_code(session, settings, entry, now)
    user.sso_identity = identity
    user.failed_login_count = 0
    user.version += 1
    enrolment.used_at = now
    audit.record(
        session, actor=user.username, action=AuditAction.USER_SSO_LINKED, entity_type="user", entity_id=user.id
    )
    session.commit()
    return user.username
