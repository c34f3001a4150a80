"""Association et sites: the association's name, its sites and strands (admin); on a new install, the
steps still to do, in order."""

import pandas as pd
import streamlit as st

from i18n import _
from services.platform import organisation
from services.platform.db import unit_of_work
from services.platform.organisation import SetupProgress, SiteRow, StrandRow
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.platform import form_state, widgets
from ui.platform.guards import require_page
from ui.platform.navigation import link_target
from ui.platform.runtime import Runtime, runtime
from ui.platform.text import md

principal = require_page(PageKey.ORGANISATION)


def walk_through(progress: SetupProgress) -> None:
    """The first-run checklist, until every step is done."""
    if progress.complete:
        return
    steps = (
        (progress.association_named, _("Donner le nom de l'association (il figure sur les rapports).")),
        (progress.has_site, _("Ouvrir au moins un site (code, nom, ville).")),
        (progress.has_strand, _("Ajouter les volets de l'association (proposés aux nouvelles subventions).")),
        (progress.has_site_account, _("Créer les comptes des équipes, rattachés à leur site (page « Comptes »).")),
    )
    st.info(_("**Première mise en service** — les étapes, dans l'ordre :"), icon=":material/checklist:")
    for done, text in steps:
        st.checkbox(md(text), value=done, disabled=True)
    if progress.has_site and not progress.has_site_account:
        st.page_link(link_target(PageKey.USERS), label=_("Créer les comptes"), icon=":material/group:")


def association_form(current: Runtime, principal: Principal, name: str | None) -> None:
    form = "association"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        typed = st.text_input(
            _("Nom de l'association"),
            value=name or "",
            max_chars=organisation.ASSOCIATION_NAME_MAX,
            key=f"{key}_name",
        )
        form_state.field_error(errors, "name")
        submitted = st.form_submit_button(_("Enregistrer"), type="primary")
    if submitted:

        def save() -> None:
            with unit_of_work(current.engine) as uow:
                organisation.set_association_name(uow, principal, data={"name": typed})

        form_state.submit(form, save, _("Nom de l'association enregistré."))


def site_table(rows: list[SiteRow]) -> None:
    if not rows:
        st.info(_("Aucun site pour l'instant."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Code"): [r.code for r in rows],
                _("Nom"): [r.name for r in rows],
                _("Ville"): [r.city for r in rows],
                _("Comptes"): [r.account_count for r in rows],
                _("Relance sans contact (jours)"): [r.no_contact_days for r in rows],
                _("Ouvert"): [_("Oui") if r.is_active else _("Non") for r in rows],
            }
        ),
        hide_index=True,
    )


