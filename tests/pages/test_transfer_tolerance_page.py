"""The what-if on the Suivi budgétaire page: a transfer beyond the convention's tolerance is named in the preview,
refused at saving until its confirmation is ticked, then saved (and undone so the demo data stays)."""

from __future__ import annotations

import re

from sqlalchemy import text

from services.finance import consumption as budget_consumption
from services.finance import revision as budget_revision
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import button, error_after, open_page, principal_of, signed_in_app, text_input

CONFIRM = "Je confirme ce transfert au-delà de la tolérance de la convention (accord préalable du financeur obtenu)"


def _plain(message: str) -> str:
    return message.replace("\xa0", " ").replace("\u202f", " ")


def test_a_transfer_beyond_tolerance_is_warned_then_saved_only_when_confirmed(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.BUDGET)
    grant_id = next(s for s in at.selectbox if s.label == "Financement").value
    origin_label = next(s for s in at.selectbox if s.label.startswith("Ligne d'origine")).value
    with app_engine.connect() as connection:
        origin_planned, origin_name = connection.execute(
            text("SELECT planned_cents, category FROM budget_line WHERE id = :id"), {"id": origin_label}
        ).one()
    half = origin_planned // 2  # the origin line loses half its amount: −50 %, beyond any tolerance of 20 % or less
    typed = f"{half // 100},{half % 100:02d}"
    reason = "Transfert au-delà de la tolérance (test)"
    text_input(at, "Montant à transférer (€)").input(typed)
    text_input(at, "Motif de la révision (obligatoire pour enregistrer)").input(reason)
    at = button(at, "Voir l'effet sur les alertes").click().run()
    assert not at.exception, at.exception
    warnings = [_plain(w.value) for w in at.warning if "dépasse la tolérance" in w.value]
    assert len(warnings) == 1 and "−50,0 %" in warnings[0] and f"· {origin_name} – " in warnings[0], warnings
    at = button(at, "Enregistrer la révision").click().run()
    message = error_after(at, next(c for c in at.checkbox if c.label == CONFIRM))
    assert message and _plain(message).startswith("Ce transfert dépasse la tolérance"), message
    count = "SELECT COUNT(*) FROM budget_revision WHERE reason = :r"
    with app_engine.connect() as connection:
        assert connection.execute(text(count), {"r": reason}).scalar_one() == 0
    next(c for c in at.checkbox if c.label == CONFIRM).check()
    at = button(at, "Enregistrer la révision").click().run()
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        revision = connection.execute(
            text("SELECT id, from_line_id, to_line_id, amount_cents FROM budget_revision WHERE reason = :r"),
            {"r": reason},
        ).one()
    try:
        with app_engine.connect() as connection:
            detail = connection.execute(
                text("SELECT detail FROM audit_event WHERE action = 'budget.revised' AND entity_id = :id"),
                {"id": str(revision.id)},
            ).scalar_one()
        assert revision.amount_cents == half and revision.from_line_id == origin_label
        first = detail.split(";")[0]
        assert re.fullmatch(rf"beyond_tolerance_confirmed line={origin_label} change_bp=-(4999|5000)", first), detail
    finally:
        # Undo, so the shared demo data keeps its planned amounts.
        gestion = principal_of(app_engine, "gestion")
        with unit_of_work(app_engine) as session:
            lines = budget_consumption.consumption(session, gestion, grant_id=grant_id).lines
            budget_revision.save_transfer(
                session,
                gestion,
                grant_id=grant_id,
                data={
                    "from_line_id": revision.to_line_id,
                    "to_line_id": revision.from_line_id,
                    "amount": typed,
                    "reason": "Annulation du test",
                    "confirm_beyond": True,
                },
                expected_versions={line.line_id: line.version for line in lines},
            )
