"""Password policy and bcrypt hashing (CNIL 2022: length over complexity, no forced rotation).

Everywhere: 12 characters at least (with the lockout after 5 failures, CNIL 2022 deliberation n° 2022-100,
case 2). In production, a password must also not be guessable: not the demo's published password, not
containing the account's name, and not found guessable by zxcvbn (common passwords, names, dates,
keyboard walks, l33t variants: score 3 of 4 at least). A passphrase of a few words passes."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated

import bcrypt
from pydantic import AfterValidator, Field, StringConstraints
from zxcvbn import zxcvbn

from i18n import N_, _
from services.platform.errors import ValidationFailed
from services.platform.inputs import field_error

MIN_LENGTH = 12
MAX_BYTES = 72  # bcrypt ignores (and bcrypt 5 refuses) anything longer
TOO_SHORT = N_("Le mot de passe doit contenir au moins {count} caractères.")
TOO_LONG = N_("Le mot de passe est trop long (72 octets au maximum).")
SPACE_AT_AN_END = N_("Le mot de passe ne peut ni commencer ni finir par un espace.")
GUESSABLE = N_(
    "Mot de passe trop facile à deviner (mot de passe courant, prénom, date, suite de touches ou votre "
    "identifiant) : choisissez une phrase de quelques mots."
)
DEMO_PASSWORD = N_("C'est le mot de passe public de la démonstration : choisissez-en un autre.")
MIN_GUESS_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^10 guesses

if TYPE_CHECKING:
    from models.organisation import User
    from services.platform.config import Settings


def policy_problem(password: str) -> tuple[str, dict[str, object]] | None:
    """(the marked French id of the first rule broken, its values), or None for a password within the policy."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT, {"count": MIN_LENGTH}
    if len(password.encode("utf-8")) > MAX_BYTES:
        return TOO_LONG, {}
    if password != password.strip():
        return SPACE_AT_AN_END, {}
    return None


def guessable_problem(password: str, *, settings: Settings, names: Iterable[str] = ()) -> str | None:
    """In production, why `password` is guessable (translated), or None; `names` are the account's
    username and display name. In demo mode, None: the demo accounts share a published password."""
    if settings.is_demo:
        return None
    if password == settings.demo_password:
        return _(DEMO_PASSWORD)
    words = [part for name in names for part in (name, *name.replace(".", " ").split()) if len(part) >= 3]
    if any(word.casefold() in password.casefold() for word in words):
        return _(GUESSABLE)
    if zxcvbn(password, user_inputs=[*words, "parcours", settings.association_name])["score"] < MIN_GUESS_SCORE:
        return _(GUESSABLE)
    return None


def check_not_guessable(password: str, *, settings: Settings, user: User, field: str) -> None:
    """ValidationFailed({field: message}) for a password `user` (its username and display name) must not
    take (guessable_problem)."""
    problem = guessable_problem(password, settings=settings, names=[user.username, user.display_name])
    if problem:
        raise ValidationFailed({field: problem})


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
