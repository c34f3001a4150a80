"""Password policy and bcrypt hashing (CNIL 2022: length over complexity, no forced rotation)."""

from __future__ import annotations

from functools import lru_cache

import bcrypt

from i18n import _
from services.platform.errors import ValidationFailed

MIN_LENGTH = 12
MAX_BYTES = 72  # bcrypt ignores (and bcrypt 5 refuses) anything longer


def check_policy(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            {field: _("Le mot de passe doit contenir au moins {count} caractères.").format(count=MIN_LENGTH)}
        )
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise ValidationFailed({field: _("Le mot de passe est trop long (72 octets au maximum).")})
    if password != password.strip():
        raise ValidationFailed({field: _("Le mot de passe ne peut ni commencer ni finir par un espace.")})


def hash_password(password: str, *, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8")[:MAX_BYTES], password_hash.encode("ascii"))
    except ValueError:
        return False


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    return hash_password("no such account, same cost", rounds=rounds)


def burn_equivalent_time(*, rounds: int = 12) -> None:
    """Check a password against a throw-away hash so an unknown username takes as long as a known one."""
    verify_password("x" * MIN_LENGTH, _dummy_hash(rounds))
