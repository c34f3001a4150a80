"""Free text about a person, across the whole role × page matrix: `direction`, `gestion`, `financeur` and
`admin` never see it on any page they can open (direction reads files by code: categories and dates, never
the text); the head of service of the file's site does (so this test can fail).

Every free-text field of the Lyon files (closing and status-change reasons, goals and their actions,
referral reasons, employer sectors, assessment comments, course destinations) is overwritten with a marker
through the models (stored as the application stores it), and put back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from models.courses import LanguageAssessment, MainstreamTransition
from models.organisation import Role, Site
from models.partners import Outcome, Referral
from models.pathway import ActionGoal
from models.persons import Person, PersonStatusChange
from services.platform.db import unit_of_work
from services.platform.pages import PageKey, pages_for
from tests.pages.conftest import all_text, every_tab_text, open_page, signed_in_app

FILE_SCRIPT_KEY = PageKey.PERSON_FILE
MARK = "TXTLIBRE"
FIELDS = (
    (Person, "closed_reason"),
    (PersonStatusChange, "reason"),
    (ActionGoal, "goal"),
    (ActionGoal, "actions"),
    (Referral, "reason"),
    (Outcome, "employer_sector"),
    (LanguageAssessment, "comment"),
    (MainstreamTransition, "destination"),
)
NEVER = {"direction": Role.DIRECTION, "gestion": Role.GESTION, "financeur.agrasc": Role.FINANCEUR, "admin": Role.ADMIN}


@pytest.fixture(scope="module")
def marked(app_engine, demo_database) -> Iterator[str]:
    """Mark every free text of the Lyon files; returns the code of a Lyon file holding most of them."""
    saved: list[tuple[type, int, str, object]] = []
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site.id).where(Site.code == "LYO")).one()
        persons = {p.id: p for p in session.exec(select(Person).where(Person.site_id == lyon)).all()}
        richness: dict[int, int] = dict.fromkeys(persons, 0)
        for model, field in FIELDS:
            person_column = model.id if model is Person else model.person_id
            rows = session.exec(select(model).where(person_column.in_(list(persons)))).all()
            for row in rows:
                saved.append((model, row.id, field, getattr(row, field)))
                setattr(row, field, f"{MARK}-{field}-{row.id}")
                session.add(row)
                owner = row.id if model is Person else row.person_id
                richness[owner] += 1
        session.commit()
        code = persons[max(richness, key=richness.get)].code
    yield code
    with unit_of_work(app_engine) as session:
        for model, row_id, field, value in saved:
            row = session.get(model, row_id)
            setattr(row, field, value)
            session.add(row)
        session.commit()


def _open_file(username: str, code: str):
    at = open_page(signed_in_app(username), FILE_SCRIPT_KEY)
    at.query_params["code"] = code
    return at.run()


@pytest.mark.parametrize("username", sorted(NEVER))
def test_no_free_text_of_a_file_on_any_page_of_the_role(marked: str, username: str) -> None:
    for page in pages_for(NEVER[username]):
        at = open_page(signed_in_app(username), page)
        assert not at.exception, (page, at.exception)
        assert MARK not in all_text(at), page
    if PageKey.PERSON_FILE in pages_for(NEVER[username]):
        at = _open_file(username, marked)
        assert not at.exception, at.exception
        text = every_tab_text(at)  # the file draws the lists of its open tab only: each tab opened in turn
        assert marked in text  # the file is open: its code, categories and dates are there
        assert MARK not in text


def test_the_head_of_service_of_the_site_reads_the_text(marked: str) -> None:
    at = _open_file("chef.lyon", marked)
    assert not at.exception, at.exception
    assert MARK in every_tab_text(at)
