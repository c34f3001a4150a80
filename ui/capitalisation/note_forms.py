"""The pieces of the « Notes de pratique » page: the list, a note read in full, the forms to propose, edit and
validate a note, and the one that links published figures to it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import N_, _, formats
from models.capitalisation import NoteStatus, PracticeStrand, PracticeTheme
from models.labels import label
from services.capitalisation import notes
from services.capitalisation.notes import NoteRow
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from services.reporting import practice_figures
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

NO_PERSON_WARNING = N_(
    "Une note de pratique décrit une façon de travailler, jamais une personne : n'écrivez aucun nom, prénom, "
    "surnom ni code de personne (comme LYO-2026-0042), ni aucun détail qui permettrait de reconnaître quelqu'un."
)


def note_label(row: NoteRow) -> str:
    return f"{row.site_code} — {row.title} ({label(row.status)})"


def notes_table(rows: list[NoteRow]) -> None:
    if not rows:
        st.info(_("Aucune note de pratique pour ce choix."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Site"): [r.site_code for r in rows],
                _("Volet"): [label(r.strand) for r in rows],
                _("Thème"): [label(r.theme) for r in rows],
                _("Titre"): [r.title for r in rows],
                _("Statut"): [label(r.status) for r in rows],
                _("Auteur·rice"): [r.author for r in rows],
                _("Chiffres cités"): [r.figure_count for r in rows],
            }
        ),
        hide_index=True,
    )


def read_note(current: Runtime, principal: Principal, rows: list[NoteRow]) -> None:
    if not rows:
        st.caption(_("Aucune note à lire."))
        return
    chosen = widgets.selectbox(_("Note"), rows, key="practice_read", format_func=note_label)
    with unit_of_work(current.engine) as uow:
        figures = notes.note_figures(uow, principal, chosen.id)
    st.header(md(chosen.title))
    st.caption(
        _("{site} · {strand} · {theme} · {status} · par {author}, le {day}").format(
            site=md(chosen.site_code),
            strand=label(chosen.strand),
            theme=label(chosen.theme),
            status=label(chosen.status),
            author=md(chosen.author),
            day=formats.day(chosen.updated_at.date()),
        )
    )
    for paragraph in chosen.body.split("\n\n"):
        if paragraph.strip():
            st.markdown(md(paragraph))
    if figures:
        figures_table([figure for _id, figure in figures], chosen.site_code)


def figures_table(figures: list[practice_figures.CitedFigure], site_code: str) -> None:
    st.markdown(_("**Chiffres publiés du site {site}**").format(site=md(site_code)))
    st.dataframe(
        pd.DataFrame(
            {
                _("Indicateur"): [f.label for f in figures],
                _("Période"): [f.period_label for f in figures],
                _("Convention"): [f.grant_title for f in figures],
                _("Valeur"): [f.text for f in figures],
            }
        ),
        hide_index=True,
    )
    st.caption(
        _(
            "Chiffres publiés comme dans le dossier du financeur : « < {threshold} » signale moins de {threshold} "
            "personnes, « masqué » une valeur cachée pour qu'une petite valeur ne puisse pas être retrouvée."
        ).format(threshold=formats.number(practice_figures.export_threshold()))
    )


def new_note_form(current: Runtime, principal: Principal, sites: list[SiteChoice], *, officer: bool) -> None:
    form = "practice_note_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    if not sites:
        st.caption(_("Aucun site ouvert sur lequel écrire une note."))
        return
    site_of = {site.id: site for site in sites}
    st.warning(_(NO_PERSON_WARNING), icon=":material/privacy_tip:")
    with widgets.form(key):
        form_state.form_error(form)
        site_id = widgets.selectbox(
            _("Site de la pratique"), list(site_of), key=f"{key}_site", format_func=lambda i: site_of[i].label
        )
        form_state.field_error(errors, "site_id")
        strand = widgets.selectbox(_("Volet"), list(PracticeStrand), key=f"{key}_strand", format_func=label)
        form_state.field_error(errors, "strand")
        theme = widgets.selectbox(_("Thème"), list(PracticeTheme), key=f"{key}_theme", format_func=label)
        form_state.field_error(errors, "theme")
        title = st.text_input(_("Titre"), max_chars=notes.TITLE_MAX, key=f"{key}_title")
        form_state.field_error(errors, "title")
        body = st.text_area(
            _("Description de la pratique"),
            max_chars=notes.BODY_MAX,
            height=220,
            key=f"{key}_body",
            help=_(
                "Ce qui est fait, avec qui, comment, ce qui marche et ce qui reste difficile. "
                "Sautez une ligne entre deux paragraphes."
            ),
        )
        form_state.field_error(errors, "body")
        if officer:
            status = widgets.selectbox(_("Statut"), list(NoteStatus), key=f"{key}_status", format_func=label)
        else:
            status = NoteStatus.PROPOSED
            st.caption(_("La note sera proposée aux chargé·es de mission nationales, qui la relisent et la valident."))
        submitted = st.form_submit_button(
            _("Enregistrer la note") if officer else _("Proposer la note"), type="primary"
        )
    if submitted:
        data = {"site_id": site_id, "strand": strand, "theme": theme, "title": title, "body": body, "status": status}

        def create() -> None:
            with unit_of_work(current.engine) as uow:
                notes.create_note(uow, principal, data=data)

        form_state.submit(form, create, _("Note « {title} » enregistrée.").format(title=" ".join(title.split())))


def edit_note_form(current: Runtime, principal: Principal, rows: list[NoteRow], sites: list[SiteChoice]) -> None:
    if not rows:
        st.caption(_("Aucune note à modifier."))
        return
    chosen = widgets.selectbox(_("Note à modifier"), rows, key="practice_edit_choice", format_func=note_label)
    form = f"practice_note_edit_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    site_of = {site.id: site for site in sites}
    site_ids = list(site_of) if chosen.site_id in site_of else [chosen.site_id, *site_of]
    st.warning(_(NO_PERSON_WARNING), icon=":material/privacy_tip:")
    with widgets.form(key):
        form_state.form_error(form)
        site_id = widgets.selectbox(
            _("Site de la pratique"),
            site_ids,
            index=site_ids.index(chosen.site_id),
            key=f"{key}_site",
            format_func=lambda i: site_of[i].label if i in site_of else chosen.site_code,
        )
        form_state.field_error(errors, "site_id")
        strands, themes, statuses = list(PracticeStrand), list(PracticeTheme), list(NoteStatus)
        strand = widgets.selectbox(
            _("Volet"), strands, index=strands.index(chosen.strand), key=f"{key}_strand", format_func=label
        )
        theme = widgets.selectbox(
            _("Thème"), themes, index=themes.index(chosen.theme), key=f"{key}_theme", format_func=label
        )
        title = st.text_input(_("Titre"), value=chosen.title, max_chars=notes.TITLE_MAX, key=f"{key}_title")
        form_state.field_error(errors, "title")
        body = st.text_area(
            _("Description de la pratique"), value=chosen.body, max_chars=notes.BODY_MAX, height=220, key=f"{key}_body"
        )
        form_state.field_error(errors, "body")
        status = widgets.selectbox(
            _("Statut"), statuses, index=statuses.index(chosen.status), key=f"{key}_status", format_func=label
        )
        submitted = st.form_submit_button(_("Enregistrer les modifications"), type="primary")
    if submitted:
        data = {"site_id": site_id, "strand": strand, "theme": theme, "title": title, "body": body, "status": status}

        def save() -> None:
            with unit_of_work(current.engine) as uow:
                notes.update_note(uow, principal, chosen.id, expected_version=chosen.version, data=data)

        form_state.submit(form, save, _("Note modifiée."))


def figures_form(current: Runtime, principal: Principal, rows: list[NoteRow]) -> None:
    """Link a note to published figures of its site: a convention funding the site, a period of its grid, the
    indicators; then the figures it cites, each removable."""
    if not rows:
        st.caption(_("Aucune note."))
        return
    chosen = widgets.selectbox(_("Note"), rows, key="practice_figures_choice", format_func=note_label)
    with unit_of_work(current.engine) as uow:
        sources = practice_figures.figure_sources(uow, principal, site_id=chosen.site_id)
        cited = notes.note_figures(uow, principal, chosen.id)
    if not sources:
        st.info(_("Aucune convention finançant ce site n'a encore de chiffres publiés."))
    else:
        source_of = {source.grant_id: source for source in sources}
        left, right = st.columns(2)
        grant_id = widgets.on(left).selectbox(
            _("Convention"), list(source_of), key="practice_figures_grant", format_func=lambda g: source_of[g].title
        )
        periods = {period.key: period for period in source_of[grant_id].periods}
        period_key = widgets.on(right).selectbox(
            _("Période publiée"), list(periods), key="practice_figures_period", format_func=lambda k: periods[k].label()
        )
        form = f"practice_figures_{chosen.id}"
        key = form_state.key(form)
        errors = form_state.errors(form)
        indicator_of = dict(practice_figures.citable_indicators())
        with widgets.form(key):
            form_state.form_error(form)
            form_state.field_error(errors, "grant_id")
            form_state.field_error(errors, "period_key")
            keys = widgets.multiselect(
                _("Indicateurs à citer"), list(indicator_of), key=f"{key}_keys", format_func=indicator_of.get
            )
            form_state.field_error(errors, "indicator_keys")
            submitted = st.form_submit_button(_("Lier ces chiffres à la note"), type="primary")
        if submitted:
            data = {"grant_id": grant_id, "period_key": period_key, "indicator_keys": keys}

            def link() -> None:
                with unit_of_work(current.engine) as uow:
                    notes.cite_figures(uow, principal, chosen.id, data=data)

            form_state.submit(form, link, _("Chiffres liés à la note."))
    if cited:
        figures_table([figure for _id, figure in cited], chosen.site_code)
        remove_figure_form(current, principal, chosen, cited)


def remove_figure_form(
    current: Runtime, principal: Principal, chosen: NoteRow, cited: list[tuple[int, practice_figures.CitedFigure]]
) -> None:
    form = f"practice_figures_remove_{chosen.id}"
    key = form_state.key(form)
    figure_of = dict(cited)
    with widgets.form(key):
        form_state.form_error(form)
        figure_id = widgets.selectbox(
            _("Chiffre à retirer"),
            list(figure_of),
            key=f"{key}_figure",
            format_func=lambda i: f"{figure_of[i].label} — {figure_of[i].period_label}",
        )
        submitted = st.form_submit_button(_("Retirer ce chiffre"))
    if submitted:

        def remove() -> None:
            with unit_of_work(current.engine) as uow:
                notes.remove_figure(uow, principal, chosen.id, figure_id)

        form_state.submit(form, remove, _("Chiffre retiré de la note."))
