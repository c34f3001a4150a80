"""Financements: the grants a role may see, one grant's strands, sites and budget lines; gestion
creates and edits grants and enters their lines (direction and chef_service read only)."""

import pandas as pd
import streamlit as st

from models.labels import label
from services import budget_lines, grants
from services.db import unit_of_work
from services.errors import NotFound
from services.pages import PageKey
from services.principal import Capability
from ui import budget_entry, form_state, format
from ui.guards import require_page
from ui.runtime import runtime

principal = require_page(PageKey.GRANTS)
current = runtime()
st.title("Financements")
st.caption("Les conventions de financement, leurs volets, leurs sites et leurs lignes budgétaires "
           "(catégories du Cerfa 15059). Le réalisé compte les dépenses datées jusqu'à aujourd'hui.")
form_state.show_toast()
can_edit = principal.can(Capability.EDIT_BUDGET)


def share(value) -> str:  # noqa: ANN001
    return "—" if value is None else format.percent(float(value), 1)


with unit_of_work(current.engine) as uow:
    summaries = grants.list_grants(uow, principal)
    funders = grants.list_funders(uow, principal) if can_edit else []
    sites = grants.site_choices(uow, principal) if can_edit else []

if not principal.all_sites:
    st.caption("Prévu et réalisé portent sur les lignes de vos sites uniquement.")

if summaries:
    st.dataframe(
        pd.DataFrame({
            "Financeur": [g.funder_name for g in summaries],
            "Convention": [g.convention_ref for g in summaries],
            "Intitulé": [g.name for g in summaries],
            "Période": [f"{format.day(g.starts_on)} → {format.day(g.ends_on)}" for g in summaries],
            "Montant": [format.euros(g.amount_cents) for g in summaries],
            "Prévu": [format.euros(g.planned_cents) for g in summaries],
            "Réalisé": [format.euros(g.spent_cents) for g in summaries],
            "Consommé": [share(g.consumed_share) for g in summaries],
        }),
        hide_index=True,
    )
else:
    st.info("Aucun financement à afficher.")

if can_edit:
    with st.expander("Nouveau financement", icon=":material/add:"):
        if not funders:
            st.caption("Ajoutez d'abord un financeur.")
        else:
            budget_entry.grant_form(current, principal, funders=funders, sites=sites)
    with st.expander("Nouveau financeur", icon=":material/account_balance:"):
        budget_entry.funder_form(current, principal)

if not summaries:
    st.stop()

st.subheader("Détail d'un financement")
chosen = st.selectbox("Financement", [g.id for g in summaries], key="grants_chosen",
                      format_func={g.id: f"{g.convention_ref} — {g.name}" for g in summaries}.get)
try:
    with unit_of_work(current.engine) as uow:
        detail = grants.grant_detail(uow, principal, chosen)
        lines = budget_lines.budget_lines(uow, principal, chosen)
except NotFound as exc:
    st.error(str(exc))
    st.stop()

g = detail.grant
cols = st.columns(4)
cols[0].metric("Montant de la convention", format.euros(g.amount_cents))
cols[1].metric("Réalisé à ce jour", format.euros(g.spent_cents), help="Sur les lignes que vous voyez.")
cols[2].metric("Tolérance entre lignes", format.percent(g.tolerance_bp / 10_000, 1))
cols[3].metric("Frais indirects", format.percent(g.indirect_rate_bp / 10_000, 1))
st.markdown(f"**Financeur :** {g.funder_name} · **Période :** {format.day(g.starts_on)} → {format.day(g.ends_on)}")
st.markdown("**Volets :** " + (", ".join(s.name for s in detail.strands) or "—")
            + " · **Sites :** " + (", ".join(f"{s.code} ({s.name})" for s in detail.sites) or "—"))

tab_names = ["Lignes budgétaires"] + (["Modifier les lignes", "Modifier la convention"] if can_edit else [])
tabs = st.tabs(tab_names)
with tabs[0]:
    if lines:
        planned_total = sum(line.planned_cents for line in lines)
        st.dataframe(
            pd.DataFrame({
                "Volet": [line.strand_name for line in lines],
                "Site": [line.site_code for line in lines],
                "Catégorie": [label(line.category) for line in lines],
                "Code analytique": [line.accounting_code or "" for line in lines],
                "Prévu": [format.euros(line.planned_cents) for line in lines],
                "Réalisé": [format.euros(line.spent_cents) for line in lines],
                "Consommé": [share(line.spent_cents / line.planned_cents if line.planned_cents else None)
                             for line in lines],
            }),
            hide_index=True,
        )
        st.caption(f"Total des lignes affichées : {format.euros(planned_total)} prévus, "
                   f"{format.euros(sum(line.spent_cents for line in lines))} réalisés.")
        if principal.all_sites and planned_total != g.amount_cents:
            st.warning(f"La somme des lignes ({format.euros(planned_total)}) diffère du montant de la convention "
                       f"({format.euros(g.amount_cents)}).")
    else:
        st.info("Aucune ligne budgétaire pour l'instant.")
if can_edit:
    with tabs[1]:
        budget_entry.lines_editor(current, principal, detail, lines)
    with tabs[2]:
        budget_entry.grant_form(current, principal, funders=funders, sites=sites, detail=detail)
