"""A guide chapter exported to Word (issue 18), read back with python-docx: its headings, the notes' text and the
table of the published figures, small counts suppressed; the export is audited; only the officers export."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from docx import Document
from sqlmodel import Session

from models.capitalisation import PracticeStrand
from services.capitalisation import guides, notes, word
from services.platform.errors import PermissionDenied
from tests.services.capitalisation import practice_world
from tests.services.capitalisation.practice_world import Q1, TODAY, PracticeWorld


@pytest.fixture
def world(session: Session) -> PracticeWorld:
    return practice_world.build(session)


def a_chapter_with_both_notes(session: Session, world: PracticeWorld) -> tuple[int, int]:
    proposed = notes.get_note(session, world.officer, world.grenoble_note)
    notes.update_note(
        session, world.officer, world.grenoble_note, expected_version=proposed.version, data={"status": "validated"}
    )
    notes.cite_figures(
        session,
        world.officer,
        world.grenoble_note,
        data={"grant_id": world.shared_grant, "period_key": Q1, "indicator_keys": ["new_intakes", "outreach_rounds"]},
        today=TODAY,
    )
    notes.cite_figures(
        session,
        world.officer,
        world.lyon_note,
        data={"grant_id": world.lyon_only_grant, "period_key": Q1, "indicator_keys": ["new_intakes"]},
        today=TODAY,
    )
    guide_id = guides.create_guide(
        session, world.officer, data={"title": "Guide de l'aller-vers", "strand": PracticeStrand.OUTREACH}
    )
    guides.add_chapter(session, world.officer, guide_id, data={"title": "Introduction"})
    chapter_id = guides.add_chapter(
        session, world.officer, guide_id, data={"title": "Aller vers, en ligne et en groupe"}
    )
    guides.place_note(session, world.officer, chapter_id, world.lyon_note)
    guides.place_note(session, world.officer, chapter_id, world.grenoble_note)
    return guide_id, chapter_id


def test_python_docx_reads_the_exported_chapter_back(session, world):
    guide_id, chapter_id = a_chapter_with_both_notes(session, world)

    document = Document(io.BytesIO(word.chapter_document(session, world.officer, chapter_id, today=TODAY)))

    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Title", "Heading"))]
    assert headings == [
        ("Title", "Guide de l'aller-vers"),
        ("Heading 1", "Aller vers, en ligne et en groupe"),  # only the chapter asked for: no « Introduction »
        ("Heading 2", "Répondre aux annonces le soir"),
        ("Heading 3", "Chiffres publiés du site LYO"),
        ("Heading 2", "L'atelier miroir"),
        ("Heading 3", "Chiffres publiés du site GRE"),
    ]
    text = [p.text for p in document.paragraphs]
    assert "Deux salariées répondent aux annonces entre 18 h et 21 h." in text
    assert "Le premier message ne parle que de santé." in text  # one paragraph per paragraph of the note
    assert "Un atelier estime de soi en petit groupe, le mardi matin." in text
    assert "Site GRE · Aller-vers · Atelier estime de soi" in text

    lyon, grenoble = ([[cell.text for cell in row.cells] for row in table.rows] for table in document.tables)
    assert lyon == [
        ["Indicateur", "Période", "Convention", "Valeur"],
        ["Nouveaux accueils", "T1 2026", lyon[1][2], "21"],
    ]
    assert lyon[1][2].startswith("Lyon seul")
    assert [row[0::3] for row in grenoble] == [
        ["Indicateur", "Valeur"],
        ["Nouveaux accueils", "< 11"],  # 2 intakes in Grenoble: never printed
        ["Maraudes", "3"],
    ]
    assert not any(cell == "2" for row in grenoble for cell in row)
    assert any("Secret statistique" in p for p in text)

    audited = session.execute(
        sa.text("SELECT actor_username, entity_id, detail FROM audit_event WHERE action = 'practice_guide.export'")
    ).all()
    assert audited == [(world.officer.username, str(guide_id), f"chapter {chapter_id}")]


def test_the_whole_guide_holds_its_chapters_in_order(session, world):
    guide_id, _chapter = a_chapter_with_both_notes(session, world)
    document = Document(io.BytesIO(word.guide_document(session, world.officer, guide_id, today=TODAY)))
    chapters = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert chapters == ["Introduction", "Aller vers, en ligne et en groupe"]
    assert "Ce chapitre ne contient pas encore de note." in [p.text for p in document.paragraphs]


@pytest.mark.parametrize("role", ["chef_lyon", "worker_grenoble", "direction", "gestion"])
def test_only_the_officers_export(session, world, role):
    guide_id, chapter_id = a_chapter_with_both_notes(session, world)
    with pytest.raises(PermissionDenied):
        word.chapter_document(session, getattr(world, role), chapter_id, today=TODAY)
    with pytest.raises(PermissionDenied):
        word.guide_document(session, getattr(world, role), guide_id, today=TODAY)
