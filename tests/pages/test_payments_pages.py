"""Versements et trésorerie, and the money-in blocks of the home pages and of Postes: what each role sees and
may do, checked against SQL written here on the demo data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

import clock
from models.organisation import Role
from services.platform.config import PROJECT_ROOT
from services.platform.pages import PageKey
from tests.pages.conftest import (
    ACCOUNT_OF_ROLE,
    NO_ACCESS,
    TIMEOUT,
    all_text,
    open_page,
    principal_of,
    signed_in_app,
    texts,
)
from ui.platform.guards import PRINCIPAL_KEY


def _euros(cents: int) -> str:
    """An amount written the French way, by hand: 1 234,56 € (narrow no-break space, no-break space)."""
    whole, rest = divmod(abs(cents), 100)
    written = f"{whole:,}".replace(",", "\u202f") + f",{rest:02d}\xa0€"
    return ("-" if cents < 0 else "") + written


def _metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return found[0]


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _received_and_spent(engine, grant_id: int) -> tuple[int, int]:
    day = clock.today().isoformat()
    with engine.connect() as connection:
        received = connection.execute(
            text(
                "SELECT COALESCE(SUM(received_cents), 0) FROM grant_tranche "
                "WHERE grant_id = :g AND received_on IS NOT NULL AND received_on <= :day"
            ),
            {"g": grant_id, "day": day},
        ).scalar_one()
        spent = connection.execute(
            text("SELECT COALESCE(SUM(amount_cents), 0) FROM expense WHERE grant_id = :g AND spent_on <= :day"),
            {"g": grant_id, "day": day},
        ).scalar_one()
    return received, spent


def test_direction_reads_the_cash_of_a_grant_and_has_no_form(app_engine, demo_database):
    at = open_page(signed_in_app("direction"), PageKey.PAYMENTS)
    assert not at.exception, at.exception
    assert NO_ACCESS not in texts(at.error)
    # A grant with money in and out by today (a grant signed less than ~70 days ago has received nothing yet:
    # which one comes first in the list depends on the day).
    with app_engine.connect() as connection:
        grant_id = connection.execute(
            text(
                'SELECT g.id FROM "grant" g WHERE '
                "EXISTS (SELECT 1 FROM grant_tranche t WHERE t.grant_id = g.id AND t.received_on <= :day) AND "
                "EXISTS (SELECT 1 FROM expense e WHERE e.grant_id = g.id AND e.spent_on <= :day) ORDER BY g.id LIMIT 1"
            ),
            {"day": clock.today().isoformat()},
        ).scalar_one()
    at = at.selectbox(key="payments_grant").set_value(grant_id).run()
    assert not at.exception, at.exception
    received, spent = _received_and_spent(app_engine, grant_id)
    assert received > 0 and spent > 0
    assert _metric(at, "Reçu à ce jour") == _euros(received)
    assert _metric(at, "Dépensé à ce jour") == _euros(spent)
    assert _metric(at, "Trésorerie de la convention") == _euros(received - spent)
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")
    with app_engine.connect() as connection:
        tranches = connection.execute(
            text("SELECT count(*) FROM grant_tranche WHERE grant_id = :g"), {"g": grant_id}
        ).scalar_one()
    schedule = at.dataframe[0].value
    assert len(schedule) == tranches == 3
    assert {"Date prévue", "Montant prévu", "Condition", "Situation", "Reçu le"} <= set(schedule.columns)
    assert not at.get("form")


def test_gestion_records_a_receipt_and_the_cash_position_moves(app_engine, demo_database):
    with app_engine.connect() as connection:
        grant_id, tranche_id = connection.execute(
            text(
                "SELECT grant_id, id FROM grant_tranche WHERE received_on IS NULL AND condition = 'final_report' "
                "ORDER BY id LIMIT 1"
            )
        ).one()
    at = open_page(signed_in_app("gestion"), PageKey.PAYMENTS)
    assert not at.exception, at.exception
    at = at.selectbox(key="payments_grant").set_value(grant_id).run()
    received_before, spent = _received_and_spent(app_engine, grant_id)
    with app_engine.connect() as connection:
        waiting = (
            connection.execute(
                text(
                    "SELECT id FROM grant_tranche WHERE grant_id = :g AND received_on IS NULL ORDER BY expected_on, id"
                ),
                {"g": grant_id},
            )
            .scalars()
            .all()
        )
    choice = at.selectbox(key=f"receipt_choice_{grant_id}")
    assert len(choice.options) == len(waiting)
    at = choice.select_index(waiting.index(tranche_id)).run()
    form = f"tranche_receipt_{tranche_id}__0"

    at.text_input(key=f"{form}_received").input("")
    at = _button(at, "Enregistrer la réception").click().run()
    assert not at.exception, at.exception
    assert "Indiquez le montant reçu." in texts(at.error)

    at.text_input(key=f"{form}_received").input("1 234,56")
    at = _button(at, "Enregistrer la réception").click().run()
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        row = connection.execute(
            text("SELECT received_on, received_cents FROM grant_tranche WHERE id = :t"), {"t": tranche_id}
        ).one()
        audited = connection.execute(
            text(
                "SELECT count(*) FROM audit_event WHERE action = 'grant_tranche.update' AND entity_id = :t "
                "AND actor_username = 'gestion'"
            ),
            {"t": str(tranche_id)},
        ).scalar_one()
    assert (str(row[0])[:10], row[1]) == (clock.today().isoformat(), 123_456)
    assert audited == 1
    assert _metric(at, "Reçu à ce jour") == _euros(received_before + 123_456)
    assert _metric(at, "Trésorerie de la convention") == _euros(received_before + 123_456 - spent)


@pytest.mark.parametrize("role", [Role.INTERVENANT, Role.FINANCEUR, Role.CHEF_SERVICE, Role.FORMATEUR, Role.ADMIN])
def test_other_roles_are_refused_the_payments_page(role, app_engine, demo_database):
    # not in their navigation
    at = signed_in_app(ACCOUNT_OF_ROLE[role]).run()
    assert not at.exception, at.exception
    assert "Versements et trésorerie" not in all_text(at)
    # and the script itself refuses them, drawing nothing of the page
    page = AppTest.from_file(str(PROJECT_ROOT / "app_pages/finance/payments.py"), default_timeout=TIMEOUT)
    page.session_state[PRINCIPAL_KEY] = principal_of(app_engine, ACCOUNT_OF_ROLE[role])
    page.run()
    assert not page.exception, page.exception
    assert texts(page.error) == [NO_ACCESS]
    assert not (page.title or page.metric or page.dataframe or page.get("form"))


def test_gestion_home_lists_the_payments_and_reports_due_overdue_marked(app_engine, demo_database):
    today = clock.today()
    horizon = (today + timedelta(days=60)).isoformat()
    with app_engine.connect() as connection:
        payments = connection.execute(
            text("SELECT count(*) FROM grant_tranche WHERE received_on IS NULL AND expected_on <= :h"),
            {"h": horizon},
        ).scalar_one()
        reports = connection.execute(
            text("SELECT count(*) FROM grant_report WHERE submitted_on IS NULL AND due_on <= :h"), {"h": horizon}
        ).scalar_one()
        overdue = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM grant_tranche WHERE received_on IS NULL AND expected_on < :d)"
                " + (SELECT count(*) FROM grant_report WHERE submitted_on IS NULL AND due_on < :d)"
            ),
            {"d": today.isoformat()},
        ).scalar_one()
    at = signed_in_app("gestion").run()
    assert not at.exception, at.exception
    assert "Versements attendus et rapports à rendre" in [h.value for h in at.header]
    frames = {tuple(f.value.columns): f.value for f in at.dataframe}
    due_payments = next((v for k, v in frames.items() if "Condition" in k and "Montant" in k), [])
    due_reports = next((v for k, v in frames.items() if "Rapport" in k and "Date limite" in k), [])
    assert overdue  # the demo has a late report (seed/money_in.py), whatever the day
    assert (len(due_payments), len(due_reports)) == (payments, reports)
    marked = sum(str(v).startswith("⚠") for v in (due_payments["Date prévue"] if payments else [])) + sum(
        str(v).startswith("⚠") for v in (due_reports["Date limite"] if reports else [])
    )
    assert marked == overdue
    assert f"{overdue} échéance(s) dépassée(s)." in texts(at.warning)


def _late_posts(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM post_recruitment r WHERE r.started_on IS NULL AND r.planned_start_on < :d "
                "AND r.post_id IN (SELECT post_id FROM post_funding)"
            ),
            {"d": clock.today().isoformat()},
        ).scalar_one()


def test_direction_home_shows_payments_and_the_funded_posts_late_to_fill(app_engine, demo_database):
    late = _late_posts(app_engine)
    at = signed_in_app("direction").run()
    assert not at.exception, at.exception
    assert late >= 1
    assert "Recrutements en retard" in [h.value for h in at.subheader]
    assert f"{late} poste(s) financé(s) en retard de recrutement." in texts(at.warning)
    assert "Versements attendus et rapports à rendre" in [h.value for h in at.header]


@pytest.mark.parametrize("username", ["ts.lyon", "financeur.agrasc", "chef.lyon"])
def test_homes_of_other_roles_show_no_payments_nor_recruitments(username, demo_database):
    at = signed_in_app(username).run()
    assert not at.exception, at.exception
    text_shown = all_text(at)
    assert "Versements attendus et rapports à rendre" not in text_shown
    assert "Recrutements en retard" not in text_shown


def test_staffing_page_marks_the_late_posts_and_gestion_records_a_stage(app_engine, demo_database):
    late = _late_posts(app_engine)
    direction = open_page(signed_in_app("direction"), PageKey.STAFFING)
    assert not direction.exception, direction.exception
    assert f"{late} poste(s) financé(s) en retard de recrutement." in texts(direction.warning)
    assert "Enregistrer une étape de recrutement" not in [h.value for h in direction.subheader]

    with app_engine.connect() as connection:
        post_id, interviews_on = connection.execute(
            text(
                "SELECT post_id, interviews_on FROM post_recruitment WHERE started_on IS NULL "
                "AND planned_start_on < :d ORDER BY post_id LIMIT 1"
            ),
            {"d": clock.today().isoformat()},
        ).one()
    at = open_page(signed_in_app("gestion"), PageKey.STAFFING)
    assert not at.exception, at.exception
    choice = at.selectbox(key="recruitment_post")
    at = choice.select_index(next(i for i, o in enumerate(choice.options) if f"#{post_id} " in o)).run()
    form = f"recruitment_{post_id}__0"
    at.date_input(key=f"{form}_hired_on").set_value(clock.today() + timedelta(days=1))
    at = _button(at, "Enregistrer le recrutement").click().run()
    assert not at.exception, at.exception
    assert "Une étape ne peut pas être datée dans le futur." in texts(at.error)

    at.date_input(key=f"{form}_hired_on").set_value(clock.today())
    at.date_input(key=f"{form}_started_on").set_value(clock.today())
    at = _button(at, "Enregistrer le recrutement").click().run()
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        row = connection.execute(
            text("SELECT hired_on, started_on, interviews_on FROM post_recruitment WHERE post_id = :p"),
            {"p": post_id},
        ).one()
    assert tuple(str(v)[:10] for v in row) == (
        clock.today().isoformat(),
        clock.today().isoformat(),
        str(interviews_on)[:10],
    )
    assert _late_posts(app_engine) == late - 1
    assert f"{late - 1} poste(s) financé(s) en retard de recrutement." in texts(at.warning) or late == 1
