"""Tableau de bord: direction sees every site, chef_service only its own.

The figures drawn on the page (tiles, their change, the site comparison table) are checked against SQL
written here on the demo database, never against services.reporting.dashboard or the page's own formatter; how a
figure is written in French is checked against literal examples.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import clock
from services.platform.pages import PageKey
from services.reporting._indicators import Indicator
from tests.consent_sql import counted
from tests.pages.conftest import all_text, open_page, signed_in_app
from ui.reporting.dashboard_filters import PRESET_KEY
from ui.reporting.dashboard_tiles import delta_text, value_text

pytestmark = pytest.mark.usefixtures("demo_database")

NNBSP, NBSP = "\u202f", "\u00a0"  # French thousands separator; space before a unit
# The French label of each tile, as a person reads it (literal, not the service's SPECS).
COUNT_TILES = {
    "active_files": "Dossiers en file active",
    "new_intakes": "Nouveaux accueils",
    "outreach_rounds": "Maraudes",
    "persons_met_street": "Rencontres en présentiel",
    "persons_met_online": "Contacts en ligne",
    "workshop_sessions": "Séances d'atelier",
    "level_gains": "Apprenant·es en progrès",
    "mainstream_transitions": "Passages en droit commun",
    "referrals": "Orientations partenaires",
    "psp_in_progress": "PSP en cours",
    "outcomes_durable_employment": "Emploi durable",
    "outcomes_transition_employment": "Emploi de transition",
    "outcomes_positive_exit": "Sortie positive",
    "outcomes_housing": "Logement",
    "outcomes_health_care": "Accès aux soins",
    "outcomes_regularisation": "Régularisation",
    "outcomes_voluntary_return": "Retour au pays d'origine",
    "outcomes_lost_contact": "Perte de contact",
    "outcomes_other": "Autre sortie",
}
HOURS_TILE, RATE_TILE = "Heures de français", "Présence aux ateliers"
CATEGORIES = (
    "durable_employment",
    "transition_employment",
    "positive_exit",
    "housing",
    "health_care",
    "regularisation",
    "voluntary_return",
    "lost_contact",
    "other",
)
CEFR_ORDER = ["pre_a1", "a1_1", "a1", "a2", "b1", "b2", "c1", "c2"]


def comparison_tables(at) -> list:
    """The site comparison (the appointments' table per site and month is another one)."""
    return [d.value for d in at.dataframe if COUNT_TILES["new_intakes"] in d.value.columns]


# --- the expected figures, straight from the tables ----------------------------------------------


def _query(engine: Engine, sql: str, codes: list[str], start: date, end: date) -> list[tuple]:
    statement = sa.text(sql).bindparams(sa.bindparam("codes", expanding=True))
    with engine.connect() as connection:
        params = {"codes": codes, "start": start.isoformat(), "end": end.isoformat()}
        return [tuple(row) for row in connection.execute(statement, params).all()]


def _one(engine: Engine, sql: str, codes: list[str], start: date, end: date) -> int:
    return int(_query(engine, sql, codes, start, end)[0][0] or 0)


def _level_gains(engine: Engine, codes: list[str], start: date, end: date) -> int:
    """Learners with an assessment of the period above their assessment just before it (same skill)."""
    rows = _query(
        engine,
        f"""SELECT a.person_id, a.skill, a.assessed_on, a.id, a.level,
                  CASE WHEN {counted("a.person_id", "a.assessed_on")} THEN 1 ELSE 0 END FROM language_assessment a
           JOIN site s ON s.id = a.site_id WHERE s.code IN :codes AND a.assessed_on <= :end""",
        codes,
        start,
        end,
    )
    gained, previous = set(), {}
    # The level before is the learner's whatever the consent; the gain counts as the consent stood on its day.
    for person, skill, day, _id, level, on in sorted(rows, key=lambda r: (r[0], r[1], str(r[2]), r[3])):
        before = previous.get((person, skill))
        in_period = start.isoformat() <= str(day) <= end.isoformat()
        if in_period and on and before is not None and CEFR_ORDER.index(level) > CEFR_ORDER.index(before):
            gained.add(person)
        previous[(person, skill)] = level
    return len(gained)


def _figures(engine: Engine, codes: list[str], start: date, end: date) -> dict[str, int | Decimal | None]:
    """Every dashboard figure of the sites `codes` for [start, end], by its definition (README, docs/design.md):
    a fact counts as the person's statistics consent stood on its day, a stock as it stood on `end`."""

    def one(sql: str) -> int:
        return _one(engine, sql, codes, start, end)

    street, online, rounds = _query(
        engine,
        """SELECT SUM(CASE WHEN r.mode = 'street' THEN r.persons_met ELSE 0 END),
                  SUM(CASE WHEN r.mode = 'online' THEN r.persons_met ELSE 0 END), COUNT(*)
           FROM outreach_round r JOIN site s ON s.id = r.site_id
           WHERE s.code IN :codes AND r.round_on BETWEEN :start AND :end""",
        codes,
        start,
        end,
    )[0]
    sessions, present, recorded = _query(
        engine,
        f"""SELECT COUNT(DISTINCT a.session_id), SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END), COUNT(*)
           FROM workshop_attendance a JOIN workshop_session w ON w.id = a.session_id JOIN site s ON s.id = w.site_id
           WHERE s.code IN :codes AND w.session_on BETWEEN :start AND :end
           AND {counted("a.person_id", "w.session_on")}""",
        codes,
        start,
        end,
    )[0]
    minutes = one(
        f"""SELECT SUM(c.duration_minutes) FROM course_attendance a JOIN course_session c ON c.id = a.session_id
           JOIN site s ON s.id = c.site_id
           WHERE s.code IN :codes AND a.status = 'present' AND c.session_on BETWEEN :start AND :end
           AND {counted("a.person_id", "c.session_on")}"""
    )
    outcomes = dict(
        _query(
            engine,
            f"""SELECT o.category, COUNT(DISTINCT o.person_id) FROM outcome o JOIN site s ON s.id = o.site_id
               WHERE s.code IN :codes AND o.outcome_on BETWEEN :start AND :end
               AND {counted("o.person_id", "o.outcome_on")} GROUP BY o.category""",
            codes,
            start,
            end,
        )
    )
    return {
        "active_files": one(
            f"""SELECT COUNT(*) FROM person p JOIN site s ON s.id = p.site_id
               WHERE s.code IN :codes AND p.intake_on <= :end AND {counted("p.id", ":end")}
               AND (p.closed_on > :end OR (p.closed_on IS NULL AND p.status IN ('active', 'paused')))"""
        ),
        "new_intakes": one(
            f"""SELECT COUNT(*) FROM person p JOIN site s ON s.id = p.site_id
               WHERE s.code IN :codes AND p.intake_on BETWEEN :start AND :end AND {counted("p.id", "p.intake_on")}"""
        ),
        "outreach_rounds": int(rounds or 0),
        "persons_met_street": int(street or 0),
        "persons_met_online": int(online or 0),
        "workshop_sessions": int(sessions or 0),
        "workshop_rate": (Decimal(int(present)) / Decimal(recorded) if recorded else None),
        "course_hours": (Decimal(minutes) / 60).quantize(Decimal("0.01")),
        "level_gains": _level_gains(engine, codes, start, end),
        "mainstream_transitions": one(
            f"""SELECT COUNT(*) FROM mainstream_transition t JOIN site s ON s.id = t.site_id
               WHERE s.code IN :codes AND t.moved_on BETWEEN :start AND :end
               AND {counted("t.person_id", "t.moved_on")}"""
        ),
        "referrals": one(
            f"""SELECT COUNT(*) FROM referral r JOIN site s ON s.id = r.site_id
               WHERE s.code IN :codes AND r.referred_on BETWEEN :start AND :end
               AND {counted("r.person_id", "r.referred_on")}"""
        ),
        "psp_in_progress": one(
            f"""SELECT COUNT(*) FROM psp_episode e JOIN site s ON s.id = e.site_id
               WHERE s.code IN :codes AND e.requested_on <= :end AND (e.ended_on IS NULL OR e.ended_on > :end)
               AND {counted("e.person_id", ":end")}
               AND NOT (e.prefect_decision = 'refused' AND (e.decided_on IS NULL OR e.decided_on <= :end))"""
        ),
        **{f"outcomes_{category}": int(outcomes.get(category, 0)) for category in CATEGORIES},
    }


def _site_names(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text("SELECT code, name FROM site ORDER BY code")).all())


