"""Grants (AGRASC, Région, foundation), strands, budget lines, expenses, imports; posts and their funding."""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from models.finance import BudgetCategory
from models.staffing import PostType
from seed.accounts import AGRASC_FUNDER_NAME
from seed.context import SeedContext, SiteInfo, add_months, month_start, split_by_weight
from seed.organisation import FUNDERS
from seed.texts import EXPENSE_LABELS

CATEGORY_WEIGHTS = {
    BudgetCategory.STAFF: 62, BudgetCategory.PURCHASES: 5, BudgetCategory.EXTERNAL_SERVICES: 7,
    BudgetCategory.OTHER_EXTERNAL_SERVICES: 8, BudgetCategory.TAXES: 4, BudgetCategory.OTHER_CHARGES: 3,
    BudgetCategory.INDIRECT: 11,
}
IMPORTED_MONTHS = 3  # the last complete months came from the accounting export
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


@dataclass(frozen=True)
class GrantPlan:
    key: str
    funder: str
    name: str
    ref_prefix: str
    euros: int
    months_before: int  # the grant started this many months before `as_of`
    duration_months: int
    strands: tuple[tuple[str, str, float], ...]  # (name, accounting code, weight)
    tolerance_bp: int
    indirect_rate_bp: int


def _plans(ctx: SeedContext) -> list[tuple[GrantPlan, list[SiteInfo]]]:
    rhone_alpes = [site for site in ctx.sites if site.code in ("LYO", "GRE")]
    others = [site for site in ctx.sites if site.code not in ("LYO", "GRE")]
    agrasc = GrantPlan(
        "agrasc", AGRASC_FUNDER_NAME, "Fonds de concours AGRASC — sortie de la prostitution et insertion",
        "AGRASC-FDC", 900_000, 10, 18,
        (("Aller-vers", "AV", 0.42), ("Insertion socio-professionnelle", "ISP", 0.58)), 1000, 800,
    )
    region = GrantPlan(
        "region", FUNDERS[1][0], "Parcours vers l'emploi des femmes victimes d'exploitation", "RAURA-INS",
        150_000, 6, 12,
        (("Insertion socio-professionnelle", "ISP", 0.7), ("Français à visée d'insertion", "FLE", 0.3)), 1500, 0,
    )
    foundation = GrantPlan(
        "foundation", FUNDERS[2][0], "Accompagnement global vers la sortie de la prostitution", "FHS",
        ctx.spec.foundation_euros_per_site * len(others), 14, 24,
        (("Aller-vers", "AV", 0.45), ("Accompagnement global", "AG", 0.55)), 2000, 700,
    )
    return [(agrasc, rhone_alpes), (region, rhone_alpes), (foundation, others)]


def seed_finance(ctx: SeedContext) -> None:
    grants: dict[str, int] = {}
    lines: list[dict] = []
    for plan, sites in _plans(ctx):
        grant_id, grant_lines = _grant(ctx, plan, sites)
        grants[plan.key] = grant_id
        lines += grant_lines
    _expenses(ctx, lines)
    _posts(ctx, grants)


def _grant(ctx: SeedContext, plan: GrantPlan, sites: list[SiteInfo]) -> tuple[int, list[dict]]:
    starts_on = month_start(add_months(ctx.as_of, -plan.months_before))
    ends_on = add_months(starts_on, plan.duration_months) - timedelta(days=1)
    amount = plan.euros * 100
    grant_id = ctx.new_id("grant")
    ctx.add(
        "grant",
        {"id": grant_id, "funder_id": ctx.funders[plan.funder], "name": plan.name,
         "convention_ref": f"{plan.ref_prefix}-{starts_on.year}-{17 + grant_id:03d}", "amount_cents": amount,
         "starts_on": starts_on, "ends_on": ends_on, "tolerance_bp": plan.tolerance_bp,
         "indirect_rate_bp": plan.indirect_rate_bp},
        on=starts_on - timedelta(days=30),
    )
    for site in sites:
        ctx.add("grant_site", {"grant_id": grant_id, "site_id": site.id})
    site_weights = {"LYO": 0.55, "GRE": 0.45}
    keys, weights = [], []
    for strand_name, strand_code, strand_weight in plan.strands:
        strand_id = ctx.new_id("strand")
        ctx.add("strand", {"id": strand_id, "grant_id": grant_id, "name": strand_name},
                on=starts_on - timedelta(days=30))
        for site in sites:
            for category, category_weight in CATEGORY_WEIGHTS.items():
                keys.append((strand_id, strand_code, site, category))
                weights.append(strand_weight * site_weights.get(site.code, 1.0) * category_weight)
    lines = []
    for (strand_id, strand_code, site, category), planned in zip(keys, split_by_weight(amount, weights), strict=True):
        line = ctx.add(
            "budget_line",
            {"id": ctx.new_id("budget_line"), "grant_id": grant_id, "strand_id": strand_id, "site_id": site.id,
             "category": category, "planned_cents": planned,
             "accounting_code": f"{plan.ref_prefix.split('-')[0][:3]}-{strand_code}-{site.code}-{category.value}"},
            on=starts_on - timedelta(days=30),
        )
        lines.append(line | {"_starts_on": starts_on, "_ends_on": ends_on, "_months": plan.duration_months,
                             "_prefix": plan.ref_prefix.split("-")[0][:3]})
    return grant_id, lines


