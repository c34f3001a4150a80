"""Dépenses: gestion enters expenses and imports the accounting export; direction reads the list."""

from datetime import date

import pandas as pd
import streamlit as st

from models.labels import label
from services import budget_lines, clock, expenses, grants
from services.db import unit_of_work
from services.errors import ServiceError
from services.expenses import Source
from services.pages import PageKey
from services.principal import Capability
from ui import budget_entry_expenses, form_state, format
from ui.guards import require_page
from ui.runtime import runtime

PAGE_SIZE = 50
SOURCE_LABELS = {Source.MANUAL: "Saisie", Source.IMPORT: "Import", Source.POST: "Poste"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

principal = require_page(PageKey.EXPENSES)
current = runtime()
st.title("Dépenses")
st.caption("Les dépenses rattachées aux lignes budgétaires des financements : saisies à la main, importées "
           "de la comptabilité, ou salaires imputés depuis les postes. Un montant négatif est un avoir.")
form_state.show_toast()
can_edit = principal.can(Capability.EDIT_BUDGET)

with unit_of_work(current.engine) as uow:
    summaries = grants.list_grants(uow, principal)
    choices = budget_lines.line_choices(uow, principal)

if can_edit:
    entry_tab, import_tab = st.tabs(["Saisir une dépense", "Importer un export comptable"])
    with entry_tab:
        if choices:
            budget_entry_expenses.entry_form(current, principal, choices)
        else:
            st.info("Aucune ligne budgétaire : créez d'abord un financement et ses lignes (page Financements).")
    with import_tab:
        budget_entry_expenses.import_form(current, principal)

st.subheader("Liste des dépenses")
if not summaries:
    st.info("Aucun financement à afficher.")
    st.stop()
left, middle, right = st.columns(3)
grant_id = left.selectbox("Financement", [g.id for g in summaries], key="expenses_grant",
                          format_func={g.id: f"{g.convention_ref} — {g.name}" for g in summaries}.get)
grant_lines = [c for c in choices if c.grant_id == grant_id]
line_label = {c.id: budget_entry_expenses.line_label(c) for c in grant_lines}
line_id = middle.selectbox("Ligne", [None] + list(line_label), key="expenses_line",
                           format_func=lambda i: "Toutes les lignes" if i is None else line_label[i])
chosen = next(g for g in summaries if g.id == grant_id)
months: list[date] = []
month = clock.month_start(min(clock.today(), chosen.ends_on))
while month >= clock.month_start(chosen.starts_on):
    months.append(month)
    month = clock.add_months(month, -1)
picked_month = right.selectbox("Mois", [None] + months, key="expenses_month",
                               format_func=lambda m: "Tous les mois" if m is None else f"{MONTHS[m.month - 1]} {m.year}")
page_number = st.session_state.get("expenses_page", 1)
with unit_of_work(current.engine) as uow:
    result = expenses.list_expenses(uow, principal, grant_id=grant_id, line_id=line_id, month=picked_month,
                                    page=page_number, page_size=PAGE_SIZE)
st.caption(f"{format.number(result.total_count)} dépense(s), total {format.euros(result.total_cents)} "
           f"(toutes pages, filtres appliqués).")
if result.rows:
    st.dataframe(pd.DataFrame({
        "Date": [format.day(r.spent_on) for r in result.rows],
        "Code analytique": [r.accounting_code or "" for r in result.rows],
        "Volet": [r.strand_name for r in result.rows],
        "Site": [r.site_code for r in result.rows],
        "Catégorie": [label(r.category) for r in result.rows],
        "Montant": [format.euros(r.amount_cents) for r in result.rows],
        "Libellé": [r.label for r in result.rows],
        "Fournisseur": [r.supplier or "" for r in result.rows],
        "N° de pièce": [r.voucher_ref or "" for r in result.rows],
        "Origine": [SOURCE_LABELS[r.source] for r in result.rows],
    }), hide_index=True)
    if result.page_count > 1:
        st.number_input(f"Page (sur {result.page_count})", min_value=1, max_value=result.page_count, step=1,
                        key="expenses_page")
else:
    st.info("Aucune dépense pour ces filtres.")

if can_edit:
    manual = [r for r in result.rows if r.deletable]
    if manual:
        with st.expander("Supprimer une dépense saisie à la main"):
            form = "expense_delete"
            key = form_state.key(form)
            with st.form(key):
                form_state.form_error(form)
                target = st.selectbox("Dépense", manual, key=f"{key}_target", format_func=lambda r: (
                    f"{format.day(r.spent_on)} · {format.euros(r.amount_cents)} · {r.label}"))
                confirm = st.checkbox("Je confirme la suppression", key=f"{key}_confirm")
                submitted = st.form_submit_button("Supprimer")
            if submitted:
                def delete() -> None:
                    if not confirm:
                        raise ServiceError("Cochez la confirmation pour supprimer.")
                    with unit_of_work(current.engine) as uow:
                        expenses.delete_expense(uow, principal, target.id)
                form_state.submit(form, delete, "Dépense supprimée.")
