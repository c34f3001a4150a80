"""The money rules every budget figure relies on: exact cents, one rounding rule, parts that add up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.platform.money import parse_french_amount, prorata, ratio, share_of, split_exactly


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1 234,56", 123456),
        ("1\u202f234,56 €", 123456),
        ("1.234,5", 123450),
        ("1234", 123400),
        ("-12,30", -1230),
        ("0,07", 7),
        ("+3", 300),
    ],
)
def test_french_amounts_are_read_to_the_cent(text: str, cents: int) -> None:
    assert parse_french_amount(text) == cents


@pytest.mark.parametrize("text", ["12.50", "1,234", "abc", "", "12,5,0", "1 23,00"])
def test_ambiguous_or_unreadable_amounts_are_refused_with_a_french_message(text: str) -> None:
    with pytest.raises(ValueError, match="montant illisible"):
        parse_french_amount(text)


def test_halves_round_away_from_zero() -> None:
    assert prorata(1001, 1, 2) == 501
    assert prorata(-1001, 1, 2) == -501
    assert share_of(333_33, 5000) == 166_67  # 166,665 € → 166,67 €
    assert prorata(100, 1, 0) == 0


def test_ratio_is_exact_and_undefined_on_zero() -> None:
    assert str(ratio(1, 3))[:6] == "0.3333"
    assert ratio(5, 0) is None


@given(st.integers(-(10**12), 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_split_parts_always_sum_to_the_total(total: int, weights: list[int]) -> None:
    parts = split_exactly(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    if sum(weights):
        for part, weight in zip(parts, weights, strict=True):
            exact = total * weight / sum(weights)
            assert abs(part - exact) < 1 + 1e-6  # never more than a cent from its exact share


# --- anything typed: an amount within bounds, or a message ----------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from services.platform.money import MAX_CENTS, typed_cents  # noqa: E402

TYPED = st.one_of(
    st.text(),
    st.text(alphabet="0123456789 ,.-+€\u00a0\u202f", max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.none(),
)


@given(TYPED)
def test_anything_typed_is_an_amount_within_bounds_or_a_message(value):
    try:
        cents = typed_cents(value)
    except ValueError as refused:
        assert str(refused).startswith("montant")  # the message shown by the field
        return
    assert cents is None or (isinstance(cents, int) and abs(cents) <= MAX_CENTS)
