"""Suivi budgétaire: what each role sees and may do, and the chart's numbers against SQL."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlalchemy import text
from sqlmodel import select

from models.finance import BudgetRevision, Grant
from services.finance import consumption as budget_consumption
from services.finance import revision as budget_revision
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import (
    all_text,
    button,
    error_after,
    metric_labels,
    open_page,
    principal_of,
    signed_in_app,
    text_input,
)
from ui.finance.budget_charts import ACTUAL, FORECAST, PLAN


def euros(cents: int) -> str:
    """An amount written the French way, by hand: '1 234 567,89 €' (narrow no-break spaces, no-break space)."""
    whole, rest = divmod(abs(cents), 100)
    return ("-" if cents < 0 else "") + f"{whole:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0€"


def test_the_hand_written_euros_are_the_french_ones() -> None:
    assert [euros(c) for c in (0, 5, -1234, 100_000, 123_456_789)] == [
        "0,00\u00a0€",
        "0,05\u00a0€",
        "-12,34\u00a0€",
        "1\u202f000,00\u00a0€",
        "1\u202f234\u202f567,89\u00a0€",
    ]


FIGURES = [
    "Prévu",
    "Réalisé à date",
    "Reste à consommer",
    "Consommé",
    "Période écoulée",
    "Prévision en fin de convention",
]
WHAT_IF = "Simuler un transfert entre lignes"


def _subheaders(at) -> list[str]:
    return [h.value for h in at.header]


def _chart_rows(at, series: str) -> list[dict]:
    """Rows of the burn chart's data for one series (its data frames are sent as Arrow)."""
    chart = at.get("vega_lite_chart")[0]
    rows: list[dict] = []
    for dataset in chart.proto.datasets:
        frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        if "Série" in frame.columns:
            rows += frame.to_dict("records")
    return [row for row in rows if row["Série"] == series]


def _grant_selector(at):
    return next(s for s in at.selectbox if s.label == "Financement")


def test_direction_sees_the_figures_the_chart_and_no_what_if(app_engine, demo_database):
    at = open_page(signed_in_app("direction"), PageKey.BUDGET)
    assert not at.exception, at.exception
    assert metric_labels(at) == FIGURES
    assert "Rythme de consommation" in _subheaders(at) and WHAT_IF not in _subheaders(at)
    grant_id = _grant_selector(at).value
    with unit_of_work(app_engine) as session:
        grant = session.get(Grant, grant_id)
        amount = grant.amount_cents
        month = "strftime('%Y-%m', spent_on)" if app_engine.dialect.name == "sqlite" else "to_char(spent_on, 'YYYY-MM')"
        monthly = session.execute(
            text(
                f"SELECT {month}, SUM(amount_cents) FROM expense WHERE grant_id = :g "
                f"AND spent_on <= :today GROUP BY {month} ORDER BY {month}"
            ),
            {"g": grant_id, "today": _today()},
        ).all()
    cumulative, running = [euros(0)], 0
    for _, cents in monthly:  # the demo grants have no expense before their start
        running += int(cents)
        cumulative.append(euros(running))
    assert at.metric[1].value == euros(running)
    drawn = [row["Montant"] for row in _chart_rows(at, ACTUAL)]
    assert drawn[-1] == euros(running)  # the last solid point is the actual to date
    assert [d for i, d in enumerate(drawn) if i == 0 or d != drawn[i - 1]] == cumulative  # month by month
    assert [row["Montant"] for row in _chart_rows(at, PLAN)] == [euros(0), euros(amount)]
    assert _chart_rows(at, FORECAST)[-1]["Montant"] == at.metric[5].value
    assert "Comment la prévision est calculée" in all_text(at)
    tables = [d.value for d in at.dataframe]
    assert any("Site" in t.columns and "Catégorie" in t.columns for t in tables)  # per line


def _today():
    import clock

    return clock.today()


