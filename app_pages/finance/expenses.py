"""Dépenses: gestion enters expenses and imports the accounting export; direction reads the list."""

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

import clock
from i18n import N_, _, formats
from models.labels import label
from services.finance import expenses, grants
from services.finance import lines as budget_lines
from services.finance.expenses import ExpensePage, Source
from services.finance.grants import GrantSummary
from services.finance.lines import LineChoice
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.finance import expense_forms
from ui.platform import form_state, pager, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime

principal = require_page(PageKey.EXPENSES)

PAGE_SIZE = 50
SOURCE_LABELS = {Source.MANUAL: N_("Saisie"), Source.IMPORT: N_("Import"), Source.POST: N_("Poste")}


def source_label(source: str) -> str:
    text = SOURCE_LABELS[source]
    return _(text)


def _entry_and_import(current: Runtime, principal: Principal, choices: list[LineChoice]) -> None:
    entry_tab, import_tab = st.tabs([_("Saisir une dépense"), _("Importer un export comptable")])
    with entry_tab:
        if choices:
            expense_forms.entry_form(current, principal, choices)
        else:
            st.info(_("Aucune ligne budgétaire : créez d'abord un financement et ses lignes (page Financements)."))
    with import_tab:
        expense_forms.import_form(current, principal)


def _months_of(grant: GrantSummary) -> list[date]:
    """The months of the grant up to this one, latest first."""
    months: list[date] = []
    month = clock.month_start(min(clock.today(), grant.ends_on))
    while month >= clock.month_start(grant.starts_on):
        months.append(month)
        month = clock.month_start(month, -1)
    return months


def _filters(
    summaries: list[GrantSummary], lines_of: Callable[[int], list[LineChoice]]
) -> tuple[int, int | None, date | None]:
    """(grant, line or None, month or None) chosen above the list; `lines_of(grant_id)`: that grant's lines."""
    left, middle, right = st.columns(3)
    grant_id = widgets.on(left).selectbox(
        _("Financement"),
        [g.id for g in summaries],
        key="expenses_grant",
        format_func={g.id: f"{g.convention_ref} — {g.name}" for g in summaries}.get,
    )
    line_label = {c.id: expense_forms.line_label(c) for c in lines_of(grant_id)}
    line_id = widgets.on(middle).selectbox(
        _("Ligne"),
        [None, *list(line_label)],
        key="expenses_line",
        format_func=lambda i: _("Toutes les lignes") if i is None else line_label[i],
    )
    months = _months_of(next(g for g in summaries if g.id == grant_id))
    month = widgets.on(right).selectbox(
        _("Mois"),
        [None, *months],
        key="expenses_month",
        format_func=lambda m: _("Tous les mois") if m is None else formats.month(m),
    )
    return grant_id, line_id, month


def _expense_table(result: ExpensePage) -> None:
    st.caption(
        _("{count} dépense(s), total {total} (toutes pages, filtres appliqués).").format(
            count=formats.number(result.total_count), total=formats.euros(result.total_cents)
        )
    )
    if not result.rows:
        st.info(_("Aucune dépense pour ces filtres."))
        return
    rows = result.rows
    st.dataframe(
        pd.DataFrame(
            {
                _("Date"): [formats.day(r.spent_on) for r in rows],
                _("Code analytique"): [r.accounting_code or "" for r in rows],
                _("Volet"): [r.strand_name for r in rows],
                _("Site"): [r.site_code for r in rows],
                _("Catégorie"): [label(r.category) for r in rows],
                _("Montant"): [formats.euros(r.amount_cents) for r in rows],
                _("Libellé"): [r.label for r in rows],
                _("Fournisseur"): [r.supplier or "" for r in rows],
                _("N° de pièce"): [r.voucher_ref or "" for r in rows],
                _("Origine"): [source_label(r.source) for r in rows],
            }
        ),
        hide_index=True,
    )
    pager.buttons("expenses_page", result.page, result.page_count)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Dépenses"))
    st.caption(
        _(
            "Les dépenses rattachées aux lignes budgétaires des financements : saisies à la main, importées "
            "de la comptabilité, ou salaires imputés depuis les postes. Un montant négatif est un avoir."
        )
    )
    form_state.show_toast()
    can_edit = principal.can(Capability.EDIT_BUDGET)
    with unit_of_work(current.engine) as uow:
        summaries = grants.list_grants(uow, principal)
        # Every line of the association for the entry form; a reader's filter reads the chosen grant's only.
        choices = budget_lines.line_choices(uow, principal) if can_edit else None
    if choices is not None:
        _entry_and_import(current, principal, choices)
    st.header(_("Liste des dépenses"))
    if not summaries:
        st.info(_("Aucun financement à afficher."))
        st.stop()

    def lines_of(grant_id: int) -> list[LineChoice]:
        if choices is not None:
            return [c for c in choices if c.grant_id == grant_id]
        with unit_of_work(current.engine) as uow:
            return budget_lines.line_choices(uow, principal, grant_id=grant_id)

    grant_id, line_id, month = _filters(summaries, lines_of)
    with unit_of_work(current.engine) as uow:
        result = expenses.list_expenses(
            uow,
            principal,
            grant_id=grant_id,
            line_id=line_id,
            month=month,
            page=pager.current("expenses_page", (grant_id, line_id, month)),
            page_size=PAGE_SIZE,
        )
    _expense_table(result)
    manual = [r for r in result.rows if r.deletable]
    if can_edit and manual:
        expense_forms.deletion_section(current, principal, manual, owner=(grant_id, line_id, month))


page(principal)