# --- periods, by the calendar (not by ui.reporting.dashboard_filters) ----------------------------------------


def _first_of_month(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _previous(start: date, end: date) -> tuple[date, date]:
    """Same number of days, ending the day before `start`."""
    previous_end = start - timedelta(days=1)
    return previous_end - (end - start), previous_end


# --- reading the page ----------------------------------------------------------------------------


def _tiles(at) -> dict[str, tuple[str, str | None]]:
    return {metric.label: (metric.value, metric.proto.delta or None) for metric in at.metric}


def _int_of(text: str) -> int:
    assert re.fullmatch(rf"\d{{1,3}}({NNBSP}\d{{3}})*", text), f"not a French whole number: {text!r}"
    return int(text.replace(NNBSP, ""))


def _hours_of(text: str) -> Decimal:
    match = re.fullmatch(rf"(\d{{1,3}}(?:{NNBSP}\d{{3}})*)(?:,(\d{{1,3}}))?{NBSP}h", text)
    assert match, f"not French hours: {text!r}"
    return Decimal(match[1].replace(NNBSP, "") + "." + (match[2] or "0"))


def _percent_of(text: str) -> Decimal:
    match = re.fullmatch(rf"(\d{{1,3}}),(\d){NBSP}%", text)
    assert match, f"not a French percentage with one decimal: {text!r}"
    return Decimal(f"{match[1]}.{match[2]}")


def _french(n: int) -> str:
    """A whole number written the French way, by hand: 1 234 567 (narrow no-break spaces)."""
    return f"{n:,}".replace(",", NNBSP)


def _signed(change: int) -> str:
    return ("+" if change >= 0 else "-") + _french(abs(change))


def _french_decimal(value: Decimal) -> str:
    """A decimal written the French way, by hand, without trailing zeros: 8 572,5 / 3 / 0,25."""
    whole, _point, decimals = f"{abs(value):,f}".partition(".")
    decimals = decimals.rstrip("0")
    return ("-" if value < 0 else "") + whole.replace(",", NNBSP) + ("," + decimals if decimals else "")


def _check_tiles(shown: dict, expected: dict, previous: dict) -> None:
    """Each tile shows the figure of the tables, and its change since the previous period, in French."""
    for key, label in COUNT_TILES.items():
        value, delta = shown[label]
        assert value == _french(expected[key]), (key, value)
        assert _int_of(value) == expected[key], key
        assert delta == _signed(expected[key] - previous[key]), (key, delta)
    hours, delta = shown[HOURS_TILE]
    assert _hours_of(hours) == expected["course_hours"]
    change = expected["course_hours"] - previous["course_hours"]
    assert delta == ("+" if change >= 0 else "-") + f"{_french_decimal(abs(change))}{NBSP}h"
    rate, _delta = shown[RATE_TILE]
    if expected["workshop_rate"] is None:
        assert rate == "indisponible"
    else:
        assert abs(_percent_of(rate) - expected["workshop_rate"] * 100) <= Decimal("0.05"), rate


# --- the French writing of the figures, by literal examples ---------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1234567, "count", f"1{NNBSP}234{NNBSP}567"),
        (0, "count", "0"),
        (Decimal("1234.50"), "hours", f"1{NNBSP}234,5{NBSP}h"),
        (Decimal("2.00"), "hours", f"2{NBSP}h"),
        (Decimal("0.7875"), "rate", f"78,8{NBSP}%"),
        (None, "rate", "indisponible"),
    ],
)
def test_a_tile_writes_its_figure_the_french_way(value, unit, text) -> None:
    assert value_text(Indicator("k", "Libellé", value, unit, False)) == text


