"""Pieces of the Dépenses page for gestion: the entry form and the import of an accounting export."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats
from models.labels import label
from services.finance import expense_file, expense_import, expenses
from services.finance.expense_import import ImportRefused
from services.finance.lines import LineChoice
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.platform import form_state, lazy_sections, widgets
from ui.platform.downloads import offer_download
from ui.platform.runtime import Runtime
from ui.platform.text import md

DATE_FORMAT = "DD/MM/YYYY"
IMPORT_FORM = "expense_import"
REPORT_KEY = "expense_import_report"
SUMMARY_KEY = "expense_import_summary"


def line_label(choice: LineChoice) -> str:
    return f"{choice.label} · {label(choice.category)} — {choice.convention_ref}"


def _line_and_day(key: str, errors: dict[str, str], choices: list[LineChoice]) -> dict:
    by_id = {c.id: c for c in choices}
    values = {
        "budget_line_id": widgets.selectbox(
            _("Ligne budgétaire"),
            list(by_id),
            format_func=lambda i: line_label(by_id[i]),
            index=None,
            placeholder=_("Choisir une ligne (code analytique, volet, site)"),
            key=f"{key}_line",
        )
    }
    form_state.field_error(errors, "budget_line_id")
    left, right = st.columns(2)
    with left:
        values["spent_on"] = widgets.date_input(
            _("Date de la dépense"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_date"
        )
        form_state.field_error(errors, "spent_on")
    with right:
        values["amount"] = st.text_input(
            _("Montant (€)"),
            key=f"{key}_amount",
            placeholder=_("1 234,56"),
            help=_("Au centime, virgule décimale. Un avoir se saisit en négatif (-45,00)."),
        )
        form_state.field_error(errors, "amount")
    return values


def _texts(key: str, errors: dict[str, str]) -> dict:
    values = {"label": st.text_input(_("Libellé"), max_chars=expenses.LABEL_MAX, key=f"{key}_label")}
    form_state.field_error(errors, "label")
    left, right = st.columns(2)
    with left:
        values["supplier"] = st.text_input(_("Fournisseur"), max_chars=expenses.SUPPLIER_MAX, key=f"{key}_supplier")
        form_state.field_error(errors, "supplier")
    with right:
        values["voucher_ref"] = st.text_input(
            _("N° de pièce"),
            max_chars=expenses.VOUCHER_MAX,
            key=f"{key}_voucher",
            help=_("Référence de la facture ou du justificatif."),
        )
        form_state.field_error(errors, "voucher_ref")
    return values


def entry_form(runtime: Runtime, principal: Principal, choices: list[LineChoice]) -> None:
    form = "expense_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _line_and_day(key, errors, choices) | _texts(key, errors)
        submitted = st.form_submit_button(_("Enregistrer la dépense"), type="primary")
    if submitted:

        def record() -> None:
            with unit_of_work(runtime.engine) as uow:
                expenses.record_expense(uow, principal, data=data)

        form_state.submit(form, record, _("Dépense enregistrée."))


def _example(principal: Principal) -> None:
    st.caption(
        _(
            "Export de la comptabilité analytique en CSV (séparateur point-virgule, UTF-8 ou Windows-1252) "
            "ou en XLSX. Colonnes reconnues par leur titre : Date, Code analytique, Montant, Libellé, "
            "Fournisseur, N° de pièce. Chaque ligne est rattachée à la ligne budgétaire de même code "
            "analytique. Toutes les lignes sont vérifiées d'abord : au moindre problème, rien n'est importé."
        )
    )
    offer_download(
        principal,
        _("Télécharger un fichier exemple"),
        expense_import.example_csv,
        file_name="exemple-export-compta.csv",
        mime="text/csv",
        key="expense_example",
    )


def _run_import(runtime: Runtime, principal: Principal, uploaded) -> None:
    """The service call of the import form: its row-by-row report (refused) or its summary (imported) is
    kept for the next run; form_state shows the form's message."""
    st.session_state.pop(REPORT_KEY, None)
    st.session_state.pop(SUMMARY_KEY, None)
    bar = st.progress(0, text=_("Vérification des lignes…"))

    def progress(done: int, total: int) -> None:
        bar.progress(
            min(done / total, 1.0),
            text=_("Vérification des lignes…") if done * 2 <= total else _("Enregistrement…"),
        )

    try:
        with unit_of_work(runtime.engine) as uow:
            result = expense_import.import_expenses(
                uow,
                principal,
                filename=uploaded.name if uploaded else None,
                content=uploaded.getvalue() if uploaded else None,
                progress=progress,
            )
    except ImportRefused as exc:  # the report is drawn under the form; the message goes through form_state
        st.session_state[REPORT_KEY] = [(e.row, e.column, e.message) for e in exc.errors]
        raise
    st.session_state[SUMMARY_KEY] = result


