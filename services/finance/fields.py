"""What the finance forms share: amounts, hundredths (percentages, FTE), text, the period of a report.

Every amount typed in a finance form is read here, and through services.platform.money only:
- text in the session's notation ('1 234,56' in French, '1,234.56' in English) by money.parse_amount;
- the number of a number widget (euros, a float or a Decimal) rounded to the cent, halves away from zero,
  by money.prorata, the README's rule: 0,005 € is 1 cent, -0,005 € is -1 cent.
A number is always euros here (never cents): what a form's widget returns.

The helpers every form shares (checked, raw, refuse_if, PeriodInput…) are services.platform.inputs'.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import TypeAdapter

from i18n import N_
from services.platform.inputs import FormInput, field_error
from services.platform.money import parse_amount, prorata

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


def hundredths(value: Decimal | float | int | str) -> int:
    """`value` × 100 as a whole number, halves away from zero (money.prorata: the money rule of the README).

    Euros → cents, a percentage → basis points, an FTE → hundredths. ValueError when not a finite number."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    numerator, denominator = number.as_integer_ratio()
    return prorata(100, numerator, denominator)


def typed_cents(value: object) -> int | None:
    """Cents of an amount as a form sends it (module docstring); None when nothing was typed.

    Raises ValueError with money.parse_amount's message (session's language, lower case, no final dot)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return parse_amount(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return hundredths(value)
        except ValueError:
            pass
    return parse_amount(str(value))  # not a number: money's message names what was sent


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
