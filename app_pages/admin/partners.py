"""Partenaires: the directory of partner organisations per site (admin: all sites, chef_service: own)."""

import pandas as pd
import streamlit as st

from i18n import _
from models.audit import AuditAction
from models.labels import label
from models.partners import PartnerKind
from services.persons import partners
from services.persons.partners import PartnerRow
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from ui.platform import conflicts, form_state, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime

principal = require_page(PageKey.PARTNERS)


def directory(rows: list[PartnerRow]) -> None:
    if not rows:
        st.info(_("Aucun partenaire pour ce choix."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Site"): [r.site_code for r in rows],
                _("Nom"): [r.name for r in rows],
                _("Type"): [label(r.kind) for r in rows],
                _("Contact"): [r.contact or "" for r in rows],
                _("Actif"): [_("Oui") if r.is_active else _("Non") for r in rows],
            }
        ),
        hide_index=True,
    )


def new_partner_form(current: Runtime, principal: Principal, sites: list[SiteChoice], chosen_site: int | None) -> None:
    site_of = {site.id: site for site in sites}
    form = "partner_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        site_id = widgets.selectbox(
            _("Site du partenaire"),
            list(site_of),
            key=f"{key}_site",
            index=list(site_of).index(chosen_site) if chosen_site else 0,
            format_func=lambda i: site_of[i].label,
        )
        form_state.field_error(errors, "site_id")
        name = st.text_input(
            _("Nom"), max_chars=partners.NAME_MAX, key=f"{key}_name", help=_("Par exemple « France Travail Lyon Est ».")
        )
        form_state.field_error(errors, "name")
        kind = widgets.selectbox(_("Type"), list(PartnerKind), format_func=label, key=f"{key}_kind")
        form_state.field_error(errors, "kind")
        contact = st.text_input(
            _("Contact (accueil, service)"),
            max_chars=partners.CONTACT_MAX,
            key=f"{key}_contact",
            help=_("L'accueil ou le service de l'organisme — jamais d'information sur une personne accompagnée."),
        )
        form_state.field_error(errors, "contact")
        submitted = st.form_submit_button(_("Ajouter le partenaire"), type="primary")
    if submitted:
        data = {"site_id": site_id, "name": name, "kind": kind, "contact": contact}

        def create() -> None:
            with unit_of_work(current.engine) as uow:
                partners.create_partner(uow, principal, data=data)

        form_state.submit(form, create, _("Partenaire « {name} » ajouté.").format(name=" ".join(name.split())))


def partner_label(row: PartnerRow) -> str:
    if row.is_active:
        return f"{row.site_code} — {row.name}"
    return _("{site} — {name} (désactivé)").format(site=row.site_code, name=row.name)


def edit_partner_form(current: Runtime, principal: Principal, chosen: PartnerRow) -> None:
    """A colleague's save meanwhile is merged, never overwritten (ui.platform.conflicts)."""
    form = f"partner_edit_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(current.engine) as uow:
            partners.update_partner(uow, principal, chosen.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        chosen.id,
        version=chosen.version,
        values={
            "name": chosen.name,
            "kind": chosen.kind,
            "contact": chosen.contact or "",
            "is_active": chosen.is_active,
        },
        fields={
            "name": conflicts.Field(_("Nom")),
            "kind": conflicts.Field(_("Type")),
            "contact": conflicts.Field(_("Contact (accueil, service)")),
            "is_active": conflicts.Field(_("Actif (proposé pour les nouvelles orientations)")),
        },
        save=save,
        success=_("Partenaire modifié."),
        last_write=conflicts.audited(current.engine, principal, "partner", chosen.id, [AuditAction.PARTNER_UPDATE]),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        name = st.text_input(_("Nom"), value=chosen.name, max_chars=partners.NAME_MAX, key=f"{key}_name")
        form_state.field_error(errors, "name")
        kinds = list(PartnerKind)
        kind = widgets.selectbox(_("Type"), kinds, index=kinds.index(chosen.kind), format_func=label, key=f"{key}_kind")
        form_state.field_error(errors, "kind")
        contact = st.text_input(
            _("Contact (accueil, service)"),
            value=chosen.contact or "",
            max_chars=partners.CONTACT_MAX,
            key=f"{key}_contact",
        )
        form_state.field_error(errors, "contact")
        active = st.checkbox(
            _("Actif (proposé pour les nouvelles orientations)"), value=chosen.is_active, key=f"{key}_active"
        )
        submitted = st.form_submit_button(_("Enregistrer"), type="primary")
    if submitted:
        edit.submit({"name": name, "kind": kind, "contact": contact, "is_active": active})


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Partenaires"))
    st.caption(
        _(
            "Les organismes vers lesquels les personnes accompagnées sont orientées, site par site. "
            "Un partenaire désactivé n'est plus proposé mais reste dans l'historique des orientations."
        )
    )
    form_state.show_toast()

    with unit_of_work(current.engine) as uow:
        sites = partners.manageable_sites(uow, principal)
        site_of = {site.id: site for site in sites}
        left, right = st.columns([2, 1])
        chosen_site = widgets.on(left).selectbox(
            _("Site"),
            [None, *site_of],
            key="partners_site",
            format_func=lambda i: _("Tous mes sites") if i is None else site_of[i].label,
        )
        show_inactive = right.checkbox(_("Afficher les partenaires désactivés"), key="partners_inactive")
        rows = partners.list_partners(uow, principal, site_id=chosen_site, include_inactive=show_inactive)
        editable = partners.list_partners(uow, principal, site_id=chosen_site, include_inactive=True)
    directory(rows)

    create_tab, edit_tab = st.tabs([_("Ajouter un partenaire"), _("Modifier ou désactiver")])
    with create_tab:
        new_partner_form(current, principal, sites, chosen_site)
    with edit_tab:
        if not editable:
            st.caption(_("Aucun partenaire à modifier."))
        else:
            chosen = widgets.selectbox(_("Partenaire"), editable, key="partner_edit_choice", format_func=partner_label)
            edit_partner_form(current, principal, chosen)


page(principal)
