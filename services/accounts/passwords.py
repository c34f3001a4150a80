"""Password policy and bcrypt hashing (CNIL 2022: length over complexity, no forced rotation)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

import bcrypt
from pydantic import AfterValidator, Field, StringConstraints

from i18n import N_, _
from services.platform.errors import ValidationFailed
from services.platform.inputs import field_error

MIN_LENGTH = 12
MAX_BYTES = 72  # bcrypt ignores (and bcrypt 5 refuses) anything longer
TOO_SHORT = N_("Le mot de passe doit contenir au moins {count} caractères.")
TOO_LONG = N_("Le mot de passe est trop long (72 octets au maximum).")
SPACE_AT_AN_END = N_("Le mot de passe ne peut ni commencer ni finir par un espace.")


def policy_problem(password: str) -> tuple[str, dict[str, object]] | None:
    """(the marked French id of the first rule broken, its values), or None for a password within the policy."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT, {"count": MIN_LENGTH}
    if len(password.encode("utf-8")) > MAX_BYTES:
        return TOO_LONG, {}
    if password != password.strip():
        return SPACE_AT_AN_END, {}
    return None


def check_policy(password: str, *, field: str = "password") -> None:
    """ValidationFailed({field: message}) for a password outside the policy (the command line)."""
    problem = policy_problem(password)
    if problem is not None:
        message, values = problem
        raise ValidationFailed({field: _(message).format(**values)})


def _within_the_policy(password: str) -> str:
    problem = policy_problem(password)
    if problem is not None:
        message, values = problem
        raise field_error(message, **values)
    return password


# A password typed in a form (a field of an input model): kept as typed (never stripped), within the policy,
# never shown in the model's repr.
NewPassword = Annotated[
    str, StringConstraints(strip_whitespace=False), AfterValidator(_within_the_policy), Field(repr=False)
]
# A password typed to prove who one is (or typed again): as typed, any length.
_AsTyped = Annotated[str, StringConstraints(strip_whitespace=False)]
TypedPassword = Annotated[_AsTyped, Field(repr=False)]
OptionalTypedPassword = Annotated[_AsTyped | None, Field(repr=False)]


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