def _expenses(ctx: SeedContext, lines: list[dict]) -> None:
    """Monthly spending close to plan (a few lines overspend) over the elapsed part of each grant."""
    rng, as_of = ctx.rng, ctx.as_of
    gestion = ctx.users["gestion"].id
    current_month = month_start(as_of)
    imported_months = [add_months(current_month, -n) for n in range(IMPORTED_MONTHS, 0, -1)]
    imports: dict[date, list[dict]] = {month: [] for month in imported_months}
    voucher = 0
    rate = ctx.spec.expenses_per_line_month
    for line in lines:
        monthly = line["planned_cents"] / line["_months"]
        pace = 1.3 if rng.random() < 0.08 else rng.uniform(0.8, 1.05)
        category = line["category"]
        month = line["_starts_on"]
        while month <= min(current_month, line["_ends_on"]):
            days_in_month = calendar.monthrange(month.year, month.month)[1]
            month_end = month.replace(day=days_in_month)
            if category == BudgetCategory.STAFF:
                if month_end > as_of:
                    break  # salaries are paid at the end of the month
                count, last_day, share = max(1, round(rate / 4)), month_end, 1.0
            else:
                whole = int(rate)
                count = whole + (rng.random() < rate - whole)
                last_day = min(month_end, as_of)
                share = last_day.day / days_in_month
            noise = rng.uniform(0.98, 1.02) if category == BudgetCategory.STAFF else rng.uniform(0.7, 1.3)
            total = round(monthly * pace * share * noise)
            if count and total > 0:
                amounts = split_by_weight(total, [rng.uniform(0.3, 1.0) for _ in range(count)])
                for amount in amounts:
                    voucher += 1
                    label, supplier = rng.choice(EXPENSE_LABELS[category])
                    spent_on = last_day if category == BudgetCategory.STAFF else ctx.day_between(month, last_day)
                    if category == BudgetCategory.STAFF:
                        label = f"{label} — {MONTHS_FR[month.month - 1]} {month.year}"
                    row = ctx.add(
                        "expense",
                        {"id": ctx.new_id("expense"), "budget_line_id": line["id"], "grant_id": line["grant_id"],
                         "site_id": line["site_id"], "spent_on": spent_on, "amount_cents": amount, "label": label,
                         "supplier": supplier, "voucher_ref": f"{line['_prefix']}-{month:%y%m}-{voucher:06d}",
                         "import_id": None, "created_by_id": gestion},
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
            {"id": import_id, "file_sha256": hashlib.sha256(f"parcours-demo-export-{month:%Y-%m}".encode()).hexdigest(),
             "filename": f"export-compta-{month:%Y-%m}.csv", "imported_at": imported_at, "imported_by_id": gestion,
             "row_count": len(rows), "total_cents": sum(row["amount_cents"] for row in rows)},
            on=imported_at.date(),
        )
        for row in rows:
            row["import_id"] = import_id
            row["created_at"] = row["updated_at"] = imported_at


POST_COSTS = {  # loaded monthly cost of a full-time post, in euros
    PostType.CIP: 3_900, PostType.SOCIAL_WORKER: 3_800, PostType.HEALTH_PROFESSIONAL: 4_300,
    PostType.FLE_TRAINER: 3_600, PostType.NATIONAL_PROJECT_OFFICER: 4_900, PostType.COORDINATION: 5_200,
}
POST_FTE = {PostType.HEALTH_PROFESSIONAL: 50, PostType.FLE_TRAINER: 80}
# Funding split of posts on the Rhône-Alpes sites, in basis points (each sums to 10 000).
RHONE_ALPES_SPLITS = {
    PostType.COORDINATION: {"agrasc": 6000, "region": 4000},
    PostType.SOCIAL_WORKER: {"agrasc": 10000},
    PostType.CIP: {"agrasc": 5000, "region": 5000},
    PostType.HEALTH_PROFESSIONAL: {"agrasc": 10000},
    PostType.FLE_TRAINER: {"region": 7000, "agrasc": 3000},
    PostType.NATIONAL_PROJECT_OFFICER: {"agrasc": 5000, "foundation": 5000},
}


def _posts(ctx: SeedContext, grants: dict[str, int]) -> None:
    rng = ctx.rng
    for site in ctx.sites:
        holders = [(m.post_type, m.display_name) for m in site.staff if m.post_type is not None]
        if site.code == "LYO":
            holders += [(PostType.NATIONAL_PROJECT_OFFICER, name) for name in ctx.national_officers]
        if site.code == "MRS":
            holders.append((PostType.CIP, None))  # vacant since the CIP left
        for post_type, holder in holders:
            fte = 100 if site.code == "LYO" and post_type == PostType.FLE_TRAINER else POST_FTE.get(post_type, 100)
            if rng.random() < 0.6:
                starts_on = ctx.start - timedelta(days=rng.randint(30, 900))
            else:
                starts_on = ctx.day_between(ctx.start, ctx.as_of - timedelta(days=120))
            filled = holder is not None
            post_id = ctx.new_id("post")
            ctx.add(
                "post",
                {"id": post_id, "site_id": site.id, "post_type": post_type, "fte_hundredths": fte,
                 "monthly_cost_cents": POST_COSTS[post_type] * fte, "starts_on": starts_on, "ends_on": None,
                 "is_filled": filled,
                 "status_since": starts_on if filled else ctx.as_of - timedelta(days=75), "holder_name": holder},
                on=starts_on,
            )
            splits = RHONE_ALPES_SPLITS[post_type] if site.code in ("LYO", "GRE") else {"foundation": 10000}
            for key, share in splits.items():
                ctx.add("post_funding", {"id": ctx.new_id("post_funding"), "post_id": post_id,
                                         "grant_id": grants[key], "share_bp": share}, on=starts_on)
