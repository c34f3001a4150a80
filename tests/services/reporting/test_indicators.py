"""Activity indicators (services.reporting._indicators): every indicator against a direct SQL computation on the
seeded demo data, per site and in total, and edge cases on a small hand-built world (period
boundaries, closed and anonymised files, the sites filter, CECRL order, refused PSP)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.courses import CefrLevel, LanguageSkill
from models.organisation import Site
from models.outreach import OutreachMode
from models.partners import OutcomeCategory, OutcomeType, PartnerKind
from models.pathway import PrefectDecision
from models.persons import PersonStatus
from services.platform.crypto import FieldCipher
from services.platform.errors import ValidationFailed
from services.reporting import _indicators as indicators
from services.reporting._indicators import ACTIVITY_KEYS, SPECS
from tests import factories
from tests.conftest import backends, demo_data_engine

AS_OF = date(2026, 5, 13)
# Persons who refused statistics count in no indicator (services.persons.consent).
COUNTED = "(SELECT id FROM person WHERE consent_statistics = TRUE)"
RANKS = " ".join(f"WHEN '{level.value}' THEN {level.rank}" for level in CefrLevel)


# --- the demo data, seeded once per backend ---------------------------------------------------------


@pytest.fixture(scope="module", params=backends())
def demo(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database holding the demo data set up to AS_OF (SQLite file or private PostgreSQL)."""
    with demo_data_engine(
        request.param, "indicators", as_of=AS_OF, cipher=FieldCipher([Fernet.generate_key().decode()])
    ) as engine:
        yield engine


def _query(connection: sa.Connection, sql: str, start: date, end: date) -> list[sa.Row]:
    names = [name for name in ("start", "end") if f":{name}" in sql]
    statement = sa.text(sql).bindparams(*(sa.bindparam(name, type_=sa.Date) for name in names))
    return list(connection.execute(statement, {name: {"start": start, "end": end}[name] for name in names}))


