"""French labels of choice values: code stores the stable English value, the UI shows the label."""

from __future__ import annotations

from enum import Enum

_LABELS: dict[Enum, str] = {}


def register_labels(labels: dict) -> dict:
    """Record the French label of every member of an enum (a test checks none is missing)."""
    _LABELS.update(labels)
    return labels


def label(member: Enum | str | None) -> str:
    if member is None:
        return "—"
    if isinstance(member, Enum):
        return _LABELS.get(member, str(member.value))
    return str(member)


def labelled_enums() -> set[type[Enum]]:
    return {type(member) for member in _LABELS}
