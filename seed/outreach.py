"""Outreach rounds (maraudes): street rounds in the evening, online rounds in the afternoon."""

from __future__ import annotations

from datetime import time, timedelta

from models.outreach import OutreachArea, OutreachMode
from seed.context import SeedContext, SiteInfo, Weighted

STREET_AREAS = Weighted(
    {OutreachArea.CITY_CENTRE: 4, OutreachArea.OUTSKIRTS: 3, OutreachArea.ROADSIDE_VANS: 2, OutreachArea.SALONS: 1}
)
ONLINE_AREAS = Weighted(
    {
        OutreachArea.CLASSIFIED_ADS: 4,
        OutreachArea.ESCORT_SITES: 3,
        OutreachArea.SOCIAL_NETWORKS: 2,
        OutreachArea.OTHER: 1,
    }
)
# Volumes per site, orders of magnitude of the activity reports of associations of this size (the
# Mouvement du Nid's and the Amicale du Nid's delegations): a street round or two a week and an online
# round most weeks (SizeSpec rates), a handful to twenty persons met per round, a few of them new; of
# the hundreds met in a year, a few dozen start an accompaniment (seed/people.py: 40 % of intakes come
# from outreach).
REFERRALS_NOT_COMING = 0.06
STREET_TIMES = (time(20, 0), time(20, 30), time(21, 0), time(21, 30), time(22, 0))
ONLINE_TIMES = (time(14, 0), time(14, 30), time(15, 0), time(16, 0))


def seed_outreach(ctx: SeedContext) -> None:
    for site in ctx.sites:
        _site_rounds(ctx, site)


def _count(ctx: SeedContext, rate: float) -> int:
    whole = int(rate)
    return whole + (ctx.rng.random() < rate - whole)


def _site_rounds(ctx: SeedContext, site: SiteInfo) -> None:
    rng = ctx.rng
    crew = [member.id for member in site.caseworkers()]
    week = ctx.start - timedelta(days=ctx.start.weekday())
    dated: list = []
    while week <= ctx.as_of:
        for mode, rate in (
            (OutreachMode.STREET, ctx.spec.street_rounds_per_week),
            (OutreachMode.ONLINE, ctx.spec.online_rounds_per_week),
        ):
            for _ in range(_count(ctx, rate)):
                # Street rounds Monday–Saturday evenings, online rounds on weekdays.
                day = week + timedelta(days=rng.randint(0, 5 if mode == OutreachMode.STREET else 4))
                if ctx.start <= day <= ctx.as_of:
                    dated.append((day, mode))
        week += timedelta(days=7)
    if not any(day.month == ctx.as_of.month and day.year == ctx.as_of.year for day, _ in dated):
        dated.append((ctx.as_of, OutreachMode.STREET))  # the current month always shows activity
    dated.sort(key=lambda item: (item[0], item[1] == OutreachMode.STREET))
    for day, mode in dated:
        round_id = ctx.new_id("outreach_round")
        street = mode == OutreachMode.STREET
        met = rng.randint(4, 22) if street else rng.randint(3, 18)
        new = rng.randint(0, max(1, met // 3))
        team = rng.sample(crew, min(len(crew), 2 if street else rng.randint(1, 2)))
        row = ctx.add(
            "outreach_round",
            {
                "id": round_id,
                "site_id": site.id,
                "round_on": day,
                "start_time": rng.choice(STREET_TIMES if street else ONLINE_TIMES),
                "duration_minutes": rng.choice((120, 150, 180, 210, 240) if street else (90, 120, 150, 180)),
                "mode": mode,
                "area": (STREET_AREAS if street else ONLINE_AREAS).pick(rng),
                "persons_met": met,
                "new_contacts": new,
                "conversations": rng.randint(met // 2, met),
                "referred_to_intake": 0,  # set by `referrals_to_intake` once the intakes exist
                "condoms_given": rng.randint(20, 150) if street else 0,
                "leaflets_given": rng.randint(2, 20) if street else 0,
                "hygiene_kits_given": rng.randint(0, 8) if street else 0,
                "created_by_id": team[0],
            },
            on=day,
        )
        for user_id in team:
            ctx.add("outreach_round_staff", {"round_id": round_id, "user_id": user_id})
        site.round_dates.append(day)
        site.round_ids.append(round_id)
        site.round_rows[round_id] = row


def referrals_to_intake(ctx: SeedContext) -> None:
    """A round's referrals to intake are the persons whose file says they came from it, plus those who
    were referred and never came (about one in three: REFERRALS_NOT_COMING per round on average)."""
    rng = ctx.rng
    came: dict[int, int] = {}
    for person in ctx.persons:
        round_id = person.row["outreach_round_id"]
        if round_id is not None:
            came[round_id] = came.get(round_id, 0) + 1
    for site in ctx.sites:
        for round_id, row in site.round_rows.items():
            referred = came.get(round_id, 0) + (rng.random() < REFERRALS_NOT_COMING)
            row["referred_to_intake"] = referred
            row["new_contacts"] = max(row["new_contacts"], referred)
            row["persons_met"] = max(row["persons_met"], row["new_contacts"])
