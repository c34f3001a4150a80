"""The "Modules" tab of the workshop page: a site's modules, configured by its chef·fe de service."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from models.audit import AuditAction
from models.labels import label
from models.workshops import WorkshopTheme
from services.activities.workshops import modules as workshop_modules
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from ui.platform import conflicts, form_state, widgets
from ui.platform.runtime import Runtime

ORDER = "Ordre"  # the order column of the reorder grid (an identifier; its header is translated)
MODULE = "Module"


def modules_tab(rt: Runtime, principal: Principal, sites: list[SiteChoice], site_id: int | None) -> None:
    st.caption(
        _(
            "Les modules proposés sur un site, dans l'ordre du cycle. Un module retiré n'est plus proposé "
            "pour les nouvelles séances ; ses séances et validations passées restent."
        )
    )
    site_ids = [s.id for s in sites]
    name_of = {s.id: s.label for s in sites}
    chosen_site = widgets.selectbox(
        _("Site"),
        site_ids,
        index=site_ids.index(site_id) if site_id in site_ids else 0,
        format_func=name_of.get,
        key="workshop_modules_site",
    )
    with unit_of_work(rt.engine) as session:
        modules = workshop_modules.list_modules(session, principal, site_id=chosen_site, include_inactive=True)
    if modules:
        st.dataframe(
            pd.DataFrame(
                {
                    _("Ordre"): [m.sort_order for m in modules],
                    _("Module"): [m.name for m in modules],
                    _("Thème"): [label(m.theme) for m in modules],
                    _("Proposé"): [_("Oui") if m.is_active else _("Non (retiré)") for m in modules],
                }
            ),
            hide_index=True,
        )
    new_tab, edit_tab, order_tab = st.tabs([_("Ajouter un module"), _("Renommer ou retirer"), _("Changer l'ordre")])
    with new_tab:
        _new_module(rt, principal, chosen_site)
    with edit_tab:
        if modules:
            _edit_module(rt, principal, modules)
    with order_tab:
        if len(modules) > 1:
            _reorder(rt, principal, chosen_site, modules)


def _new_module(rt: Runtime, principal: Principal, site_id: int) -> None:
    form = "workshop_module_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        form_state.field_error(errors, "site_id")
        name = st.text_input(
            _("Nom du module"),
            max_chars=workshop_modules.MODULE_NAME_MAX,
            key=f"{key}_name",
            help=_("Par exemple « Mobilité : lire un plan de transports »."),
        )
        form_state.field_error(errors, "name")
        theme = widgets.selectbox(_("Thème"), list(WorkshopTheme), format_func=label, key=f"{key}_theme")
        form_state.field_error(errors, "theme")
        submitted = st.form_submit_button(_("Ajouter le module"), type="primary")
    if submitted:
        data = {"site_id": site_id, "name": name, "theme": theme}

        def create() -> None:
            with unit_of_work(rt.engine) as session:
                workshop_modules.create_module(session, principal, data=data)

        form_state.submit(form, create, _("Module « {module} » ajouté.").format(module=" ".join(name.split())))


def _edit_module(rt: Runtime, principal: Principal, modules: list[workshop_modules.ModuleRow]) -> None:
    chosen = widgets.selectbox(
        _("Module"),
        modules,
        key="workshop_module_edit_choice",
        format_func=lambda m: m.name if m.is_active else _("{module} (retiré)").format(module=m.name),
    )
    form = f"workshop_module_edit_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(rt.engine) as session:
            workshop_modules.update_module(session, principal, chosen.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(  # a colleague's save meanwhile is merged, never overwritten
        form,
        chosen.id,
        version=chosen.version,
        values={"name": chosen.name, "theme": chosen.theme, "is_active": chosen.is_active},
        fields={
            "name": conflicts.Field(_("Nom du module")),
            "theme": conflicts.Field(_("Thème")),
            "is_active": conflicts.Field(_("Proposé pour les nouvelles séances")),
        },
        save=save,
        success=_("Module modifié."),
        last_write=conflicts.audited(
            rt.engine, principal, "workshop_module", chosen.id, [AuditAction.WORKSHOP_MODULE_UPDATE]
        ),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        name = st.text_input(
            _("Nom du module"), value=chosen.name, max_chars=workshop_modules.MODULE_NAME_MAX, key=f"{key}_name"
        )
        form_state.field_error(errors, "name")
        theme = widgets.selectbox(
            _("Thème"),
            list(WorkshopTheme),
            index=list(WorkshopTheme).index(chosen.theme),
            format_func=label,
            key=f"{key}_theme",
        )
        form_state.field_error(errors, "theme")
        active = st.checkbox(_("Proposé pour les nouvelles séances"), value=chosen.is_active, key=f"{key}_active")
        submitted = st.form_submit_button(_("Enregistrer le module"), type="primary")
    if submitted:
        edit.submit({"name": name, "theme": theme, "is_active": active})


def _reorder(rt: Runtime, principal: Principal, site_id: int, modules: list[workshop_modules.ModuleRow]) -> None:
    form = f"workshop_module_order_{site_id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        st.caption(_("Donnez à chaque module son rang dans le cycle (1 = premier), puis enregistrez."))
        edited = st.data_editor(
            pd.DataFrame(
                {ORDER: list(range(1, len(modules) + 1)), MODULE: [m.name for m in modules]},
                index=[m.id for m in modules],
            ),
            hide_index=True,
            num_rows="fixed",
            disabled=[MODULE],
            key=f"{key}_grid",
            column_config={
                ORDER: st.column_config.NumberColumn(_("Ordre"), min_value=1, step=1, required=True),
                MODULE: st.column_config.TextColumn(_("Module")),
            },
        )
        form_state.field_error(errors, "order")
        submitted = st.form_submit_button(_("Enregistrer l'ordre"))
    if submitted:
        position = {module_id: index for index, module_id in enumerate(edited.index)}
        ordered = sorted(edited.index, key=lambda module_id: (edited.at[module_id, ORDER], position[module_id]))

        def reorder() -> None:
            with unit_of_work(rt.engine) as session:
                workshop_modules.reorder_modules(
                    session, principal, site_id=site_id, ordered_ids=[int(module_id) for module_id in ordered]
                )

        form_state.submit(form, reorder, _("Ordre des modules enregistré."))