def reference(engine: Engine, sites: list[int], start: date, end: date) -> dict[int, dict[str, int | Decimal | None]]:
    """Every indicator per site, by hand-written SQL (no window function, no shared code)."""
    ids = ",".join(str(int(s)) for s in sites)
    raw: dict[int, dict[str, int]] = {site: defaultdict(int) for site in sites}
    with engine.connect() as c:
        for site, n in _query(
            c,
            f"""
                SELECT site_id, COUNT(*) FROM person WHERE site_id IN ({ids}) AND intake_on <= :end
                AND consent_statistics = TRUE
                AND CASE WHEN closed_on IS NOT NULL THEN closed_on > :end ELSE status IN ('active', 'paused') END
                GROUP BY site_id""",
            start,
            end,
        ):
            raw[site]["active_files"] = n
        for site, n in _query(
            c,
            f"""SELECT site_id, COUNT(*) FROM person WHERE site_id IN ({ids}) AND consent_statistics = TRUE
                AND intake_on BETWEEN :start AND :end GROUP BY site_id""",
            start,
            end,
        ):
            raw[site]["new_intakes"] = n
        for site, mode, rounds, met in _query(
            c,
            f"""SELECT site_id, mode, COUNT(*), SUM(persons_met)
                FROM outreach_round WHERE site_id IN ({ids}) AND round_on BETWEEN :start AND :end
                GROUP BY site_id, mode""",
            start,
            end,
        ):
            raw[site]["outreach_rounds"] += rounds
            raw[site][f"persons_met_{mode}"] = met
        for site, held in _query(
            c,
            f"""SELECT s.site_id, COUNT(*) FROM workshop_session s
                WHERE s.site_id IN ({ids}) AND s.session_on BETWEEN :start AND :end
                AND EXISTS (SELECT 1 FROM workshop_attendance a WHERE a.session_id = s.id
                AND a.person_id IN {COUNTED}) GROUP BY s.site_id""",
            start,
            end,
        ):
            raw[site]["workshop_sessions"] = held
        for site, status, n in _query(
            c,
            f"""SELECT s.site_id, a.status, COUNT(*) FROM workshop_attendance a
                JOIN workshop_session s ON s.id = a.session_id WHERE s.site_id IN ({ids})
                AND a.person_id IN {COUNTED}
                AND s.session_on BETWEEN :start AND :end GROUP BY s.site_id, a.status""",
            start,
            end,
        ):
            raw[site]["recorded"] += n
            raw[site]["present"] += n if status == "present" else 0
        for site, minutes in _query(
            c,
            f"""SELECT s.site_id, SUM(s.duration_minutes) FROM course_attendance a
                JOIN course_session s ON s.id = a.session_id WHERE s.site_id IN ({ids}) AND a.status = 'present'
                AND a.person_id IN {COUNTED} AND s.session_on BETWEEN :start AND :end GROUP BY s.site_id""",
            start,
            end,
        ):
            raw[site]["minutes"] = minutes
        for site, n in _query(
            c,
            f"""
                SELECT a.site_id, COUNT(DISTINCT a.person_id) FROM language_assessment a
                WHERE a.site_id IN ({ids}) AND a.assessed_on BETWEEN :start AND :end AND a.person_id IN {COUNTED}
                AND (CASE a.level {RANKS} END) > (
                    SELECT CASE p.level {RANKS} END FROM language_assessment p
                    WHERE p.person_id = a.person_id AND p.skill = a.skill
                    AND (p.assessed_on < a.assessed_on OR (p.assessed_on = a.assessed_on AND p.id < a.id))
                    ORDER BY p.assessed_on DESC, p.id DESC LIMIT 1)
                GROUP BY a.site_id""",
            start,
            end,
        ):
            raw[site]["level_gains"] = n
        for site, n in _query(
            c,
            f"""SELECT site_id, COUNT(*) FROM mainstream_transition WHERE site_id IN ({ids})
                AND person_id IN {COUNTED} AND moved_on BETWEEN :start AND :end GROUP BY site_id""",
            start,
            end,
        ):
            raw[site]["mainstream_transitions"] = n
        for site, kind, n in _query(
            c,
            f"""SELECT r.site_id, p.kind, COUNT(*) FROM referral r
                JOIN partner p ON p.id = r.partner_id WHERE r.site_id IN ({ids}) AND r.person_id IN {COUNTED}
                AND r.referred_on BETWEEN :start AND :end GROUP BY r.site_id, p.kind""",
            start,
            end,
        ):
            raw[site][f"referrals_{kind}"] = n
            raw[site]["referrals"] += n
        for site, category, n in _query(
            c,
            f"""SELECT site_id, category, COUNT(DISTINCT person_id) FROM outcome
                WHERE site_id IN ({ids}) AND person_id IN {COUNTED}
                AND outcome_on BETWEEN :start AND :end GROUP BY site_id, category""",
            start,
            end,
        ):
            raw[site][f"outcomes_{category}"] = n
        for site, n in _query(
            c,
            f"""SELECT site_id, COUNT(*) FROM psp_episode WHERE site_id IN ({ids}) AND person_id IN {COUNTED}
                AND requested_on <= :end AND (ended_on IS NULL OR ended_on > :end)
                AND NOT (prefect_decision = 'refused' AND (decided_on IS NULL OR decided_on <= :end))
                GROUP BY site_id""",
            start,
            end,
        ):
            raw[site]["psp_in_progress"] = n

    def values(r: dict[str, int]) -> dict[str, int | Decimal | None]:
        out: dict[str, int | Decimal | None] = {key: int(r[key]) for key in ACTIVITY_KEYS}
        out["workshop_attendance_rate"] = Decimal(r["present"]) / Decimal(r["recorded"]) if r["recorded"] else None
        out["course_hours"] = (Decimal(int(r["minutes"])) / 60).quantize(Decimal("0.01"))
        return out

    result = {site: values(r) for site, r in raw.items()}
    summed: dict[str, int] = defaultdict(int)
    for r in raw.values():
        for key, value in r.items():
            summed[key] += int(value)
    result[0] = values(summed)  # 0: all the sites together
    return result


def _site_ids(engine: Engine, *codes: str) -> list[int]:
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT id, code FROM site ORDER BY code")).all()
    return [i for i, code in rows if not codes or code in codes]