@pytest.mark.parametrize(
    ("current", "previous", "unit", "text"),
    [
        (1500, 250, "count", f"+1{NNBSP}250"),
        (3, 7, "count", "-4"),
        (5, 5, "count", "+0"),
        (Decimal("10.00"), Decimal("13.50"), "hours", f"-3,5{NBSP}h"),
        (Decimal("0.5000"), Decimal("0.4880"), "rate", f"+1,2{NBSP}pt"),
        (Decimal("0.5000"), None, "rate", None),
    ],
)
def test_a_tile_writes_its_change_signed_the_french_way(current, previous, unit, text) -> None:
    assert delta_text(Indicator("k", "x", current, unit, False), Indicator("k", "x", previous, unit, False)) == text


# --- the page --------------------------------------------------------------------------------------


def test_direction_sees_every_tile_and_every_site_as_the_tables_say(app_engine) -> None:
    at = open_page(signed_in_app("direction"), PageKey.DASHBOARD)
    assert not at.exception, at.exception
    assert at.title[0].value == "Tableau de bord"
    today = clock.today()
    start, end = _first_of_month(today), today  # "Mois en cours", the default
    names = _site_names(app_engine)
    codes = list(names)
    assert len(codes) >= 2
    expected = _figures(app_engine, codes, start, end)
    assert expected["active_files"] > 0  # the check means something, even on the first day of a month
    _check_tiles(_tiles(at), expected, _figures(app_engine, codes, *_previous(start, end)))

    [table] = comparison_tables(at)
    assert list(table["Site"]) == [names[code] for code in codes]  # ordered by code
    for code in codes:
        line = table[table["Site"] == names[code]].iloc[0]
        own = _figures(app_engine, [code], start, end)
        for key, label in COUNT_TILES.items():
            assert line[label] == _french(own[key]), (code, key)
        assert _hours_of(line[HOURS_TILE]) == own["course_hours"], code
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 7  # four trends, funnel, referrals, budget, FTE


