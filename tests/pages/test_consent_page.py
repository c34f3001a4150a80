"""The « Consentements » section of a person file through AppTest: a social worker records a withdrawal and
sees it in the history; a bad day gets its message beside the field and the input stays; direction sees
the current state only, no form."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from streamlit.testing.v1 import AppTest

import clock
from models.organisation import Site
from models.persons import ConsentChange, ConsentScope, Person, PersonStatus
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import all_text, button, error_after, open_file_section, signed_in_app
from ui.platform.navigation import PAGE_SPECS

FILE_SCRIPT = PAGE_SPECS[PageKey.PERSON_FILE].script
SAVE = "Enregistrer le changement"


def _a_consenting_file(app_engine) -> tuple[str, int, date]:
    """The last Lyon file in progress that consents to statistics and has no consent history."""
    with unit_of_work(app_engine) as session:
        person = session.exec(
            select(Person)
            .join(Site, Site.id == Person.site_id)
            .where(
                Site.code == "LYO",
                Person.status == PersonStatus.ACTIVE,
                Person.consent_statistics.is_(True),
                Person.id.not_in(select(ConsentChange.person_id)),
            )
            .order_by(Person.id.desc())
        ).first()
        return person.code, person.id, person.intake_on


def _open_file(username: str, code: str) -> AppTest:
    at = signed_in_app(username)
    at.run()
    at.switch_page(FILE_SCRIPT)
    at.query_params["code"] = code
    at.run()
    assert not at.exception, at.exception
    return at


def _widget(elements, suffix: str):
    found = [w for w in elements if w.key and w.key.startswith("person_consent__") and w.key.endswith(suffix)]
    assert len(found) == 1, [w.key for w in elements]
    return found[0]


def _history(at: AppTest):
    return next(d.value for d in at.dataframe if "Date d'effet" in d.value.columns)


def test_a_social_worker_records_a_withdrawal_and_sees_it_in_the_history(app_engine, demo_database):
    code, person_id, intake_on = _a_consenting_file(app_engine)
    at = _open_file("ts.lyon", code)
    assert "Consentements" in [e.label for e in at.expander]
    assert "Aucun changement" not in all_text(at)  # the section is drawn once opened
    at = open_file_section(at, "consent")
    assert "Aucun changement" in all_text(at)

    _widget(at.selectbox, "_scope").set_value(ConsentScope.STATISTICS)
    _widget(at.radio, "_given").set_value(False)  # « Retrait »
    _widget(at.date_input, "_effective_on").set_value(date(intake_on.year - 1, 1, 1))
    button(at, SAVE).click().run()
    assert not at.exception, at.exception
    day = _widget(at.date_input, "_effective_on")
    assert (error_after(at, day) or "").startswith("La date d'effet ne peut précéder l'accueil")
    assert day.value == date(intake_on.year - 1, 1, 1)  # the typed day is kept
    assert (_widget(at.selectbox, "_scope").value, _widget(at.radio, "_given").value) == (
        ConsentScope.STATISTICS,
        False,
    )  # and the choices too

    today = clock.today()
    effective = max(intake_on, date(today.year, 3 * ((today.month - 1) // 3) + 1, 1))  # not in a published quarter
    day.set_value(effective)
    button(at, SAVE).click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    history = _history(at)
    assert list(history["Consentement"]) == ["Statistiques anonymes"]
    assert list(history["Changement"]) == ["Retrait"]
    assert next(iter(history["Enregistré par"])) not in ("", "—")
    with unit_of_work(app_engine) as session:
        assert session.get(Person, person_id).consent_statistics is False
        rows = session.exec(
            select(ConsentChange.given, ConsentChange.effective_on).where(ConsentChange.person_id == person_id)
        ).all()
    assert [tuple(r) for r in rows] == [(False, effective)]


def test_direction_sees_the_current_consent_but_no_form(app_engine, demo_database):
    code, _person_id, _intake_on = _a_consenting_file(app_engine)
    at = _open_file("direction", code)
    assert "Consentements" not in [e.label for e in at.expander]
    assert not [b for b in at.button if b.label == SAVE]
    assert "statistiques" in all_text(at)  # the header's current state
