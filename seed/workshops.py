"""Workshop modules, cycles (enrolments), sessions with facilitators, attendance, completions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time, timedelta

from models.attendance import AttendanceStatus
from models.partners import PartnerKind
from models.workshops import WorkshopTheme
from seed.context import FUTURE_DAYS, PersonInfo, SeedContext, SiteInfo

THEMES = [theme for theme in WorkshopTheme if theme != WorkshopTheme.OTHER]
SLOTS = [(weekday, start) for weekday in range(5) for start in (time(9, 30), time(14, 0))]
EXPECTED_ATTENDEES = 6
PRESENT, EXCUSED, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT
# Themes often run with a partner: (partner kind, probability).
THEME_PARTNERS = {
    WorkshopTheme.KNOWING_TRADES: (PartnerKind.FRANCE_TRAVAIL, 0.5),
    WorkshopTheme.REALISTIC_PROJECT: (PartnerKind.TRAINING, 0.3),
    WorkshopTheme.MONEY: (PartnerKind.CIDFF, 0.3),
    WorkshopTheme.MOBILITY: (PartnerKind.OTHER, 0.15),
}


def roll_call(draw: float, present: float, excused: float) -> AttendanceStatus:
    if draw < present:
        return PRESENT
    return EXCUSED if draw < present + excused else ABSENT


def seed_workshops(ctx: SeedContext) -> None:
    by_site: dict[int, list[tuple[date, date, PersonInfo]]] = defaultdict(list)
    for person in ctx.persons:
        cycle = _enrolment(ctx, person)
        if cycle is not None:
            by_site[person.site.id].append(cycle)
    for site in ctx.sites:
        modules = _modules(ctx, site)
        cycles = sorted(by_site[site.id], key=lambda c: (c[0], c[2].id))
        _sessions(ctx, site, modules, cycles)


def _modules(ctx: SeedContext, site: SiteInfo) -> list[tuple[int, WorkshopTheme]]:
    modules = []
    for order, theme in enumerate(THEMES, start=1):
        module_id = ctx.new_id("workshop_module")
        ctx.add(
            "workshop_module",
            {
                "id": module_id,
                "site_id": site.id,
                "theme": theme,
                "name": WorkshopTheme.labels()[theme],
                "sort_order": order,
                "is_active": True,
            },
        )
        modules.append((module_id, theme))
    return modules


def _enrolment(ctx: SeedContext, person: PersonInfo) -> tuple[date, date, PersonInfo] | None:
    """One cycle of three to six months (15 % drop out early); returns (start, last day, person)."""
    rng = ctx.rng
    if rng.random() >= ctx.spec.workshop_share:
        return None
    start = person.intake_on + timedelta(days=rng.randint(14, 120))
    if start > person.active_until:
        return None
    length = rng.randint(20, 60) if rng.random() < 0.15 else rng.randint(90, 180)
    planned_end = start + timedelta(days=length)
    if planned_end > person.active_until and person.active_until == ctx.as_of:
        left_on, last_day = None, planned_end  # still in the cycle
    else:
        left_on = min(planned_end, person.active_until)
        last_day = left_on
    ctx.add(
        "workshop_enrolment",
        {
            "id": ctx.new_id("workshop_enrolment"),
            "person_id": person.id,
            "site_id": person.site.id,
            "cycle_start_on": start,
            "left_on": left_on,
        },
        on=start,
    )
    return start, last_day, person


def _sessions(ctx: SeedContext, site: SiteInfo, modules: list, cycles: list) -> None:
    rng, as_of = ctx.rng, ctx.as_of
    spec = ctx.spec
    facilitators = [member.id for member in site.caseworkers()]
    last_planned = as_of + timedelta(days=FUTURE_DAYS)
    week = ctx.start - timedelta(days=ctx.start.weekday())
    next_cycle = 0
    active: list[tuple[date, date, PersonInfo]] = []
    module_turn = 0
    presents: dict[tuple[int, int], int] = defaultdict(int)
    while week <= last_planned:
        week_end = week + timedelta(days=6)
        while next_cycle < len(cycles) and cycles[next_cycle][0] <= week_end:
            active.append(cycles[next_cycle])
            next_cycle += 1
        active = [c for c in active if c[1] >= week]
        if not (week.month == 12 and week.day >= 22):  # closed between Christmas and New Year
            rate = len(active) * spec.workshop_sessions_per_person_week / EXPECTED_ATTENDEES
            # At least one session a week while anyone is in a cycle, and always in the planning ahead.
            count = max(int(rate) + (rng.random() < rate - int(rate)), 1 if active or week > as_of else 0)
            slots = rng.sample(SLOTS, count) if count <= len(SLOTS) else [rng.choice(SLOTS) for _ in range(count)]
            for weekday, start_time in sorted(slots):
                day = week + timedelta(days=weekday)
                if not ctx.start <= day <= last_planned:
                    continue
                candidates = [c for c in active if c[0] <= day <= c[1]]
                if day <= as_of and not candidates:
                    continue  # nobody in a cycle that day: the session was not held
                module_id, theme = modules[module_turn % len(modules)]
                module_turn += 1
                session_id, places = _session(ctx, site, module_id, theme, day, start_time, facilitators)
                if day <= as_of:
                    chosen = rng.sample(candidates, min(len(candidates), rng.randint(3, places)))
                    _attendance(ctx, site, session_id, module_id, day, chosen, presents)
        week += timedelta(days=7)


def _session(
    ctx: SeedContext,
    site: SiteInfo,
    module_id: int,
    theme: WorkshopTheme,
    day: date,
    start_time: time,
    facilitators: list[int],
) -> tuple[int, int]:
    rng = ctx.rng
    partner_id = None
    if theme in THEME_PARTNERS:
        kind, probability = THEME_PARTNERS[theme]
        if rng.random() < probability:
            partner_id = rng.choice(site.partners[kind.value])
    session_id = ctx.new_id("workshop_session")
    places = rng.choice((8, 8, 10, 12))
    ctx.add(
        "workshop_session",
        {
            "id": session_id,
            "site_id": site.id,
            "module_id": module_id,
            "session_on": day,
            "start_time": start_time,
            "duration_minutes": rng.choice((120, 120, 150, 180)),
            "partner_id": partner_id,
            "planned_places": places,
        },
        on=min(day, ctx.as_of) - timedelta(days=14),
    )
    for user_id in rng.sample(facilitators, 1 if rng.random() < 0.6 else min(2, len(facilitators))):
        ctx.add("workshop_facilitator", {"session_id": session_id, "user_id": user_id})
    return session_id, places


def _attendance(
    ctx: SeedContext,
    site: SiteInfo,
    session_id: int,
    module_id: int,
    day: date,
    chosen: list,
    presents: dict,
) -> None:
    rng = ctx.rng
    rows = ctx.rows["workshop_attendance"]
    stamp = ctx.stamp(day)
    for _, _, person in chosen:
        status = roll_call(rng.random(), 0.78, 0.10)
        rows.append(
            {
                "id": ctx.new_id("workshop_attendance"),
                "session_id": session_id,
                "person_id": person.id,
                "site_id": site.id,
                "status": status,
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        if status == PRESENT:
            ctx.touch(person, day)
            key = (person.id, module_id)
            presents[key] += 1
            if presents[key] == 2:  # a module is validated after two sessions attended
                ctx.add(
                    "workshop_completion",
                    {
                        "id": ctx.new_id("workshop_completion"),
                        "person_id": person.id,
                        "module_id": module_id,
                        "site_id": site.id,
                        "completed_on": day,
                    },
                    on=day,
                )
