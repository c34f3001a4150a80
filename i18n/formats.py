"""Numbers, money and dates in the active language's conventions (Babel): 1 234,56 € / €1,234.56.

Every figure a person reads goes through here, in the UI and in the exports, so that a page and
the file downloaded from it write a value the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import NumberPattern, format_currency, format_decimal, parse_pattern

from clock import PARIS
from i18n import babel_locale

NO_VALUE = "—"


def _exact(cents: int) -> Decimal:
    """Cents as an exact Decimal of euros (divided as a string, never as a float)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return Decimal(f"{sign}{whole}.{rest:02d}")


@lru_cache(maxsize=64)
def _pattern(locale: str, format: str | None, percent: bool) -> tuple[Locale, NumberPattern]:
    """The locale and the parsed number pattern (`format`, or the locale's own decimal / percent pattern)."""
    parsed = Locale.parse(locale)
    if format is None:
        format = (parsed.percent_formats if percent else parsed.decimal_formats)[None].pattern
    return parsed, parse_pattern(format)


def _formatted(value: int | float | Decimal, format: str | None = None, *, percent: bool = False) -> str:
    """What Babel's format_decimal / format_percent write, without parsing the locale and the pattern again
    at every call (a table of figures formats hundreds of values a run; the texts are checked in
    tests/architecture/test_translations.py)."""
    parsed, pattern = _pattern(babel_locale(), format, percent)
    return pattern.apply(value, parsed, decimal_quantization=True, group_separator=True, numbering_system="latn")


def number(value: int | float) -> str:
    if isinstance(value, int):  # the common case (counts): the same few values, formatted once per language
        return _integer(value, babel_locale())
    return _formatted(value)


@lru_cache(maxsize=4096)
def _integer(value: int, locale: str) -> str:
    return format_decimal(value, locale=locale)


def decimal(value: float, *, digits: int = 1) -> str:
    """At most `digits` decimals, none when the value is whole: 12,5 / 12."""
    return _formatted(value, "#,##0." + "#" * digits)


def euros(cents: int) -> str:
    """1234567 → '12 345,67 €' (French) or '€12,345.67' (English)."""
    return format_currency(_exact(cents), "EUR", locale=babel_locale())


def amount(cents: int) -> str:
    """Euros without the currency sign, two decimals: the text of an amount field ('12 345,67')."""
    return _formatted(_exact(cents), "#,##0.00")


def percent(share: float, digits: int = 0) -> str:
    """0.543 → '54 %' (French) or '54%' (English); `digits` decimals."""
    if not digits:
        return _formatted(share, percent=True)
    pattern = Locale.parse(babel_locale()).percent_formats[None].pattern
    pattern = pattern.replace("0", "0." + "0" * digits, 1) if "0." not in pattern else pattern
    return _formatted(share, pattern, percent=True)


def fte(hundredths: int) -> str:
    return _formatted(hundredths / 100, "#,##0.##")


@lru_cache(maxsize=4096)
def _calendar(value: date, format: str, locale: str) -> str:
    """One day in a pattern: a page lists the same days at every run (« À faire »: 50 lines), and babel
    reads its pattern again for each one."""
    return _format_date(value, format=format, locale=locale)


def _date(value: date, format: str) -> str:
    # babel formats the day of a datetime as its day: so does the cache, which keeps days, not instants.
    return _calendar(value.date() if isinstance(value, datetime) else value, format, babel_locale())


def day(value: date | None) -> str:
    """29 nov. 2026 / 29 Nov 2026."""
    return NO_VALUE if value is None else _date(value, "d MMM y")


def short_day(value: date) -> str:
    """29 nov. 26 / 29 Nov 26 (chart axes)."""
    return _date(value, "d MMM yy")


def long_day(value: date) -> str:
    """29 novembre 2026 / 29 November 2026 (report covers)."""
    return _date(value, "long")


def month(value: date) -> str:
    """novembre 2026 / November 2026 (standalone form: a month on its own, not in a date)."""
    return _date(value, "LLLL y")


def short_month(value: date) -> str:
    """nov. 26 / Nov 26 (chart axes)."""
    return _date(value, "MMM yy")


def abbreviated_month(value: date) -> str:
    """nov. 2026 / Nov 2026 (table headers)."""
    return _date(value, "MMM y")


def timestamp(value: datetime | None) -> str:
    if value is None:
        return NO_VALUE
    return _format_datetime(value.astimezone(PARIS), format="d MMM y HH:mm", locale=babel_locale())
