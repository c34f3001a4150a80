"""What the input models of the person forms share (services.platform.inputs says the shape).

Annotated types for the fields of a `FormInput`, each with its message:
- days checked against the day of reference, given as validation context (`as_of`, else Paris' date):
  `PastDay` (required), `OptionalPastDay`, `PastDayOrAsOf` (a day the form shows already filled in:
  left empty, it is the day of reference);
- `required_text(...)` / `optional_text(...)`: a stripped text with a maximum length (an empty optional
  text is None);
- `raw_value` / `raw_id`: a value of an input that failed its checks, for the database checks a service
  makes in the same answer.
Private to services.persons: the rest of the app goes through the input models of its services.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

import clock
from services.platform.inputs import FormInput, field_error, messages
from services.platform.records import FUTURE_DATE


def as_of(info: ValidationInfo) -> date:
    """The day of reference of a validation: context `as_of`, else the day in Paris."""
    return (info.context or {}).get("as_of") or clock.today()


def not_after_as_of(message: str) -> AfterValidator:
    """A day later than the day of reference is refused with `message` (a marked French id)."""

    def check(value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and value > as_of(info):
            raise field_error(message)
        return value

    return AfterValidator(check)


def _empty_is_as_of(value: object, info: ValidationInfo) -> object:
    return as_of(info) if value is None or value == "" else value


def _empty_is_none(value: str | None) -> str | None:
    return value or None


PastDay = Annotated[date, not_after_as_of(FUTURE_DATE)]
OptionalPastDay = Annotated[date | None, not_after_as_of(FUTURE_DATE)]
PastDayOrAsOf = Annotated[date, BeforeValidator(_empty_is_as_of), not_after_as_of(FUTURE_DATE)]


def required_text(maximum: int, missing: str, too_long: str) -> Any:
    """A text that may not be empty (`missing`, for any error of the field) nor longer than `maximum`
    once stripped (`too_long`, its {max} filled in)."""
    limits = messages(missing, by_type={"string_too_long": too_long}, max=maximum)
    return Annotated[str, Field(min_length=1, max_length=maximum, json_schema_extra=limits)]


def optional_text(maximum: int, too_long: str) -> Any:
    """A text of at most `maximum` characters once stripped (`too_long`, its {max} filled in); empty is None."""
    limits = messages(by_type={"string_too_long": too_long}, max=maximum)
    return Annotated[str | None, Field(max_length=maximum, json_schema_extra=limits), AfterValidator(_empty_is_none)]


def raw_value(data: FormInput | Mapping[str, object], name: str) -> object:
    """The value `name` of an input as it was sent (it may have failed its checks)."""
    return getattr(data, name, None) if isinstance(data, FormInput) else data.get(name)


def raw_id(data: FormInput | Mapping[str, object], name: str) -> int | None:
    """The id `name` of an input as it was sent, None if absent or not a whole number."""
    value = raw_value(data, name)
    if isinstance(value, bool):
        return None
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
