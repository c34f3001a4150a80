"""Choice lists of the person forms (nationalities, languages) named by Babel in the active language."""

from __future__ import annotations

from functools import cache

from babel import Locale

from i18n import babel_locale

COMMON_LANGUAGES = (
    "fr",
    "en",
    "es",
    "pt",
    "ro",
    "bg",
    "sq",
    "ar",
    "zh",
    "ru",
    "uk",
    "yo",
    "ig",
    "ak",
    "tr",
    "it",
    "de",
    "pl",
    "hu",
    "tw",
    "wo",
    "ln",
    "sw",
    "am",
    "ti",
    "fa",
    "ps",
    "ta",
    "vi",
    "th",
)


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def _names() -> Locale:
    return _locale(babel_locale())


def nationality_codes() -> list[str]:
    territories = _names().territories
    return sorted(
        (code for code in territories if len(code) == 2 and code.isalpha() and code != "ZZ"),
        key=lambda code: territories[code],
    )


def nationality_label(code: str | None) -> str:
    return "—" if not code else _names().territories.get(code, code)


def language_codes() -> list[str]:
    return sorted(COMMON_LANGUAGES, key=language_label)


def language_label(code: str) -> str:
    return _names().languages.get(code, code)
