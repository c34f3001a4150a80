"""Notes de pratique: the officers write, validate and link published figures to practice notes of every site;
the teams of a site read their site's notes and propose new ones."""

import streamlit as st

from i18n import _
from models.capitalisation import NoteStatus, PracticeStrand
from models.labels import label
from services.capitalisation import notes
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.capitalisation import note_forms
from ui.platform import form_state, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import runtime

principal = require_page(PageKey.PRACTICE_NOTES)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    officer = principal.can(Capability.CAPITALISE_PRACTICE)
    st.title(_("Notes de pratique"))
    st.caption(
        _(
            "Ce que les équipes ont appris de leur pratique (aller-vers en ligne, atelier estime de soi, le "
            "français comme premier pas…), pour les guides nationaux. Les chiffres cités sont ceux publiés pour "
            "le site, petits effectifs masqués."
        )
    )
    form_state.show_toast()
    with unit_of_work(current.engine) as uow:
        sites = notes.note_sites(uow, principal)
        site_of = {site.id: site for site in sites}
        left, middle, right = st.columns(3)
        site_id = widgets.on(left).selectbox(
            _("Site"),
            [None, *site_of],
            key="practice_site",
            format_func=lambda i: (
                (_("Tous les sites") if officer else _("Tous mes sites")) if i is None else site_of[i].label
            ),
        )
        strand = widgets.on(middle).selectbox(
            _("Volet"),
            [None, *PracticeStrand],
            key="practice_strand",
            format_func=lambda s: _("Tous les volets") if s is None else label(s),
        )
        status = widgets.on(right).selectbox(
            _("Statut"),
            [None, *NoteStatus],
            key="practice_status",
            format_func=lambda s: _("Tous les statuts") if s is None else label(s),
        )
        rows = notes.list_notes(uow, principal, site_id=site_id, strand=strand, status=status)
    note_forms.notes_table(rows)

    if officer:
        tabs = st.tabs([_("Lire une note"), _("Nouvelle note"), _("Modifier ou valider"), _("Chiffres publiés")])
    else:
        tabs = st.tabs([_("Lire une note"), _("Nouvelle note")])
    with tabs[0]:
        note_forms.read_note(current, principal, rows)
    with tabs[1]:
        note_forms.new_note_form(current, principal, sites, officer=officer)
    if officer:
        with tabs[2]:
            note_forms.edit_note_form(current, principal, rows, sites)
        with tabs[3]:
            note_forms.figures_form(current, principal, rows)


page(principal)
