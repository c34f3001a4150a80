"""Grants (seed/funding.py), strands, budget lines, expenses, imports; posts and their funding."""

from __future__ import annotations

import calendar
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

from clock import add_months, month_end, month_start
from models.finance import BudgetCategory
from models.staffing import Post, PostType
from seed.context import SEED, SeedContext, SiteInfo, split_by_weight
from seed.funding import CALENDAR_YEAR, HEAD_OFFICE, POST_SPLITS, GrantPlan, grant_plans
from seed.texts import EXPENSE_LABELS
from services.finance.staffing.charges import charge_label
from services.finance.staffing.costs import days_within, filled_intervals, post_month_cost
from services.platform.money import split_exactly

NATIONAL_CODE = "NAT"  # the site part of a national line's accounting code
CATEGORY_WEIGHTS = {
    BudgetCategory.STAFF: 62,
    BudgetCategory.PURCHASES: 5,
    BudgetCategory.EXTERNAL_SERVICES: 7,
    BudgetCategory.OTHER_EXTERNAL_SERVICES: 8,
    BudgetCategory.TAXES: 4,
    BudgetCategory.MANAGEMENT: 2,
    BudgetCategory.DEPRECIATION: 1,
    BudgetCategory.INDIRECT: 11,
}
IMPORTED_MONTHS = 3  # the last complete months came from the accounting export
NON_STAFF_RATE_FACTOR = 1.0  # expenses per non-staff line and month = size's rate × this


def _plans(ctx: SeedContext) -> list[tuple[GrantPlan, list[SiteInfo]]]:
    by_code = {site.code: site for site in ctx.sites}
    return [(plan, [by_code[code] for code in plan.site_codes]) for plan in grant_plans(ctx.spec.sites)]


def seed_finance(ctx: SeedContext) -> None:
    """Grants and their strands, then the posts (history, funding), then the budget lines (64 planned from
    the posts' cost), the other expenses and the monthly staff charges of the posts."""
    grants = [_grant(ctx, plan, sites) for plan, sites in _plans(ctx)]
    posts = _posts(ctx, grants)
    lines: list[dict] = []
    for grant in grants:
        lines += _lines(ctx, grant, posts)
    _expenses(ctx, [line for line in lines if line["category"] != BudgetCategory.STAFF])
    _staff_charges(ctx, grants, posts, lines)
    _contributions(ctx, grants)


VOLUNTEER_SHARE = 0.04  # volunteers' time valued at about 4 % of a convention
PREMISES_SHARE = 0.02  # rooms lent free of charge at about 2 %


def _contributions(ctx: SeedContext, grants: list[SeededGrant]) -> None:
    """The contributions volontaires en nature of each convention's compte rendu (Cerfa 15059 86 / 87), each use
    equal to its contribution so the form's two sides agree: volunteers' time (864 / 870) and, for the
    conventions covering several sites, rooms lent free of charge (861 / 871). Planned for the convention,
    actual in proportion of the days elapsed at `as_of`."""
    for grant in grants:
        days = (grant.ends_on - grant.starts_on).days + 1
        elapsed = max(0, min((ctx.as_of - grant.starts_on).days + 1, days))
        pairs = [("864", "870", VOLUNTEER_SHARE, "Bénévoles de l'accueil et des maraudes")]
        if len(grant.sites) > 1:
            pairs.append(("861", "871", PREMISES_SHARE, "Salles prêtées par les mairies"))
        for use, contribution, share, detail in pairs:
            planned = round(grant.row["amount_cents"] * share / 10_000) * 10_000
            actual = planned * elapsed // days
            for account in (use, contribution):
                ctx.add(
                    "grant_resource",
                    {
                        "id": ctx.new_id("grant_resource"),
                        "grant_id": grant.id,
                        "account": account,
                        "funder_id": None,
                        "detail": detail,
                        "planned_cents": planned,
                        "actual_cents": actual,
                        "created_by_id": None,
                    },
                    on=grant.starts_on,
                )


@dataclass
class SeededGrant:
    plan: GrantPlan
    id: int
    sites: list[SiteInfo]
    starts_on: date
    ends_on: date
    strands: list[tuple[int, str, float]]  # (id, accounting code, weight)
    row: dict


@dataclass
class SeededPost:
    row: dict
    history: list[SimpleNamespace]  # changed_on, is_filled, id (what services.finance.staffing.costs reads)
    shares: list[tuple[SeededGrant, int, int]]  # (grant, strand id, share in basis points), by grant id

    @property
    def id(self) -> int:
        return self.row["id"]

    def as_post(self) -> Post:
        return Post(**{k: v for k, v in self.row.items() if k not in ("created_at", "updated_at")})


