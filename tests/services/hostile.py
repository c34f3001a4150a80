"""Hostile values for any form field, derived from the field's declared type.

What an attacker (or a tired user pasting from a spreadsheet) can send through a widget or a crafted
request: for text, empty, blanks, 10,000 characters, right-to-left scripts, emoji, NUL and other control
characters, lone surrogates, formulas; for numbers, 0, negatives, huge ones (10**40, 2**63), NaN and
infinities, decimals with many digits, text that looks like a number; for days, year 1 and 9999, impossible
days (30/02), a time of day where a day was expected; for ids, 0, negatives, 2**63 and ids of nothing; for
lists, huge ones and wrong types. Mixed with plausible values (`plausible`), so that a call also gets past
its other fields and reaches the database with the one hostile value.

`value_strategy(annotation)` raises TypeError for a field type it does not know: a form with a new kind of
field fails tests/services/test_forms_hostile.py until its hostile values are written here.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

TODAY = date(2026, 11, 18)

HOSTILE_TEXTS = [
    "",
    " ",
    " \t\n ",
    "x" * 10_000,
    "é" * 2_001,
    "\x00",
    "Nom\x00caché",
    "ligne\u0007cloche",
    "\x1b[31mrouge",
    "\u0085",
    "\ud800",
    "مرحبا بكم في الجمعية",
    "\u202egnp.exe",
    "👩🏽\u200d⚕️" * 40,
    '=HYPERLINK("http://example.invalid","clic")',
    "+33 6 12 34 56 78",
    "@SUM(A1:A9)",
    "-1",
    "'; DROP TABLE person; --",
    "{max} {0} %s",
    "NaN",
    "1e30",
    "9" * 400,
]
HOSTILE_INTS: list[Any] = [
    0,
    -1,
    -(2**31) - 1,
    2**31 - 1,
    2**31,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    10**40,
    1.5,
    1e30,
    float("nan"),
    float("inf"),
    float("-inf"),
    Decimal("1." + "3" * 60),
    Decimal("1e400"),
    Decimal("NaN"),
    "",
    "12",
    "douze",
    "1e9",
    "0x10",
    True,
    None,
]
HOSTILE_DAYS: list[Any] = [
    date(1, 1, 1),
    date(9999, 12, 31),
    date(1899, 12, 31),
    date(2101, 1, 1),
    "2026-02-30",
    "30/02/2026",
    "9999-99-99",
    "",
    "demain",
    datetime(2026, 11, 18, 23, 59),
    0,
    -1,
    10**40,
    None,
]
HOSTILE_TIMES: list[Any] = ["25:61", "", "midi", time.max, -1, None, "23:59:59.999999"]
HOSTILE_BOOLS: list[Any] = ["oui", "", 2, -1, None, "true", 10**40]
HOSTILE_CHOICES: list[Any] = ["", "inconnu", "\x00", "x" * 10_000, 0, 10**40, None]


def hostile_text() -> st.SearchStrategy[Any]:
    every_character = st.characters(exclude_categories=())  # surrogates and control characters included
    return st.one_of(
        st.sampled_from(HOSTILE_TEXTS),
        st.text(every_character, max_size=300),
        st.sampled_from([None, 0, 10**40, ["liste"]]),
    )


def typed_text() -> st.SearchStrategy[str]:
    """What a text box sends: always text, any text."""
    return st.one_of(st.sampled_from(HOSTILE_TEXTS), st.text(st.characters(exclude_categories=()), max_size=300))


def _ids(known: list[int]) -> st.SearchStrategy[Any]:
    return st.sampled_from(known) if known else st.integers(1, 50)


def _optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(arguments) == 1:
            return arguments[0], True
    return annotation, False


def _plain(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def plausible(annotation: Any, ids: list[int]) -> st.SearchStrategy[Any]:
    """A value a careful user could send for a field of this type (`ids`: the world's row ids)."""
    annotation, optional = _optional(_plain(annotation))
    annotation = _plain(annotation)
    origin = typing.get_origin(annotation)
    found: st.SearchStrategy[Any]
    if annotation is str:
        found = st.sampled_from(["Atelier mobilité", "FA-0012", "06 12 34 56 78", "Hélène", "B", "LYO"])
    elif annotation is bool:
        found = st.booleans()
    elif annotation is int:
        found = st.one_of(_ids(ids), st.integers(0, 200), st.sampled_from(["120,50", "1 200,00", 35.5]))
    elif annotation is date:
        found = st.dates(date(2024, 1, 1), TODAY)
    elif annotation is time:
        found = st.sampled_from([time(9, 30), time(14), "18:00"])
    elif annotation is bytes:
        found = st.sampled_from([b"date;montant\n", b"date;compte;libelle;montant\n01/10/2026;606;Papier;12,50\n"])
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found = st.sampled_from([member.value for member in annotation])
    elif origin in (list, tuple, set, frozenset):
        (item, *_rest) = typing.get_args(annotation)
        found = st.lists(plausible(item, ids), max_size=3)
    elif origin is dict:
        key, item = typing.get_args(annotation)
        found = st.dictionaries(plausible(key, ids), plausible(item, ids), max_size=3)
    elif annotation is dict:
        found = st.just({})
    else:
        raise TypeError(
            f"no plausible value for a field of type {annotation!r}: write one in tests/services/hostile.py"
        )
    return st.one_of(st.none(), found) if optional else found


def hostile(annotation: Any, ids: list[int]) -> st.SearchStrategy[Any]:
    """A hostile value for a field of this type; TypeError for a type without hostile values yet."""
    annotation, _optional_field = _optional(_plain(annotation))
    annotation = _plain(annotation)
    origin = typing.get_origin(annotation)
    if annotation is str:
        return hostile_text()
    if annotation is bool:
        return st.sampled_from(HOSTILE_BOOLS)
    if annotation is int:
        return st.one_of(
            st.sampled_from(HOSTILE_INTS), st.integers(), hostile_text(), st.sampled_from([10**6 + max(ids or [0])])
        )
    if annotation is date:
        return st.one_of(
            st.sampled_from(HOSTILE_DAYS), st.dates(), st.datetimes().map(lambda moment: moment.isoformat())
        )
    if annotation is time:
        return st.sampled_from(HOSTILE_TIMES)
    if annotation is bytes:
        return st.sampled_from([b"", b"\x00" * 100, b"\xff\xfe\x00", "é;\x00;=1+1\n".encode(), "texte", None])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from(HOSTILE_CHOICES)
    if origin in (list, tuple, set, frozenset):
        (item, *_rest) = typing.get_args(annotation)
        return st.one_of(
            st.lists(st.one_of(hostile(item, ids), plausible(item, ids)), max_size=4),
            st.just([1] * 5_000),
            st.sampled_from([None, "texte", 10**40, {"a": 1}]),
        )
    if origin is dict:
        key, item = typing.get_args(annotation)
        return st.one_of(
            st.dictionaries(
                st.one_of(hostile(key, ids), plausible(key, ids)).filter(_hashable),
                st.one_of(hostile(item, ids), plausible(item, ids)),
                max_size=4,
            ),
            st.sampled_from([None, "texte", [1, 2], {2**63: None}]),
        )
    if annotation is dict:
        return st.sampled_from([{}, {"\x00": 10**40}, None, "texte", {"a": [1] * 1000}])
    raise TypeError(f"no hostile value for a field of type {annotation!r}: write them in tests/services/hostile.py")


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def form_values(model: type, ids: list[int], base: dict[str, Any] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """The values of a form of `model`: each field plausible or hostile (at least one hostile), on top of a
    `base` of known-good values when given; sometimes a field left out or an unknown one added."""
    fields = list(model.model_fields.items())

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        values = dict(base or {})
        bad = draw(st.sets(st.sampled_from([name for name, _info in fields]), min_size=1, max_size=min(3, len(fields))))
        for name, info in fields:
            if name in bad:
                values[name] = draw(hostile(info.annotation, ids))
            elif base is None or name not in base:
                values[name] = draw(plausible(info.annotation, ids))
        if draw(st.integers(0, 9)) == 0:
            values.pop(draw(st.sampled_from([name for name, _info in fields])), None)
        if draw(st.integers(0, 19)) == 0:
            values["champ_inconnu"] = "\x00"
        return values

    return build()
