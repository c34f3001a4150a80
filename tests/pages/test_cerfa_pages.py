"""Compte rendu financier page, produits half (Cerfa 15059): gestion adds a produit, direction reads, the other
roles are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from models.finance import ResourceAccount
from services.platform.config import PROJECT_ROOT
from services.platform.pages import PageKey
from tests.pages.conftest import (
    NO_ACCESS,
    TIMEOUT,
    open_page,
    open_sections,
    principal_of,
    signed_in_app,
    texts,
    unique,
)
from ui.finance import cerfa_products
from ui.platform import lazy_sections
from ui.platform.guards import PRINCIPAL_KEY
from ui.platform.navigation import PAGE_SPECS


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _products_key(name: str, grant_id: int) -> str:
    return lazy_sections.section_key(cerfa_products.OPENED_SECTIONS, name, grant_id)


def _frames(at) -> dict[str, object]:
    return {tuple(f.value.columns)[1]: f.value for f in at.dataframe}


def test_gestion_adds_a_state_subsidy_and_sees_it_in_the_produits(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.FINANCIAL_REPORT)
    assert not at.exception, at.exception
    grant = next(s for s in at.selectbox if s.label == "Convention").value
    produits = next(f for f in at.dataframe if "Intitulé" in f.value.columns and "74" in list(f.value["Compte"]))
    labels = [text_.strip() for text_ in produits.value["Intitulé"]]
    assert labels[-3:] == ["Total des produits", "Déficit (charges − produits)", "Total général des produits"]
    detail = unique("Programme 137 ")
    assert not [b for b in at.button if b.label == "Ajouter au compte rendu"]  # folded: drawn once opened
    at = open_sections(at, _products_key(cerfa_products.ADD, grant.id))
    key = f"grant_resource_{grant.id}__0"
    at.selectbox(key=f"{key}_account").set_value(ResourceAccount.SUBSIDY)
    with app_engine.connect() as connection:
        state_funder = connection.execute(
            text("SELECT id FROM funder WHERE kind = 'state' AND id <> :own ORDER BY id LIMIT 1"),
            {"own": connection.execute(text("SELECT funder_id FROM grant WHERE id = :g"), {"g": grant.id}).scalar()},
        ).scalar_one()
    at.selectbox(key=f"{key}_funder").set_value(state_funder)
    at.text_input(key=f"{key}_detail").input(detail)
    at.text_input(key=f"{key}_planned").input("1 234,56")
    at.text_input(key=f"{key}_actual").input("1 000")
    at = _button(at, "Ajouter au compte rendu").click().run()
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        row = connection.execute(
            text("SELECT account, planned_cents, actual_cents FROM grant_resource WHERE detail = :d"), {"d": detail}
        ).one()
    assert tuple(row) == ("74", 123_456, 100_000)
    produits = next(f for f in at.dataframe if "Intitulé" in f.value.columns and "74" in list(f.value["Compte"]))
    assert any(detail in label for label in produits.value["Intitulé"])


def test_gestion_sees_the_message_of_a_subsidy_without_funder(demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.FINANCIAL_REPORT)
    grant = next(s for s in at.selectbox if s.label == "Convention").value
    at = open_sections(at, _products_key(cerfa_products.ADD, grant.id))
    key = f"grant_resource_{grant.id}__0"
    at.selectbox(key=f"{key}_account").set_value(ResourceAccount.SUBSIDY)
    at.text_input(key=f"{key}_planned").input("10")
    at.text_input(key=f"{key}_actual").input("10")
    at = _button(at, "Ajouter au compte rendu").click().run()
    assert "Choisissez le financeur de cette subvention." in texts(at.error)


def test_direction_reads_the_produits_and_has_no_form(demo_database):
    at = open_page(signed_in_app("direction"), PageKey.FINANCIAL_REPORT)
    assert not at.exception, at.exception
    headings = [h.value for h in at.header]
    assert {"Charges", "Produits", "Contributions volontaires en nature"} <= set(headings)
    grant = next(s for s in at.selectbox if s.label == "Convention").value
    # Both forms' sections asked open: a role that may edit would see them now.
    sections = (cerfa_products.ADD, cerfa_products.REMOVE)
    at = open_sections(at, *(_products_key(name, grant.id) for name in sections))
    assert not [b for b in at.button if b.label in ("Ajouter au compte rendu", "Retirer du compte rendu")]


@pytest.mark.parametrize("username", ["chef.lyon", "ts.lyon", "fle.lyon", "admin", "financeur.agrasc"])
def test_other_roles_are_refused(app_engine, demo_database, username):
    """The page's script reached by a role that may not open it: the refusal and nothing of the page."""
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE_SPECS[PageKey.FINANCIAL_REPORT].script), default_timeout=TIMEOUT)
    at.session_state[PRINCIPAL_KEY] = principal_of(app_engine, username)
    at.run()
    assert texts(at.error) == [NO_ACCESS]
    assert not at.dataframe and not at.button
