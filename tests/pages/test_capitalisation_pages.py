"""Notes de pratique and Guides de pratique (issue 18): the national project officer writes, links figures and
exports; a site's team reads its site's notes and proposes one (a person code refused beside the field);
the officer's menu holds no person page."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from docx import Document

from models.organisation import Role
from services.platform.pages import PageKey
from tests.access_matrix import expected_pages
from tests.pages.conftest import (
    NO_ACCESS,
    PERSON_CODE,
    all_text,
    error_after,
    open_page,
    signed_in_app,
    text_input,
    texts,
    unique,
)
from ui.capitalisation.guide_forms import PREPARED
from ui.platform.navigation import PAGE_SPECS

OFFICER = "mission.nationale"


def button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def text_area(at, label: str):
    found = [w for w in at.text_area if w.label == label]
    assert found, [w.label for w in at.text_area]
    return found[0]


def selectbox(at, label: str):
    found = [w for w in at.selectbox if w.label == label]
    assert found, [w.label for w in at.selectbox]
    return found[0]


def test_the_officers_menu_is_home_notes_guides_and_account_and_no_person_page(demo_database):
    at = signed_in_app(OFFICER).run()
    assert not at.exception, at.exception
    assert expected_pages(Role.CHARGE_MISSION) == [
        PageKey.HOME,
        PageKey.ACCOUNT,
        PageKey.PRACTICE_NOTES,
        PageKey.GUIDES,
    ]
    for page in (PageKey.CASELOAD, PageKey.PERSON_FILE, PageKey.INTAKE, PageKey.DASHBOARD, PageKey.WORKSHOPS):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(PAGE_SPECS[page].script)


@pytest.mark.parametrize("username", ["direction", "gestion", "financeur.agrasc", "admin"])
def test_roles_without_capitalisation_do_not_get_the_pages(username, demo_database):
    at = signed_in_app(username).run()
    for page in (PageKey.PRACTICE_NOTES, PageKey.GUIDES):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(PAGE_SPECS[page].script)


@pytest.mark.parametrize("username", ["chef.lyon", "ts.lyon", "fle.lyon"])
def test_a_team_does_not_get_the_guides(username, demo_database):
    at = signed_in_app(username).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE_SPECS[PageKey.GUIDES].script)


def test_the_officer_reads_every_sites_notes_and_shows_no_person_code(app_engine, demo_database):
    at = open_page(signed_in_app(OFFICER), PageKey.PRACTICE_NOTES)
    assert not at.exception, at.exception
    assert texts(at.title) == ["Notes de pratique"]
    assert set(at.dataframe[0].value["Site"]) == {"LYO", "GRE", "MRS", "PAR"}
    assert [t.label for t in at.tabs] == ["Lire une note", "Nouvelle note", "Modifier ou valider", "Chiffres publiés"]
    with app_engine.connect() as connection:
        codes = set(connection.execute(sa.text("SELECT code FROM person")).scalars())
    shown = set(PERSON_CODE.findall(all_text(at)))  # convention references look alike: compare with the codes
    assert codes and not shown & codes


def test_a_team_member_reads_its_sites_notes_only_and_cannot_edit(demo_database):
    at = open_page(signed_in_app("cip.grenoble"), PageKey.PRACTICE_NOTES)
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["Site"]) == {"GRE"}
    assert [t.label for t in at.tabs] == ["Lire une note", "Nouvelle note"]
    assert NO_ACCESS not in texts(at.error)


def test_a_proposal_holding_a_person_code_is_refused_beside_the_text_and_a_clean_one_is_saved(
    app_engine, demo_database
):
    at = open_page(signed_in_app("ts.lyon"), PageKey.PRACTICE_NOTES)
    assert any("aucun nom, prénom" in w for w in texts(at.warning))  # the form warns first
    title = unique("Accueil sans rendez-vous ")
    text_input(at, "Titre").input(title)
    text_area(at, "Description de la pratique").input("Mme LYO-2026-0042 vient le lundi.")
    at = button(at, "Proposer la note").click().run()
    assert not at.exception, at.exception
    assert "code de personne (LYO-2026-0042)" in error_after(at, text_area(at, "Description de la pratique"))
    with app_engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM practice_note WHERE title = :t"), {"t": title})
        assert count.scalar() == 0

    text_area(at, "Description de la pratique").input("Une permanence sans rendez-vous le lundi matin.")
    at = button(at, "Proposer la note").click().run()
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        saved = connection.execute(
            sa.text("SELECT s.code, n.status FROM practice_note n JOIN site s ON s.id = n.site_id WHERE n.title = :t"),
            {"t": title},
        ).all()
    assert saved == [("LYO", "proposed")]


def test_the_officer_prepares_a_chapter_in_word(app_engine, demo_database):
    with app_engine.connect() as connection:
        guide_id, chapter_id = connection.execute(
            sa.text(
                "SELECT g.id, c.id FROM practice_guide g JOIN guide_chapter c ON c.guide_id = g.id "
                "WHERE g.title = 'Guide de l''aller-vers' AND c.title = 'Aller vers, en ligne'"
            )
        ).one()
    at = open_page(signed_in_app(OFFICER), PageKey.GUIDES)
    assert not at.exception, at.exception
    assert texts(at.title) == ["Guides de pratique"]
    at = selectbox(at, "Guide").set_value(guide_id).run()
    at = selectbox(at, "Exporter").set_value(chapter_id).run()
    at = button(at, "Préparer le document Word").click().run()
    assert not at.exception, at.exception
    assert at.session_state[PREPARED][:2] == (guide_id, chapter_id)
    document = Document(io.BytesIO(at.session_state[PREPARED][2]))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name in ("Title", "Heading 1")]
    assert headings == [("Title", "Guide de l'aller-vers"), ("Heading 1", "Aller vers, en ligne")]
