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

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

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


class FormInput(BaseModel):
    """Base of every form's input model: strips text, refuses unknown fields, keeps the declared types."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", frozen=True)

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
