"""The director's three answers (issue 18) computed straight from the tables, for the page and browser tests:
SQL written here from the definitions on the page (README, services.reporting.director_answers docstring),
never through the code under test. A fact counts as the person's statistics consent stood on its day
(tests/consent_sql.py): other page tests withdraw a consent in the shared demo database.

1. persons accompanied: distinct persons with an appointment, a workshop or course presence, a referral or
   their intake in the period (per site of the row; the total counts each person once);
2. each grant running on `as_of`: planned on the sites' lines, spent up to `as_of`, the share of its days
   elapsed (the day itself counted), flagged beyond 10 points;
3. per site: acts per FTE filled (national project officers out), attendance rate (workshops and courses),
   level gains per learner, persons with a result outcome per 100 persons accompanied; each measure against
   the median of the sites (below 75 %: marked), lagging with two marks, ranked by the mean share of the
   medians (each share capped at 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from statistics import median

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.consent_sql import counted

CEFR_ORDER = ["pre_a1", "a1_1", "a1", "a2", "b1", "b2", "c1", "c2"]

ACTIVITY = """
    SELECT site_id, person_id, appointment_on AS day FROM appointment
    UNION ALL SELECT w.site_id, a.person_id, w.session_on FROM workshop_attendance a
        JOIN workshop_session w ON w.id = a.session_id WHERE a.status = 'present'
    UNION ALL SELECT c.site_id, a.person_id, c.session_on FROM course_attendance a
        JOIN course_session c ON c.id = a.session_id WHERE a.status = 'present'
    UNION ALL SELECT site_id, person_id, referred_on FROM referral
    UNION ALL SELECT site_id, id, intake_on FROM person
