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
# Starting levels per profile: (oral choices, written choices).
START_LEVELS = {
    LearnerProfile.ALPHA: ((CefrLevel.PRE_A1, CefrLevel.A1_1), (CefrLevel.PRE_A1,)),
    LearnerProfile.POST_ALPHA: ((CefrLevel.A1_1, CefrLevel.A1), (CefrLevel.PRE_A1, CefrLevel.A1_1)),
    LearnerProfile.FLE: ((CefrLevel.A1, CefrLevel.A2), (CefrLevel.A1_1, CefrLevel.A1, CefrLevel.A2)),
}
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
        levels: dict[int, dict[LanguageSkill, CefrLevel]] = {}
        for learning in sorted(by_site[site.id], key=lambda item: (item.start, item.person.id)):
            _assessments(ctx, learning, levels)


def _learnings(ctx: SeedContext, person: PersonInfo) -> list[Learning]:
    rng = ctx.rng
    if person.french_speaker:
        if rng.random() >= 0.05:
            return []
        profile = LearnerProfile.ALPHA  # French spoken, reading and writing to learn
    else:
        if rng.random() >= ctx.spec.course_share:
            return []
        profile = PROFILES.pick(rng)
    learnings = []
    start = person.intake_on + timedelta(days=rng.randint(7, 90))
    while start <= person.active_until:
        dropped = rng.random() < 0.15
        planned_end = start + timedelta(days=rng.randint(20, 60) if dropped else rng.randint(150, 450))
        if planned_end > person.active_until and person.active_until == ctx.as_of:
            learnings.append(Learning(person, profile, start, planned_end, None, dropped))
            break
        left_on = min(planned_end, person.active_until)
        learnings.append(Learning(person, profile, start, left_on, left_on, dropped))
        if dropped or profile not in NEXT_PROFILE or rng.random() >= 0.5:
            break
        learnings[-1].continued = True
        profile = NEXT_PROFILE[profile]
        start = left_on + timedelta(days=rng.randint(7, 30))
    return learnings


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


def _assessments(ctx: SeedContext, learning: Learning, levels: dict) -> None:
    """Positioning at the first entry, re-assessment every quarter and at the end; mostly progress."""
    rng, as_of, person = ctx.rng, ctx.as_of, learning.person
    current = levels.get(person.id)
    positioning = current is None
    if positioning:
        oral, written = START_LEVELS[learning.profile]
        current = {skill: rng.choice(oral if skill in ORAL else written) for skill in SKILLS}
    end = min(learning.last_day, as_of)
    dates = [learning.start]
    while dates[-1] + timedelta(days=100) <= end:
        dates.append(dates[-1] + timedelta(days=rng.randint(80, 100)))
    if learning.left_on is not None and learning.left_on <= as_of and (learning.left_on - dates[-1]).days >= 30:
        dates.append(learning.left_on)
    for index, day in enumerate(dates):
        if index > 0:
            for skill in SKILLS:
                draw, up = rng.random(), 0.55 if skill in ORAL else 0.45
                rank = RANK[current[skill]]
                if draw < up and rank < RANK[CefrLevel.B2]:
                    current[skill] = LEVELS[rank + 1]
                elif draw > 0.96 and rank > 0:
                    current[skill] = LEVELS[rank - 1]
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
                    "level": current[skill],
                    "is_positioning": positioning and index == 0,
                    "comment": comment if skill == SKILLS[0] else None,
                    "assessor_id": learning.teacher_id,
                },
                on=day,
            )
        ctx.touch(person, day)
    levels[person.id] = dict(current)
    if len(dates) >= 2:
        _certification(ctx, learning, dates[-1], current)
    if (
        learning.left_on is not None
        and not learning.dropped_out
        and not learning.continued
        and min(RANK[level] for level in current.values()) >= RANK[CefrLevel.A1]
        and rng.random() < 0.4
    ):
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
