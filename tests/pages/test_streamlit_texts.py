"""Streamlit's own texts of its widgets are French in the French interface, wherever Streamlit lets an app
set them (issue 19): an empty selectbox reads « Choisir une option » (not « Choose an option ») or its own
French placeholder, an empty multiselect « Choisir des options », a date field is typed day first
(DD/MM/YYYY), and no form adds « Press Enter to submit form » under its fields, on every page (every page
of the app's table, drawn for the role that enters the most on it, the person file with a file open).

tests/architecture/test_widgets.py checks the source: every such widget goes through ui.platform.widgets.
"""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

import i18n
from models.organisation import Role
from models.persons import Person, PersonStatus
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.access_matrix import ALLOWED
from tests.pages.conftest import ACCOUNT_OF_ROLE, open_page, principal_of, signed_in_app
from ui.platform.navigation import PAGE_SPECS

# The role whose page has the most to fill in, first.
WRITERS_FIRST = (
    Role.CHEF_SERVICE,
    Role.INTERVENANT,
    Role.FORMATEUR,
    Role.GESTION,
    Role.ADMIN,
    Role.DIRECTION,
    Role.CHARGE_MISSION,
    Role.FINANCEUR,
)
CASES = [
    (page, next(role for role in WRITERS_FIRST if (page, role) in ALLOWED))
    for page in PageKey
    if any((page, role) in ALLOWED for role in WRITERS_FIRST)
]


def _french(placeholder: str, generic: str) -> bool:
    """The generic French placeholder, or a page's own (« Tous les statuts »), a French text of the catalogue;
    never empty (Streamlit would show its English)."""
    return placeholder == generic or placeholder in i18n.catalogue(i18n.ENGLISH).singular


def _drawn(app_engine, page: PageKey, role: Role) -> AppTest:
    username = ACCOUNT_OF_ROLE[role]
    at = signed_in_app(username)
    if page != PageKey.PERSON_FILE:
        return open_page(at, page)
    principal = principal_of(app_engine, username)
    with unit_of_work(app_engine) as session:
        code = session.exec(
            select(Person.code)
            .where(Person.status == PersonStatus.ACTIVE, principal.site_filter(Person.site_id))
            .order_by(Person.id)
        ).first()
    at.run()
    at.switch_page(PAGE_SPECS[page].script)
    at.query_params["code"] = code
    return at.run()


def test_every_page_of_the_app_is_checked():
    assert {page for page, _ in CASES} == set(PageKey)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0].value}-{case[1].value}")
def test_streamlit_texts_of_the_widgets_are_french(case, app_engine, demo_database):
    page, role = case
    at = _drawn(app_engine, page, role)
    assert not at.exception, at.exception
    boxes = [(box.label, box.placeholder) for box in at.selectbox]
    assert [label for label, placeholder in boxes if not _french(placeholder, "Choisir une option")] == [], boxes
    multi = [(box.label, box.placeholder) for box in at.multiselect]
    assert [label for label, placeholder in multi if not _french(placeholder, "Choisir des options")] == [], multi
    dates = [(field.label, field.proto.format) for field in at.date_input]
    assert [label for label, shown in dates if shown != "DD/MM/YYYY"] == [], dates


def test_a_form_is_sent_by_its_button_not_by_enter_in_a_field(app_engine, demo_database):
    """The outreach form (several fields): Streamlit's « Press Enter to submit form » is not offered."""
    at = _drawn(app_engine, PageKey.OUTREACH, Role.INTERVENANT)
    assert not at.exception, at.exception
    forms = [block for block in at.main.get("form") if block.proto.form.form_id]
    assert forms, "the outreach page draws its form"
    assert all(not form.proto.form.enter_to_submit for form in forms)