"""


def _rows(engine: Engine, sql: str, **params) -> list[tuple]:
    values = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    statement = sa.text(sql)
    if "codes" in params:
        statement = statement.bindparams(sa.bindparam("codes", expanding=True))
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement, values).all()]


def accompanied(engine: Engine, codes: list[str], start: date, end: date) -> tuple[dict[str, int], int]:
    """Per site code, and in total (distinct persons)."""
    where = f"a.day BETWEEN :start AND :end AND {counted('a.person_id', 'a.day')} AND s.code IN :codes"
    per_site = _rows(
        engine,
        f"SELECT s.code, COUNT(DISTINCT a.person_id) FROM ({ACTIVITY}) a JOIN site s ON s.id = a.site_id "
        f"WHERE {where} GROUP BY s.code",
        codes=codes,
        start=start,
        end=end,
    )
    [(total,)] = _rows(
        engine,
        f"SELECT COUNT(DISTINCT a.person_id) FROM ({ACTIVITY}) a JOIN site s ON s.id = a.site_id WHERE {where}",
        codes=codes,
        start=start,
        end=end,
    )
    found = {code: int(n) for code, n in per_site}
    return {code: found.get(code, 0) for code in codes}, int(total)


@dataclass(frozen=True)
class Grant:
    name: str
    planned: int
    spent: int
    consumed: Decimal
    elapsed: Decimal
    status: str  # "behind", "on_track", "overspending"


def grants(engine: Engine, codes: list[str], as_of: date, *, national: bool = False) -> list[Grant]:
    """Grants running on `as_of`, the one ending first first (then by name); with `national` (direction looking at
    every site), the national lines (no site) count too."""
    in_scope = "(s.code IN :codes OR l.site_id IS NULL)" if national else "s.code IN :codes"
    rows = _rows(
        engine,
        f"""SELECT g.name, g.starts_on, g.ends_on,
                  (SELECT SUM(l.planned_cents) FROM budget_line l LEFT JOIN site s ON s.id = l.site_id
                    WHERE l.grant_id = g.id AND {in_scope}),
                  (SELECT COALESCE(SUM(e.amount_cents), 0) FROM expense e JOIN budget_line l ON l.id = e.budget_line_id
                    LEFT JOIN site s ON s.id = l.site_id WHERE l.grant_id = g.id AND {in_scope}
                    AND e.spent_on <= :as_of)
           FROM "grant" g WHERE g.starts_on <= :as_of AND g.ends_on >= :as_of ORDER BY g.ends_on, g.name""",
        codes=codes,
        as_of=as_of,
    )
    result = []
    for name, starts, ends, planned, spent in rows:
        if planned is None:  # no line on these sites
            continue
        starts, ends = date.fromisoformat(str(starts)[:10]), date.fromisoformat(str(ends)[:10])
        elapsed = Decimal((as_of - starts).days + 1) / Decimal((ends - starts).days + 1)
        consumed = Decimal(int(spent)) / Decimal(int(planned))
        gap = consumed - elapsed
        status = "behind" if gap < Decimal("-0.1") else "overspending" if gap > Decimal("0.1") else "on_track"
        result.append(Grant(name, int(planned), int(spent), consumed, elapsed, status))
    return result


@dataclass(frozen=True)
class SiteRow:
    code: str
    fte: int  # hundredths
    accompanied: int
    measures: dict[str, Decimal | None]
    marked: tuple[str, ...]
    index: Decimal | None

    @property
    def lagging(self) -> bool:
        return len(self.marked) >= 2


MEASURES = ("acts_per_fte", "attendance_rate", "gains_per_learner", "outcomes_per_100")


def _by_code(rows: list[tuple], width: int = 1) -> dict[str, tuple]:
    return {code: tuple(int(v or 0) for v in values) for code, *values in rows}


def _gains(engine: Engine, codes: list[str], start: date, end: date) -> dict[str, int]:
    rows = _rows(
        engine,
        f"""SELECT s.code, a.person_id, a.skill, a.assessed_on, a.id, a.level,
                   CASE WHEN {counted("a.person_id", "a.assessed_on")} THEN 1 ELSE 0 END
            FROM language_assessment a JOIN site s ON s.id = a.site_id
            WHERE a.assessed_on <= :end""",
        end=end,
    )
    gains: dict[str, int] = {}
    previous: dict[tuple, str] = {}
    # The level before is the learner's whatever the consent and wherever she was assessed; the gain counts at
    # the site of the assessment, as the consent stood on its day.
    for code, person, skill, day, _id, level, on in sorted(rows, key=lambda r: (r[1], r[2], str(r[3]), r[4])):
        before = previous.get((person, skill))
        gained = before and CEFR_ORDER.index(level) > CEFR_ORDER.index(before)
        if code in codes and start.isoformat() <= str(day)[:10] and gained and on:
            gains[code] = gains.get(code, 0) + 1
        previous[(person, skill)] = level
    return gains


def sites(engine: Engine, codes: list[str], start: date, end: date, as_of: date) -> list[SiteRow]:
    """The sites ranked best first, with their measures, marks and index."""
    p = {"codes": codes, "start": start, "end": end}
    fte = _by_code(
        _rows(
            engine,
            """SELECT s.code, SUM(p.fte_hundredths) FROM post p JOIN site s ON s.id = p.site_id
               WHERE s.code IN :codes AND p.is_filled = TRUE AND p.post_type <> 'national_project_officer'
               AND p.starts_on <= :as_of AND (p.ends_on IS NULL OR p.ends_on >= :as_of) GROUP BY s.code""",
            codes=codes,
            as_of=as_of,
        )
    )
    appointments = _by_code(
        _rows(
            engine,
            f"""SELECT s.code, COUNT(*) FROM appointment a JOIN site s ON s.id = a.site_id WHERE s.code IN :codes
                AND a.appointment_on BETWEEN :start AND :end AND {counted("a.person_id", "a.appointment_on")}
                GROUP BY s.code""",
            **p,
        )
    )
    marks = {}
    for table, session_table in (("workshop_attendance", "workshop_session"), ("course_attendance", "course_session")):
        marks[table] = _by_code(
            _rows(
                engine,
                f"""SELECT s.code, SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END), COUNT(*),
                           COUNT(DISTINCT CASE WHEN a.status = 'present' THEN a.person_id END)
                    FROM {table} a JOIN {session_table} x ON x.id = a.session_id JOIN site s ON s.id = x.site_id
                    WHERE s.code IN :codes AND x.session_on BETWEEN :start AND :end
                    AND {counted("a.person_id", "x.session_on")}
                    GROUP BY s.code""",
                **p,
            )
        )
    referrals = _by_code(
        _rows(
            engine,
            f"""SELECT s.code, COUNT(*) FROM referral r JOIN site s ON s.id = r.site_id WHERE s.code IN :codes
                AND r.referred_on BETWEEN :start AND :end AND {counted("r.person_id", "r.referred_on")}
                GROUP BY s.code""",
            **p,
        )
    )
    rounds = _by_code(
        _rows(
            engine,
            """SELECT s.code, COUNT(*) FROM outreach_round r JOIN site s ON s.id = r.site_id WHERE s.code IN :codes
               AND r.round_on BETWEEN :start AND :end GROUP BY s.code""",
            **p,
        )
    )
    outcomes = _by_code(
        _rows(
            engine,
            f"""SELECT s.code, COUNT(DISTINCT o.person_id) FROM outcome o JOIN site s ON s.id = o.site_id
                WHERE s.code IN :codes AND o.outcome_on BETWEEN :start AND :end
                AND {counted("o.person_id", "o.outcome_on")}
                AND o.category NOT IN ('lost_contact', 'other') GROUP BY s.code""",
            **p,
        )
    )
    gains = _gains(engine, codes, start, end)
    persons, _total = accompanied(engine, codes, start, end)

    def ratio(a: int, b: int | Decimal) -> Decimal | None:
        """Exact, as the rule says: a ratio is rounded where it is printed, never before the medians and index."""
        return Decimal(a) / Decimal(b) if b else None

    values = {}
    for code in codes:
        w = marks["workshop_attendance"].get(code, (0, 0, 0))
        c = marks["course_attendance"].get(code, (0, 0, 0))
        acts = appointments.get(code, (0,))[0] + w[0] + c[0] + referrals.get(code, (0,))[0] + rounds.get(code, (0,))[0]
        filled = fte.get(code, (0,))[0]
        values[code] = {
            "acts_per_fte": ratio(acts * 100, filled),
            "attendance_rate": ratio(w[0] + c[0], w[1] + c[1]),
            "gains_per_learner": ratio(gains.get(code, 0), c[2]),
            "outcomes_per_100": ratio(outcomes.get(code, (0,))[0] * 100, persons[code]),
        }
    medians = {}
    for key in MEASURES:
        known = [v[key] for v in values.values() if v[key] is not None]
        medians[key] = median(known) if len(known) >= 2 else None
    rows = []
    for code in codes:
        own = values[code]
        usable = [k for k in MEASURES if own[k] is not None and medians[k]]
        shares = [min(own[k] / medians[k], Decimal(2)) for k in usable]
        index = (sum(shares) / len(shares) * 100).quantize(Decimal("1"), ROUND_HALF_EVEN) if shares else None
        marked = tuple(k for k in usable if own[k] < Decimal("0.75") * medians[k])
        rows.append(SiteRow(code, fte.get(code, (0,))[0], persons[code], own, marked, index))
    return rows  # callers order them (names are the tie-breaker)
