"""What a form sends to a service, and the one way it is checked.

Every form of Parcours follows the same shape:
- the page draws the widgets (ui/) and hands their values, as they are, to a service call;
- the service's first step is `SomeInput.validated(values)`: a pydantic model (a subclass of
  `FormInput`) that declares each field's type and limits and the rules that need no database, each
  with its message in the session's language. Every failing field gets its message at once, as a
  `ValidationFailed({field: message})`, and nothing is written;
- the service then checks what needs the database (the same field → message form) and saves;
- the UI (ui.platform.form_state) shows each message beside its field and keeps what was typed.

A rule's message is given where the rule is declared: `Field(..., json_schema_extra=messages(...))`
for a limit pydantic checks, `raise field_error(...)` inside a validator for a rule of our own; a
limit without its own message gets a generic one from GENERIC_MESSAGES. A rule between two fields is
a field validator of the later field, reading the earlier one in `info.data` (it is there only when
valid), so that every field still gets its message in the same answer; a rule about the whole form is
a model validator (its message goes to FORM_ERROR). What a rule needs from outside (the day of
reference, the recorded value an edit may keep) comes as validation context, read as `info.context`:
`validated(values, as_of=today, kept_date=...)`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError, PydanticKnownError

import clock
from i18n import N_, _
from services.platform.errors import ValidationFailed

FORM_ERROR = "_form"  # the key of a message about the whole form rather than one field

# Messages for the limits pydantic checks, by its error type; {placeholders} are filled from the error's
# context (max_length, ge…). Marked French ids, translated when an error is raised.
GENERIC_MESSAGES: dict[str, str] = {
    "missing": N_("Ce champ est obligatoire."),
    "none_required": N_("Ce champ doit rester vide."),
    "string_type": N_("Texte attendu."),
    "string_too_short": N_("Ce champ est obligatoire."),
    "string_too_long": N_("{max_length} caractères au plus."),
    "int_type": N_("Nombre entier attendu."),
    "int_parsing": N_("Nombre entier attendu."),
    "int_from_float": N_("Nombre entier attendu."),
    "float_parsing": N_("Nombre attendu."),
    "greater_than_equal": N_("La valeur doit être au moins {ge}."),
    "greater_than": N_("La valeur doit être supérieure à {gt}."),
    "less_than_equal": N_("La valeur doit être au plus {le}."),
    "less_than": N_("La valeur doit être inférieure à {lt}."),
    "date_type": N_("Date attendue (jj/mm/aaaa)."),
    "date_parsing": N_("Date attendue (jj/mm/aaaa)."),
    "date_from_datetime_parsing": N_("Date attendue (jj/mm/aaaa)."),
    "time_type": N_("Heure attendue (hh:mm)."),
    "time_parsing": N_("Heure attendue (hh:mm)."),
    "enum": N_("Choisissez une valeur de la liste."),
    "literal_error": N_("Choisissez une valeur de la liste."),
    "bool_type": N_("Oui ou non attendu."),
    "bool_parsing": N_("Oui ou non attendu."),
    "list_type": N_("Choisissez une ou plusieurs valeurs."),
    "too_short": N_("Choisissez au moins une valeur."),
    "too_long": N_("Trop de valeurs choisies."),
    "extra_forbidden": N_("Champ inconnu."),
}
FALLBACK_MESSAGE = N_("Valeur invalide.")
CONTROL_CHARACTER = N_("Ce texte contient un caractère invisible non autorisé : retapez-le sans copier-coller.")
DAY_OUT_OF_RANGE = N_("Date hors des limites : entre le {earliest} et le {latest}.")
RULE = "parcours_rule"  # the error type of our own rules (field_error)


def messages(text: str | None = None, *, by_type: Mapping[str, str] | None = None, **values: object) -> dict:
    """A field's own messages, for `Field(json_schema_extra=...)`: `text` (a marked French id) for any
    error of the field, `by_type` for some pydantic error types only; `values` fill their placeholders:
    `Field(ge=15, le=720, json_schema_extra=messages(N_("Entre {minimum} et {maximum} minutes."),
    minimum=15, maximum=720))`."""
    return {"messages": dict(by_type or {}), "message": text, "values": values}


def field_error(message: str, **values: object) -> PydanticCustomError:
    """An error of our own rule, to raise inside a validator: `message` is a marked French id,
    translated (and its {placeholders} filled) when the error is reported."""
    return PydanticCustomError(RULE, message, {"template": message, **values})


# What any form accepts, whatever its own rules (checked first, for every field of every FormInput): a whole
# number fits an INTEGER column of PostgreSQL (ids, counts, years, minutes; amounts are bounded lower by
# services.platform.money), a day lies between these two (date arithmetic near year 1 or 9999 overflows, and
# no day of the association's work lies outside), a text holds no control character but tab and line
# breaks (PostgreSQL refuses NUL in a text, a lone surrogate cannot be encoded, the others hide text).
SMALLEST_INT, LARGEST_INT = -(2**31), 2**31 - 1
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2100, 12, 31)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _within_form_bounds(value: object) -> object:
    """`value` unchanged if every number, day and text in it (containers included) is one a form may send,
    else the error naming the first that is not."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value > LARGEST_INT:
            raise PydanticKnownError("less_than_equal", {"le": LARGEST_INT})
        if value < SMALLEST_INT:
            raise PydanticKnownError("greater_than_equal", {"ge": SMALLEST_INT})
    elif isinstance(value, date):
        if not EARLIEST_DAY <= value <= LATEST_DAY:
            raise field_error(DAY_OUT_OF_RANGE, earliest=f"{EARLIEST_DAY:%d/%m/%Y}", latest=f"{LATEST_DAY:%d/%m/%Y}")
    elif isinstance(value, str):
        if _CONTROL.search(value):
            raise field_error(CONTROL_CHARACTER)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _within_form_bounds(key)
            _within_form_bounds(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _within_form_bounds(item)
    return value


def searchable(text: str) -> str:
    """A text typed outside a form (a search box, a code, a sign-in name) as it may be looked up: each control
    character or lone surrogate becomes U+FFFD, a character no stored value holds. So it finds nothing
    rather than failing (PostgreSQL refuses NUL in a query, a surrogate cannot be encoded) or being read as
    another text (the character dropped)."""
    return _CONTROL.sub("\ufffd", text)


class FormInput(BaseModel):
    """Base of every form's input model: strips text, refuses unknown fields, keeps the declared types, and
    keeps every value within what a form may send (_within_form_bounds), before the model's own rules."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", frozen=True)

    @field_validator("*")
    @classmethod
    def _within_bounds(cls, value: object) -> object:
        return _within_form_bounds(value)

    @classmethod
    def validated(cls, values: FormInput | Mapping[str, object], **context: object) -> Self:
        """The input, checked; else ValidationFailed with the first message of every failing field.
        A model already built is checked again (its rules may depend on the context)."""
        raw = values.model_dump() if isinstance(values, BaseModel) else dict(values)
        try:
            return cls.model_validate(raw, context=context)
        except PydanticValidationError as exc:
            raise ValidationFailed(cls.messages_of(exc)) from None

    @classmethod
    def messages_of(cls, exc: PydanticValidationError) -> dict[str, str]:
        found: dict[str, str] = {}
        for error in exc.errors(include_url=False, include_input=False):
            field = str(error["loc"][0]) if error["loc"] else FORM_ERROR
            if field not in found:
                found[field] = cls._message(field, error)
        return found

    @classmethod
    def _message(cls, field: str, error: Any) -> str:
        kind, context = error["type"], dict(error.get("ctx") or {})
        if kind == RULE:  # the French id travels in the context: `msg` is already filled in French
            template = context.pop("template", error["msg"])
            return _(template).format_map(_KeepUnknown(context))
        info = cls.model_fields.get(field)
        extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
        template = (
            dict(extra.get("messages", {})).get(kind)
            or extra.get("message")
            or GENERIC_MESSAGES.get(kind)
            or FALLBACK_MESSAGE
        )
        values = {k: v for k, v in context.items() if isinstance(v, (int, float, str))} | dict(extra.get("values", {}))
        return _(template).format_map(_KeepUnknown(values))


class _KeepUnknown(dict):
    """Placeholders without a value stay as they are (a message never fails to show)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


Input = TypeVar("Input", bound=FormInput)
FUTURE_DATE = N_("La date ne peut pas être dans le futur.")
PERIOD_ORDER = N_("La fin de la période doit suivre son début.")
PERIOD_TOO_LONG = N_("Choisissez une période de trois ans au plus.")


# --- what the rules of a model read --------------------------------------------------------------------


def as_of(info: ValidationInfo) -> date:
    """The day of reference of a validation: context `as_of`, else the day in Paris."""
    return (info.context or {}).get("as_of") or clock.today()


def context(info: ValidationInfo, name: str) -> Any:
    """A value the service gave as validation context (None when it gave none)."""
    return (info.context or {}).get(name)


# --- field types, each with its message ----------------------------------------------------------------


def one_line(value: object) -> object:
    """Runs of spaces and line breaks as one space, none at the ends; None is ''."""
    if value is None:
        return ""
    return " ".join(value.split()) if isinstance(value, str) else value


def _empty_is_none(value: str | None) -> str | None:
    return value or None


def _none_is_empty(value: object) -> object:
    return () if value is None else value


def _empty_is_as_of(value: object, info: ValidationInfo) -> object:
    return as_of(info) if value is None or value == "" else value


def required_text(maximum: int, missing: str, too_long: str, /, *, on_one_line: bool = False, **values: object) -> Any:
    """A stripped text that may not be empty (`missing`, for any error of the field) nor longer than
    `maximum` (`too_long`; {max} and `values` fill its placeholders); `on_one_line`: line breaks and runs
    of spaces become one space first (a name, a title)."""
    limits = Field(
        min_length=1,
        max_length=maximum,
        json_schema_extra=messages(missing, by_type={"string_too_long": too_long}, **({"max": maximum} | values)),
    )
    # The limits before the validator: they are then the string's own (its error types, its messages).
    return Annotated[str, limits, BeforeValidator(one_line)] if on_one_line else Annotated[str, limits]


def optional_text(maximum: int, too_long: str, /, *, on_one_line: bool = False, **values: object) -> Any:
    """A text of at most `maximum` characters once stripped (`too_long`; {max} and `values` fill its
    placeholders), on one line with `on_one_line`; empty is None."""
    limits = Field(
        max_length=maximum,
        json_schema_extra=messages(by_type={"string_too_long": too_long}, **({"max": maximum} | values)),
    )
    if on_one_line:
        return Annotated[str | None, limits, BeforeValidator(one_line), AfterValidator(_empty_is_none)]
    return Annotated[str | None, limits, AfterValidator(_empty_is_none)]


def required_day(missing: str) -> Any:
    """A date that must be given: `missing` when it is absent or empty (a typed non-date keeps the generic
    message)."""
    return Annotated[date, Field(json_schema_extra=messages(by_type={"missing": missing, "date_type": missing}))]


def not_after_as_of(message: str) -> AfterValidator:
    """A day later than the day of reference is refused with `message` (a marked French id)."""

    def check(value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and value > as_of(info):
            raise field_error(message)
        return value

    return AfterValidator(check)


PastDay = Annotated[date, not_after_as_of(FUTURE_DATE)]
OptionalPastDay = Annotated[date | None, not_after_as_of(FUTURE_DATE)]
# A day a form shows already filled in: left empty, it is the day of reference.
PastDayOrAsOf = Annotated[date, BeforeValidator(_empty_is_as_of), not_after_as_of(FUTURE_DATE)]
Ids = Annotated[tuple[int, ...], BeforeValidator(_none_is_empty)]  # what a multiselect sends (none: empty)


# --- for the database rules of a service -----------------------------------------------------------------


def checked(
    model: type[Input], data: Input | Mapping[str, object], **validation_context: object
) -> tuple[Input | None, dict[str, str]]:
    """(the checked input or None, the messages of the fields that failed): never raises for bad input, so
    that the service's database rules add their messages to the same answer."""
    try:
        return model.validated(data, **validation_context), {}
    except ValidationFailed as exc:
        return None, dict(exc.errors)


def raw(data: BaseModel | Mapping[str, object]) -> dict[str, object]:
    """The values as sent (or as an input model holds them)."""
    return data.model_dump() if isinstance(data, BaseModel) else dict(data)


def raw_value(data: BaseModel | Mapping[str, object], name: str) -> object:
    """The value `name` of an input as it was sent (it may have failed its checks)."""
    return getattr(data, name, None) if isinstance(data, BaseModel) else data.get(name)


def raw_id(data: BaseModel | Mapping[str, object], name: str) -> int | None:
    """The id `name` as sent, None if absent or not a whole number."""
    value = raw_value(data, name)
    if isinstance(value, bool):
        return None
    try:
        number = None if value is None else int(value)
    except (TypeError, ValueError, OverflowError):  # text, a list, NaN, an infinity
        return None
    return number if number is None or SMALLEST_INT <= number <= LARGEST_INT else None


def raw_ids(data: BaseModel | Mapping[str, object], name: str) -> set[int]:
    """The ids `name` as sent (a field that passed its checks: whole numbers)."""
    return {int(value) for value in raw_value(data, name) or ()}


def refuse_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(errors)


# --- a period picked in a filter --------------------------------------------------------------------------


class PeriodInput(FormInput):
    """A period [start, end] picked in a filter (the financial report, the dashboard). Context:
    `longest_days`, a limit in days whose message says « trois ans » (the dashboard's)."""

    start: date = Field(json_schema_extra=messages(PERIOD_ORDER))
    end: date = Field(json_schema_extra=messages(PERIOD_ORDER))

    @field_validator("end")
    @classmethod
    def _after_the_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise field_error(PERIOD_ORDER)
        longest = context(info, "longest_days")
        if start is not None and longest is not None and (value - start).days >= longest:
            raise field_error(PERIOD_TOO_LONG)
        return value

    @classmethod
    def problems(cls, values: Mapping[str, object], **validation_context: object) -> dict[str, str]:
        """The messages of a period shown in a filter (no form to submit): {} when it is a valid one."""
        return checked(cls, values, **validation_context)[1]
