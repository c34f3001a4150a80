"""A user's own preferences that follow them from one browser to the next: the interface language.

Any signed-in user reads and sets their own, and nobody else's (no role may choose for another account).
Not audited: a display preference, like the last-seen time, says nothing about the people in the files.
"""

from __future__ import annotations

from sqlmodel import Session, select

import i18n
from models.organisation import User
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.principal import Principal


def saved_language(session: Session, actor: Principal) -> str | None:
    """The language the actor last chose (a key of i18n.LANGUAGES), None if they never chose one."""
    language = session.exec(select(User.language).where(User.id == actor.user_id)).first()
    return language if language in i18n.LANGUAGES else None


def save_language(session: Session, actor: Principal, *, username: str, language: str) -> None:
    """Remember `language` for the account `username`, which must be the actor's own."""
    if username.strip().lower() != actor.username:
        raise PermissionDenied()
    if language not in i18n.LANGUAGES:
        raise ValidationFailed({"language": i18n._("Langue invalide.")})
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise PermissionDenied()
    if user.language != language:
        user.language = language
        session.commit()
