"""A national project officer's journey in a real browser (issue 18): a charge_mission account signs in, sees no
person page, writes a practice note, links published figures to it, puts it in a new guide's chapter and
downloads that chapter as a Word document, read back with python-docx."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document

from models.organisation import Role
from services.platform.db import make_engine
from tests.browser.journey import an_account, choose, expect_, open_page, open_tab, save_until_shown, sign_in
from tests.browser.script_runs import wait_settled
from tests.browser.test_funder_journey import _click_for_download

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
TITLE = "Le premier message en ligne"
BODY = "Le premier message ne parle que de santé ; la rencontre est proposée au troisième échange."
GUIDE = "Guide de l'aller-vers (parcours du test)"
CHAPTER = "Aller vers, en ligne"


def test_an_officer_writes_a_note_links_figures_and_exports_a_chapter(running_app, page):
    expect = expect_()
    officer = an_account(running_app, "mission.parcours", "Inès Morel", Role.CHARGE_MISSION, site_codes=("*",))
    sign_in(page, running_app, officer)
    links = sorted(
        text.strip().split("\n")[-1] for text in page.get_by_role("navigation").get_by_role("link").all_inner_texts()
    )
    assert links == ["Accueil", "Guides de pratique", "Mon compte", "Notes de pratique"]  # no person page

    # A note on Lyon, validated at once
    open_page(page, "Notes de pratique")
    panel = open_tab(page, "Nouvelle note")
    expect(panel.get_by_text("jamais une personne")).to_be_visible()
    choose(panel, "Site de la pratique", "LYO — Lyon")
    choose(panel, "Thème", "Aller-vers en ligne")
    panel.get_by_role("textbox", name="Titre", exact=True).fill(TITLE)
    panel.get_by_role("textbox", name="Description de la pratique", exact=True).fill(BODY)
    choose(panel, "Statut", "Validée")
    panel.get_by_role("button", name="Enregistrer la note").click()
    expect(page.get_by_text(f"Note « {TITLE} » enregistrée.")).to_be_visible(timeout=WAIT_MS)

    # Its figures: the rounds and the new intakes of Lyon, on the first period the grid offers
    panel = open_tab(page, "Chiffres publiés")
    choose(panel, "Note", f"LYO — {TITLE} (Validée)")
    wait_settled(page, WAIT_MS)
    choose(panel, "Indicateurs à citer", "Maraudes")
    choose(panel, "Indicateurs à citer", "Nouveaux accueils")
    page.keyboard.press("Escape")
    panel.get_by_role("button", name="Lier ces chiffres à la note").click()
    expect(page.get_by_text("Chiffres liés à la note.")).to_be_visible(timeout=WAIT_MS)

    # A guide, a chapter, the note in it
    open_page(page, "Guides de pratique")
    page.locator("summary", has_text="Nouveau guide").click()  # closed: the demo guides exist
    page.get_by_role("textbox", name="Titre du guide", exact=True).fill(GUIDE)
    wait_settled(page, WAIT_MS)  # a run still drawing the page (the cookie manager's) before the submit
    # Clicked again only if nothing came once the page settled: CI lost this click on 2026-12-07, the title
    # still typed in the form, no message (a click landing in a cookie-manager run: script_runs).
    save_until_shown(page, page.get_by_role("button", name="Créer le guide"), page.get_by_text("Guide créé."))
    choose(page.locator("body"), "Guide", f"{GUIDE} (Aller-vers)")
    panel = open_tab(page, "Chapitres")
    panel.get_by_role("textbox", name="Titre du nouveau chapitre", exact=True).fill(CHAPTER)
    panel.get_by_role("button", name="Ajouter le chapitre").click()
    expect(page.get_by_text("Chapitre ajouté.")).to_be_visible(timeout=WAIT_MS)
    panel = open_tab(page, "Notes des chapitres")
    choose(panel, "Note validée à ajouter", f"LYO — {TITLE} (Aller-vers)")
    panel.get_by_role("button", name="Ajouter au chapitre").click()
    expect(page.get_by_text("Note ajoutée au chapitre.")).to_be_visible(timeout=WAIT_MS)

    # The chapter in Word
    panel = open_tab(page, "Export Word")
    choose(panel, "Exporter", f"Chapitre 1. {CHAPTER}")
    panel.get_by_role("button", name="Préparer le document Word").click()
    download_button = page.get_by_role("button", name="Télécharger le document Word (.docx)")
    expect(download_button).to_be_enabled(timeout=WAIT_MS)
    download = _click_for_download(page, download_button)
    assert download.suggested_filename.endswith(".docx")
    document = Document(io.BytesIO(Path(download.path()).read_bytes()))

    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Title", "Heading"))]
    assert headings == [
        ("Title", GUIDE),
        ("Heading 1", CHAPTER),
        ("Heading 2", TITLE),
        ("Heading 3", "Chiffres publiés du site LYO"),
    ]
    assert BODY in [p.text for p in document.paragraphs]
    [table] = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Indicateur", "Période", "Convention", "Valeur"]
    assert [row[0] for row in rows[1:]] == ["Maraudes", "Nouveaux accueils"]

    # What the database holds, read here with SQL: the note, its two citations, the audited export
    engine = make_engine(running_app.database_url)
    try:
        with engine.connect() as connection:
            cited = connection.execute(
                sa.text(
                    "SELECT f.indicator_key FROM practice_note_figure f JOIN practice_note n ON n.id = f.note_id "
                    "WHERE n.title = :title ORDER BY f.id"
                ),
                {"title": TITLE},
            ).scalars()
            assert list(cited) == ["outreach_rounds", "new_intakes"]
            exports = connection.execute(
                sa.text(
                    "SELECT count(*) FROM audit_event WHERE action = 'practice_guide.export' AND actor_username = :u"
                ),
                {"u": officer.username},
            ).scalar()
            assert exports == 1
    finally:
        engine.dispose()
