"""The director's three questions at the top of the dashboard (issue 18), on the demo database: what the page
shows is checked against SQL written in tests/director_answers_sql.py (never the service); chef_service sees
its own site; the roles that may not open the dashboard never see the answers; the Excel export holds the
figures of the page under the export's disclosure control (below 11: « < 11 ») and is audited."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

import clock
from models.organisation import Role
from services.platform.config import PROJECT_ROOT
from services.platform.pages import PageKey
from tests import director_answers_sql as expected
from tests.access_matrix import refused_roles
from tests.pages.conftest import ACCOUNT_OF_ROLE, TIMEOUT, all_text, button, open_page, principal_of, signed_in_app
from ui.platform.guards import PRINCIPAL_KEY
from ui.platform.navigation import PAGE_SPECS
from ui.reporting.dashboard_filters import PRESET_KEY

pytestmark = pytest.mark.usefixtures("demo_database")

NNBSP, NBSP = "\u202f", "\u00a0"
HEADER = "Les trois questions de la direction"
PACE = {"behind": "▼ En retard (sous-consommation)", "on_track": "Au rythme", "overspending": "▲ Surconsommation"}


def _int(text: str) -> int:
    assert re.fullmatch(rf"\d{{1,3}}({NNBSP}\d{{3}})*", text), text
    return int(text.replace(NNBSP, ""))


def _percent(text: str) -> Decimal:
    match = re.fullmatch(rf"(\d{{1,3}}),(\d){NBSP}%", text)
    assert match, text
    return Decimal(f"{match[1]}.{match[2]}") / 100


def _decimal(text: str) -> Decimal:
    """'8,5', '12', '1 234,5' → Decimal; '▼ 0,3' too (the mark is dropped)."""
    text = text.removeprefix("▼ ").replace(NNBSP, "").replace(",", ".")
    assert re.fullmatch(r"\d+(\.\d+)?", text), text
    return Decimal(text)


def _sites(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text("SELECT code, name FROM site ORDER BY code")).all())


def _tables(at) -> tuple:
    """(grants, sites): the two tables of the section."""
    grants = next(t.value for t in at.table if "Convention" in t.value.columns)
    sites = next(t.value for t in at.table if "Indice" in t.value.columns)
    return grants, sites


def _check(at, engine, codes: list[str], start: date, end: date, *, national: bool = False) -> None:
    """The three answers drawn on the page are those of the tables."""
    names = _sites(engine)
    as_of = min(end, clock.today())
    metrics = {m.label: m.value for m in at.metric}
    per_site, total = expected.accompanied(engine, codes, start, end)
    assert total > 0
    assert _int(metrics["Personnes accompagnées sur la période"]) == total
    for code in codes:
        assert _int(metrics[names[code]]) == per_site[code], code

    grants = expected.grants(engine, codes, as_of, national=national)
    assert grants, "the demo has grants running"
    off = sum(g.status != "on_track" for g in grants)
    assert metrics["Financements hors rythme"] == f"{off} sur {len(grants)}"
    shown, sites = _tables(at)
    assert list(shown["Convention"]) == [g.name for g in grants]
    for (_, line), grant in zip(shown.iterrows(), grants, strict=True):
        assert abs(_percent(line["Budget consommé"]) - grant.consumed) <= Decimal("0.0006"), grant.name
        assert abs(_percent(line["Durée écoulée"]) - grant.elapsed) <= Decimal("0.0006"), grant.name
        assert line["Rythme"] == PACE[grant.status], grant.name

    rows = expected.sites(engine, codes, start, end, as_of)
    ranked = sorted(rows, key=lambda r: (r.index is None, -(r.index or 0), names[r.code]))
    assert list(sites["Site"]) == [names[r.code] for r in ranked]
    assert list(sites["Rang"]) == [str(n) for n in range(1, len(rows) + 1)]
    labels = {
        "acts_per_fte": "Actes par ETP",
        "attendance_rate": "Taux de présence",
        "gains_per_learner": "Niveaux gagnés par apprenant·e",
        "outcomes_per_100": "Sorties pour 100 personnes",
    }
    for (_, line), row in zip(sites.iterrows(), ranked, strict=True):
        assert _int(line["Personnes accompagnées"]) == row.accompanied
        assert _decimal(line["ETP pourvus"]) == Decimal(row.fte) / 100
        for key, label in labels.items():
            value = row.measures[key]
            if value is None:
                assert line[label] == "—", (row.code, key)
                continue
            assert line[label].startswith("▼ ") == (key in row.marked), (row.code, key, line[label])
            text = line[label].removeprefix("▼ ")
            got = _percent(text) if key == "attendance_rate" else _decimal(text)
            # the exact ratio, rounded once where it is printed (to the places the page shows)
            assert got == value.quantize(Decimal(1).scaleb(got.as_tuple().exponent), ROUND_HALF_EVEN), (row.code, key)
        assert line["Indice"] == ("—" if row.index is None else str(row.index))
        assert line["Verdict"] == ("En retrait" if row.lagging else "Dans la norme")
    laggards = [names[r.code] for r in ranked if r.lagging]
    assert metrics["Sites en retrait"] == (", ".join(laggards) or "Aucun")


def test_direction_reads_the_three_answers_of_every_site(app_engine) -> None:
    at = signed_in_app("direction")
    at.session_state[PRESET_KEY] = "12 derniers mois"
    at = open_page(at, PageKey.DASHBOARD)
    assert not at.exception, at.exception
    assert at.header[0].value == HEADER  # at the top of the dashboard
    today = clock.today()
    month = today.year * 12 + today.month - 1 - 11
    start = date(month // 12, month % 12 + 1, 1)
    # every site, seen by direction: the national lines (no site) count too
    _check(at, app_engine, list(_sites(app_engine)), start, today, national=True)


def test_the_export_holds_the_page_figures_and_is_audited(app_engine) -> None:
    at = signed_in_app("direction")
    at = open_page(at, PageKey.DASHBOARD)
    with app_engine.connect() as connection:
        count = sa.text("SELECT COUNT(*) FROM audit_event WHERE action = 'report.dashboard_exported'")
        before = connection.execute(count).scalar_one()
    at = button(at, "Préparer l'export Excel").click().run()
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        assert connection.execute(count).scalar_one() == before + 1
    [content] = [at.session_state[k] for k in at.session_state if k.startswith("dashboard_xlsx_")]
    book = load_workbook(io.BytesIO(content))
    today = clock.today()
    start = date(today.year, today.month, 1)
    names = _sites(app_engine)
    per_site, total = expected.accompanied(app_engine, list(names), start, today)
    rows = {r[0]: r[1] for r in book["Personnes accompagnées"].iter_rows(values_only=True) if r[0]}
    # An export: a count of persons is printed only from 11 up; below, « < 11 »; « masqué » hides one of 11 or more.
    exported = {code: rows[name] for code, name in names.items()} | {"total": rows["Total (personnes distinctes)"]}
    for key, exact in (per_site | {"total": total}).items():
        got = exported[key]
        assert got == exact if isinstance(got, int) else got in ("< 11", "masqué"), (key, got, exact)
        assert (got == "< 11") == (exact < 11), (key, got, exact)
    if isinstance(exported["total"], int):  # total minus the printed sites never gives back one hidden site
        assert sum(not isinstance(exported[code], int) for code in per_site) != 1, exported


def test_chef_service_reads_its_own_site_only(app_engine) -> None:
    at = open_page(signed_in_app("chef.lyon"), PageKey.DASHBOARD)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sites en retrait"] == "Sans comparaison"
    _grants, sites = _tables(at)
    assert list(sites["Site"]) == ["Lyon"] and list(sites["Verdict"]) == ["Sans comparaison"]
    today = clock.today()
    per_site, total = expected.accompanied(app_engine, ["LYO"], date(today.year, today.month, 1), today)
    assert _int(metrics["Personnes accompagnées sur la période"]) == total == per_site["LYO"]
    text = all_text(at)
    for code, name in _sites(app_engine).items():
        if code != "LYO":
            assert name not in text, name


@pytest.mark.parametrize("role", refused_roles(PageKey.DASHBOARD), ids=lambda r: r.value)
def test_roles_that_may_not_open_the_dashboard_never_see_the_answers(app_engine, role: Role) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE_SPECS[PageKey.DASHBOARD].script), default_timeout=TIMEOUT)
    at.session_state[PRINCIPAL_KEY] = principal_of(app_engine, ACCOUNT_OF_ROLE[role])
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Vous n'avez pas accès à cette page."]
    assert not at.metric and not at.table and not at.button
    assert HEADER not in all_text(at)