PERIODS = [
    (date(2026, 4, 1), date(2026, 4, 30)),  # a month
    (date(2026, 2, 1), date(2026, 5, 13)),  # up to the last day of the data
    (date(2025, 5, 14), date(2026, 5, 13)),  # twelve months
    (date(2024, 1, 1), date(2024, 6, 30)),  # long ago
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p[0]}..{p[1]}")
def test_every_indicator_equals_direct_sql_on_demo_data(demo: Engine, period: tuple[date, date]) -> None:
    sites = _site_ids(demo)
    expected = reference(demo, sites, *period)
    with Session(demo) as session:
        together = indicators.compute_indicators(session, site_ids=sites, start=period[0], end=period[1])
        per_site = indicators.indicators_by_site(session, site_ids=sites, start=period[0], end=period[1])
    assert [i.key for i in together.indicators] == list(ACTIVITY_KEYS)
    assert {key: together.get(key).value for key in ACTIVITY_KEYS} == expected[0]
    assert set(per_site) == set(sites)
    for site in sites:
        assert {key: per_site[site].get(key).value for key in ACTIVITY_KEYS} == expected[site], site
        assert per_site[site].site_ids == (site,)
    # The demo data is rich enough for the comparison to mean something.
    if period == PERIODS[2]:
        for key in (
            "active_files",
            "new_intakes",
            "outreach_rounds",
            "persons_met_street",
            "persons_met_online",
            "workshop_sessions",
            "course_hours",
            "level_gains",
            "referrals",
            "psp_in_progress",
            "outcomes_durable_employment",
        ):
            assert together.get(key).value > 0, key


def test_a_subset_of_sites_counts_only_those_sites(demo: Engine) -> None:
    period = PERIODS[2]
    lyon = _site_ids(demo, "LYO")
    everywhere = _site_ids(demo)
    with Session(demo) as session:
        only_lyon = indicators.compute_indicators(session, site_ids=lyon, start=period[0], end=period[1])
        per_site = indicators.indicators_by_site(session, site_ids=everywhere, start=period[0], end=period[1])
    assert only_lyon.site_ids == tuple(lyon)
    assert {k: only_lyon.get(k).value for k in ACTIVITY_KEYS} == reference(demo, lyon, *period)[0]
    assert {k: only_lyon.get(k).value for k in ACTIVITY_KEYS} == {
        k: per_site[lyon[0]].get(k).value for k in ACTIVITY_KEYS
    }


def test_the_two_periods_of_one_query_equal_two_separate_computations(demo: Engine) -> None:
    sites = _site_ids(demo)
    current, previous = (date(2026, 3, 1), date(2026, 4, 15)), (date(2026, 1, 14), date(2026, 2, 28))
    with Session(demo) as session:
        sums = indicators.gather(session, site_ids=sites, periods=[current, previous])
        alone = indicators.compute_indicators(session, site_ids=sites, start=previous[0], end=previous[1])
    both = indicators.build_set(sums.total(1), site_ids=sites, period=previous)
    assert both == alone
    assert {k: both.get(k).value for k in ACTIVITY_KEYS} == reference(demo, sites, *previous)[0]


# --- a small hand-built world: the boundaries ---------------------------------------------------------

START, END = date(2026, 3, 1), date(2026, 3, 31)
BEFORE, AFTER = date(2026, 2, 28), date(2026, 4, 1)


@dataclass
class Edges:
    lyon: int
    grenoble: int


