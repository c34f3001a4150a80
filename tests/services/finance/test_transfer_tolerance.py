"""A what-if transfer beyond the convention's tolerance between lines is named before saving and saved only
when confirmed (issue 18: a +74 % transfer used to be saved silently)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import select

from models.audit import AuditEvent
from models.finance import BudgetCategory
from models.organisation import Role
from services.finance import revision as br
from services.platform.errors import ValidationFailed
from tests import factories

TODAY = date(2026, 3, 10)
AV = "Aller-vers"
STAFF, PURCHASES, TAXES = BudgetCategory.STAFF, BudgetCategory.PURCHASES, BudgetCategory.TAXES


@pytest.fixture
def world(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    grant = factories.a_budgeted_grant(
        session,
        factories.a_funder(session, "AGRASC tolérance"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        planned=[(AV, lyon, STAFF, 1_000_000), (AV, lyon, PURCHASES, 100_000), (AV, lyon, TAXES, 50_000)],
        tolerance_bp=1500,  # 15 %
    )
    gestion = factories.principal(session, factories.a_user(session, Role.GESTION))
    session.commit()
    return grant, gestion


def plain(message: str) -> str:
    """The message with its non-breaking spaces (French number formats) as plain spaces."""
    return message.replace("\xa0", " ").replace("\u202f", " ")


def _data(grant, source, target, amount, **more):
    return {
        "from_line_id": grant.lines[(AV, "LYO", source)].id,
        "to_line_id": grant.lines[(AV, "LYO", target)].id,
        "amount": amount,
        **more,
    }


def _save(session, grant, gestion, data):
    return br.save_transfer(session, gestion, grant_id=grant.grant.id, data=data, expected_versions={}, today=TODAY)


def test_a_74_percent_transfer_is_named_in_the_preview(session, world):
    grant, gestion = world
    preview = br.simulate_transfer(
        session, gestion, grant_id=grant.grant.id, data=_data(grant, STAFF, PURCHASES, "740,00"), today=TODAY
    )
    # purchases 1 000,00 € → 1 740,00 € (+74 %); staff 10 000,00 € → 9 260,00 € (−7,4 %, within 15 %)
    assert [(b.label, b.convention_cents, b.after_cents) for b in preview.beyond_tolerance] == [
        ("Aller-vers · LYO · 60 – Achats", 100_000, 174_000)
    ]
    assert plain(br.breach_message(preview.beyond_tolerance)) == (
        "Ce transfert dépasse la tolérance de 15 % entre lignes prévue par la convention : "
        "« Aller-vers · LYO · 60 – Achats » +74,0 % (de 1 000,00 € dans la convention à 1 740,00 €). "
        "Au-delà, la convention demande l'accord préalable du financeur : cochez la confirmation pour enregistrer."
    )


def test_within_tolerance_nothing_is_named_and_it_saves(session, world):
    grant, gestion = world
    # purchases +150,00 € = +15 % exactly: within
    revision_id = _save(session, grant, gestion, _data(grant, STAFF, PURCHASES, "150,00", reason="Achats"))
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "budget.revised")).one()
    assert (event.entity_id, event.detail) == (str(revision_id), None)


def test_beyond_tolerance_is_refused_until_confirmed_then_audited(session, world):
    grant, gestion = world
    purchases = grant.lines[(AV, "LYO", PURCHASES)].id
    with pytest.raises(ValidationFailed) as caught:
        _save(session, grant, gestion, _data(grant, STAFF, PURCHASES, "740,00", reason="Matériel"))
    assert list(caught.value.errors) == ["confirm_beyond"]
    assert "« Aller-vers · LYO · 60 – Achats » +74,0 %" in plain(caught.value.errors["confirm_beyond"])
    planned = "SELECT planned_cents FROM budget_line WHERE id = :id"
    assert session.execute(text(planned), {"id": purchases}).scalar_one() == 100_000  # nothing saved
    assert session.execute(text("SELECT COUNT(*) FROM budget_revision")).scalar_one() == 0
    revision_id = _save(
        session, grant, gestion, _data(grant, STAFF, PURCHASES, "740,00", reason="Matériel", confirm_beyond=True)
    )
    assert session.execute(text(planned), {"id": purchases}).scalar_one() == 174_000
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "budget.revised")).one()
    assert (event.entity_id, event.detail) == (
        str(revision_id),
        f"beyond_tolerance_confirmed line={purchases} change_bp=7400",
    )


def test_small_transfers_add_up_against_the_convention(session, world):
    grant, gestion = world
    _save(session, grant, gestion, _data(grant, STAFF, TAXES, "50,00", reason="1"))  # taxes 500 → 550: +10 %
    preview = br.simulate_transfer(
        session, gestion, grant_id=grant.grant.id, data=_data(grant, STAFF, TAXES, "50,00"), today=TODAY
    )
    # taxes 550 → 600 € is +20 % of the 500 € of the convention, though +9,1 % of the 550 € planned now
    assert [(b.convention_cents, b.after_cents) for b in preview.beyond_tolerance] == [(50_000, 60_000)]


def test_an_origin_line_emptied_is_named_too(session, world):
    grant, gestion = world
    preview = br.simulate_transfer(
        session, gestion, grant_id=grant.grant.id, data=_data(grant, TAXES, STAFF, "500,00"), today=TODAY
    )
    assert [(b.label, b.after_cents, b.change) for b in preview.beyond_tolerance] == [
        ("Aller-vers · LYO · 63 – Impôts et taxes", 0, -1)
    ]
