"""What the input models of the activity forms share (services.platform.inputs says the shape).

Annotated types and rules for the fields of a `FormInput`, each with its message:
- `required_text(...)` / `optional_text(...)`: a stripped text (on one line unless said otherwise) with a
  maximum length; an empty optional text is None;
- `required_day(missing)`: a date that must be given (`missing` when it is not);
- `Ids`: the ids a multiselect sends (none is an empty tuple);
- `as_of(info)`: the day of reference of a validation (context `as_of`, else the day in Paris);
- `checked(...)`, `raw(...)`, `raw_id(...)`, `raw_ids(...)`, `refuse_if(...)`: for a service whose rules
  need the database too — the input model's messages (every field at once), the values as sent of the
  fields that passed, for the database rules, which add their messages to the same {field: message} dict.
Private to services.activities: the rest of the app goes through the input models of its services.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationInfo

import clock
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, messages

Input = TypeVar("Input", bound=FormInput)


def as_of(info: ValidationInfo) -> date:
    """The day of reference of a validation: context `as_of`, else the day in Paris."""
    return (info.context or {}).get("as_of") or clock.today()


def context(info: ValidationInfo, name: str) -> Any:
    """A value the service gave as validation context (None when it gave none)."""
    return (info.context or {}).get(name)


def one_line(value: object) -> object:
    """Runs of spaces and line breaks as one space, none at the ends; None is ''."""
    if value is None:
        return ""
    return " ".join(value.split()) if isinstance(value, str) else value


def _empty_is_none(value: str | None) -> str | None:
    return value or None


def _none_is_empty(value: object) -> object:
    return () if value is None else value


def required_text(maximum: int, missing: str, too_long: str, /, **values: object) -> Any:
    """A text on one line that may not be empty (`missing`, for any error of the field) nor longer than
    `maximum` (`too_long`, its placeholders filled from `values`)."""
    limits = messages(missing, by_type={"string_too_long": too_long}, **values)
    # The limits before the validator: they are then the string's own (its error types, its messages).
    return Annotated[str, Field(min_length=1, max_length=maximum, json_schema_extra=limits), BeforeValidator(one_line)]


def optional_text(maximum: int, too_long: str, /, *, on_one_line: bool = True, **values: object) -> Any:
    """A text of at most `maximum` characters once stripped (`too_long`, its placeholders filled from
    `values`), on one line unless `on_one_line` is false; empty is None."""
    limits = Field(max_length=maximum, json_schema_extra=messages(by_type={"string_too_long": too_long}, **values))
    if on_one_line:
        return Annotated[str | None, limits, BeforeValidator(one_line), AfterValidator(_empty_is_none)]
    return Annotated[str | None, limits, AfterValidator(_empty_is_none)]


def required_day(missing: str) -> Any:
    """A date that must be given: `missing` when it is absent or empty (a typed non-date keeps the generic
    message)."""
    return Annotated[date, Field(json_schema_extra=messages(by_type={"missing": missing, "date_type": missing}))]


Ids = Annotated[tuple[int, ...], BeforeValidator(_none_is_empty)]


# --- for the database rules of a service ------------------------------------------------------------


def checked(
    model: type[Input], data: Input | Mapping[str, object], **validation_context: object
) -> tuple[Input | None, dict]:
    """(the checked input or None, the messages of the fields that failed) — never raises for bad input."""
    try:
        return model.validated(data, **validation_context), {}
    except ValidationFailed as exc:
        return None, dict(exc.errors)


def raw(data: BaseModel | Mapping[str, object]) -> dict[str, object]:
    """The values as sent (or as an input model holds them)."""
    return data.model_dump() if isinstance(data, BaseModel) else dict(data)


def raw_id(data: BaseModel | Mapping[str, object], name: str) -> int | None:
    """The id `name` as sent, None if absent or not a whole number."""
    value = raw(data).get(name)
    if isinstance(value, bool):
        return None
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def raw_ids(data: BaseModel | Mapping[str, object], name: str) -> set[int]:
    """The ids `name` as sent (a field that passed its checks: whole numbers)."""
    return {int(value) for value in raw(data).get(name) or ()}


def refuse_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(errors)
