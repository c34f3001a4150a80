"""Every page, for every role that may open it, drawn in English: no French left.

Two checks, so that a text cannot slip through either way:
- every text asked of the catalogue has its English translation (i18n records the misses);
- every text on screen came through the catalogue: during these runs i18n puts marks around each
  translated text; what is left outside the marks is data (numbers, codes, names of sites,
  modules, partners…) and must not read as French — a label, caption or message written without
  `_()` would.
What is read: titles, markdown, captions, alerts, widget labels, help texts, placeholders and
options, buttons, tabs, expanders, metric labels, table column headers, chart titles.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from babel import Locale
from sqlmodel import SQLModel, select
from streamlit.testing.v1 import AppTest

import i18n
from models.capitalisation import GuideChapter, PracticeGuide, PracticeNote
from models.courses import CourseGroup, MainstreamTransition
from models.finance import Expense, Funder, Grant, GrantResource, Strand
from models.organisation import Site, User
from models.partners import Partner
from models.pathway import ActionGoal
from models.persons import Person, PersonStatus
from models.workshops import WorkshopModule
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.access_matrix import ALLOWED
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.pages.conftest import ACCOUNT_OF_ROLE, login_app, open_page, principal_of, signed_in_app
from ui.platform.language_switch import LANGUAGE_KEY
from ui.platform.navigation import PAGE_SPECS

OPEN, CLOSE = "⟦", "⟧"
MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
TEXT_FIELDS = {"label", "help", "placeholder", "body", "options", "title", "caption", "text"}
CASES = ALLOWED  # every (page, role) the role matrix of the design allows (tests/access_matrix.py)


@pytest.fixture
def marked_translations(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(i18n, "translated_marks", (OPEN, CLOSE))
    i18n.forget_missing()
    yield
    i18n.forget_missing()


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


@pytest.fixture(scope="module")
def french_only_words() -> set[str]:
    """Words of the French catalogue that no English text uses."""
    books = i18n.catalogue(i18n.ENGLISH)
    french = set().union(*(words(text) for text in books.singular), *(words(" ".join(key)) for key in books.plural))
    english = set().union(
        *(words(text) for text in books.singular.values()), *(words(" ".join(forms)) for forms in books.plural.values())
    )
    return french - english


@pytest.fixture(scope="module")
def data_texts(app_engine, demo_database) -> list[str]:
    """Texts typed by people or seeded as data (names, goals…): French, and rightly so; longest first."""
    columns = [
        Site.name,
        Site.code,
        WorkshopModule.name,
        CourseGroup.name,
        Funder.name,
        Grant.name,
        Strand.name,
        Partner.name,
        Partner.contact,
        User.username,
        User.display_name,
        ActionGoal.goal,
        ActionGoal.actions,
        Expense.label,
        Expense.supplier,
        MainstreamTransition.destination,
        GrantResource.detail,
        PracticeNote.title,
        PracticeGuide.title,
        GuideChapter.title,
    ]
    with unit_of_work(app_engine) as session:
        found = {str(text) for column in columns for text in session.exec(select(column).distinct()) if text}
        found |= decrypted_texts(session)
        # a practice note's text is shown paragraph by paragraph
        found |= {part.strip() for body in session.exec(select(PracticeNote.body)) for part in body.split("\n\n")}
    # Country and language names as Babel gives them in English (« Côte d’Ivoire » is English too).
    english = Locale.parse(i18n.BABEL_LOCALES[i18n.ENGLISH])
    found |= {name for name in (*english.territories.values(), *english.languages.values()) if len(name) > 3}
    return sorted(found, key=len, reverse=True)


def decrypted_texts(session) -> set[str]:
    """Every encrypted text of the database, in clear: aliases, notes, and any free text encrypted later
    (found by the column name, so that a new encrypted field is data here without a change)."""
    cipher = FieldCipher([TEST_ENCRYPTION_KEY])
    found = set()
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("_encrypted"):
                tokens = session.execute(sa.select(column).where(column.is_not(None)).distinct()).scalars()
                found |= {cipher.decrypt(token) for token in tokens}
    return {text for text in found if text}


def shown_texts(at: AppTest) -> list[str]:
    """The texts of the run a person reads (see the module docstring), data cells excepted."""
    found: list[str] = []

    def strings(message) -> Iterator[str]:
        for field, value in message.ListFields():
            if field.name in TEXT_FIELDS:
                if isinstance(value, str):
                    yield value
                elif field.is_repeated:
                    yield from (item for item in value if isinstance(item, str))
            elif field.message_type is not None and not field.is_repeated:
                yield from strings(value)

    def chart_titles(spec: dict | list) -> Iterator[str]:
        if isinstance(spec, dict):
            for key, value in spec.items():
                if key == "title":
                    yield from ([value] if isinstance(value, str) else value if isinstance(value, list) else [])
                elif key not in ("datasets", "data"):
                    yield from chart_titles(value)
            if "field" in spec and "type" in spec and "title" not in spec:  # an encoding titled by its field
                yield str(spec["field"])
        elif isinstance(spec, list):
            for item in spec:
                yield from chart_titles(item)

    def walk(node) -> None:
        label = getattr(node, "label", None)
        children = getattr(node, "children", None)
        if children is not None:
            if isinstance(label, str):
                found.append(label)
            for index in sorted(children):
                walk(children[index])
            return
        if getattr(node, "type", None) in ("dataframe", "table") or node.__class__.__name__ == "Dataframe":
            found.extend(column_headers(node))
            return
        proto = getattr(node, "proto", None)
        if proto is None:
            return
        if proto.DESCRIPTOR.name == "ArrowVegaLiteChart":
            found.extend(chart_titles(json.loads(proto.spec)))
            return
        found.extend(strings(proto))

    walk(at.main)
    walk(at.sidebar)
    return found


def column_headers(table) -> list[str]:
    """The headers a table shows: a column's configured label, else its name; hidden columns left out."""
    config = json.loads(table.proto.columns) if getattr(table.proto, "columns", "") else {}
    shown_order = list(getattr(table.proto, "column_order", []) or [])
    headers = []
    for column in table.value.columns:
        settings = config.get(str(column), {}) or {}
        if settings.get("hidden") or (shown_order and str(column) not in shown_order):
            continue
        headers.append(str(settings.get("label") or column))
    return headers


