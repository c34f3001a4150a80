"""The pieces of the « Guides de pratique » page: a new guide, its outline, its chapters and their notes in
order, and the Word export of a chapter or of the whole guide."""

from __future__ import annotations

import re
import unicodedata

import streamlit as st
from sqlmodel import Session

from i18n import _
from models.capitalisation import NoteStatus, PracticeStrand
from models.labels import label
from services.capitalisation import guides, notes, word
from services.capitalisation.guides import GuideOutline
from services.capitalisation.notes import NoteRow
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.platform import form_state, widgets
from ui.platform.downloads import offer_download
from ui.platform.runtime import Runtime
from ui.platform.text import md

PREPARED = "guide_word"  # session state: (guide id, chapter id or None, bytes) of the last document prepared


def validated_notes(session: Session, principal: Principal) -> list[NoteRow]:
    return notes.list_notes(session, principal, status=NoteStatus.VALIDATED)


NEW_GUIDE_SECTION = "guides_new_guide"  # « Nouveau guide » on the guides page, drawn once opened (True when open)


def new_guide_form(current: Runtime, principal: Principal) -> None:
    form = "guide_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        title = st.text_input(_("Titre du guide"), max_chars=guides.TITLE_MAX, key=f"{key}_title")
        form_state.field_error(errors, "title")
        strand = widgets.selectbox(_("Volet"), list(PracticeStrand), key=f"{key}_strand", format_func=label)
        form_state.field_error(errors, "strand")
        submitted = st.form_submit_button(_("Créer le guide"), type="primary")
    if submitted:
        data = {"title": title, "strand": strand}

        def create() -> None:
            with unit_of_work(current.engine) as uow:
                guides.create_guide(uow, principal, data=data)

        form_state.submit(form, create, _("Guide créé."))


def outline_block(outline: GuideOutline) -> None:
    st.header(_("Plan du guide"))  # the chapters' headings below it: no h1 → h3 jump
    if not outline.chapters:
        st.caption(_("Ce guide n'a pas encore de chapitre."))
        return
    for number, chapter in enumerate(outline.chapters, start=1):
        st.subheader(md(f"{number}. {chapter.title}"))
        if chapter.notes:
            lines = [f"{index}. {note.title} ({note.site_code})" for index, note in enumerate(chapter.notes, 1)]
            st.markdown(md("\n".join(lines)))
        else:
            st.caption(_("Aucune note dans ce chapitre."))


def _chapter_label(outline: GuideOutline):
    titles = {chapter.id: f"{number}. {chapter.title}" for number, chapter in enumerate(outline.chapters, start=1)}
    return titles.get


def chapter_forms(current: Runtime, principal: Principal, outline: GuideOutline) -> None:
    form = f"guide_chapter_new_{outline.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        title = st.text_input(_("Titre du nouveau chapitre"), max_chars=guides.TITLE_MAX, key=f"{key}_title")
        form_state.field_error(errors, "title")
        submitted = st.form_submit_button(_("Ajouter le chapitre"), type="primary")
    if submitted:

        def add() -> None:
            with unit_of_work(current.engine) as uow:
                guides.add_chapter(uow, principal, outline.id, data={"title": title})

        form_state.submit(form, add, _("Chapitre ajouté."))
    if len(outline.chapters) > 1:
        move = f"guide_chapter_move_{outline.id}"
        move_key = form_state.key(move)
        with widgets.form(move_key):
            form_state.form_error(move)
            chapter_id = widgets.selectbox(
                _("Chapitre à déplacer"),
                [c.id for c in outline.chapters],
                key=f"{move_key}_chapter",
                format_func=_chapter_label(outline),
            )
            direction = st.radio(
                _("Sens"), ["up", "down"], key=f"{move_key}_direction", horizontal=True, format_func=_direction
            )
            moved = st.form_submit_button(_("Déplacer le chapitre"))
        if moved:

            def go() -> None:
                with unit_of_work(current.engine) as uow:
                    guides.move_chapter(uow, principal, chapter_id, direction)

            form_state.submit(move, go, _("Chapitre déplacé."))


def _direction(value: str) -> str:
    return _("Vers le haut") if value == "up" else _("Vers le bas")


