"""Accent-insensitive and rough French phonetic keys of a first name or alias.

Used to warn about possible duplicates at intake and to search the caseload by alias:
"Hélène", "HELENE" and "Elène" share a key. Standard library only (unicodedata).
"""

from __future__ import annotations

import re
import unicodedata

_NOT_LETTER = re.compile(r"[^a-z]")
# Ordered rewrites of common French spellings of the same sound.
_RULES: tuple[tuple[str, str], ...] = (
    (r"ph", "f"),
    (r"qu", "k"),
    (r"gu(?=[eiy])", "g"),
    (r"c(?=[eiy])", "s"),
    (r"g(?=[eiy])", "j"),
    (r"ck|cc|c|q", "k"),
    (r"x", "ks"),
    (r"th", "t"),
    (r"h", ""),
    (r"w", "v"),
    (r"z", "s"),
    (r"y", "i"),
    (r"eau|au|o", "o"),
    (r"ai|ei|et$|er$|ez$|e(?=[a-z]{2})", "e"),
    (r"an|en|am|em", "an"),
    (r"(?<=[aeiou])s(?=[aeiou])", "s"),
)
_SILENT_END = re.compile(r"(?<=.)(e|s|t|d|x)+$")
_DOUBLE = re.compile(r"(.)\1+")


_NOT_LETTERS = re.compile(r"[^a-z]+")


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")


def fold(text: str | None) -> str:
    """Lower case, accents and any non-letter removed: 'Marie-Hélène' → 'mariehelene'."""
    if not text:
        return ""
    return _NOT_LETTER.sub("", _unaccented(text))


def words(text: str | None) -> list[str]:
    """The folded words, split at anything but a letter: 'Marie-Hélène 2' → ['marie', 'helene']."""
    if not text:
        return []
    return [word for word in _NOT_LETTERS.split(_unaccented(text)) if word]


def phonetic_key(text: str | None) -> str:
    """A rough French sound key: 'Jessica', 'Jessika' and 'Gessica' give the same key."""
    word = fold(text)
    if not word:
        return ""
    for pattern, replacement in _RULES:
        word = re.sub(pattern, replacement, word)
    word = _SILENT_END.sub("", word)
    return _DOUBLE.sub(r"\1", word)


def same_name(a: str | None, b: str | None) -> bool:
    """Equal once accents are ignored, or sounding alike."""
    folded_a, folded_b = fold(a), fold(b)
    if not folded_a or not folded_b:
        return False
    return folded_a == folded_b or phonetic_key(a) == phonetic_key(b)
