"""Three-way merge of a form's fields: what the user saw (base), what the user sent (mine) and what the
record holds now that a colleague saved it meanwhile (theirs).

A field only one side changed takes that side's value by itself; both sides changed it to the same value:
nothing to decide; both changed it differently: a conflict the user settles field by field. Nothing is
ever decided by who saved last. The keys are those of `mine` (the fields the form shows to this user:
a field it does not show, such as an identity the role may not see, is never looked at).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_ABSENT = object()


@dataclass(frozen=True)
class MergeResult:
    merged: dict[str, object]  # mine where only the user changed, theirs where only the colleague did
    conflicts: tuple[str, ...]  # changed differently on both sides: merged holds theirs until chosen
    kept_theirs: tuple[str, ...]  # the colleague's changes taken by themselves

    def resolved(self, choices: Mapping[str, str], mine: Mapping[str, object]) -> dict[str, object]:
        """The merged values with each conflict settled: choices[field] is "mine" or "theirs".
        ValueError if a conflict has no choice (nothing may be saved before every one is made)."""
        missing = [name for name in self.conflicts if choices.get(name) not in ("mine", "theirs")]
        if missing:
            raise ValueError(f"no choice for {missing}")
        values = dict(self.merged)
        for name in self.conflicts:
            if choices[name] == "mine":
                values[name] = mine[name]
        return values


def three_way_merge(
    base: Mapping[str, object], mine: Mapping[str, object], theirs: Mapping[str, object]
) -> MergeResult:
    """Merge field by field (see the module). A field missing from `base` counts as changed by both
    sides; missing from `theirs`, as left alone by the colleague."""
    merged: dict[str, object] = {}
    conflicts: list[str] = []
    kept_theirs: list[str] = []
    for name, my_value in mine.items():
        before = base.get(name, _ABSENT)
        their_value = theirs.get(name, before)
        if their_value in (before, my_value):
            merged[name] = my_value
        elif my_value == before:
            merged[name] = their_value
            kept_theirs.append(name)
        else:
            merged[name] = their_value
            conflicts.append(name)
    return MergeResult(merged, tuple(conflicts), tuple(kept_theirs))