def new_site_form(current: Runtime, principal: Principal) -> None:
    form = "site_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        code = st.text_input(
            _("Code"), max_chars=8, key=f"{key}_code", help=_("Préfixe des codes des personnes, par exemple LYO.")
        )
        form_state.field_error(errors, "code")
        name = st.text_input(_("Nom"), max_chars=organisation.SITE_NAME_MAX, key=f"{key}_name")
        form_state.field_error(errors, "name")
        city = st.text_input(_("Ville"), max_chars=organisation.SITE_NAME_MAX, key=f"{key}_city")
        form_state.field_error(errors, "city")
        submitted = st.form_submit_button(_("Ouvrir le site"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(current.engine) as uow:
                organisation.create_site(uow, principal, data={"code": code, "name": name, "city": city})

        form_state.submit(form, create, _("Site « {code} » ouvert.").format(code=code.strip().upper()))


def edit_site_form(current: Runtime, principal: Principal, chosen: SiteRow) -> None:
    form = f"site_edit_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        name = st.text_input(_("Nom"), value=chosen.name, max_chars=organisation.SITE_NAME_MAX, key=f"{key}_name")
        form_state.field_error(errors, "name")
        city = st.text_input(_("Ville"), value=chosen.city, max_chars=organisation.SITE_NAME_MAX, key=f"{key}_city")
        form_state.field_error(errors, "city")
        no_contact_days = st.number_input(
            _("Relance sans contact (jours)"),
            value=chosen.no_contact_days,
            step=1,
            key=f"{key}_no_contact_days",
            help=_("« À faire » signale un dossier ouvert sans contact depuis ce nombre de jours (7 à 365)."),
        )
        form_state.field_error(errors, "no_contact_days")
        is_open = st.checkbox(
            _("Site ouvert"),
            value=chosen.is_active,
            key=f"{key}_open",
            help=_("Un site fermé n'est plus proposé dans les formulaires ; ses données restent."),
        )
        submitted = st.form_submit_button(_("Enregistrer"), type="primary")
    if submitted:

        def save() -> None:
            with unit_of_work(current.engine) as uow:
                organisation.update_site(
                    uow,
                    principal,
                    chosen.code,
                    data={"name": name, "city": city, "no_contact_days": no_contact_days},
                )
            if is_open != chosen.is_active:
                with unit_of_work(current.engine) as uow:
                    organisation.set_site_active(uow, principal, chosen.code, active=is_open)

        form_state.submit(form, save, _("Site « {code} » enregistré.").format(code=chosen.code))


def strands_section(current: Runtime, principal: Principal, rows: list[StrandRow]) -> None:
    if rows:
        st.dataframe(
            pd.DataFrame(
                {
                    _("Volet"): [r.name for r in rows],
                    _("Proposé"): [_("Oui") if r.is_active else _("Non") for r in rows],
                }
            ),
            hide_index=True,
        )
    form = "strand_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        name = st.text_input(_("Nouveau volet"), max_chars=organisation.STRAND_NAME_MAX, key=f"{key}_name")
        form_state.field_error(errors, "name")
        submitted = st.form_submit_button(_("Ajouter le volet"))
    if submitted:

        def add() -> None:
            with unit_of_work(current.engine) as uow:
                organisation.add_strand(uow, principal, data={"name": name})

        form_state.submit(form, add, _("Volet ajouté."))
    if rows:
        chosen = widgets.selectbox(_("Volet"), rows, key="strand_choice", format_func=lambda r: r.name)
        text = _("Ne plus proposer") if chosen.is_active else _("Proposer de nouveau")
        form_state.form_error("strand_toggle")
        if st.button(md(text), key="strand_toggle"):

            def toggle() -> None:
                with unit_of_work(current.engine) as uow:
                    organisation.set_strand_active(uow, principal, chosen.id, active=not chosen.is_active)

            done = (
                _("Volet « {name} » retiré des propositions.")
                if chosen.is_active
                else _("Volet « {name} » de nouveau proposé.")
            )
            form_state.submit("strand_toggle", toggle, done.format(name=chosen.name))


def page(principal: Principal) -> None:
    current = runtime()
    st.title(_("Association et sites"))
    form_state.show_toast()
    with unit_of_work(current.engine) as uow:
        progress = organisation.setup_progress(uow, principal)
        name = organisation.association_name(uow, "")
        sites = organisation.list_sites(uow, principal)
        strands = organisation.list_strands(uow, principal)
    walk_through(progress)

    st.header(_("Association"))
    association_form(current, principal, name)

    st.header(_("Sites"))
    site_table(sites)
    create_tab, edit_tab = st.tabs([_("Ouvrir un site"), _("Modifier ou fermer")])
    with create_tab:
        new_site_form(current, principal)
    with edit_tab:
        if not sites:
            st.caption(_("Aucun site à modifier."))
        else:
            chosen = widgets.selectbox(
                _("Site"), sites, key="site_edit_choice", format_func=lambda r: f"{r.code} — {r.name}"
            )
            edit_site_form(current, principal, chosen)

    st.header(_("Volets"))
    strands_section(current, principal, strands)


page(principal)