def french_left(texts: list[str], french_words: set[str], data: list[str] = ()) -> list[str]:
    """Texts with French outside the marks of translated text, once the data in them is set aside."""
    suspicious = []
    for text in texts:
        rest = text
        for value in data:
            if value in rest:
                rest = rest.replace(value, " ")
        while MARKED.search(rest):  # innermost first: a translated message may hold translated values
            rest = MARKED.sub(" ", rest)
        rest = rest.replace(OPEN, " ").replace(CLOSE, " ")
        found = {word for word in words(rest) if word in french_words}
        found |= {
            word for word in WORD.findall(rest) if word.islower() and unicodedata.normalize("NFD", word) != word
        }  # été, créé…
        if found:
            suspicious.append(f"{text!r} ({', '.join(sorted(found))})")
    return suspicious


def in_english(at: AppTest) -> AppTest:
    at.session_state[LANGUAGE_KEY] = i18n.ENGLISH
    return at


def assert_all_english(at: AppTest, french_words: set[str], data: list[str]) -> None:
    assert not at.exception, at.exception
    texts = shown_texts(at)
    assert len(texts) > 5, texts
    assert sorted(i18n.missing_translations()) == [], "missing from the English catalogue"
    assert french_left(texts, french_words, data) == []


def test_the_detector_finds_french_outside_the_marks():
    french_words = {"dossiers", "actifs", "enregistrer", "objectif"}
    assert french_left([f"{OPEN}Active files{CLOSE}: 12", f"Lyon {OPEN}site{CLOSE}"], french_words) == []
    assert french_left(["Dossiers actifs : 12"], french_words)
    assert french_left([f"{OPEN}Save{CLOSE} · créé"], french_words)  # not in the catalogue, still French
    assert french_left([f"{OPEN}Files of {OPEN}Lyon{CLOSE}{CLOSE} — Enregistrer"], french_words)
    assert french_left(["Objectif : Sécuriser la mise à l'abri"], french_words, ["Sécuriser la mise à l'abri"])
    assert not french_left(["Sécuriser la mise à l'abri"], french_words, ["Sécuriser la mise à l'abri"])


def test_the_login_page_in_english(marked_translations, french_only_words, data_texts):
    at = login_app()
    at.session_state[LANGUAGE_KEY] = i18n.ENGLISH
    at.run()
    assert "Sign in" in [button.label.strip(OPEN + CLOSE) for button in at.button]
    assert_all_english(at, french_only_words, data_texts)


def _person_in_scope(app_engine, username: str) -> str:
    principal = principal_of(app_engine, username)
    with unit_of_work(app_engine) as session:
        return session.exec(
            select(Person.code)
            .where(Person.status == PersonStatus.ACTIVE, principal.site_filter(Person.site_id))
            .order_by(Person.id)
        ).first()


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0].value}-{case[1].value}")
def test_every_page_in_english(case, app_engine, marked_translations, french_only_words, data_texts):
    page, role = case
    username = ACCOUNT_OF_ROLE[role]
    at = in_english(signed_in_app(username))
    if page == PageKey.PERSON_FILE:
        at.run()
        at.switch_page(PAGE_SPECS[page].script)
        at.query_params["code"] = _person_in_scope(app_engine, username)
        at.run()
    else:
        at = open_page(at, page)
    assert_all_english(at, french_only_words, data_texts)
