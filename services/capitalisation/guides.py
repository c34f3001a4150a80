"""Guides of practice: a guide (outreach, or socio-professional integration) is ordered chapters of ordered
validated practice notes, exported to Word (services.capitalisation.word).

Only the national project officers (CAPITALISE_PRACTICE) list, assemble and export guides; every other role is
refused. A guide holds notes and their cited published figures, never a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.capitalisation import ChapterNote, GuideChapter, NoteStatus, PracticeGuide, PracticeNote, PracticeStrand
from services.capitalisation import notes
from services.capitalisation.notes import NoteRow
from services.platform import audit
from services.platform.errors import NotFound, ValidationFailed
from services.platform.inputs import FormInput, checked, messages, required_text
from services.platform.principal import Capability, Principal

TITLE_MAX = 160
TITLE_TAKEN = N_("Un guide porte déjà ce titre.")
NOTE_NOT_VALIDATED = N_("Seule une note validée entre dans un guide : validez-la d'abord.")
NOTE_ALREADY_THERE = N_("Cette note est déjà dans ce chapitre.")


class GuideInput(FormInput):
    title: required_text(
        TITLE_MAX, N_("Le titre est obligatoire."), N_("Le titre ne peut dépasser {max} caractères."), on_one_line=True
    )
    strand: PracticeStrand = Field(json_schema_extra=messages(N_("Choisissez un volet.")))


class ChapterInput(FormInput):
    title: required_text(
        TITLE_MAX, N_("Le titre est obligatoire."), N_("Le titre ne peut dépasser {max} caractères."), on_one_line=True
    )


@dataclass(frozen=True)
class GuideRow:
    id: int
    title: str
    strand: PracticeStrand
    chapter_count: int


@dataclass(frozen=True)
class ChapterOutline:
    id: int
    position: int
    title: str
    notes: tuple[NoteRow, ...]


@dataclass(frozen=True)
class GuideOutline:
    id: int
    title: str
    strand: PracticeStrand
    chapters: tuple[ChapterOutline, ...]

    def chapter(self, chapter_id: int) -> ChapterOutline:
        found = [c for c in self.chapters if c.id == chapter_id]
        if not found:
            raise NotFound()
        return found[0]


def _require(principal: Principal) -> None:
    principal.require(Capability.CAPITALISE_PRACTICE)


def list_guides(session: Session, principal: Principal) -> list[GuideRow]:
    _require(principal)
    chapters = (
        select(sa.func.count())
        .select_from(GuideChapter)
        .where(GuideChapter.guide_id == PracticeGuide.id)
        .scalar_subquery()
    )
    rows = session.exec(select(PracticeGuide, chapters).order_by(PracticeGuide.strand, PracticeGuide.title)).all()
    return [GuideRow(g.id, g.title, g.strand, int(count or 0)) for g, count in rows]


def create_guide(session: Session, principal: Principal, *, data: GuideInput | Mapping[str, object]) -> int:
    _require(principal)
    guide, errors = checked(GuideInput, data)
    if (
        guide is not None
        and session.exec(
            select(PracticeGuide.id).where(sa.func.lower(PracticeGuide.title) == guide.title.lower())
        ).first()
    ):
        errors = {"title": _(TITLE_TAKEN)}
    if errors or guide is None:
        raise ValidationFailed(errors)
    row = PracticeGuide(title=guide.title, strand=guide.strand, author_id=principal.user_id)
    session.add(row)
    session.flush()
    _audit(session, principal, AuditAction.PRACTICE_GUIDE_CREATE, row.id, "guide")
    session.commit()
    return row.id


def _audit(session: Session, principal: Principal, action: AuditAction, guide_id: int, detail: str) -> None:
    audit.record(
        session, actor=principal, action=action, entity_type="practice_guide", entity_id=guide_id, detail=detail
    )


def _guide(session: Session, guide_id: int) -> PracticeGuide:
    guide = session.get(PracticeGuide, guide_id)
    if guide is None:
        raise NotFound()
    return guide


def _chapter(session: Session, chapter_id: int) -> GuideChapter:
    chapter = session.get(GuideChapter, chapter_id)
    if chapter is None:
        raise NotFound()
    return chapter


def guide_outline(session: Session, principal: Principal, guide_id: int) -> GuideOutline:
    """The guide, its chapters in order and the notes of each in order."""
    _require(principal)
    guide = _guide(session, guide_id)
    chapters = session.exec(
        select(GuideChapter).where(GuideChapter.guide_id == guide.id).order_by(GuideChapter.position, GuideChapter.id)
    ).all()
    readable = {row.id: row for row in notes.list_notes(session, principal)}
    placed = session.exec(
        select(ChapterNote)
        .where(ChapterNote.chapter_id.in_([c.id for c in chapters] or [-1]))
        .order_by(ChapterNote.position, ChapterNote.note_id)
    ).all()
    by_chapter: dict[int, list[NoteRow]] = {c.id: [] for c in chapters}
    for link in placed:
        if link.note_id in readable:
            by_chapter[link.chapter_id].append(readable[link.note_id])
    return GuideOutline(
        guide.id,
        guide.title,
        guide.strand,
        tuple(ChapterOutline(c.id, c.position, c.title, tuple(by_chapter[c.id])) for c in chapters),
    )


def add_chapter(
    session: Session, principal: Principal, guide_id: int, *, data: ChapterInput | Mapping[str, object]
) -> int:
    """A chapter at the end of the guide."""
    _require(principal)
    guide = _guide(session, guide_id)
    chapter, errors = checked(ChapterInput, data)
    if errors or chapter is None:
        raise ValidationFailed(errors)
    last = session.exec(
        select(sa.func.coalesce(sa.func.max(GuideChapter.position), 0)).where(GuideChapter.guide_id == guide.id)
    ).one()
    row = GuideChapter(guide_id=guide.id, position=int(last) + 1, title=chapter.title)
    session.add(row)
    session.flush()
    _audit(session, principal, AuditAction.PRACTICE_GUIDE_UPDATE, guide.id, f"chapter {row.id} added")
    session.commit()
    return row.id


def place_note(session: Session, principal: Principal, chapter_id: int, note_id: int | None) -> None:
    """A validated note at the end of a chapter."""
    _require(principal)
    chapter = _chapter(session, chapter_id)
    note = session.get(PracticeNote, note_id) if note_id is not None else None
    if note is None:
        raise ValidationFailed({"note_id": _("Choisissez une note.")})
    if note.status != NoteStatus.VALIDATED:
        raise ValidationFailed({"note_id": _(NOTE_NOT_VALIDATED)})
    if session.get(ChapterNote, (chapter.id, note.id)) is not None:
        raise ValidationFailed({"note_id": _(NOTE_ALREADY_THERE)})
    last = session.exec(
        select(sa.func.coalesce(sa.func.max(ChapterNote.position), 0)).where(ChapterNote.chapter_id == chapter.id)
    ).one()
    session.add(ChapterNote(chapter_id=chapter.id, note_id=note.id, position=int(last) + 1))
    _audit(session, principal, AuditAction.PRACTICE_GUIDE_UPDATE, chapter.guide_id, f"note {note.id} placed")
    session.commit()


def remove_note(session: Session, principal: Principal, chapter_id: int, note_id: int) -> None:
    _require(principal)
    chapter = _chapter(session, chapter_id)
    link = session.get(ChapterNote, (chapter.id, note_id))
    if link is None:
        raise NotFound()
    session.delete(link)
    _audit(session, principal, AuditAction.PRACTICE_GUIDE_UPDATE, chapter.guide_id, f"note {note_id} removed")
    session.commit()


Direction = Literal["up", "down"]


def _swap(session: Session, rows: list, index: int, direction: Direction) -> bool:
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rows):
        return False
    ordered = [row.position for row in rows]
    rows[index], rows[other] = rows[other], rows[index]
    for row, position in zip(rows, sorted(ordered), strict=True):
        row.position = position
        session.add(row)
    return True


def move_note(session: Session, principal: Principal, chapter_id: int, note_id: int, direction: Direction) -> None:
    """Move a note one place up or down in its chapter (nothing at either end)."""
    _require(principal)
    chapter = _chapter(session, chapter_id)
    links = list(
        session.exec(
            select(ChapterNote)
            .where(ChapterNote.chapter_id == chapter.id)
            .order_by(ChapterNote.position, ChapterNote.note_id)
        ).all()
    )
    index = next((i for i, link in enumerate(links) if link.note_id == note_id), None)
    if index is None:
        raise NotFound()
    if _swap(session, links, index, direction):
        _audit(session, principal, AuditAction.PRACTICE_GUIDE_UPDATE, chapter.guide_id, f"note {note_id} moved")
        session.commit()


def move_chapter(session: Session, principal: Principal, chapter_id: int, direction: Direction) -> None:
    """Move a chapter one place up or down in its guide."""
    _require(principal)
    chapter = _chapter(session, chapter_id)
    chapters = list(
        session.exec(
            select(GuideChapter)
            .where(GuideChapter.guide_id == chapter.guide_id)
            .order_by(GuideChapter.position, GuideChapter.id)
        ).all()
    )
    index = next(i for i, c in enumerate(chapters) if c.id == chapter.id)
    if _swap(session, chapters, index, direction):
        _audit(session, principal, AuditAction.PRACTICE_GUIDE_UPDATE, chapter.guide_id, f"chapter {chapter.id} moved")
        session.commit()


def chapter_guide(session: Session, principal: Principal, chapter_id: int) -> int:
    """The guide a chapter belongs to."""
    _require(principal)
    return _chapter(session, chapter_id).guide_id