@pytest.fixture
def edges(session: Session) -> Edges:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    file = factories.a_person_in_file_active
    closed = factories.a_file_closed_on
    # Files: intakes on both boundary days count, the days just outside do not.
    first_day, last_day = file(session, lyon, intake_on=START), file(session, lyon, intake_on=END)
    earlier = file(session, lyon, intake_on=BEFORE)
    file(session, lyon, intake_on=AFTER)  # neither new nor open on END
    file(session, lyon, intake_on=date(2025, 6, 1), status=PersonStatus.PAUSED)  # paused: still open
    closed(session, lyon, intake_on=date(2025, 6, 1), closed_on=END)  # closed on the last day: out
    closed(session, lyon, intake_on=date(2025, 6, 1), closed_on=AFTER)  # closed later: open on END
    closed(session, lyon, intake_on=date(2024, 1, 1), closed_on=None, status=PersonStatus.ANONYMISED)  # out
    elsewhere = file(session, grenoble, intake_on=date(2026, 3, 10))

    factories.an_outreach_round(session, lyon, round_on=START, persons_met=4)
    factories.an_outreach_round(session, lyon, round_on=END, persons_met=6, mode=OutreachMode.ONLINE)
    factories.an_outreach_round(session, lyon, round_on=BEFORE, persons_met=50)
    factories.an_outreach_round(session, lyon, round_on=AFTER, persons_met=50)
    factories.an_outreach_round(session, grenoble, round_on=START, persons_met=70)

    rolled = factories.a_workshop_session(session, lyon, session_on=END)
    factories.a_workshop_roll(session, rolled, present=(first_day, last_day), excused=(earlier,), absent=(elsewhere,))
    factories.a_workshop_session(session, lyon, session_on=START)  # no roll taken yet: not held
    outside = factories.a_workshop_session(session, lyon, session_on=AFTER)
    factories.a_workshop_roll(session, outside, absent=(first_day,))

    group = factories.a_course_group(session, lyon)
    factories.a_course_session(
        session, group, session_on=START, duration_minutes=90, present=(first_day, last_day), absent=(earlier,)
    )
    factories.a_course_session(session, group, session_on=BEFORE, duration_minutes=150, present=(first_day,))

    skill, level = LanguageSkill, CefrLevel
    assess = factories.an_assessment
    assess(session, first_day, skill.LISTENING, level.A1, on=BEFORE)
    assess(session, first_day, skill.LISTENING, level.A2, on=date(2026, 3, 5))  # gain (previous outside)
    assess(session, first_day, skill.READING, level.A1, on=date(2026, 3, 5))
    assess(session, first_day, skill.READING, level.B1, on=date(2026, 3, 6))  # second gain: still one learner
    assess(session, last_day, skill.SPEAKING, level.A2, on=date(2026, 3, 20))  # positioning only: no gain
    assess(session, earlier, skill.WRITING, level.A1, on=BEFORE)
    assess(session, earlier, skill.WRITING, level.A1_1, on=date(2026, 3, 9))  # 'a1_1' > 'a1' as text, not as level
    assess(session, earlier, skill.LISTENING, level.PRE_A1, on=date(2026, 3, 1))
    assess(session, earlier, skill.LISTENING, level.A1_1, on=AFTER)  # gain after the period

    factories.a_move_to_mainstream(session, first_day, on=END)
    factories.a_move_to_mainstream(session, last_day, on=AFTER)

    job_centre = factories.a_partner_of_kind(session, lyon, PartnerKind.FRANCE_TRAVAIL)
    cidff = factories.a_partner_of_kind(session, lyon, PartnerKind.CIDFF)
    factories.a_referral_to(session, first_day, job_centre, on=START)
    factories.a_referral_to(session, last_day, job_centre, on=END)
    factories.a_referral_to(session, earlier, cidff, on=date(2026, 3, 15))
    factories.a_referral_to(session, earlier, cidff, on=BEFORE)

    outcome = factories.an_outcome_of
    outcome(session, first_day, OutcomeType.FIXED_TERM_UNDER_6_MONTHS, on=START)
    outcome(session, first_day, OutcomeType.SUBSIDISED_CONTRACT, on=END)  # same person, same category: one
    outcome(session, last_day, OutcomeType.CDI, on=END)
    outcome(session, earlier, OutcomeType.QUALIFYING_TRAINING, on=AFTER)

    psp = factories.a_psp_requested
    psp(session, first_day, on=date(2025, 9, 1))  # pending: in progress
    psp(session, last_day, on=date(2025, 9, 1), ended_on=END)  # ended on the last day: out
    psp(session, earlier, on=date(2025, 9, 1), ended_on=AFTER, decision=PrefectDecision.GRANTED)  # in
    psp(session, earlier, on=date(2026, 1, 5), decision=PrefectDecision.REFUSED, decided_on=date(2026, 3, 2))  # out
    psp(session, earlier, on=date(2026, 1, 5), decision=PrefectDecision.REFUSED, decided_on=AFTER)  # in on END
    psp(session, elsewhere, on=AFTER)  # requested later: out
    return Edges(lyon.id, grenoble.id)


