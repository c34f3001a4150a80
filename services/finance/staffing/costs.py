"""Staff cost of posts: the one prorata rule, the months a post is filled, what filled posts still commit.

Pure calculations, public: the seed uses them to make demo charges that follow the same rule. The
queries behind them (which posts are filled, their funding shares) check no permission and are private
to services.finance (`_staff_cost_queries`).

Rules:
- a month's cost of a post is its monthly loaded cost when it is filled every day of the month, else
  monthly cost × days filled / days in the month (calendar days, rounded to the cent, halves away from
  zero: services.platform.money);
- days filled come from the post's status history (PostStatusChange: a change dated d applies from d
  included), within the post's start and end dates;
- a month's cost is split across the post's funding shares with `split_exactly`, so the parts charged
  to each grant sum exactly to the month's cost; each part goes to the grant's "64 – Charges de
  personnel" line of the share's strand on the post's site.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from models.staffing import Post, PostStatusChange
from services.platform.money import prorata

Interval = tuple[date, date]  # both days included


def post_month_cost(monthly_cost_cents: int, days_filled: int, days_in_month: int) -> int:
    """The one prorata rule: full monthly cost for a full month, else cost × days filled / days in month."""
    if days_filled <= 0 or days_in_month <= 0:
        return 0
    if days_filled >= days_in_month:
        return monthly_cost_cents
    return prorata(monthly_cost_cents, days_filled, days_in_month)


def filled_intervals(post: Post, changes: Sequence[PostStatusChange], *, until: date) -> list[Interval]:
    """Periods (days included) the post was filled, up to `until`, within its start and end dates.

    Without any history row the current state stands: filled since `status_since`, or never filled.
    """
    ordered = sorted(changes, key=lambda c: (c.changed_on, c.id or 0))
    if not ordered:
        ordered_states = [(post.status_since, True)] if post.is_filled else []
    else:
        ordered_states = [(c.changed_on, c.is_filled) for c in ordered]
    last = until if post.ends_on is None else min(until, post.ends_on)
    intervals: list[Interval] = []
    for index, (since, filled) in enumerate(ordered_states):
        if not filled:
            continue
        end = ordered_states[index + 1][0] - timedelta(days=1) if index + 1 < len(ordered_states) else last
        start = max(since, post.starts_on)
        end = min(end, last)
        if start <= end:
            intervals.append((start, end))
    return intervals


def days_within(intervals: Iterable[Interval], first: date, last: date) -> int:
    """Days of the intervals falling between `first` and `last` (included)."""
    total = 0
    for start, end in intervals:
        lo, hi = max(start, first), min(end, last)
        if lo <= hi:
            total += (hi - lo).days + 1
    return total