def _grant(ctx: SeedContext, plan: GrantPlan, sites: list[SiteInfo]) -> SeededGrant:
    if plan.months_before == CALENDAR_YEAR:
        starts_on = ctx.as_of.replace(month=1, day=1)
    else:
        starts_on = month_start(add_months(ctx.as_of, -plan.months_before))
    ends_on = add_months(starts_on, plan.duration_months) - timedelta(days=1)
    grant_id = ctx.new_id("grant")
    row = ctx.add(
        "grant",
        {
            "id": grant_id,
            "funder_id": ctx.funders[plan.funder],
            "name": plan.name,
            "convention_ref": f"{plan.ref_prefix}-{starts_on.year}-{17 + grant_id:03d}",
            "amount_cents": 0,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "tolerance_bp": plan.tolerance_bp,
            "indirect_rate_bp": plan.indirect_rate_bp,
        },
        on=starts_on - timedelta(days=30),
    )
    for site in sites:
        ctx.add("grant_site", {"grant_id": grant_id, "site_id": site.id})
    strands = []
    for strand_name, strand_code, strand_weight in plan.strands:
        strand_id = ctx.new_id("strand")
        ctx.add(
            "strand", {"id": strand_id, "grant_id": grant_id, "name": strand_name}, on=starts_on - timedelta(days=30)
        )
        strands.append((strand_id, strand_code, strand_weight))
    return SeededGrant(plan, grant_id, sites, starts_on, ends_on, strands, row)


def _staff_projection(grant: SeededGrant, posts: list[SeededPost]) -> dict[tuple[int, int], int]:
    """Cents per (strand, site) the grant's posts cost over the whole convention if always filled."""
    totals: dict[tuple[int, int], int] = {}
    for post in posts:
        if all(share[0] is not grant for share in post.shares):
            continue
        row = post.row
        weights = [bp for _, _, bp in post.shares]
        month = grant.starts_on
        while month <= grant.ends_on:
            last = month_end(month)
            lo, hi = max(month, row["starts_on"]), min(last, row["ends_on"] or last)
            if lo <= hi:
                cost = post_month_cost(row["monthly_cost_cents"], (hi - lo).days + 1, last.day)
                for (share_grant, strand_id, _), part in zip(post.shares, split_exactly(cost, weights), strict=True):
                    if share_grant is grant:
                        key = (strand_id, row["site_id"])
                        totals[key] = totals.get(key, 0) + part
            month = add_months(month, 1)
    return totals