def test_gestion_previews_a_transfer_without_writing(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.BUDGET)
    assert WHAT_IF in _subheaders(at)
    from_id = next(s for s in at.selectbox if s.label.startswith("Ligne d'origine")).value
    to_id = next(s for s in at.selectbox if s.label == "Ligne de destination").value
    assert from_id != to_id
    with unit_of_work(app_engine) as session:
        before = session.execute(text("SELECT COUNT(*) FROM budget_revision")).scalar()
        planned = dict(
            session.execute(
                text("SELECT id, planned_cents FROM budget_line WHERE id IN (:a, :b)"), {"a": from_id, "b": to_id}
            ).all()
        )
    text_input(at, "Montant à transférer (€)").input("1 000,00")
    at = button(at, "Voir l'effet sur les alertes").click().run()
    assert not at.exception, at.exception
    shown = all_text(at)
    assert (
        "Effet du transfert de 1\u202f000,00\u00a0€" in shown and "Alertes avant" in shown and "Alertes après" in shown
    )
    preview = next(d.value for d in at.dataframe if "Prévu après" in d.value.columns)
    assert preview[["Prévu avant", "Prévu après"]].values.tolist() == [
        [euros(planned[from_id]), euros(planned[from_id] - 100_000)],  # 1 000 € taken from the first line…
        [euros(planned[to_id]), euros(planned[to_id] + 100_000)],  # …and given to the second
    ]
    with unit_of_work(app_engine) as session:
        assert session.execute(text("SELECT COUNT(*) FROM budget_revision")).scalar() == before
        still = dict(
            session.execute(
                text("SELECT id, planned_cents FROM budget_line WHERE id IN (:a, :b)"), {"a": from_id, "b": to_id}
            ).all()
        )
    assert still == planned  # a preview writes nothing


def test_a_bad_amount_shows_a_french_message_beside_the_field(demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.BUDGET)
    text_input(at, "Montant à transférer (€)").input("douze")
    at = button(at, "Voir l'effet sur les alertes").click().run()
    assert not at.exception, at.exception
    message = error_after(at, text_input(at, "Montant à transférer (€)"))
    assert message and message.startswith("Montant : montant illisible")
    assert text_input(at, "Montant à transférer (€)").value == "douze"


def test_a_huge_amount_shows_a_french_message_beside_the_field_and_is_kept(demo_database):
    """Issue 13: a huge amount raised OverflowError on the page; it is now a message by its field."""
    huge = "99 999 999 999 999 999 999,99"
    at = open_page(signed_in_app("gestion"), PageKey.BUDGET)
    text_input(at, "Montant à transférer (€)").input(huge)
    at = button(at, "Voir l'effet sur les alertes").click().run()
    assert not at.exception, at.exception
    message = error_after(at, text_input(at, "Montant à transférer (€)"))
    assert message and message.startswith("Montant : montant trop élevé"), message
    assert "10 000 000,00 €" in message
    assert text_input(at, "Montant à transférer (€)").value == huge


def test_gestion_saves_a_revision_listed_below_then_it_is_undone(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.BUDGET)
    grant_id = _grant_selector(at).value
    reason = "Test de révision depuis la page"
    text_input(at, "Montant à transférer (€)").input("0,01")
    text_input(at, "Motif de la révision (obligatoire pour enregistrer)").input(reason)
    at = button(at, "Enregistrer la révision").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        revision = session.exec(
            select(BudgetRevision).where(BudgetRevision.reason == reason).order_by(BudgetRevision.id.desc())
        ).first()
        assert revision is not None and revision.amount_cents == 1 and revision.grant_id == grant_id
        moved_from, moved_to = revision.from_line_id, revision.to_line_id
        total = session.execute(
            text("SELECT SUM(planned_cents) FROM budget_line WHERE grant_id = :g"), {"g": grant_id}
        ).scalar()
        assert total == session.get(Grant, grant_id).amount_cents
    at = at.run()
    history = next(d.value for d in at.dataframe if "Motif" in d.value.columns)
    assert reason in set(history["Motif"])
    # Put the cent back so the shared demo data keeps its planned amounts.
    gestion = principal_of(app_engine, "gestion")
    with unit_of_work(app_engine) as session:
        lines = {
            line.line_id: line for line in budget_consumption.consumption(session, gestion, grant_id=grant_id).lines
        }
        budget_revision.save_transfer(
            session,
            gestion,
            grant_id=grant_id,
            data={"from_line_id": moved_to, "to_line_id": moved_from, "amount": "0,01", "reason": "Annulation du test"},
            expected_versions={i: lines[i].version for i in lines},
        )


