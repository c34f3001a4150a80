"""Compte rendu financier: a grant's prévu / réalisé per Cerfa category over a period, and its XLSX."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from clock import month_start, today
from i18n import _
from i18n.formats import euros, percent
from models.audit import AuditAction
from services.finance import deviation_notes, financial_report
from services.finance.deviation_notes import Note
from services.finance.financial_report import MISSING_EXPLANATION, CategoryRow, FinancialReport, ReportGrant
from services.platform import organisation
from services.platform.db import unit_of_work
from services.platform.inputs import PeriodInput
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.finance import cerfa_products
from ui.platform import conflicts, form_state, widgets
from ui.platform.downloads import offer_download
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime
from ui.platform.text import md

principal = require_page(PageKey.FINANCIAL_REPORT)

NO_NOTE = 0  # the version of an explanation not written yet (a saved one starts at 1)


def _ratio(row: CategoryRow) -> str:
    value = row.actual_ratio
    return "—" if value is None else percent(float(value), 1)


def _chosen_grant(current: Runtime, principal: Principal) -> ReportGrant:
    with unit_of_work(current.engine) as uow:
        grants = financial_report.report_grants(uow, principal)
    if not grants:
        st.info(_("Aucune convention."))
        st.stop()
    return widgets.selectbox(
        _("Convention"),
        grants,
        key="report_grant",
        format_func=lambda g: f"{g.name} — {g.funder_name} ({g.convention_ref})",
    )


def _period(grant: ReportGrant, as_of: date) -> tuple[date, date]:
    """The period of the report (by default from the grant's start to the end of last month); the page stops
    with the period's message while it is not a valid one."""
    last_month_end = month_start(as_of) - timedelta(days=1)
    default_end = max(grant.starts_on, min(grant.ends_on, last_month_end))
    left, right = st.columns(2)
    start = widgets.on(left).date_input(
        _("Début de la période"), value=grant.starts_on, format="DD/MM/YYYY", key=f"report_start_{grant.id}"
    )
    end = widgets.on(right).date_input(
        _("Fin de la période"), value=default_end, format="DD/MM/YYYY", key=f"report_end_{grant.id}"
    )
    problems = PeriodInput.problems({"start": start, "end": end})
    if problems:
        with left:
            form_state.field_error(problems, "start")
        with right:
            form_state.field_error(problems, "end")
        st.stop()
    return start, end


def _figures(report: FinancialReport) -> None:
    rows = [*report.rows, report.total]
    st.dataframe(
        pd.DataFrame(
            {
                _("Charges"): [r.label for r in rows],
                _("Prévu convention"): [euros(r.planned_grant_cents) for r in rows],
                _("Prévu sur la période"): [euros(r.planned_period_cents) for r in rows],
                _("Réalisé"): [euros(r.actual_cents) for r in rows],
                _("Écart"): [euros(r.deviation_cents) for r in rows],
                _("Réalisé %"): [_ratio(r) for r in rows],
                _("Hors tolérance"): [_("Oui") if r.beyond_tolerance else "" for r in rows],
            }
        ),
        hide_index=True,
    )
    st.caption(
        _(
            "Prévu sur la période : montant de la convention × jours de la période couverts par la convention ÷ "
            "jours de la convention, réparti entre catégories au prorata du prévu. Réalisé : dépenses datées dans la "
            "période. Tolérance de la convention : {tolerance}. Montants exacts au centime : "
            "les lignes font le total."
        ).format(tolerance=percent(report.tolerance_bp / 10_000, 1))
    )


def _workbook(current: Runtime, principal: Principal, grant: ReportGrant, period: tuple[date, date], as_of: date):
    """Prepare the XLSX (an audited export), then offer it for download while the grant and period stay."""
    start, end = period
    if st.button(_("Préparer le classeur Excel"), key=f"report_prepare_{grant.id}"):
        with unit_of_work(current.engine) as uow:
            st.session_state["report_xlsx"] = (
                (grant.id, start, end),
                financial_report.build_financial_report(
                    uow,
                    principal,
                    grant_id=grant.id,
                    period_start=start,
                    period_end=end,
                    today=as_of,
                    association_name=organisation.association_name(uow, current.settings.association_name),
                ),
            )
    prepared = st.session_state.get("report_xlsx")
    ready = prepared is not None and prepared[0] == (grant.id, start, end)
    content = prepared[1] if ready else b""
    offer_download(
        principal,
        _("Télécharger le compte rendu (.xlsx)"),
        lambda: content,
        file_name=f"compte-rendu-{grant.convention_ref}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        disabled=not ready,
        key=f"report_download_{grant.id}",
        icon=None,
        kind="primary",
        help=_("Préparez d'abord le classeur : chaque export est tracé dans le journal.") if not ready else None,
    )


def _explanation_form(current: Runtime, principal: Principal, grant: ReportGrant, row: CategoryRow, note: Note | None):
    """gestion writes (or rewrites) the explanation of one category's deviation; a colleague's save
    meanwhile, even a first one, is merged, never overwritten (ui.platform.conflicts)."""
    form = f"deviation_{grant.id}_{row.category.value}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(current.engine) as uow:
            deviation_notes.save_note(uow, principal, grant_id=grant.id, data=values, expected_version=version or None)

    edit = conflicts.VersionedEdit(
        form,
        grant.id,
        version=note.version if note else NO_NOTE,
        values={"category": row.category, "explanation": note.explanation if note else ""},
        fields={
            "category": conflicts.Field(_("Catégorie")),
            "explanation": conflicts.Field(_("Explication de l'écart")),
        },
        save=save,
        success=_("Explication enregistrée."),
        last_write=conflicts.audited(
            current.engine, principal, "budget_deviation_note", note.id, [AuditAction.DEVIATION_NOTE_SAVE]
        )
        if note
        else lambda: None,
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        text = st.text_area(
            _("Explication de l'écart"),
            value=note.explanation if note else "",
            max_chars=deviation_notes.EXPLANATION_MAX,
            key=f"{key}_text",
            help=_("Imprimée dans l'onglet « Écarts » du compte rendu."),
        )
        form_state.field_error(errors, "explanation")
        saved = st.form_submit_button(_("Enregistrer l'explication"))
    if saved:
        edit.submit({"category": row.category, "explanation": text})


def _deviations(current: Runtime, principal: Principal, grant: ReportGrant, report: FinancialReport) -> None:
    st.header(_("Explication des écarts"))
    if not report.deviations:
        st.success(_("Aucune catégorie au-delà de la tolérance sur cette période."))
        return
    with unit_of_work(current.engine) as uow:
        notes = deviation_notes.notes_of_grant(uow, principal, grant_id=grant.id)
    editor = principal.can(Capability.EDIT_BUDGET)
    for row in report.deviations:
        note = notes.get(row.category)
        st.markdown(
            _("**{category}** — écart {amount} ({ratio} réalisé)").format(
                category=md(row.label), amount=euros(row.deviation_cents), ratio=md(_ratio(row))
            )
        )
        if editor:
            _explanation_form(current, principal, grant, row, note)
        else:
            st.write(md(note.explanation) if note else _(MISSING_EXPLANATION))


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Compte rendu financier"))
    st.caption(
        _(
            "Le compte rendu financier d'une convention (modèle Cerfa 15059) : prévu et réalisé des charges et des "
            "produits sur une période, l'excédent ou le déficit, les contributions volontaires en nature, le détail "
            "du personnel par poste et l'explication des écarts au-delà de la tolérance de la convention."
        )
    )
    form_state.show_toast()
    as_of = today()
    grant = _chosen_grant(current, principal)
    start, end = _period(grant, as_of)
    with unit_of_work(current.engine) as uow:
        report = financial_report.report_data(uow, principal, grant_id=grant.id, period_start=start, period_end=end)
    st.header(_("Charges"))
    _figures(report)
    cerfa_products.show(report)
    cerfa_products.editor(current, principal, grant.id)
    _workbook(current, principal, grant, (start, end), as_of)
    _deviations(current, principal, grant, report)


page(principal)