def test_boundaries_closed_files_and_levels_on_a_hand_built_world(session: Session, edges: Edges) -> None:
    result = indicators.compute_indicators(session, site_ids=[edges.lyon], start=START, end=END)
    values = {key: result.get(key).value for key in ACTIVITY_KEYS}
    assert values["active_files"] == 5  # first day, last day, day before, paused, closed after END
    assert values["new_intakes"] == 2
    assert values["outreach_rounds"] == 2
    assert (values["persons_met_street"], values["persons_met_online"]) == (4, 6)
    assert values["workshop_sessions"] == 1
    assert values["workshop_attendance_rate"] == Decimal("0.5000")  # 2 present of 4 marks
    assert values["course_hours"] == Decimal("3.00")  # 2 presences × 90 minutes
    assert values["level_gains"] == 1
    assert values["mainstream_transitions"] == 1
    assert values["referrals"] == 3
    assert (values["referrals_france_travail"], values["referrals_cidff"], values["referrals_siae"]) == (2, 1, 0)
    assert values["outcomes_transition_employment"] == 1
    assert values["outcomes_durable_employment"] == 1
    assert values["outcomes_positive_exit"] == 0
    assert values["psp_in_progress"] == 3


def test_sites_are_kept_apart_and_an_empty_site_has_zeros(session: Session, edges: Edges) -> None:
    per_site = indicators.indicators_by_site(session, site_ids=[edges.lyon, edges.grenoble], start=START, end=END)
    grenoble = per_site[edges.grenoble]
    assert grenoble.get("new_intakes").value == 1
    assert grenoble.get("persons_met_street").value == 70
    assert grenoble.get("psp_in_progress").value == 0
    assert grenoble.get("workshop_attendance_rate").value is None  # no roll taken: not computable
    assert per_site[edges.lyon].get("persons_met_street").value == 4
    both = indicators.compute_indicators(session, site_ids=[edges.lyon, edges.grenoble], start=START, end=END)
    assert both.get("persons_met_street").value == 74
    nothing = indicators.compute_indicators(session, site_ids=[], start=START, end=END)
    assert nothing.get("new_intakes").value == 0 and nothing.get("workshop_attendance_rate").value is None


def test_a_one_day_period_and_a_reversed_one(session: Session, edges: Edges) -> None:
    one_day = indicators.compute_indicators(session, site_ids=[edges.lyon], start=END, end=END)
    assert one_day.get("new_intakes").value == 1
    assert one_day.get("outcomes_durable_employment").value == 1
    with pytest.raises(ValidationFailed):
        indicators.compute_indicators(session, site_ids=[edges.lyon], start=END, end=START)


def test_labels_units_and_person_counts_are_declared_for_every_key() -> None:
    assert len(set(ACTIVITY_KEYS)) == len(ACTIVITY_KEYS)
    for key in ACTIVITY_KEYS:
        spec = SPECS[key]
        assert spec.label and spec.help and spec.unit in {"count", "hours", "rate", "cents", "fte"}
    assert not SPECS["workshop_attendance_rate"].is_person_count
    assert not SPECS["course_hours"].is_person_count
    assert not SPECS["outreach_rounds"].is_person_count
    assert SPECS["new_intakes"].is_person_count and SPECS["outcomes_positive_exit"].is_person_count
    assert {f"outcomes_{c.value}" for c in OutcomeCategory} <= set(ACTIVITY_KEYS)
    empty = indicators.build_set(indicators.Raw(), site_ids=[], period=(START, END))
    pairs = indicators.referrals_by_partner_kind(empty)
    assert [kind for kind, _ in pairs] == list(PartnerKind)


