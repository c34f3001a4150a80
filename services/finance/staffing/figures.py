"""Staffing figures: FTE funded vs filled, vacancies, monthly cost by grant, FTE series over time.

VIEW_STAFFING: direction and gestion all sites and the national posts (no site, shown « National »),
chef_service its own sites (scope in the query; never a national post).
Definitions (shown under the figures in the page):
- a post is *open* on a day when it has started and not ended; its FTE is *funded* then;
- it is *filled* on a day according to its status history (a change dated d applies from d);
- the monthly cost by grant is the full monthly loaded cost of the posts filled today, split across
  their funding shares with split_exactly (parts of a post sum exactly to its cost).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from clock import month_end, month_start
from models.finance import Funder, Grant
from models.organisation import Site
from models.staffing import Post, PostFunding, PostType
from services.finance._staff_cost_queries import history_by_post
from services.finance.staffing.costs import days_within, filled_intervals
from services.platform import data_version
from services.platform.money import split_exactly
from services.platform.principal import Capability, Principal
from services.platform.sites import site_code_or_national

SERIES_MONTHS = 18


@dataclass(frozen=True)
class FteFigure:
    site_code: str
    post_type: PostType
    posts: int
    funded_hundredths: int
    filled_hundredths: int
    vacant_posts: int

    @property
    def vacant_hundredths(self) -> int:
        return self.funded_hundredths - self.filled_hundredths


@dataclass(frozen=True)
class Vacancy:
    post_id: int
    site_code: str
    post_type: PostType
    fte_hundredths: int
    vacant_since: date
    days: int


@dataclass(frozen=True)
class GrantCost:
    grant_id: int
    grant_name: str
    funder_name: str
    monthly_cents: int
    fte_hundredths_funded: int  # FTE of the filled posts × share, in hundredths (rounded per post)


@dataclass(frozen=True)
class FteMonth:
    month: date
    day: date  # the day the month is measured on: its last day, or today for the current month
    funded_hundredths: int
    filled_hundredths: int


def _open_on(day: date) -> sa.ColumnElement[bool]:
    return sa.and_(Post.starts_on <= day, sa.or_(Post.ends_on.is_(None), Post.ends_on >= day))


def fte_by_site_and_type(session: Session, principal: Principal, *, today: date) -> list[FteFigure]:
    """Open posts today per site and type: FTE funded, FTE filled, vacant posts."""
    principal.require(Capability.VIEW_STAFFING)
    rows = session.exec(
        select(
            Site.code,
            Post.post_type,
            sa.func.count(Post.id),
            sa.func.coalesce(sa.func.sum(Post.fte_hundredths), 0),
            sa.func.coalesce(sa.func.sum(sa.case((Post.is_filled, Post.fte_hundredths), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((Post.is_filled, 0), else_=1)), 0),
        )
        .outerjoin(Site, Site.id == Post.site_id)  # the national posts: one « National » group
        .where(principal.site_filter(Post.site_id), _open_on(today))
        .group_by(Site.code, Post.post_type)
        .order_by(Site.code, Post.post_type)
    ).all()
    figures = [
        FteFigure(site_code_or_national(code), PostType(ptype), int(n), int(funded), int(filled), int(vacant))
        for code, ptype, n, funded, filled, vacant in rows
    ]
    return sorted(figures, key=lambda figure: figure.site_code == site_code_or_national(None))  # national last


def vacancies(session: Session, principal: Principal, *, today: date) -> list[Vacancy]:
    """Open posts vacant today, longest vacancy first, with the days since they became vacant."""
    principal.require(Capability.VIEW_STAFFING)
    rows = session.exec(
        select(Post.id, Site.code, Post.post_type, Post.fte_hundredths, Post.status_since)
        .outerjoin(Site, Site.id == Post.site_id)  # a national post has no site
        .where(principal.site_filter(Post.site_id), _open_on(today), Post.is_filled.is_(False))
        .order_by(Post.status_since, Post.id)
    ).all()
    return [
        Vacancy(pid, site_code_or_national(code), PostType(ptype), fte, since, (today - since).days)
        for pid, code, ptype, fte, since in rows
    ]


def monthly_cost_by_grant(session: Session, principal: Principal, *, today: date) -> tuple[GrantCost, ...]:
    """Monthly loaded cost of the posts filled today, per funding grant (split_exactly per post); cached
    under the versions of the tables it reads (services.platform.data_version: sums per grant only)."""
    principal.require(Capability.VIEW_STAFFING)
    return data_version.cached_aggregate(
        session,
        "staffing.monthly_cost_by_grant",
        (principal.scope, today),
        lambda: tuple(_monthly_cost_by_grant(session, principal, today)),
    )


def _monthly_cost_by_grant(session: Session, principal: Principal, today: date) -> list[GrantCost]:
    rows = session.exec(
        select(Post.id, Post.monthly_cost_cents, Post.fte_hundredths, PostFunding.grant_id, PostFunding.share_bp)
        .join(PostFunding, PostFunding.post_id == Post.id)
        .where(principal.site_filter(Post.site_id), _open_on(today), Post.is_filled.is_(True))
        .order_by(Post.id, PostFunding.grant_id)
    ).all()
    by_post: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_post[row[0]].append(row)
    cents: dict[int, int] = defaultdict(int)
    fte: dict[int, int] = defaultdict(int)
    for shares in by_post.values():
        cost, hundredths = shares[0][1], shares[0][2]
        weights = [s[4] for s in shares]
        for share, part, part_fte in zip(
            shares, split_exactly(cost, weights), split_exactly(hundredths, weights), strict=True
        ):
            cents[share[3]] += part
            fte[share[3]] += part_fte
    if not cents:
        return []
    names = session.exec(
        select(Grant.id, Grant.name, Funder.name)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(Grant.id.in_(sorted(cents)))
        .order_by(Grant.starts_on, Grant.id)
    ).all()
    return [GrantCost(gid, name, funder, cents[gid], fte[gid]) for gid, name, funder in names]


def fte_series(
    session: Session, principal: Principal, *, today: date, months: int = SERIES_MONTHS
) -> tuple[FteMonth, ...]:
    """FTE funded vs filled at the end of each of the last `months` months (today for the current one),
    rebuilt from the posts' status history (a few rows per post: 4–5 ms for the 90 posts of the large
    dataset at every run of Postes); cached under the versions of the tables it reads (sums per month only)."""
    principal.require(Capability.VIEW_STAFFING)
    return data_version.cached_aggregate(
        session,
        "staffing.fte_series",
        (principal.scope, today, months),
        lambda: tuple(_fte_series(session, principal, today, months)),
    )


def _fte_series(session: Session, principal: Principal, today: date, months: int) -> list[FteMonth]:
    first_month = month_start(month_start(today), -(months - 1))
    posts = session.exec(
        select(Post)
        .where(
            principal.site_filter(Post.site_id),
            Post.starts_on <= today,
            sa.or_(Post.ends_on.is_(None), Post.ends_on >= first_month),
        )
        .order_by(Post.id)
    ).all()
    history = history_by_post(session, [p.id for p in posts])
    intervals = {p.id: filled_intervals(p, history.get(p.id, []), until=today) for p in posts}
    series = []
    for index in range(months):
        month = month_start(first_month, index)
        day = min(month_end(month), today)
        funded = filled = 0
        for post in posts:
            if post.starts_on <= day and (post.ends_on is None or post.ends_on >= day):
                funded += post.fte_hundredths
                if days_within(intervals[post.id], day, day):
                    filled += post.fte_hundredths
        series.append(FteMonth(month, day, funded, filled))
    return series
