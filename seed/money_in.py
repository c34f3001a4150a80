"""Money coming in and recruitments, drawn from a Random of their own (the rest of the seed draws exactly what
it drew before they existed): each grant's payment schedule (half at the signature, 30 % after the interim
report, the balance after the final report), what was received, its reports due, its co-funders (the other
funders of its sites), and the recruitment plan of the funded posts filled during a grant or vacant today."""

from __future__ import annotations

import random
from datetime import date, timedelta

from clock import add_months
from models.money_in import ReportKind, TrancheCondition
from seed.context import SEED, SeedContext
from services.platform.money import split_exactly

SCHEDULE = (
    (TrancheCondition.SIGNATURE, 50),
    (TrancheCondition.INTERIM_REPORT, 30),
    (TrancheCondition.FINAL_REPORT, 20),
)
MAX_COFUNDERS = 3
# Planned start of the posts vacant today, in days from today, in turn: late, at risk, on track…
VACANT_OFFSETS = (-45, 15, 60, -20, 40)


def seed_money_in(ctx: SeedContext) -> None:
    rng = random.Random(f"{SEED}-money-in")
    grants = sorted(ctx.rows["grant"], key=lambda g: g["id"])
    late_report = [True]  # the first grant whose interim report is due by today has not sent it yet
    for grant in grants:
        _schedule(ctx, grant, rng, late_report)
    _cofunding(ctx, grants, rng)
    _recruitments(ctx, grants, rng)


def _schedule(ctx: SeedContext, grant: dict, rng: random.Random, late_report: list[bool]) -> None:
    as_of, starts_on, ends_on = ctx.as_of, grant["starts_on"], grant["ends_on"]
    interim_due = add_months(starts_on, max(3, (ends_on - starts_on).days // 61))  # half-way
    final_due = add_months(ends_on, 3)
    interim_sent = interim_due - timedelta(days=rng.randint(-20, 10)) if interim_due < as_of else None
    late = rng.random() < 0.25  # drawn for every grant: the draws do not depend on the first late one
    if interim_sent is not None and (late or late_report[0] or interim_sent > as_of):
        interim_sent = None  # late: gestion and the director see it on the home page
        late_report[0] = False
    for kind, due_on, sent in ((ReportKind.INTERIM, interim_due, interim_sent), (ReportKind.FINAL, final_due, None)):
        ctx.add(
            "grant_report",
            {
                "id": ctx.new_id("grant_report"),
                "grant_id": grant["id"],
                "kind": kind,
                "due_on": due_on,
                "submitted_on": sent,
            },
            on=starts_on,
        )
    amounts = split_exactly(grant["amount_cents"], [weight for _, weight in SCHEDULE])
    expected_days = {
        TrancheCondition.SIGNATURE: starts_on + timedelta(days=30),
        TrancheCondition.INTERIM_REPORT: interim_due + timedelta(days=45),
        TrancheCondition.FINAL_REPORT: final_due + timedelta(days=60),
    }
    for (condition, _weight), cents in zip(SCHEDULE, amounts, strict=True):
        expected_on = expected_days[condition]
        received_on = received_cents = None
        released = condition != TrancheCondition.INTERIM_REPORT or interim_sent is not None
        if released and expected_on + timedelta(days=40) < as_of:
            received_on = min(as_of, expected_on + timedelta(days=rng.randint(-5, 35)))
            received_cents = cents if rng.random() < 0.8 else cents - cents // 100 * rng.randint(1, 5)
        ctx.add(
            "grant_tranche",
            {
                "id": ctx.new_id("grant_tranche"),
                "grant_id": grant["id"],
                "expected_on": expected_on,
                "expected_cents": cents,
                "condition": condition,
                "received_on": received_on,
                "received_cents": received_cents,
            },
            on=starts_on,
        )


def _cofunding(ctx: SeedContext, grants: list[dict], rng: random.Random) -> None:
    """A grant's co-funders: the funders of the other grants at its sites, for the amount of their grant."""
    sites_of: dict[int, set[int]] = {}
    for row in ctx.rows["grant_site"]:
        sites_of.setdefault(row["grant_id"], set()).add(row["site_id"])
    for grant in grants:
        others: dict[int, int] = {}
        for other in grants:
            if other["funder_id"] != grant["funder_id"] and sites_of.get(other["id"], set()) & sites_of.get(
                grant["id"], set()
            ):
                others[other["funder_id"]] = others.get(other["funder_id"], 0) + other["amount_cents"]
        for funder_id, cents in sorted(others.items(), key=lambda item: -item[1])[:MAX_COFUNDERS]:
            ctx.add(
                "grant_cofunding",
                {
                    "id": ctx.new_id("grant_cofunding"),
                    "grant_id": grant["id"],
                    "funder_id": funder_id,
                    "amount_cents": cents,
                    "is_confirmed": rng.random() < 0.8,
                },
                on=grant["starts_on"],
            )


def _within(day: date, periods: list[tuple[date, date]]) -> date | None:
    """`day` if a funding grant's period holds it, else the nearest day of the period nearest to it."""
    if any(start <= day <= end for start, end in periods):
        return day
    candidates = [min(max(day, start), end) for start, end in periods]
    return min(candidates, key=lambda d: abs((d - day).days)) if candidates else None


def _recruitments(ctx: SeedContext, grants: list[dict], rng: random.Random) -> None:
    """A plan for each funded post filled during one of its grants (its stages before its start) and for each
    post vacant today (planned a little before or after today: some late, some at risk, some on track)."""
    as_of = ctx.as_of
    grant_by_id = {g["id"]: g for g in grants}
    periods: dict[int, list[tuple[date, date]]] = {}
    for row in ctx.rows["post_funding"]:
        grant = grant_by_id[row["grant_id"]]
        periods.setdefault(row["post_id"], []).append((grant["starts_on"], grant["ends_on"]))
    vacant = 0
    for post in sorted(ctx.rows["post"], key=lambda p: p["id"]):
        spans = periods.get(post["id"])
        if not spans:
            continue
        if not post["is_filled"]:
            planned = _within(as_of + timedelta(days=VACANT_OFFSETS[vacant % len(VACANT_OFFSETS)]), spans)
            vacant += 1
            if planned is None:
                continue
            opened = max(post["status_since"], planned - timedelta(days=120))
            advertised = opened + timedelta(days=rng.randint(5, 20))
            interviews = advertised + timedelta(days=rng.randint(20, 40))
            stages = [d if d <= as_of else None for d in (advertised, interviews)]
            row = {"advertised_on": stages[0], "interviews_on": stages[1] if stages[0] else None}
            row |= {"hired_on": None, "started_on": None}
        elif any(start <= post["status_since"] <= end for start, end in spans):
            planned = _within(post["status_since"] - timedelta(days=rng.randint(0, 40)), spans)
            started = post["status_since"]
            hired = started - timedelta(days=rng.randint(15, 35))
            interviews = hired - timedelta(days=rng.randint(5, 15))
            row = {
                "advertised_on": interviews - timedelta(days=rng.randint(20, 45)),
                "interviews_on": interviews,
                "hired_on": hired,
                "started_on": started,
            }
        else:
            continue
        ctx.add(
            "post_recruitment",
            {"id": ctx.new_id("post_recruitment"), "post_id": post["id"], "planned_start_on": planned, **row},
            on=min(as_of, row["advertised_on"] or as_of),
        )
