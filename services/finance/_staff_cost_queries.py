"""Unscoped queries of the staff costs: posts' history, funding shares, what filled posts still commit to a
grant, posts vacant too long. Private to services.finance: the callers (posts and charges, forecast)
check the principal's scope first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from clock import days_in_month, month_end, month_start, months_between
from models.finance import BudgetCategory, BudgetLine
from models.organisation import Site
from models.staffing import Post, PostFunding, PostStatusChange, PostType
from services.finance.staffing.costs import post_month_cost
from services.platform.money import split_exactly
from services.platform.sites import site_code_or_national


@dataclass(frozen=True)
class VacantPost:
    post_id: int
    post_type: PostType
    site_code: str  # « National » for a national post
    vacant_since: date
    days: int


@dataclass(frozen=True)
class FundingShare:
    """One share of a post's cost and the 64 line that receives it (None: no such line)."""

    grant_id: int
    strand_id: int | None
    share_bp: int
    budget_line_id: int | None


def history_by_post(session: Session, post_ids: Iterable[int]) -> dict[int, list[PostStatusChange]]:
    ids = sorted(set(post_ids))
    result: dict[int, list[PostStatusChange]] = defaultdict(list)
    if not ids:
        return result
    rows = session.exec(
        select(PostStatusChange)
        .where(PostStatusChange.post_id.in_(ids))
        .order_by(PostStatusChange.post_id, PostStatusChange.changed_on, PostStatusChange.id)
    ).all()
    for row in rows:
        result[row.post_id].append(row)
    return result


def funding_shares(session: Session, posts: Sequence[Post]) -> dict[int, list[FundingShare]]:
    """Each post's funding shares (ordered by grant) with the 64 line of (grant, strand, post's site).

    A share without a strand falls back to the grant's 64 line on the site with the smallest strand id.
    """
    ids = sorted({p.id for p in posts})
    result: dict[int, list[FundingShare]] = defaultdict(list)
    if not ids:
        return result
    site_of = {p.id: p.site_id for p in posts}
    rows = session.exec(
        select(PostFunding).where(PostFunding.post_id.in_(ids)).order_by(PostFunding.post_id, PostFunding.grant_id)
    ).all()
    grant_ids = sorted({r.grant_id for r in rows})
    lines = session.exec(
        select(BudgetLine.id, BudgetLine.grant_id, BudgetLine.strand_id, BudgetLine.site_id)
        .where(BudgetLine.grant_id.in_(grant_ids or [-1]), BudgetLine.category == BudgetCategory.STAFF)
        .order_by(BudgetLine.strand_id)
    ).all()
    by_key = {(g, st, si): lid for lid, g, st, si in lines}
    first_by_site: dict[tuple[int, int], int] = {}
    for lid, g, _st, si in lines:
        first_by_site.setdefault((g, si), lid)
    for row in rows:
        site_id = site_of[row.post_id]
        if row.strand_id is not None:
            line_id = by_key.get((row.grant_id, row.strand_id, site_id))
        else:
            line_id = first_by_site.get((row.grant_id, site_id))
        result[row.post_id].append(FundingShare(row.grant_id, row.strand_id, row.share_bp, line_id))
    return result


def split_month_cost(cost: int, shares: Sequence[FundingShare]) -> list[int]:
    """A month's cost split across the shares, summing exactly to the cost."""
    return split_exactly(cost, [s.share_bp for s in shares])


def committed_staff_cost_by_line(session: Session, *, grant_id: int, today: date, until: date) -> dict[int, int]:
    """Cents per 64 budget line of the grant that posts filled today will still cost.

    Counts the whole months after today's month up to `until` (included), within each post's end date
    (prorata on a partial last month), and assumes the post stays filled. Each month's cost is split
    across all the post's shares (as the monthly charge does) and the grant's parts are kept.
    """
    first = month_start(today, 1)
    if until < first:
        return {}
    posts = session.exec(
        select(Post)
        .where(
            Post.id.in_(select(PostFunding.post_id).where(PostFunding.grant_id == grant_id)),
            Post.is_filled.is_(True),
            Post.status_since <= today,
            sa.or_(Post.ends_on.is_(None), Post.ends_on >= first),
        )
        .order_by(Post.id)
    ).all()
    shares_of = funding_shares(session, posts)
    totals: dict[int, int] = defaultdict(int)
    for post in posts:
        shares = shares_of.get(post.id, [])
        last = until if post.ends_on is None else min(until, post.ends_on)
        for month in months_between(first, last):
            lo, hi = max(month, post.starts_on), min(month_end(month), last)
            if lo > hi:
                continue
            cost = post_month_cost(post.monthly_cost_cents, (hi - lo).days + 1, days_in_month(month))
            for share, part in zip(shares, split_month_cost(cost, shares), strict=True):
                if share.grant_id == grant_id and share.budget_line_id is not None and part:
                    totals[share.budget_line_id] += part
    return dict(totals)


def vacant_posts_of_grant(
    session: Session, *, grant_id: int, today: date, longer_than_days: int = 60
) -> list[VacantPost]:
    """Open posts funded by the grant that are vacant today for more than `longer_than_days` days."""
    rows = session.exec(
        select(Post.id, Post.post_type, Site.code, Post.status_since)
        .outerjoin(Site, Site.id == Post.site_id)  # a national post has no site
        .where(
            Post.id.in_(select(PostFunding.post_id).where(PostFunding.grant_id == grant_id)),
            Post.is_filled.is_(False),
            Post.starts_on <= today,
            sa.or_(Post.ends_on.is_(None), Post.ends_on >= today),
            Post.status_since < today - timedelta(days=longer_than_days),
        )
        .order_by(Post.status_since, Post.id)
    ).all()
    return [
        VacantPost(pid, PostType(ptype), site_code_or_national(code), since, (today - since).days)
        for pid, ptype, code, since in rows
    ]
