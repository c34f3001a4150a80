"""What the finance forms share: amounts, hundredths (percentages, FTE), text, the period of a report.

Every amount typed in a finance form is read by services.platform.money.typed_cents (text in the
session's notation, or the euros of a number widget rounded halves away from zero); this module turns
its errors into the forms' messages.

The helpers every form shares (checked, raw, refuse_if, PeriodInput…) are services.platform.inputs'.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from pydantic import TypeAdapter

from i18n import N_
from services.platform.inputs import FormInput, field_error
from services.platform.money import typed_cents

AMOUNT_REQUIRED = N_("Le montant est obligatoire.")
# money.parse_amount's message (already in the session's language) as a sentence: 'Montant illisible « 12.50 »
# (attendu par exemple 1 234,56).'
AS_A_SENTENCE = N_("{problem}.")

Input = TypeVar("Input", bound=FormInput)
DAY = TypeAdapter(date)  # a date as an input model reads it (a database rule on the raw value of a field that passed)


def spaces(text: object) -> str:
    """Runs of spaces (and line breaks) as one space, none at the ends; None is ''."""
    return " ".join(("" if text is None else str(text)).split())


def spaces_or_none(text: object) -> str | None:
    return spaces(text) or None


def typed_cents_or_none(value: object) -> int | None:
    """The cents of an amount as typed, None when nothing readable was typed (for a message that repeats it)."""
    try:
        return typed_cents(value)
    except ValueError:
        return None


def sentence(problem: str) -> str:
    """money's message as the start of a sentence ('montant illisible …' → 'Montant illisible …')."""
    return problem[:1].upper() + problem[1:]


def amount_rule(value: object, *, required: str = AMOUNT_REQUIRED) -> int:
    """For a field validator (mode="before"): the cents of a typed amount, else the field's message."""
    try:
        cents = typed_cents(value)
    except ValueError as exc:
        raise field_error(AS_A_SENTENCE, problem=sentence(str(exc))) from None
    if cents is None:
        raise field_error(required)
    return cents
