"""Choice lists of the person forms (nationalities, languages) with French names from Babel."""

from __future__ import annotations

from babel import Locale

_FR = Locale("fr")
COMMON_LANGUAGES = ("fr", "en", "es", "pt", "ro", "bg", "sq", "ar", "zh", "ru", "uk", "yo", "ig", "ak", "tr",
                    "it", "de", "pl", "hu", "tw", "wo", "ln", "sw", "am", "ti", "fa", "ps", "ta", "vi", "th")


def nationality_codes() -> list[str]:
    return sorted((code for code in _FR.territories if len(code) == 2 and code.isalpha() and code != "ZZ"),
                  key=lambda code: _FR.territories[code])


def nationality_label(code: str | None) -> str:
    return "—" if not code else _FR.territories.get(code, code)


def language_codes() -> list[str]:
    return sorted(COMMON_LANGUAGES, key=language_label)


def language_label(code: str) -> str:
    return _FR.languages.get(code, code)
