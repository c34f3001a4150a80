"""French course groups (open entry and exit), sessions, roll calls, CECRL assessments, DILF/DELF."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from models.courses import CefrLevel, Certification, CertificationResult, LanguageSkill, LearnerProfile
from seed.context import FUTURE_DAYS, PersonInfo, SeedContext, SiteInfo, Weighted
from seed.texts import ASSESSMENT_COMMENTS, MAINSTREAM_DESTINATIONS
from seed.workshops import PRESENT, roll_call

LEVELS = list(CefrLevel)
RANK = {level: rank for rank, level in enumerate(LEVELS)}
SKILLS = list(LanguageSkill)
ORAL = (LanguageSkill.LISTENING, LanguageSkill.SPEAKING)
NEXT_PROFILE = {LearnerProfile.ALPHA: LearnerProfile.POST_ALPHA, LearnerProfile.POST_ALPHA: LearnerProfile.FLE}
PROFILES = Weighted({LearnerProfile.ALPHA: 25, LearnerProfile.POST_ALPHA: 25, LearnerProfile.FLE: 50})
# Starting levels per profile: (oral choices, written choices). A learner already at A2 everywhere is
# oriented to droit commun courses at once, not to an adapted group.
START_LEVELS = {
    LearnerProfile.ALPHA: ((CefrLevel.PRE_A1, CefrLevel.A1_1), (CefrLevel.PRE_A1,)),
    LearnerProfile.POST_ALPHA: ((CefrLevel.A1_1, CefrLevel.A1), (CefrLevel.PRE_A1, CefrLevel.A1_1)),
    LearnerProfile.FLE: ((CefrLevel.A1, CefrLevel.A2), (CefrLevel.A1_1, CefrLevel.A1)),
}
# Progress is paid in hours attended. Guided hours to go from a level to the next, for a literate
# learner; orders of magnitude: the OFII's contrat d'intégration républicaine prescribes 100 to 600 hours
# to reach A1 depending on the positioning (600 for non-readers), and its 2024 A2 courses 200 more hours
# from A1 to A2 (200 to 800 hours in all, ofii.fr); Cambridge English's « guided learning hours » give
# roughly 200 hours per level up to B2. A1.1 (the DILF level) is half of A1.
HOURS_TO_NEXT = {
    CefrLevel.PRE_A1: 100,
    CefrLevel.A1_1: 100,
    CefrLevel.A1: 200,
    CefrLevel.A2: 250,
    CefrLevel.B1: 300,
}
# Learning to read and write takes longer (the Council of Europe's LASLLIAM reference guide describes
# these learners); speaking and listening move faster than the written skills.
WRITTEN_FACTOR = {LearnerProfile.ALPHA: 2.0, LearnerProfile.POST_ALPHA: 1.5, LearnerProfile.FLE: 1.0}
ORAL_FACTOR = 0.8
# Two sessions of 2 h 30 a week, about 46 weeks a year (closed in August and at Christmas), 80 % present.
HOURS_PER_DAY = 2 * 2.5 * 46 / 52 * 0.80 / 7
# Target of each profile's groups: reaching it on every skill ends the stay in the group.
TARGET = {
    LearnerProfile.ALPHA: CefrLevel.A1_1,
    LearnerProfile.POST_ALPHA: CefrLevel.A1,
    LearnerProfile.FLE: CefrLevel.A2,
}
# Who moves to droit commun courses when leaving (not dropping out, not continuing in a next group):
# most of those who reached A2 everywhere, some of those at A1 with an A2 oral, nobody below A1.
MOVE_AT_A2 = 0.75
MOVE_AT_A1_WITH_A2_ORAL = 0.3
GROUP_NAMES = {
    LearnerProfile.ALPHA: ("Alphabétisation", CefrLevel.A1_1),
    LearnerProfile.POST_ALPHA: ("Post-alphabétisation", CefrLevel.A1),
    LearnerProfile.FLE: ("FLE", CefrLevel.A2),
}
SCHEDULES = (
    ((0, 3), "lundi et jeudi"),
    ((1, 4), "mardi et vendredi"),
    ((1, 3), "mardi et jeudi"),
    ((0, 2), "lundi et mercredi"),
)
HOURS = ((time(9, 30), "9h30–12h"), (time(14, 0), "14h–16h30"))
CERTIFICATE_OF_LEVEL = (
    (CefrLevel.B1, Certification.DELF_B1),
    (CefrLevel.A2, Certification.DELF_A2),
    (CefrLevel.A1, Certification.DELF_A1),
    (CefrLevel.A1_1, Certification.DILF_A1_1),
)


@dataclass
class Learning:
    person: PersonInfo
    profile: LearnerProfile
    start: date
    last_day: date  # last day the learner may be in class (planned end while still enrolled)
    left_on: date | None
    dropped_out: bool
    group_id: int = 0
    teacher_id: int | None = None
    continued: bool = False  # moved on to the next profile's group
    positioning: bool = False  # the person's first learning: its first assessment positions the learner
    trajectory: list[tuple[date, dict]] = field(default_factory=list)  # assessments: (day, level per skill)
    moves_on: bool = False  # left for droit commun courses


@dataclass
class Group:
    id: int
    profile: LearnerProfile
    weekdays: tuple[int, int]
    start_time: time
    teacher_id: int | None
    learnings: list[Learning] = field(default_factory=list)


def seed_courses(ctx: SeedContext) -> None:
    by_site: dict[int, list[Learning]] = defaultdict(list)
    for person in ctx.persons:
        by_site[person.site.id].extend(_learnings(ctx, person))
    for site in ctx.sites:
        groups = _groups(ctx, site, by_site[site.id])
        for group in groups:
            _group_sessions(ctx, site, group)
        for learning in sorted(by_site[site.id], key=lambda item: (item.start, item.person.id)):
            _assessments(ctx, learning)


def _learnings(ctx: SeedContext, person: PersonInfo) -> list[Learning]:
    """The person's stays in French groups: each ends when the group's target is reached on every skill
    (then the next profile's group, droit commun courses or nothing), at a dropout, or when the person
    stops coming (work, move, end of accompaniment)."""
    rng = ctx.rng
    if person.french_speaker:
        if rng.random() >= 0.05:
            return []
        profile = LearnerProfile.ALPHA  # French spoken, reading and writing to learn
    else:
        if rng.random() >= ctx.spec.course_share:
            return []
        profile = PROFILES.pick(rng)
    oral, written = START_LEVELS[profile]
    levels = {skill: rng.choice(oral if skill in ORAL else written) for skill in SKILLS}
    pace = rng.lognormvariate(0, 0.3)  # this learner's hours needed, relative to the usual
    banked = dict.fromkeys(SKILLS, 0.0)
    learnings = []
    start = person.intake_on + timedelta(days=rng.randint(7, 90))
    while start <= person.active_until:
        dropped = rng.random() < 0.15
        planned_end = start + timedelta(days=rng.randint(20, 60) if dropped else rng.randint(240, 600))
        learning = Learning(person, profile, start, planned_end, None, dropped, positioning=not learnings)
        learnings.append(learning)
        reached = _progress(ctx, learning, levels, banked, pace)
        if reached is not None:
            learning.last_day = reached
        if learning.last_day > person.active_until and person.active_until == ctx.as_of:
            break  # still in the group
        learning.left_on = learning.last_day = min(learning.last_day, person.active_until)
        if dropped:
            break
        if reached is not None and profile in NEXT_PROFILE and rng.random() < 0.7:
            learning.continued = True
            profile = NEXT_PROFILE[profile]
            start = learning.left_on + timedelta(days=rng.randint(7, 30))
            continue
        lowest = min(RANK[level] for level in levels.values())
        oral_a2 = all(RANK[levels[skill]] >= RANK[CefrLevel.A2] for skill in ORAL)
        chance = MOVE_AT_A2 if lowest >= RANK[CefrLevel.A2] else MOVE_AT_A1_WITH_A2_ORAL * oral_a2
        learning.moves_on = lowest >= RANK[CefrLevel.A1] and rng.random() < chance
        break
    return learnings


def _progress(ctx: SeedContext, learning: Learning, levels: dict, banked: dict, pace: float) -> date | None:
    """Assessments every quarter from the start (and at the planned end) while the learner attends;
    returns the day the group's target was reached on every skill, if it was."""
    rng, profile = ctx.rng, learning.profile
    target = RANK[TARGET[profile]]
    last = min(learning.last_day, learning.person.active_until, ctx.as_of)
    day = learning.start
    learning.trajectory.append((day, dict(levels)))
    while True:
        step = rng.randint(80, 100)
        next_day = day + timedelta(days=step)
        if next_day > last:
            if learning.last_day <= last and (learning.last_day - day).days >= 30:
                next_day = learning.last_day  # the closing assessment
            else:
                return None
        hours = (next_day - day).days * HOURS_PER_DAY / pace
        for skill in SKILLS:
            factor = ORAL_FACTOR if skill in ORAL else WRITTEN_FACTOR[profile]
            banked[skill] += hours
            while RANK[levels[skill]] < RANK[CefrLevel.B2]:
                need = HOURS_TO_NEXT[levels[skill]] * factor
                if banked[skill] < need:
                    break
                banked[skill] -= need
                levels[skill] = LEVELS[RANK[levels[skill]] + 1]
        day = next_day
        learning.trajectory.append((day, dict(levels)))
        if min(RANK[level] for level in levels.values()) >= target:
            return day
        if day >= learning.last_day:
            return None


def _groups(ctx: SeedContext, site: SiteInfo, learnings: list[Learning]) -> list[Group]:
    """Enough permanent groups per profile for about `learners_per_group` learners at a time."""
    rng = ctx.rng
    window_days = (ctx.as_of - ctx.start).days + 1
    teachers = [member.id for member in site.teachers()]
    groups: list[Group] = []
    schedule_turn = 0
    for profile in LearnerProfile:
        mine = [item for item in learnings if item.profile == profile]
        learner_days = sum((min(item.last_day, ctx.as_of) - item.start).days + 1 for item in mine)
        count = max(1, round(learner_days / window_days / ctx.spec.learners_per_group))
        base_name, target = GROUP_NAMES[profile]
        profile_groups = []
        for n in range(count):
            name = base_name if count == 1 else f"{base_name} {n + 1}"
            if profile == LearnerProfile.FLE:
                target = CefrLevel.A2 if n % 2 == 0 else CefrLevel.B1
                name = f"FLE — objectif {'A2' if target == CefrLevel.A2 else 'B1'}"
                name += f" ({n // 2 + 1})" if count > 2 else ""
            weekdays, days_label = SCHEDULES[schedule_turn % len(SCHEDULES)]
            start_time, hours_label = HOURS[(schedule_turn // len(SCHEDULES) + schedule_turn) % 2]
            schedule_turn += 1
            group_id = ctx.new_id("course_group")
            ctx.add(
                "course_group",
                {
                    "id": group_id,
                    "site_id": site.id,
                    "name": name,
                    "profile": profile,
                    "target_level": target,
                    "schedule": f"{days_label} {hours_label}",
                    "starts_on": ctx.start,
                    "ends_on": None,
                },
            )
            for user_id in teachers:  # the site's formateur·rices (fle.lyon for every Lyon group)
                ctx.add("course_teacher", {"group_id": group_id, "user_id": user_id})
            teacher_id = teachers[n % len(teachers)] if teachers else None
            profile_groups.append(Group(group_id, profile, weekdays, start_time, teacher_id))
        for learning in mine:
            group = rng.choice(profile_groups)
            learning.group_id, learning.teacher_id = group.id, group.teacher_id
            group.learnings.append(learning)
            ctx.add(
                "course_enrolment",
                {
                    "id": ctx.new_id("course_enrolment"),
                    "group_id": group.id,
                    "person_id": learning.person.id,
                    "site_id": site.id,
                    "enrolled_on": learning.start,
                    "left_on": learning.left_on,
                },
                on=learning.start,
            )
        groups += profile_groups
    return groups


def _group_sessions(ctx: SeedContext, site: SiteInfo, group: Group) -> None:
    """Two sessions a week, no class in the first weeks of August nor at Christmas."""
    rng, as_of = ctx.rng, ctx.as_of
    last_planned = as_of + timedelta(days=FUTURE_DAYS)
    rows = ctx.rows["course_attendance"]
    learnings = sorted(group.learnings, key=lambda item: item.start)
    week = ctx.start - timedelta(days=ctx.start.weekday())
    while week <= last_planned:
        holiday = (week.month == 8 and week.day <= 24) or (week.month == 12 and week.day >= 22)
        for weekday in () if holiday else group.weekdays:
            day = week + timedelta(days=weekday)
            if not ctx.start <= day <= last_planned:
                continue
            session_id = ctx.new_id("course_session")
            ctx.add(
                "course_session",
                {
                    "id": session_id,
                    "group_id": group.id,
                    "site_id": site.id,
                    "session_on": day,
                    "start_time": group.start_time,
                    "duration_minutes": 150,
                },
                on=min(day, as_of) - timedelta(days=7),
            )
            if day > as_of:
                continue
            stamp = ctx.stamp(day)
            for learning in learnings:
                if learning.start > day:
                    break
                if day > learning.last_day:
                    continue
                status = roll_call(rng.random(), 0.80, 0.08)
                rows.append(
                    {
                        "id": ctx.new_id("course_attendance"),
                        "session_id": session_id,
                        "person_id": learning.person.id,
                        "site_id": site.id,
                        "status": status,
                        "version": 1,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
                if status == PRESENT:
                    ctx.touch(learning.person, day)
        week += timedelta(days=7)


def _assessments(ctx: SeedContext, learning: Learning) -> None:
    """The assessments of the stay's trajectory (the first one positions a new learner), a certification
    attempt for some, and the move to droit commun courses decided with the trajectory."""
    rng, person = ctx.rng, learning.person
    for index, (day, levels) in enumerate(learning.trajectory):
        comment = rng.choice(ASSESSMENT_COMMENTS) if rng.random() < 0.2 else None
        for skill in SKILLS:
            ctx.add(
                "language_assessment",
                {
                    "id": ctx.new_id("language_assessment"),
                    "person_id": person.id,
                    "site_id": person.site.id,
                    "group_id": learning.group_id,
                    "assessed_on": day,
                    "skill": skill,
                    "level": levels[skill],
                    "is_positioning": learning.positioning and index == 0,
                    "comment": comment if skill == SKILLS[0] else None,
                    "assessor_id": learning.teacher_id,
                },
                on=day,
            )
        ctx.touch(person, day)
    if len(learning.trajectory) >= 2:
        _certification(ctx, learning, *learning.trajectory[-1])
    if learning.moves_on:
        ctx.add(
            "mainstream_transition",
            {
                "id": ctx.new_id("mainstream_transition"),
                "person_id": person.id,
                "site_id": person.site.id,
                "moved_on": learning.left_on,
                "destination": rng.choice(MAINSTREAM_DESTINATIONS),
            },
            on=learning.left_on,
        )


def _certification(ctx: SeedContext, learning: Learning, assessed_on: date, current: dict) -> None:
    rng, as_of = ctx.rng, ctx.as_of
    if rng.random() >= 0.35:
        return
    lowest = min(RANK[level] for level in current.values())
    certification = next((cert for level, cert in CERTIFICATE_OF_LEVEL if lowest >= RANK[level]), None)
    if certification is None:
        return
    attempted = assessed_on + timedelta(days=rng.randint(14, 75))
    person = learning.person
    latest = as_of + timedelta(days=FUTURE_DAYS) if person.active_until == as_of else person.active_until
    if attempted > latest:
        return  # a registration may already exist for the next session, never after a file closed
    if attempted > as_of - timedelta(days=30):
        result = CertificationResult.PENDING
    else:
        result = CertificationResult.PASSED if rng.random() < 0.75 else CertificationResult.FAILED
    ctx.add(
        "certification_attempt",
        {
            "id": ctx.new_id("certification_attempt"),
            "person_id": learning.person.id,
            "site_id": learning.person.site.id,
            "certification": certification,
            "attempted_on": attempted,
            "result": result,
        },
        on=attempted,
    )
    ctx.touch(learning.person, attempted)