def test_chef_de_service_sees_only_its_sites_lines(demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.BUDGET)
    assert not at.exception, at.exception
    assert WHAT_IF not in _subheaders(at)
    # « (vos lignes) » when the grant also has other sites' lines; a Lyon-only grant (the default on some
    # days of the demo data) is wholly visible.
    assert metric_labels(at)[0] in ("Prévu (vos lignes)", "Prévu")
    sites = set()
    for frame in (d.value for d in at.dataframe):
        if "Site" in frame.columns:
            sites |= set(frame["Site"][:-1])  # the last row is the total
    assert sites == {"LYO"}


@pytest.mark.parametrize("username", ["ts.lyon", "fle.lyon", "admin", "financeur.agrasc"])
def test_other_roles_do_not_get_the_page(username, demo_database):
    at = signed_in_app(username).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/finance/budget.py")


AGRASC_GRANT = text("SELECT id FROM \"grant\" WHERE convention_ref LIKE 'AGRASC%'")


def _sites_shown(at) -> set[str]:
    """The Site column's values in every table (the total row left out)."""
    sites: set[str] = set()
    for frame in (d.value for d in at.dataframe):
        if "Site" in frame.columns:
            sites |= set(frame["Site"][:-1])
    return sites


def test_direction_sees_the_agrasc_national_lines_as_national(app_engine, demo_database):
    """The AGRASC project's national coordination (seed: lines of no site) shows as « National » to direction,
    and its planned amount is the SQL sum of every line of the convention, the national ones included."""
    with app_engine.connect() as connection:
        grant_id = connection.execute(AGRASC_GRANT).scalar_one()
        planned = connection.execute(
            text("SELECT SUM(planned_cents) FROM budget_line WHERE grant_id = :g"), {"g": grant_id}
        ).scalar_one()
        national = connection.execute(
            text("SELECT COUNT(*) FROM budget_line WHERE grant_id = :g AND site_id IS NULL"), {"g": grant_id}
        ).scalar_one()
    assert national == 4  # 64 and 62 for each of its two strands
    at = open_page(signed_in_app("direction"), PageKey.BUDGET)
    at = _grant_selector(at).set_value(grant_id).run()
    assert not at.exception, at.exception
    assert _sites_shown(at) == {"LYO", "GRE", "National"}
    assert next(m.value for m in at.metric if m.label == "Prévu") == euros(planned)


def test_chef_lyon_sees_no_national_line_of_the_agrasc_grant(app_engine, demo_database):
    with app_engine.connect() as connection:
        grant_id = connection.execute(AGRASC_GRANT).scalar_one()
        lyon_planned = connection.execute(
            text(
                "SELECT SUM(l.planned_cents) FROM budget_line l JOIN site s ON s.id = l.site_id "
                "WHERE l.grant_id = :g AND s.code = 'LYO'"
            ),
            {"g": grant_id},
        ).scalar_one()
    at = open_page(signed_in_app("chef.lyon"), PageKey.BUDGET)
    at = _grant_selector(at).set_value(grant_id).run()
    assert not at.exception, at.exception
    assert _sites_shown(at) == {"LYO"}
    assert "National" not in " ".join(str(v) for d in at.dataframe for v in d.value.to_numpy().ravel())
    assert next(m.value for m in at.metric if m.label == "Prévu (vos lignes)") == euros(lyon_planned)