@pytest.mark.parametrize(
    "periods",
    [
        # Grid periods (whole months and quarters, the first month clipped to the span): counted by month rows.
        [
            (date(2025, 11, 15), date(2025, 11, 30)),
            (date(2025, 12, 1), date(2025, 12, 31)),
            (date(2025, 11, 15), date(2026, 3, 31)),
            (date(2026, 1, 1), date(2026, 3, 31)),
        ],
        # Free days: one COUNT(DISTINCT) per period.
        [(date(2025, 11, 20), date(2026, 1, 10)), (date(2026, 2, 3), date(2026, 2, 17))],
    ],
    ids=["grid", "free days"],
)
def test_headcounts_behind_hours_and_rates_equal_direct_sql(demo: Engine, periods: list[tuple[date, date]]) -> None:
    """The distinct persons behind hours of French and workshop attendance (what disclosure control of those
    figures is decided on), per site and period."""
    with Session(demo) as session:
        sites = [int(s) for s in session.exec(sa.text("SELECT id FROM site")).scalars()]
        raw = indicators.raw_by_site(
            session, site_ids=sites, periods=periods, keys=["course_hours", "workshop_attendance_rate"]
        )
    checked = 0
    with demo.connect() as c:
        for index, (start, end) in enumerate(periods):
            learners = dict(
                _query(
                    c,
                    f"""
                SELECT s.site_id, COUNT(DISTINCT a.person_id) FROM course_attendance a
                JOIN course_session s ON s.id = a.session_id
                WHERE a.status = 'present' AND s.session_on BETWEEN :start AND :end AND a.person_id IN {COUNTED}
                GROUP BY s.site_id""",
                    start,
                    end,
                )
            )
            attendees = dict(
                _query(
                    c,
                    f"""
                SELECT s.site_id, COUNT(DISTINCT a.person_id) FROM workshop_attendance a
                JOIN workshop_session s ON s.id = a.session_id
                WHERE s.session_on BETWEEN :start AND :end AND a.person_id IN {COUNTED}
                GROUP BY s.site_id""",
                    start,
                    end,
                )
            )
            for site in sites:
                assert raw[site][index]["course_learners"] == learners.get(site, 0), (site, start, end)
                assert raw[site][index]["workshop_persons"] == attendees.get(site, 0), (site, start, end)
                checked += learners.get(site, 0) + attendees.get(site, 0)
    assert checked > 0


def test_a_sites_figures_do_not_depend_on_the_other_sites_asked_with_it(session: Session, edges: Edges) -> None:
    """Figures are cached per site (data_version.cached_by_site) and recomputed for the sites a save touched
    only: Lyon's must be the same whether Lyon is computed alone or with Grenoble. A learner assessed A1 at
    Grenoble whose file then moved to Lyon, assessed A2 there in March: a gain at Lyon either way (the
    level before is hers, wherever she was assessed), and none at Grenoble."""
    grenoble = session.get(Site, edges.grenoble)
    moved = factories.a_person_in_file_active(session, grenoble, intake_on=date(2025, 9, 1))
    factories.an_assessment(session, moved, LanguageSkill.SPEAKING, CefrLevel.A1, on=date(2026, 1, 12))
    moved.site_id = edges.lyon
    session.add(moved)
    session.flush()
    factories.an_assessment(session, moved, LanguageSkill.SPEAKING, CefrLevel.A2, on=date(2026, 3, 16))

    alone = indicators.compute_indicators(session, site_ids=[edges.lyon], start=START, end=END)
    both = indicators.indicators_by_site(session, site_ids=[edges.lyon, edges.grenoble], start=START, end=END)
    assert alone.get("level_gains").value == 2  # the hand-built world's one, and hers
    assert both[edges.grenoble].get("level_gains").value == 0
    assert {key: alone.get(key).value for key in ACTIVITY_KEYS} == {
        key: both[edges.lyon].get(key).value for key in ACTIVITY_KEYS
    }
    # every family, the head-counts behind hours and rates included, per period and per month of a series
    periods, series = [(START, END), (date(2025, 6, 1), AFTER)], (date(2025, 10, 1), AFTER)

    def lyon_among(site_ids: list[int]) -> tuple:
        sums = indicators.gather(session, site_ids=site_ids, periods=periods, series=series, keys=ACTIVITY_KEYS)
        return sums.sites[edges.lyon], sums.site_months[edges.lyon]

    assert lyon_among([edges.lyon]) == lyon_among([edges.lyon, edges.grenoble])