def _report() -> None:
    report = st.session_state.get(REPORT_KEY)
    if not report:
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Ligne"): ["—" if row is None else str(row) for row, _column, _message in report],
                _("Colonne"): [_(column) if column else "—" for _row, column, _message in report],
                _("Erreur"): [message for _row, _column, message in report],
            }
        ),
        hide_index=True,
    )


def _summary() -> None:
    summary = st.session_state.get(SUMMARY_KEY)
    if not summary:
        return
    st.success(
        _("« {filename} » importé : {rows} ligne(s), total {total}, {lines} ligne(s) budgétaire(s) touchée(s).").format(
            filename=md(summary.filename),
            rows=formats.number(summary.row_count),
            total=formats.euros(summary.total_cents),
            lines=len(summary.lines),
        ),
        icon=":material/check_circle:",
    )
    st.dataframe(
        pd.DataFrame(
            {
                _("Code analytique"): [line.accounting_code for line in summary.lines],
                _("Lignes importées"): [line.row_count for line in summary.lines],
                _("Total"): [formats.euros(line.total_cents) for line in summary.lines],
            }
        ),
        hide_index=True,
    )


def import_form(runtime: Runtime, principal: Principal) -> None:
    _example(principal)
    form = IMPORT_FORM
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        uploaded = st.file_uploader(
            _("Fichier à importer"),
            type=["csv", "xlsx"],
            key=f"{key}_file",
            help=_(
                "CSV (séparateur « ; ») ou classeur .xlsx (première feuille) : {size} Mo au plus, "
                "{rows} lignes au plus ; un classeur ne doit pas dépasser {unpacked} Mo une fois décompressé."
            ).format(
                size=formats.number(expense_file.MAX_BYTES // (1024 * 1024)),
                rows=formats.number(expense_file.MAX_ROWS),
                unpacked=formats.number(expense_file.MAX_UNPACKED_BYTES // (1024 * 1024)),
            ),
        )
        form_state.field_error(errors, "content")
        submitted = st.form_submit_button(_("Importer"), type="primary")
    if submitted:
        form_state.submit(form, lambda: _run_import(runtime, principal, uploaded), _("Import terminé."))
    _report()
    _summary()


LIST_SECTIONS = "expense_list"  # the sections under the list of expenses, per filter (grant, line, month)
DELETION = "deletion"  # « Supprimer une dépense saisie à la main »


def deletion_section(
    current: Runtime, principal: Principal, manual: list[expenses.ExpenseRow], *, owner: tuple
) -> None:
    """« Supprimer une dépense saisie à la main », folded: its form (among `manual`, the page's expenses entered
    by hand) is drawn once opened on the list's filters `owner` (ui.platform.lazy_sections)."""
    lazy_sections.owned_section(
        st,
        _("Supprimer une dépense saisie à la main"),
        memory=LIST_SECTIONS,
        owner=owner,
        name=DELETION,
        draw=lambda: _deletion_form(current, principal, manual),
        icon=":material/delete:",
    )


def _deletion_form(current: Runtime, principal: Principal, manual: list[expenses.ExpenseRow]) -> None:
    """Delete one of the expenses entered by hand shown on this page, once confirmed."""
    form = "expense_delete"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        target = widgets.selectbox(
            _("Dépense"),
            manual,
            key=f"{key}_target",
            format_func=lambda r: f"{formats.day(r.spent_on)} · {formats.euros(r.amount_cents)} · {r.label}",
        )
        confirmed = st.checkbox(_("Je confirme la suppression"), key=f"{key}_confirm")
        form_state.field_error(errors, "confirmed")
        submitted = st.form_submit_button(_("Supprimer"))
    if submitted:

        def delete() -> None:
            with unit_of_work(current.engine) as uow:
                expenses.delete_expense(uow, principal, target.id, confirmed=confirmed)

        form_state.submit(form, delete, _("Dépense supprimée."))
