"""Progress in French: hours attended, levels over time, entry vs latest per group, per-site medians.

A hand-built world (below) whose figures are worked out by hand in the comments, and every chart
series compared with a direct SQL computation (`text()`, written independently of the service).
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.attendance import AttendanceStatus
from models.courses import CefrLevel, CourseAttendance, LanguageAssessment, LanguageSkill
from models.labels import label
from models.organisation import Role
from services.activities.courses import assessments as language_assessments
from services.activities.courses import progress as language_progress
from services.activities.courses.progress import Moment
from services.platform.errors import NotFound, PermissionDenied
from services.platform.principal import Principal
from tests import factories
from tests.services.course_world import CIPHER, TODAY, CourseWorld, make_course_world
from ui.activities.courses import charts as language_charts

SPEAKING, WRITING, LISTENING = LanguageSkill.SPEAKING, LanguageSkill.WRITING, LanguageSkill.LISTENING
L = CefrLevel


@pytest.fixture
def w(session: Session) -> CourseWorld:
    """Group A (Lyon, taught by `fle`): Amina and Bintou; group B (Lyon): Chloé; group G (Grenoble): Grace.

    Sessions of A, with the roll:        Amina     Bintou
      12 Jan 150 min                     present   present
      19 Jan  90 min                     present   excused
       2 Feb 150 min                     absent    present
       9 Feb  45 min                     present   present
       2 Mar 150 min                     present   absent
    Amina: 435 min present (150 + 90 + 45 + 150) in 4 sessions; Bintou 345 min in 3.
    Assessments (group A unless said):
      Amina  speaking  12 Jan pré-A1, 2 Feb pré-A1, 2 Mar A1 → +2 levels, [12 Jan, 2 Mar): 285 min → 142.5 / level
      Amina  writing   12 Jan pré-A1, 2 Mar pré-A1          → no gain
      Bintou speaking  12 Jan A1, 9 Feb A2, 2 Mar A1        → +1 level, [12 Jan, 9 Feb): 300 min
      Bintou listening 12 Jan A2, 9 Feb B1                  → +1 level, same interval: 300 min
      Chloé  speaking  14 Jan A2 (group B)                  → one assessment
      Grace  speaking  10 Jan A1, 1 Apr A2 (group G)        → +1 level, 150 min (1 Feb, present)
    Latest levels: Amina lowest pré-A1; Bintou lowest A1; Chloé A2; Grace A2.
    """
    world = make_course_world(session)
    a, b = world.amina, world.bintou
    roll = [  # (day, minutes, Amina's mark, Bintou's mark)
        (date(2026, 1, 12), 150, "present", "present"),
        (date(2026, 1, 19), 90, "present", "excused"),
        (date(2026, 2, 2), 150, "absent", "present"),
        (date(2026, 2, 9), 45, "present", "present"),
        (date(2026, 3, 2), 150, "present", "absent"),
    ]
    for day, minutes, amina_mark, bintou_mark in roll:
        course = factories.a_course_session(session, world.group_a, session_on=day, duration_minutes=minutes)
        for person, status in ((a, amina_mark), (b, bintou_mark)):
            session.add(
                CourseAttendance(
                    session_id=course.id, person_id=person.id, site_id=world.lyon.id, status=AttendanceStatus(status)
                )
            )
    factories.a_course_session(
        session, world.group_b, session_on=date(2026, 1, 14), duration_minutes=120, present=(world.chloe,)
    )
    factories.a_course_session(
        session, world.group_g, session_on=date(2026, 2, 1), duration_minutes=150, present=(world.grace,)
    )
    group_a = world.group_a
    marks = [
        (a, group_a, SPEAKING, date(2026, 1, 12), L.PRE_A1),
        (a, group_a, WRITING, date(2026, 1, 12), L.PRE_A1),
        (a, group_a, SPEAKING, date(2026, 2, 2), L.PRE_A1),
        (a, group_a, SPEAKING, date(2026, 3, 2), L.A1),
        (a, group_a, WRITING, date(2026, 3, 2), L.PRE_A1),
        (b, group_a, SPEAKING, date(2026, 1, 12), L.A1),
        (b, group_a, LISTENING, date(2026, 1, 12), L.A2),
        (b, group_a, SPEAKING, date(2026, 2, 9), L.A2),
        (b, group_a, LISTENING, date(2026, 2, 9), L.B1),
        (b, group_a, SPEAKING, date(2026, 3, 2), L.A1),
        (world.chloe, world.group_b, SPEAKING, date(2026, 1, 14), L.A2),
        (world.grace, world.group_g, SPEAKING, date(2026, 1, 10), L.A1),
        (world.grace, world.group_g, SPEAKING, date(2026, 4, 1), L.A2),
    ]
    for person, group, skill, day, level in marks:
        session.add(
            LanguageAssessment(
                person_id=person.id, site_id=group.site_id, group_id=group.id, assessed_on=day, skill=skill, level=level
            )
        )
    session.flush()
    return world


def sql(session: Session, statement: str, **params) -> list[tuple]:
    return [tuple(row) for row in session.execute(sa.text(statement), params).all()]


RANK_SQL = "CASE {c} " + " ".join(f"WHEN '{level.value}' THEN {level.rank}" for level in CefrLevel) + " END"


# --- hours --------------------------------------------------------------------------------------


def test_hours_count_present_sessions_only_exactly_in_minutes(session, w):
    amina = language_progress.learner_progress(session, w.fle, w.amina.id, cipher=CIPHER)
    assert (amina.attended_minutes, amina.attended_sessions) == (435, 4)  # 7 h 15, excused/absent: nothing
    assert [(m.month, m.minutes, m.sessions) for m in amina.monthly] == [
        (date(2026, 1, 1), 240, 2),
        (date(2026, 2, 1), 45, 1),
        (date(2026, 3, 1), 150, 1),
    ]
    assert language_charts.hours_text(amina.attended_minutes) == "7 h 15"
    bintou = language_progress.learner_progress(session, w.chef_lyon, w.bintou.id)
    assert (bintou.attended_minutes, bintou.attended_sessions) == (345, 3)
    direct = dict(
        sql(
            session,
            """
        SELECT a.person_id, SUM(s.duration_minutes) FROM course_attendance a
        JOIN course_session s ON s.id = a.session_id
        WHERE a.status = 'present' AND a.person_id IN (:a, :b) GROUP BY a.person_id""",
            a=w.amina.id,
            b=w.bintou.id,
        )
    )
    assert direct == {w.amina.id: 435, w.bintou.id: 345}
    group = language_progress.group_attendance(session, w.fle, w.group_a.id)
    assert {pid: (h.minutes, h.sessions) for pid, h in group.items()} == {w.amina.id: (435, 4), w.bintou.id: (345, 3)}


def test_learner_chart_series_equal_sql(session, w):
    progress = language_progress.learner_progress(session, w.fle, w.amina.id, cipher=CIPHER)
    assert (progress.code, progress.first_name) == (w.amina.code, "Amina")
    steps = language_charts.steps_frame(progress)
    expected = sql(
        session,
        f"""
        SELECT assessed_on, skill, level, {RANK_SQL.format(c="level")} FROM language_assessment
        WHERE person_id = :p ORDER BY assessed_on, id""",
        p=w.amina.id,
    )
    as_date = lambda v: v if isinstance(v, date) else date.fromisoformat(v)  # noqa: E731  (SQLite gives text)
    assert [
        (d.date(), skill, level, rank)
        for d, skill, level, rank in zip(
            steps["Date"], steps["Compétence"], steps["Niveau"], steps["Rang"], strict=False
        )
    ] == [(as_date(d), label(LanguageSkill(s)), label(CefrLevel(v)), r) for d, s, v, r in expected]
    month = (
        "strftime('%Y-%m', s.session_on)"
        if session.get_bind().dialect.name == "sqlite"
        else "to_char(s.session_on, 'YYYY-MM')"
    )
    monthly = sql(
        session,
        f"""
        SELECT {month} AS m, SUM(s.duration_minutes), COUNT(*) FROM course_attendance a
        JOIN course_session s ON s.id = a.session_id
        WHERE a.status = 'present' AND a.person_id = :p GROUP BY m ORDER BY m""",
        p=w.amina.id,
    )
    hours = language_charts.hours_frame(progress)
    assert [
        (m.strftime("%Y-%m"), minutes, n)
        for m, minutes, n in zip(hours["Mois"], hours["Minutes"], hours["Séances"], strict=False)
    ] == monthly
    assert list(hours["Heures"]) == [minutes / 60 for _, minutes, _ in monthly]
    chart = language_charts.learner_steps(progress).to_dict()
    assert chart["vconcat"][0]["mark"]["interpolate"] == "step-after"
    assert chart["vconcat"][0]["encoding"]["y"]["axis"]["values"] == list(range(8))
    assert "Pré-A1" in chart["vconcat"][0]["encoding"]["y"]["axis"]["labelExpr"]
    assert "févr." in chart["vconcat"][0]["encoding"]["x"]["axis"]["labelExpr"]


def test_the_learner_chart_changes_after_an_assessment(session, w):
    before = language_progress.learner_progress(session, w.fle, w.amina.id)
    language_assessments.record_assessment(
        session,
        w.fle,
        group_id=w.group_a.id,
        person_id=w.amina.id,
        data={"assessed_on": date(2026, 5, 11), "skill": WRITING, "level": L.A1_1},
        today=TODAY,
    )
    after = language_progress.learner_progress(session, w.fle, w.amina.id)
    assert len(after.steps) == len(before.steps) + 1
    assert before.latest()[WRITING].level == L.PRE_A1 and after.latest()[WRITING].level == L.A1_1
    assert after.first()[WRITING].level == L.PRE_A1


# --- groups -------------------------------------------------------------------------------------


def test_group_distribution_entry_vs_latest(session, w):
    distribution = language_progress.group_distribution(session, w.fle, w.group_a.id)
    assert distribution.learners == 2
    counts = {(c.moment, c.skill, c.level): c.learners for c in distribution.counts}
    assert counts == {
        (Moment.ENTRY, SPEAKING, L.PRE_A1): 1,
        (Moment.ENTRY, SPEAKING, L.A1): 1,
        (Moment.ENTRY, WRITING, L.PRE_A1): 1,
        (Moment.ENTRY, LISTENING, L.A2): 1,
        (Moment.LATEST, SPEAKING, L.A1): 2,  # Amina rose to A1, Bintou fell back to A1
        (Moment.LATEST, WRITING, L.PRE_A1): 1,
        (Moment.LATEST, LISTENING, L.B1): 1,
    }


def _distribution_sql(session: Session, group_id: int, earlier: str) -> dict:
    """First (earlier='<') or latest (earlier='>') assessment per learner and skill, by NOT EXISTS."""
    rows = sql(
        session,
        f"""
        SELECT a.skill, a.level, COUNT(*) FROM language_assessment a
        WHERE a.group_id = :g AND NOT EXISTS (
            SELECT 1 FROM language_assessment b WHERE b.group_id = :g AND b.person_id = a.person_id
            AND b.skill = a.skill AND (b.assessed_on {earlier} a.assessed_on
                                       OR (b.assessed_on = a.assessed_on AND b.id {earlier} a.id)))
        GROUP BY a.skill, a.level""",
        g=group_id,
    )
    return {(label(LanguageSkill(s)), label(CefrLevel(v))): n for s, v, n in rows}


def test_group_chart_series_equal_sql(session, w):
    for group in (w.group_a, w.group_b):
        frame = language_charts.distribution_frame(language_progress.group_distribution(session, w.chef_lyon, group.id))
        for moment, earlier in ((Moment.ENTRY, "<"), (Moment.LATEST, ">")):
            part = frame[frame["Moment"] == label(moment)]
            assert dict(
                zip(zip(part["Compétence"], part["Niveau"], strict=False), part["Apprenant·es"], strict=False)
            ) == _distribution_sql(session, group.id, earlier)
    charts = language_charts.entry_vs_latest(language_progress.group_distribution(session, w.fle, w.group_a.id))
    for chart in charts:  # one per skill, each with the levels in CECRL order on its axis
        assert chart.to_dict()["encoding"]["x"]["sort"][:3] == ["Pré-A1", "A1.1", "A1"]


# --- sites --------------------------------------------------------------------------------------


def test_level_gains_and_site_figures_by_hand(session, w):
    gains = {(g.person_id, g.skill): (g.levels, g.minutes) for g in language_progress.level_gains(session, w.direction)}
    assert gains == {
        (w.amina.id, SPEAKING): (2, 285),
        (w.bintou.id, SPEAKING): (1, 300),
        (w.bintou.id, LISTENING): (1, 300),
        (w.grace.id, SPEAKING): (1, 150),
    }
    sites = {s.site_code: s for s in language_progress.site_progress(session, w.direction)}
    lyon, grenoble = sites["LYO"], sites["GRE"]
    assert (lyon.learners, lyon.reached_a1, lyon.reached_a2, lyon.gains) == (3, 2, 1, 3)
    assert lyon.median_minutes_per_level == 300.0  # median of 142.5, 300, 300
    assert (lyon.share_a1, lyon.share_a2) == (2 / 3, 1 / 3)
    assert (grenoble.learners, grenoble.reached_a1, grenoble.reached_a2, grenoble.median_minutes_per_level) == (
        1,
        1,
        1,
        150.0,
    )


def test_site_figures_follow_the_scope(session, w):
    # fle sees group A only: Amina and Bintou, attendance at A's sessions.
    [lyon] = language_progress.site_progress(session, w.fle)
    assert (lyon.site_code, lyon.learners, lyon.reached_a1, lyon.reached_a2, lyon.gains) == ("LYO", 2, 1, 0, 3)
    assert lyon.median_minutes_per_level == 300.0
    assert [s.site_code for s in language_progress.site_progress(session, w.chef_grenoble)] == ["GRE"]
    assert [s.site_code for s in language_progress.site_progress(session, w.chef_lyon)] == ["LYO"]
    assert {s.site_code for s in language_progress.site_progress(session, w.direction)} == {"LYO", "GRE"}


def test_site_chart_series_equal_sql(session, w):
    frame = language_charts.sites_frame(language_progress.site_progress(session, w.direction))
    rank = RANK_SQL.format(c="a.level")
    reached = sql(
        session,
        f"""
        SELECT p.site_id, COUNT(*),
               SUM(CASE WHEN low.lowest >= {L.A1.rank} THEN 1 ELSE 0 END),
               SUM(CASE WHEN low.lowest >= {L.A2.rank} THEN 1 ELSE 0 END)
        FROM (SELECT a.person_id, MIN({rank}) AS lowest FROM language_assessment a
              WHERE NOT EXISTS (SELECT 1 FROM language_assessment b WHERE b.person_id = a.person_id
                                AND b.skill = a.skill AND (b.assessed_on > a.assessed_on
                                OR (b.assessed_on = a.assessed_on AND b.id > a.id)))
              GROUP BY a.person_id) AS low
        JOIN person p ON p.id = low.person_id GROUP BY p.site_id""",
    )
    code = {w.lyon.id: "LYO", w.grenoble.id: "GRE"}
    by_site = {code[site]: (n, a1 / n, a2 / n) for site, n, a1, a2 in reached}
    assert {
        site: (n, a1, a2)
        for site, n, a1, a2 in zip(
            frame["Site"], frame["Apprenant·es évalué·es"], frame["Atteignent A1"], frame["Atteignent A2"], strict=False
        )
    } == by_site
    # Per learner × skill: first assessment, first higher one, minutes present in between.
    rank_b = RANK_SQL.format(c="b.level")
    per_pair = sql(
        session,
        f"""
        SELECT f.person_id, p.site_id, f.skill, h.rnk - f.rnk AS levels,
               (SELECT COALESCE(SUM(s.duration_minutes), 0) FROM course_attendance ca
                JOIN course_session s ON s.id = ca.session_id
                WHERE ca.person_id = f.person_id AND ca.status = 'present'
                AND s.session_on >= f.assessed_on AND s.session_on < h.assessed_on) AS minutes
        FROM (SELECT a.person_id, a.skill, a.assessed_on, {rank} AS rnk FROM language_assessment a
              WHERE NOT EXISTS (SELECT 1 FROM language_assessment b WHERE b.person_id = a.person_id
                                AND b.skill = a.skill AND (b.assessed_on < a.assessed_on
                                OR (b.assessed_on = a.assessed_on AND b.id < a.id)))) AS f
        JOIN (SELECT a.person_id, a.skill, a.assessed_on, {rank} AS rnk, a.id FROM language_assessment a) AS h
          ON h.person_id = f.person_id AND h.skill = f.skill AND h.assessed_on > f.assessed_on AND h.rnk > f.rnk
          AND NOT EXISTS (SELECT 1 FROM language_assessment b WHERE b.person_id = h.person_id AND b.skill = h.skill
                          AND b.assessed_on > f.assessed_on AND {rank_b} > f.rnk
                          AND (b.assessed_on < h.assessed_on OR (b.assessed_on = h.assessed_on AND b.id < h.id)))
        JOIN person p ON p.id = f.person_id""",
    )
    service = sorted(
        (g.person_id, g.site_id, g.skill.value, g.levels, g.minutes)
        for g in language_progress.level_gains(session, w.direction)
    )
    assert service == sorted(per_pair)
    import statistics

    medians = {}
    for _, site, _, levels, minutes in per_pair:
        medians.setdefault(code[site], []).append(minutes / levels)
    assert dict(zip(frame["Site"], frame["Heures pour un niveau (médiane)"], strict=False)) == {
        site: statistics.median(values) / 60 for site, values in medians.items()
    }


def test_site_chart_builders_draw_the_frame(session, w):
    sites = language_progress.site_progress(session, w.direction)
    hours = language_charts.hours_per_level(sites)
    assert sorted(hours.data["Site"]) == ["GRE", "LYO"]
    reaching = language_charts.reaching_levels(sites)
    assert set(zip(reaching.data["Site"], reaching.data["Seuil"], strict=False)) == {
        ("GRE", "Atteignent A1"),
        ("GRE", "Atteignent A2"),
        ("LYO", "Atteignent A1"),
        ("LYO", "Atteignent A2"),
    }


# --- scope --------------------------------------------------------------------------------------


def test_progress_is_read_within_scope_only(session, w):
    with pytest.raises(NotFound):  # Chloé is not in fle's groups
        language_progress.learner_progress(session, w.fle, w.chloe.id)
    with pytest.raises(NotFound):
        language_progress.group_distribution(session, w.fle, w.group_b.id)
    with pytest.raises(NotFound):  # Grenoble cannot see Lyon
        language_progress.group_distribution(session, w.chef_grenoble, w.group_a.id)
    with pytest.raises(NotFound):
        language_progress.learner_progress(session, w.chef_grenoble, w.amina.id)
    # fle's view of Amina ignores no attendance (all hers is in group A); direction sees her by code only.
    direction_view = language_progress.learner_progress(session, w.direction, w.amina.id, cipher=CIPHER)
    assert (direction_view.code, direction_view.first_name, direction_view.attended_minutes) == (
        w.amina.code,
        None,
        435,
    )
    choices = language_progress.learner_choices(session, w.direction, group_id=w.group_a.id, cipher=CIPHER)
    assert {(c.code, c.first_name) for c in choices} == {(w.amina.code, None), (w.bintou.code, None)}
    choices = language_progress.learner_choices(session, w.fle, group_id=w.group_a.id, cipher=CIPHER)
    assert {c.first_name for c in choices} == {"Amina", "Bintou"}
    gestion: Principal = factories.principal(session, factories.a_user(session, Role.GESTION))
    with pytest.raises(PermissionDenied):
        language_progress.site_progress(session, gestion)
