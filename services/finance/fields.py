"""What the finance forms share: amounts, hundredths (percentages, FTE), text, the period of a report.

Every amount typed in a finance form is read here, and through services.platform.money only:
- text in the session's notation ('1 234,56' in French, '1,234.56' in English) by money.parse_amount;
- the number of a number widget (euros, a float or a Decimal) rounded to the cent, halves away from zero,
  by money.prorata, the README's rule: 0,005 € is 1 cent, -0,005 € is -1 cent.
A number is always euros here (never cents): what a form's widget returns.

`checked(...)` is the first step of a service whose rules need the database too: the input model's
messages (every field at once), the raw values for the database rules of the fields that passed, and
these add their messages to the same {field: message} dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationInfo, field_validator

from i18n import N_
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, field_error, messages
from services.platform.money import parse_amount, prorata

AMOUNT_REQUIRED = N_("Le montant est obligatoire.")
# money.parse_amount's message (already in the session's language) as a sentence: 'Montant illisible « 12.50 »
# (attendu par exemple 1 234,56).'
AS_A_SENTENCE = N_("{problem}.")
PERIOD_ORDER = N_("La fin de la période doit suivre son début.")
PERIOD_TOO_LONG = N_("Choisissez une période de trois ans au plus.")

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


def checked(model: type[Input], data: Input | Mapping[str, object], **context: object) -> tuple[Input | None, dict]:
    """(the checked input or None, the messages of the fields that failed) — never raises for bad input."""
    try:
        return model.validated(data, **context), {}
    except ValidationFailed as exc:
        return None, dict(exc.errors)


def raw(data: BaseModel | Mapping[str, object]) -> dict[str, object]:
    """The values as sent, for the database rules of the fields that passed their checks."""
    return data.model_dump() if isinstance(data, BaseModel) else dict(data)


def refuse_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(errors)


class PeriodInput(FormInput):
    """A period picked in a filter, [start, end] (the financial report; the dashboard's filter reuses it).

    Context: `longest_days`, the dashboard's limit (services.reporting.dashboard.MAX_DAYS, three years): its
    message says « trois ans »."""

    start: date = Field(json_schema_extra=messages(PERIOD_ORDER))
    end: date = Field(json_schema_extra=messages(PERIOD_ORDER))

    @field_validator("end")
    @classmethod
    def _after_the_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise field_error(PERIOD_ORDER)
        longest = (info.context or {}).get("longest_days")
        if start is not None and longest is not None and (value - start).days >= longest:
            raise field_error(PERIOD_TOO_LONG)
        return value

    @classmethod
    def problems(cls, values: Mapping[str, object], **context: object) -> dict[str, str]:
        """The messages of a period shown in a filter (no form to submit): {} when it is a valid one."""
        return checked(cls, values, **context)[1]