def _lines(ctx: SeedContext, grant: SeededGrant, posts: list[SeededPost]) -> list[dict]:
    """Budget lines: each 64 line planned at the posts' projected cost (rounded up to 100 €), the other
    categories sharing the rest of the convention, whose amount is rounded up to 1 000 €."""
    plan = grant.plan
    staff = {key: -(-cents // 10_000) * 10_000 for key, cents in _staff_projection(grant, posts).items()}
    site_weights = {"LYO": 0.55, "GRE": 0.45}
    other_share = 1 - CATEGORY_WEIGHTS[BudgetCategory.STAFF] / sum(CATEGORY_WEIGHTS.values())
    staff_total = sum(staff.values())
    # Staff is about 62 % of a convention (CATEGORY_WEIGHTS); plan.euros is the floor of a grant with few posts.
    others = max(plan.euros * 100 - staff_total, round(staff_total * other_share / (1 - other_share)))
    amount = -(-(staff_total + others) // 100_000) * 100_000
    # The budget's columns: (site id, accounting code's site part, weight, categories, extra). A national grant
    # has one national column in place of its site's; a grant with a national coordination gets one more
    # column, of no site, after its sites' (extra: its expenses are drawn apart, see _expenses).
    national = (None, NATIONAL_CODE, plan.national_weight, plan.national)
    if plan.national_only:
        columns = [(*national, False)]
    else:
        columns = [
            (site.id, site.code, site_weights.get(site.code, 1.0), tuple(CATEGORY_WEIGHTS), False)
            for site in grant.sites
        ]
        if plan.national:
            columns.append((*national, True))
    keys, weights = [], []
    for strand_id, strand_code, strand_weight in grant.strands:
        for site_id, _code, site_weight, categories, _extra in columns:
            for category, category_weight in CATEGORY_WEIGHTS.items():
                if category != BudgetCategory.STAFF and category in categories:
                    keys.append((strand_id, strand_code, site_id, category))
                    weights.append(strand_weight * site_weight * category_weight)
    planned_of = dict(zip(keys, split_by_weight(amount - staff_total, weights), strict=True))
    grant.row["amount_cents"] = amount
    prefix = plan.ref_prefix.split("-")[0][:3]
    lines = []
    for extra_columns in (False, True):  # the sites' lines in their old order, then the national coordination's
        for strand_id, strand_code, _ in grant.strands:
            for site_id, site_code, _weight, categories, extra in columns:
                if extra != extra_columns:
                    continue
                for category in CATEGORY_WEIGHTS:
                    if category not in categories:
                        continue
                    if category == BudgetCategory.STAFF and not staff:
                        continue  # a grant paying no post (the foundation's) has no 64 line
                    if category == BudgetCategory.STAFF:
                        planned = staff.get((strand_id, site_id), 0)
                    else:
                        planned = planned_of[(strand_id, strand_code, site_id, category)]
                    line = ctx.add(
                        "budget_line",
                        {
                            "id": ctx.new_id("budget_line"),
                            "grant_id": grant.id,
                            "strand_id": strand_id,
                            "site_id": site_id,
                            "category": category,
                            "planned_cents": planned,
                            "accounting_code": f"{prefix}-{strand_code}-{site_code}-{category.value}",
                        },
                        on=grant.starts_on - timedelta(days=30),
                    )
                    lines.append(
                        line
                        | {
                            "_starts_on": grant.starts_on,
                            "_ends_on": grant.ends_on,
                            "_months": plan.duration_months,
                            "_prefix": prefix,
                            "_extra": extra,
                        }
                    )
    return lines


def _day_between(rng: random.Random, first: date, last: date) -> date:
    """SeedContext.day_between with the given Random."""
    return first if last <= first else first + timedelta(days=rng.randint(0, (last - first).days))


def _expenses(ctx: SeedContext, lines: list[dict]) -> None:
    """Monthly spending close to plan (a few lines overspend) over the elapsed part of each grant;
    the last complete months came from accounting exports. Staff lines are charged from the posts. The lines of
    a national coordination (`_extra`) draw from a Random of their own, so the other lines' draws, and every
    later part of the data set, stay what they were before national lines existed."""
    as_of = ctx.as_of
    national_rng = random.Random(f"{SEED}-national")
    gestion = ctx.users["gestion"].id
    current_month = month_start(as_of)
    imported_months = [add_months(current_month, -n) for n in range(IMPORTED_MONTHS, 0, -1)]
    imports: dict[date, list[dict]] = {month: [] for month in imported_months}
    voucher = 0
    rate = ctx.spec.expenses_per_line_month * NON_STAFF_RATE_FACTOR
    for line in lines:
        rng = national_rng if line["_extra"] else ctx.rng
        monthly = line["planned_cents"] / line["_months"]
        pace = 1.3 if rng.random() < 0.08 else rng.uniform(0.8, 1.05)
        category = line["category"]
        month = line["_starts_on"]
        while month <= min(current_month, line["_ends_on"]):
            days_in_month = calendar.monthrange(month.year, month.month)[1]
            last_day = min(month.replace(day=days_in_month), as_of)
            whole = int(rate)
            count = whole + (rng.random() < rate - whole)
            total = round(monthly * pace * (last_day.day / days_in_month) * rng.uniform(0.7, 1.3))
            if count and total > 0:
                amounts = split_by_weight(total, [rng.uniform(0.3, 1.0) for _ in range(count)])
                for amount in amounts:
                    voucher += 1
                    label, supplier = rng.choice(EXPENSE_LABELS[category])
                    spent_on = _day_between(rng, month, last_day)
                    row = ctx.add(
                        "expense",
                        {
                            "id": ctx.new_id("expense"),
                            "budget_line_id": line["id"],
                            "grant_id": line["grant_id"],
                            "site_id": line["site_id"],
                            "spent_on": spent_on,
                            "amount_cents": amount,
                            "label": label,
                            "supplier": supplier,
                            "voucher_ref": f"{line['_prefix']}-{month:%y%m}-{voucher:06d}",
                            "import_id": None,
                            "post_id": None,
                            "created_by_id": gestion,
                        },
                        on=spent_on,
                    )
                    if month in imports:
                        imports[month].append(row)
            month = add_months(month, 1)
    for month, rows in imports.items():
        if not rows:
            continue
        import_id = ctx.new_id("expense_import")
        imported_at = datetime.combine(min(add_months(month, 1) + timedelta(days=4), as_of), time(9), tzinfo=UTC)
        ctx.add(
            "expense_import",
            {
                "id": import_id,
                "file_sha256": hashlib.sha256(f"parcours-demo-export-{month:%Y-%m}".encode()).hexdigest(),
                "filename": f"export-compta-{month:%Y-%m}.csv",
                "imported_at": imported_at,
                "imported_by_id": gestion,
                "row_count": len(rows),
                "total_cents": sum(row["amount_cents"] for row in rows),
            },
            on=imported_at.date(),
        )
        for row in rows:
            row["import_id"] = import_id
            row["created_at"] = row["updated_at"] = imported_at


POST_COSTS = {  # loaded monthly cost of a full-time post, in euros
    PostType.CIP: 3_900,
    PostType.SOCIAL_WORKER: 3_800,
    PostType.HEALTH_PROFESSIONAL: 4_300,
    PostType.FLE_TRAINER: 3_600,
    PostType.NATIONAL_PROJECT_OFFICER: 4_900,
    PostType.COORDINATION: 5_200,
}
POST_FTE = {PostType.HEALTH_PROFESSIONAL: 50, PostType.FLE_TRAINER: 80}
# The strand whose 64 line receives a post's cost: the first of these codes the grant has.
STRAND_PREFERENCE = {
    PostType.CIP: ("ISP", "AG", "PSP", "AV"),
    PostType.SOCIAL_WORKER: ("PSP", "AV", "AG", "ISP"),
    PostType.HEALTH_PROFESSIONAL: ("AG", "AV", "ISP"),
    PostType.FLE_TRAINER: ("FLE", "ISP", "AG"),
    PostType.NATIONAL_PROJECT_OFFICER: ("AG", "AV", "ISP"),
    PostType.COORDINATION: ("AV", "AG", "PSP", "ISP"),
}
# Posts vacant today for more than 60 days (the alert of the consumption page): (site, type, days).
VACANT_UNNAMED = ("MRS", PostType.CIP, 75)  # the CIP left; no account holds the post
VACATED_TODAY = (("GRE", PostType.SOCIAL_WORKER, 130),)  # the first such post of the site
NEW_VACANT_POST = ("LYO", PostType.HEALTH_PROFESSIONAL, 95)  # opened, never filled yet
PAST_VACANCY_SHARE = 0.3  # posts that were vacant for a while in the past


def _strand_for(grant: SeededGrant, post_type: PostType) -> int:
    codes = {code: strand_id for strand_id, code, _ in grant.strands}
    return next((codes[c] for c in STRAND_PREFERENCE[post_type] if c in codes), grant.strands[0][0])


def _funding_shares(grants: list[SeededGrant], site: SiteInfo | None, post_type: PostType) -> list[tuple]:
    """(grant, strand id, basis points) of a post, by grant id: POST_SPLITS over the roles that have a
    grant at the post's site (a national post, site None: a grant with national 64 lines), scaled to 10 000."""
    if site is None:
        covering = {g.plan.role: g for g in grants if BudgetCategory.STAFF in g.plan.national}
    else:
        covering = {g.plan.role: g for g in grants if any(s.id == site.id for s in g.sites)}
    roles = [role for role in POST_SPLITS[post_type] if role in covering]
    shares = split_by_weight(10_000, [POST_SPLITS[post_type][role] for role in roles])
    return sorted(
        ((covering[role], _strand_for(covering[role], post_type), bp) for role, bp in zip(roles, shares, strict=True)),
        key=lambda share: share[0].id,
    )


def _posts(ctx: SeedContext, grants: list[SeededGrant]) -> list[SeededPost]:
    """Posts of every site, and the national posts (no site): filled from their start (some with a past
    vacancy, a few vacant today)."""
    rng, as_of = ctx.rng, ctx.as_of
    posts: list[SeededPost] = []
    for site in ctx.sites:
        holders: list[tuple[PostType, str | None]] = [
            (m.post_type, m.display_name) for m in site.staff if m.post_type is not None
        ]
        if site.code == HEAD_OFFICE:  # drawn here, as when they were the head office's: the same data set
            holders += [(PostType.NATIONAL_PROJECT_OFFICER, name) for name in ctx.national_officers]
        if site.code == "MRS":
            holders.append((PostType.CIP, None))  # vacant since the CIP left
        vacated = {post_type: days for code, post_type, days in VACATED_TODAY if code == site.code}
        if site.code == NEW_VACANT_POST[0]:
            holders.append((NEW_VACANT_POST[1], None))
        for post_type, holder in holders:
            fte = 100 if site.code == "LYO" and post_type == PostType.FLE_TRAINER else POST_FTE.get(post_type, 100)
            if rng.random() < 0.6:
                starts_on = ctx.start - timedelta(days=rng.randint(30, 900))
            else:
                starts_on = ctx.day_between(ctx.start, as_of - timedelta(days=180))
            history: list[tuple[date, bool, str | None]]
            if holder is None and (site.code, post_type) == NEW_VACANT_POST[:2]:
                starts_on = as_of - timedelta(days=NEW_VACANT_POST[2])
                history = [(starts_on, False, None)]
            elif holder is None or post_type in vacated:
                days = VACANT_UNNAMED[2] if holder is None else vacated.pop(post_type)
                history = [
                    (starts_on, True, " ".join(_former_holder(ctx))),
                    (as_of - timedelta(days=days), False, None),
                ]
                holder = None
            else:
                history = [(starts_on, True, holder)]
                left_on = starts_on + timedelta(days=rng.randint(150, 500))
                if rng.random() < PAST_VACANCY_SHARE and left_on < as_of - timedelta(days=150):
                    back_on = left_on + timedelta(days=rng.randint(30, 110))
                    history = [
                        (starts_on, True, " ".join(_former_holder(ctx))),
                        (left_on, False, None),
                        (back_on, True, holder),
                    ]
            post_id = ctx.new_id("post")
            last_change, filled, _ = history[-1]
            row = ctx.add(
                "post",
                {
                    "id": post_id,
                    "site_id": None if post_type == PostType.NATIONAL_PROJECT_OFFICER else site.id,  # national
                    "post_type": post_type,
                    "fte_hundredths": fte,
                    "monthly_cost_cents": POST_COSTS[post_type] * fte,
                    "starts_on": starts_on,
                    "ends_on": None,
                    "is_filled": filled,
                    "status_since": last_change,
                    "holder_name": holder if filled else None,
                },
                on=starts_on,
            )
            changes = []
            for changed_on, is_filled, name in history:
                change_id = ctx.new_id("post_status_change")
                ctx.add(
                    "post_status_change",
                    {
                        "id": change_id,
                        "post_id": post_id,
                        "changed_on": changed_on,
                        "is_filled": is_filled,
                        "holder_name": name,
                    },
                    on=changed_on,
                )
                changes.append(SimpleNamespace(id=change_id, changed_on=changed_on, is_filled=is_filled))
            shares = _funding_shares(grants, None if row["site_id"] is None else site, post_type)
            for grant, strand_id, share in shares:
                ctx.add(
                    "post_funding",
                    {
                        "id": ctx.new_id("post_funding"),
                        "post_id": post_id,
                        "grant_id": grant.id,
                        "share_bp": share,
                        "strand_id": strand_id,
                    },
                    on=starts_on,
                )
            posts.append(SeededPost(row, changes, shares))
    return posts


def _former_holder(ctx: SeedContext) -> tuple[str, str]:
    return ctx.staff_names.draw()


def _staff_charges(ctx: SeedContext, grants: list[SeededGrant], posts: list[SeededPost], lines: list[dict]) -> None:
    """The monthly charges services.finance.staffing.charges books, for every ended month of each grant: same days
    filled, same prorata (post_month_cost), same split (split_exactly over the shares by grant id)."""
    gestion = ctx.users["gestion"].id
    line_of = {
        (line["grant_id"], line["strand_id"], line["site_id"]): line["id"]
        for line in lines
        if line["category"] == BudgetCategory.STAFF
    }
    last_month = add_months(month_start(ctx.as_of), -1)
    first_month = min(grant.starts_on for grant in grants)
    for post in posts:
        row = post.row
        model = post.as_post()
        weights = [bp for _, _, bp in post.shares]
        month = max(first_month, month_start(row["starts_on"]))
        while month <= last_month:
            last = month_end(month)
            intervals = filled_intervals(model, post.history, until=last)
            cost = post_month_cost(row["monthly_cost_cents"], days_within(intervals, month, last), last.day)
            if cost:
                for (grant, strand_id, _), part in zip(post.shares, split_exactly(cost, weights), strict=True):
                    if part and grant.starts_on <= last and grant.ends_on >= month:
                        ctx.add(
                            "expense",
                            {
                                "id": ctx.new_id("expense"),
                                "budget_line_id": line_of[(grant.id, strand_id, row["site_id"])],
                                "grant_id": grant.id,
                                "site_id": row["site_id"],
                                "spent_on": last,
                                "amount_cents": part,
                                "label": charge_label(row["post_type"], month),
                                "supplier": None,
                                "voucher_ref": f"SAL-{month:%Y%m}-P{row['id']}",
                                "import_id": None,
                                "post_id": row["id"],
                                "created_by_id": gestion,
                            },
                            on=last,
                        )
            month = add_months(month, 1)