def test_chef_lyon_sees_only_lyon(app_engine) -> None:
    at = open_page(signed_in_app("chef.lyon"), PageKey.DASHBOARD)
    assert not at.exception, at.exception
    assert not at.multiselect  # a single site: nothing to choose
    assert not comparison_tables(at)  # no comparison with a single site
    today = clock.today()
    start, end = _first_of_month(today), today
    lyon = _figures(app_engine, ["LYO"], start, end)
    _check_tiles(_tiles(at), lyon, _figures(app_engine, ["LYO"], *_previous(start, end)))
    everywhere = _figures(app_engine, list(_site_names(app_engine)), start, end)
    assert 0 < lyon["active_files"] < everywhere["active_files"]  # other sites' files are left out
    text = all_text(at)
    for code, name in _site_names(app_engine).items():
        if code != "LYO":
            assert name not in text


def test_direction_narrows_to_one_site_and_another_period(app_engine) -> None:
    at = signed_in_app("direction")
    at.session_state[PRESET_KEY] = "12 derniers mois"
    at = open_page(at, PageKey.DASHBOARD)
    today = clock.today()
    start, end = _first_of_month(today, 11), today
    names = _site_names(app_engine)
    everywhere = _figures(app_engine, list(names), start, end)
    # Twelve months of every site: figures past a thousand, written with the French separator.
    assert everywhere["persons_met_street"] >= 1000 and everywhere["course_hours"] >= 1000
    _check_tiles(_tiles(at), everywhere, _figures(app_engine, list(names), *_previous(start, end)))
    box = next(m for m in at.multiselect if m.label == "Sites")
    at = box.set_value([_site_id(app_engine, "GRE")]).run()
    assert not at.exception, at.exception
    alone = _figures(app_engine, ["GRE"], start, end)
    _check_tiles(_tiles(at), alone, _figures(app_engine, ["GRE"], *_previous(start, end)))
    assert alone["persons_met_street"] < everywhere["persons_met_street"]  # the filter really applies
    assert not comparison_tables(at)  # one site chosen: no comparison table


def _site_id(engine: Engine, code: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT id FROM site WHERE code = :code"), {"code": code}).scalar_one()


def test_an_empty_site_choice_asks_for_one(app_engine) -> None:
    at = open_page(signed_in_app("direction"), PageKey.DASHBOARD)
    at = next(m for m in at.multiselect if m.label == "Sites").set_value([]).run()
    assert not at.exception, at.exception
    assert "Choisissez au moins un site." in [w.value for w in at.warning]
    assert not at.metric
