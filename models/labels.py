"""Labels of choice values: code stores the stable English value, the UI shows the label.

Each choice set declares its labels itself, in a `labels()` classmethod of the enum: French texts
marked with N_(), translated into the active language when read (`label()`). No registry to fill at
import time: a member carries its label wherever it goes. Keyed by the enum's own members, so two
enums sharing a value ("street" is a housing situation and an outreach mode) never mix.
"""

from __future__ import annotations

from enum import Enum

from i18n import _


def label(member: Enum | str | None) -> str:
    if member is None:
        return "—"
    if isinstance(member, Enum):
        labels = getattr(type(member), "labels", None)
        text = labels().get(member) if callable(labels) else None
        return str(member.value) if text is None else _(text)
    return str(member)