def chapter_notes_forms(
    current: Runtime, principal: Principal, outline: GuideOutline, validated: list[NoteRow]
) -> None:
    if not outline.chapters:
        st.caption(_("Ajoutez d'abord un chapitre."))
        return
    chapter_id = widgets.selectbox(
        _("Chapitre"),
        [c.id for c in outline.chapters],
        key=f"guide_notes_chapter_{outline.id}",
        format_func=_chapter_label(outline),
    )
    chapter = outline.chapter(chapter_id)
    placed = {note.id for note in chapter.notes}
    candidates = [note for note in validated if note.id not in placed]
    form = f"guide_place_{chapter.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    if not candidates:
        st.caption(_("Aucune autre note validée à placer dans ce chapitre."))
    else:
        note_of = {note.id: note for note in candidates}
        same_strand_first = sorted(note_of, key=lambda i: (note_of[i].strand != outline.strand, note_of[i].title))
        with widgets.form(key):
            form_state.form_error(form)
            note_id = widgets.selectbox(
                _("Note validée à ajouter"),
                same_strand_first,
                key=f"{key}_note",
                format_func=lambda i: f"{note_of[i].site_code} — {note_of[i].title} ({label(note_of[i].strand)})",
            )
            form_state.field_error(errors, "note_id")
            submitted = st.form_submit_button(_("Ajouter au chapitre"), type="primary")
        if submitted:

            def place() -> None:
                with unit_of_work(current.engine) as uow:
                    guides.place_note(uow, principal, chapter.id, note_id)

            form_state.submit(form, place, _("Note ajoutée au chapitre."))
    if chapter.notes:
        order = f"guide_order_{chapter.id}"
        order_key = form_state.key(order)
        in_chapter = {note.id: note for note in chapter.notes}
        with widgets.form(order_key):
            form_state.form_error(order)
            chosen = widgets.selectbox(
                _("Note du chapitre"),
                list(in_chapter),
                key=f"{order_key}_note",
                format_func=lambda i: f"{list(in_chapter).index(i) + 1}. {in_chapter[i].title}",
            )
            action = st.radio(
                _("Action"),
                ["up", "down", "remove"],
                key=f"{order_key}_action",
                horizontal=True,
                format_func=lambda a: _("Retirer du chapitre") if a == "remove" else _direction(a),
            )
            submitted = st.form_submit_button(_("Appliquer"))
        if submitted:

            def apply() -> None:
                with unit_of_work(current.engine) as uow:
                    if action == "remove":
                        guides.remove_note(uow, principal, chapter.id, chosen)
                    else:
                        guides.move_note(uow, principal, chapter.id, chosen, action)

            form_state.submit(order, apply, _("Ordre du chapitre enregistré."))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:50] or "guide"


def export_block(current: Runtime, principal: Principal, outline: GuideOutline) -> None:
    """Prepare the document (an audited export), then offer it while the same guide and chapter are chosen."""
    if not outline.chapters:
        st.caption(_("Ajoutez d'abord un chapitre."))
        return
    options = [None, *[c.id for c in outline.chapters]]
    chapter_label = _chapter_label(outline)
    chapter_id = widgets.selectbox(
        _("Exporter"),
        options,
        key=f"guide_export_choice_{outline.id}",
        format_func=lambda i: (
            _("Le guide entier") if i is None else _("Chapitre {title}").format(title=chapter_label(i))
        ),
    )
    if st.button(_("Préparer le document Word"), key=f"guide_export_prepare_{outline.id}"):
        with unit_of_work(current.engine) as uow:
            content = (
                word.guide_document(uow, principal, outline.id)
                if chapter_id is None
                else word.chapter_document(uow, principal, chapter_id)
            )
        st.session_state[PREPARED] = (outline.id, chapter_id, content)
    prepared = st.session_state.get(PREPARED)
    ready = prepared is not None and prepared[:2] == (outline.id, chapter_id)
    name = (
        _slug(outline.title)
        if chapter_id is None
        else f"{_slug(outline.title)}-{_slug(outline.chapter(chapter_id).title)}"
    )
    content = prepared[2] if ready else b""
    offer_download(
        principal,
        _("Télécharger le document Word (.docx)"),
        lambda: content,
        file_name=f"{name}.docx",
        mime=word.WORD_MIME,
        key=f"guide_export_download_{outline.id}",
        icon=None,
        kind="primary",
        disabled=not ready,
        help=_("Préparez d'abord le document : chaque export est tracé dans le journal.") if not ready else None,
    )
