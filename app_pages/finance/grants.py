"""Financements: the grants a role may see, one grant's strands, sites and budget lines; gestion
creates and edits grants and enters their lines (direction and chef_service read only)."""

import pandas as pd
import streamlit as st

from i18n import _, formats
from models.labels import label
from services.finance import grants
from services.finance import lines as budget_lines
from services.finance.grants import GrantDetail, GrantSummary
from services.finance.lines import LineRow
from services.platform.db import unit_of_work
from services.platform.errors import NotFound
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.finance import grant_forms
from ui.platform import form_state, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime
from ui.platform.text import md

principal = require_page(PageKey.GRANTS)


def share(value) -> str:
    return "—" if value is None else formats.percent(float(value), 1)


def _grants_table(summaries: list[GrantSummary]) -> None:
    if not summaries:
        st.info(_("Aucun financement à afficher."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Financeur"): [g.funder_name for g in summaries],
                _("Convention"): [g.convention_ref for g in summaries],
                _("Intitulé"): [g.name for g in summaries],
                _("Période"): [f"{formats.day(g.starts_on)} → {formats.day(g.ends_on)}" for g in summaries],
                _("Montant"): [formats.euros(g.amount_cents) for g in summaries],
                _("Prévu"): [formats.euros(g.planned_cents) for g in summaries],
                _("Réalisé"): [formats.euros(g.spent_cents) for g in summaries],
                _("Consommé"): [share(g.consumed_share) for g in summaries],
            }
        ),
        hide_index=True,
    )


def _chosen_grant(current: Runtime, principal: Principal, summaries: list[GrantSummary]):
    """The grant chosen in the list, with its lines (the page stops if it is no longer visible)."""
    st.header(_("Détail d'un financement"))
    chosen = widgets.selectbox(
        _("Financement"),
        [g.id for g in summaries],
        key="grants_chosen",
        format_func={g.id: f"{g.convention_ref} — {g.name}" for g in summaries}.get,
    )
    try:
        with unit_of_work(current.engine) as uow:
            return grants.grant_detail(uow, principal, chosen), budget_lines.budget_lines(uow, principal, chosen)
    except NotFound as exc:  # removed from the principal's scope since the list was read
        st.error(md(exc))
        st.stop()


def _grant_header(detail: GrantDetail) -> None:
    g = detail.grant
    cols = st.columns(4)
    cols[0].metric(_("Montant de la convention"), formats.euros(g.amount_cents))
    cols[1].metric(_("Réalisé à ce jour"), formats.euros(g.spent_cents), help=_("Sur les lignes que vous voyez."))
    cols[2].metric(_("Tolérance entre lignes"), formats.percent(g.tolerance_bp / 10_000, 1))
    cols[3].metric(_("Frais indirects"), formats.percent(g.indirect_rate_bp / 10_000, 1))
    st.markdown(
        _("**Financeur :** {funder} · **Période :** {start} → {end}").format(
            funder=md(g.funder_name), start=formats.day(g.starts_on), end=formats.day(g.ends_on)
        )
    )
    st.markdown(
        _("**Volets :** {strands} · **Sites :** {sites}").format(
            strands=md(", ".join(s.name for s in detail.strands) or "—"),
            sites=md(", ".join(f"{s.code} ({s.name})" for s in detail.sites) or "—"),
        )
    )


def _lines_table(principal: Principal, grant: GrantSummary, lines: list[LineRow]) -> None:
    if not lines:
        st.info(_("Aucune ligne budgétaire pour l'instant."))
        return
    planned_total = sum(line.planned_cents for line in lines)
    st.dataframe(
        pd.DataFrame(
            {
                _("Volet"): [line.strand_name for line in lines],
                _("Site"): [line.site_code for line in lines],
                _("Catégorie"): [label(line.category) for line in lines],
                _("Code analytique"): [line.accounting_code or "" for line in lines],
                _("Prévu"): [formats.euros(line.planned_cents) for line in lines],
                _("Réalisé"): [formats.euros(line.spent_cents) for line in lines],
                _("Consommé"): [
                    share(line.spent_cents / line.planned_cents if line.planned_cents else None) for line in lines
                ],
            }
        ),
        hide_index=True,
    )
    st.caption(
        _("Total des lignes affichées : {planned} prévus, {spent} réalisés.").format(
            planned=formats.euros(planned_total), spent=formats.euros(sum(line.spent_cents for line in lines))
        )
    )
    if principal.all_sites and planned_total != grant.amount_cents:
        st.warning(
            _("La somme des lignes ({total}) diffère du montant de la convention ({amount}).").format(
                total=formats.euros(planned_total), amount=formats.euros(grant.amount_cents)
            )
        )


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Financements"))
    st.caption(
        _(
            "Les conventions de financement, leurs volets, leurs sites et leurs lignes budgétaires "
            "(catégories du Cerfa 15059). Le réalisé compte les dépenses datées jusqu'à aujourd'hui."
        )
    )
    form_state.show_toast()
    can_edit = principal.can(Capability.EDIT_BUDGET)
    with unit_of_work(current.engine) as uow:
        summaries = grants.list_grants(uow, principal)
        funders = grants.list_funders(uow, principal) if can_edit else []
        sites = grants.site_choices(uow, principal) if can_edit else []
    if not principal.all_sites:
        st.caption(_("Prévu et réalisé portent sur les lignes de vos sites uniquement."))
    _grants_table(summaries)
    if can_edit:
        grant_forms.new_grant_and_funder(current, principal, funders, sites)
    if not summaries:
        st.stop()
    detail, lines = _chosen_grant(current, principal, summaries)
    _grant_header(detail)
    tab_names = [_("Lignes budgétaires")]
    if can_edit:
        tab_names += [_("Modifier les lignes"), _("Modifier la convention")]
    tabs = st.tabs([md(name) for name in tab_names])
    with tabs[0]:
        _lines_table(principal, detail.grant, lines)
    if can_edit:
        with tabs[1]:
            grant_forms.lines_editor(current, principal, detail, lines)
        with tabs[2]:
            grant_forms.grant_form(current, principal, funders=funders, sites=sites, detail=detail)


page(principal)
