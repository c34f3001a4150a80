"""Exact money arithmetic: integer cents end to end, never a float.

Rounding rule (one for the whole application, stated in the README): a share or a prorata of an
amount is rounded to the nearest cent, halves away from zero (ROUND_HALF_UP on the absolute value).
When several rounded parts must add up to a known total (lines of a report, a salary split across
grants), `split_exactly` distributes the leftover cents by largest remainder so the displayed parts
always sum to the displayed total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from i18n import ENGLISH, _, language

BASIS_POINTS = 10_000  # 100 % = 10 000 bp


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prorata(cents: int, numerator: int, denominator: int) -> int:
    """cents × numerator / denominator, rounded to the cent (0 when the denominator is 0)."""
    if denominator == 0:
        return 0
    return _round(Decimal(cents) * numerator / denominator)


def share_of(cents: int, basis_points: int) -> int:
    """The part of `cents` a share in basis points represents (2 500 bp of 1 000,00 € = 250,00 €)."""
    return prorata(cents, basis_points, BASIS_POINTS)


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole as an exact Decimal (0,4567 = 45,67 %), None when there is nothing to divide by."""
    if whole == 0:
        return None
    return Decimal(part) / Decimal(whole)


def split_exactly(total: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Integer parts of `total` proportional to `weights`, summing exactly to `total`."""
    if not weights:
        return []
    weight_sum = sum(Decimal(w) for w in weights)
    if weight_sum == 0:
        return [total] + [0] * (len(weights) - 1) if total else [0] * len(weights)
    raw = [Decimal(total) * Decimal(w) / weight_sum for w in weights]
    parts = [int(r) for r in raw]  # truncated towards zero
    leftover = total - sum(parts)
    step = 1 if leftover >= 0 else -1
    order = sorted(range(len(raw)), key=lambda i: (-(abs(raw[i] - parts[i])), i))
    for i in order[: abs(leftover)]:
        parts[i] += step
    return parts


_AMOUNT = re.compile(r"^(?P<sign>[-+]?)(?P<whole>\d{1,3}(?:[ \u00a0\u202f.]\d{3})*|\d+)(?:,(?P<cents>\d{1,2}))?$")
_ENGLISH_AMOUNT = re.compile(
    r"^(?P<sign>[-+]?)(?P<whole>\d{1,3}(?:[ \u00a0\u202f,]\d{3})*|\d+)(?:\.(?P<cents>\d{1,2}))?$"
)


# The largest amount anyone types or imports (ten million euros): a grant, a budget line, an expense, a
# monthly cost. Beyond it a typo, and beyond 2^31 cents an integer column refuses it: checked here, where
# every typed and imported amount is read, it is a message by its field rather than a crash on saving.
MAX_CENTS = 10_000_000_00


def _within_bounds(cents: int, text: object) -> int:
    if abs(cents) > MAX_CENTS:
        raise ValueError(_("montant trop élevé « {text} » (au plus 10 000 000,00 €)").format(text=str(text)[:30]))
    return cents


def _cents(match: re.Match, separators: str, text: str) -> int:
    whole = re.sub(separators, "", match["whole"])
    cents = (match["cents"] or "0").ljust(2, "0")
    try:
        value = int(whole) * 100 + int(cents)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits digits only
        raise ValueError(_("montant illisible « {text} »").format(text=text)) from exc
    return _within_bounds(-value if match["sign"] == "-" else value, text)


def parse_french_amount(text: str) -> int:
    """'1 234,56' / '1234,5' / '-12' / '1.234,56' → cents. Raises ValueError (message in the active language).

    Accepts the French decimal comma, spaces (also non-breaking) or dots between thousands, an
    optional € sign. A decimal point alone ('12.50') is refused: in a French export it is ambiguous.
    """
    cleaned = (text or "").strip().replace("€", "").strip()
    match = _AMOUNT.match(cleaned)
    if not match:
        raise ValueError(_("montant illisible « {text} » (attendu par exemple 1 234,56)").format(text=text))
    return _cents(match, r"[ \u00a0\u202f.]", text)


def parse_amount(text: str) -> int:
    """An amount typed in the interface, in the active language's notation: French '1 234,56'
    (parse_french_amount, the only one in French), English '1,234.56' (decimal point, commas or
    spaces between thousands). Accounting files are always read with parse_french_amount."""
    if language() != ENGLISH:
        return parse_french_amount(text)
    cleaned = (text or "").strip().replace("€", "").strip()
    match = _ENGLISH_AMOUNT.match(cleaned)
    if not match:
        raise ValueError(_("montant illisible « {text} » (attendu par exemple 1,234.56)").format(text=text))
    return _cents(match, r"[ \u00a0\u202f,]", text)


def hundredths(value: Decimal | float | int | str) -> int:
    """`value` × 100 as a whole number, halves away from zero (money.prorata: the money rule of the README).

    Euros → cents, a percentage → basis points, an FTE → hundredths. ValueError when not a finite number."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    numerator, denominator = number.as_integer_ratio()
    try:
        return prorata(100, numerator, denominator)
    except (InvalidOperation, OverflowError):  # beyond the decimal context's precision: no amount of ours
        raise ValueError(value) from None


def typed_cents(value: object) -> int | None:
    """Cents of an amount as a form sends it, None when nothing was typed: text in the session's notation
    (parse_amount), or the euros of a number widget (a number is always euros here, never cents) rounded
    to the cent, halves away from zero (0,005 € is 1 cent, -0,005 € is -1 cent).

    Raises ValueError with money.parse_amount's message (session's language, lower case, no final dot)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return parse_amount(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            cents = hundredths(value)
        except ValueError:
            pass
        else:
            return _within_bounds(cents, value)
    return parse_amount(str(value))  # not a number: money's message names what was sent
