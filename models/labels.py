"""Labels of choice values: code stores the stable English value, the UI shows the label.

Labels are written in French, marked with N_() where they are registered, and translated
into the active language when read (`label()`)."""

from __future__ import annotations

from enum import Enum

from i18n import _

# Keyed by (enum class, value): StrEnum members compare equal to their string, so two enums
# sharing a value ("street" is both a housing situation and an outreach mode) would overwrite
# each other in a dict keyed by the member itself.
_LABELS: dict[tuple[type[Enum], object], str] = {}


def register_labels(labels: dict) -> dict:
    """Record the French label (marked N_) of every member of an enum (a test checks none is missing)."""
    _LABELS.update({(type(member), member.value): text for member, text in labels.items()})
    return labels


def label(member: Enum | str | None) -> str:
    if member is None:
        return "—"
    if isinstance(member, Enum):
        text = _LABELS.get((type(member), member.value))
        return str(member.value) if text is None else _(text)
    return str(member)


def labelled_enums() -> set[type[Enum]]:
    return {enum_type for enum_type, _unused in _LABELS}
