"""A guide, or one of its chapters, as a Word document (python-docx) the officers edit before publishing.

Layout: the guide's title (title style), each chapter (heading 1), each note (heading 2) with a line saying its
site, strand and theme, its text paragraph by paragraph, and the published figures it cites as a table
(indicator, period, convention, value for the note's site). Every figure is the funder publication's EXPORT
value (services.reporting.practice_figures): small counts are « < 11 », a value that would reveal one by
difference « masqué ». A closing paragraph explains those signs. Only the officers (CAPITALISE_PRACTICE) export;
each export is audited (who, which guide or chapter, when).
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from sqlmodel import Session

import clock
from i18n import _, formats
from models.audit import AuditAction
from models.labels import label
from services.capitalisation import guides, notes
from services.capitalisation.guides import ChapterOutline, GuideOutline
from services.platform import audit
from services.platform.principal import Capability, Principal
from services.reporting import practice_figures
from services.reporting.report_pack import disclosure_note

WORD_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _chapter(document, session: Session, principal: Principal, chapter: ChapterOutline, today: date) -> None:
    document.add_heading(chapter.title, level=1)
    if not chapter.notes:
        document.add_paragraph(_("Ce chapitre ne contient pas encore de note."))
    for note in chapter.notes:
        document.add_heading(note.title, level=2)
        meta = document.add_paragraph()
        meta.add_run(
            _("Site {site} · {strand} · {theme}").format(
                site=note.site_code, strand=label(note.strand), theme=label(note.theme)
            )
        ).italic = True
        for paragraph in [p.strip() for p in note.body.split("\n\n")]:
            if paragraph:
                document.add_paragraph(paragraph)
        figures = [figure for _id, figure in notes.note_figures(session, principal, note.id, today=today)]
        if not figures:
            continue
        document.add_heading(_("Chiffres publiés du site {site}").format(site=note.site_code), level=3)
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells, (_("Indicateur"), _("Période"), _("Convention"), _("Valeur")), strict=True
        ):
            cell.text = text
        for figure in figures:
            cells = table.add_row().cells
            for cell, text in zip(
                cells, (figure.label, figure.period_label, figure.grant_title, figure.text), strict=True
            ):
                cell.text = text


def _document(
    session: Session, principal: Principal, outline: GuideOutline, chapters: list[ChapterOutline], today: date
) -> bytes:
    document = Document()
    document.core_properties.title = outline.title
    document.add_heading(outline.title, level=0)
    document.add_paragraph(
        _("{strand} · version du {day}").format(strand=label(outline.strand), day=formats.long_day(today))
    )
    for chapter in chapters:
        _chapter(document, session, principal, chapter, today)
    document.add_paragraph(disclosure_note(practice_figures.export_threshold()))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def chapter_document(session: Session, principal: Principal, chapter_id: int, *, today: date | None = None) -> bytes:
    """One chapter of a guide as a .docx (audited and committed)."""
    principal.require(Capability.CAPITALISE_PRACTICE)
    today = today or clock.today()
    outline = guides.guide_outline(session, principal, guides.chapter_guide(session, principal, chapter_id))
    content = _document(session, principal, outline, [outline.chapter(chapter_id)], today)
    _audited(session, principal, outline.id, f"chapter {chapter_id}")
    return content


def guide_document(session: Session, principal: Principal, guide_id: int, *, today: date | None = None) -> bytes:
    """A whole guide as a .docx (audited and committed)."""
    principal.require(Capability.CAPITALISE_PRACTICE)
    today = today or clock.today()
    outline = guides.guide_outline(session, principal, guide_id)
    content = _document(session, principal, outline, list(outline.chapters), today)
    _audited(session, principal, outline.id, "guide")
    return content


def _audited(session: Session, principal: Principal, guide_id: int, detail: str) -> None:
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PRACTICE_GUIDE_EXPORT,
        entity_type="practice_guide",
        entity_id=guide_id,
        detail=detail,
    )
    session.commit()
