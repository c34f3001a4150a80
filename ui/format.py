"""French formatting of numbers, money, dates (Babel)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from services.clock import PARIS

LOCALE = "fr_FR"


def number(value: int | float) -> str:
    return format_decimal(value, locale=LOCALE)


def euros(cents: int) -> str:
    """1234567 → '12 345,67 €' (exact: cents are divided as a string, never as a float)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return format_currency(Decimal(f"{sign}{whole}.{rest:02d}"), "EUR", locale=LOCALE)


def percent(share: float, digits: int = 0) -> str:
    return format_percent(share, format="#,##0" + ("." + "0" * digits if digits else "") + " %", locale=LOCALE)


def fte(hundredths: int) -> str:
    return format_decimal(hundredths / 100, format="#,##0.##", locale=LOCALE)


def day(value: date | None) -> str:
    return "—" if value is None else _format_date(value, format="d MMM y", locale=LOCALE)


def timestamp(value: datetime | None) -> str:
    if value is None:
        return "—"
    return _format_datetime(value.astimezone(PARIS), format="d MMM y HH:mm", locale=LOCALE)
