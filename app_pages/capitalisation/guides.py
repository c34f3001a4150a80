"""Guides de pratique: the officers assemble validated practice notes into the ordered chapters of a guide and
export a chapter or the whole guide to Word."""

import streamlit as st

from i18n import _
from models.labels import label
from services.capitalisation import guides
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.capitalisation import guide_forms
from ui.platform import form_state, lazy_sections, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import runtime

principal = require_page(PageKey.GUIDES)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Guides de pratique"))
    st.caption(
        _(
            "Deux guides nationaux capitalisent la pratique des sites : l'aller-vers et l'insertion "
            "socio-professionnelle. Un guide est fait de chapitres, un chapitre de notes de pratique validées."
        )
    )
    form_state.show_toast()
    with unit_of_work(current.engine) as uow:
        rows = guides.list_guides(uow, principal)
    lazy_sections.section(
        _("Nouveau guide"),
        key=guide_forms.NEW_GUIDE_SECTION,
        draw=lambda: guide_forms.new_guide_form(current, principal),
        expanded=not rows,
    )
    if not rows:
        st.info(_("Aucun guide pour l'instant."))
        return
    row_of = {row.id: row for row in rows}
    guide_id = widgets.selectbox(
        _("Guide"),
        list(row_of),
        key="guide_choice",
        format_func=lambda i: f"{row_of[i].title} ({label(row_of[i].strand)})",
    )
    with unit_of_work(current.engine) as uow:
        outline = guides.guide_outline(uow, principal, guide_id)
        validated = guide_forms.validated_notes(uow, principal)
    guide_forms.outline_block(outline)
    chapters_tab, notes_tab, export_tab = st.tabs([_("Chapitres"), _("Notes des chapitres"), _("Export Word")])
    with chapters_tab:
        guide_forms.chapter_forms(current, principal, outline)
    with notes_tab:
        guide_forms.chapter_notes_forms(current, principal, outline, validated)
    with export_tab:
        guide_forms.export_block(current, principal, outline)


page(principal)
