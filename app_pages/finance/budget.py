"""Suivi budgétaire: planned vs actual, burn chart, end-of-grant forecast, alerts and the what-if.

direction, gestion: every grant and line; chef_service: the lines of its own sites. A funder sees
its grants' consumption on the Espace financeur (disclosure-controlled aggregates), not here. The
what-if (and saving it as a budget revision) is for EDIT_BUDGET.
"""

import pandas as pd
import streamlit as st

from i18n import _
from i18n.formats import day, euros, percent
from services.finance import consumption as budget_consumption
from services.finance import forecast
from services.finance import revision as budget_revision
from services.finance.consumption import GrantConsumptionReport
from services.finance.fields import typed_cents_or_none
from services.finance.forecast import METHOD_TEXT, GrantForecast
from services.finance.revision import RevisionRow, TransferPreview
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.finance import budget_charts, budget_text
from ui.finance.budget_charts import BURN_SUMMARY
from ui.platform import charts, form_state, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime
from ui.platform.text import md

principal = require_page(PageKey.BUDGET)


def _chosen_grant(current: Runtime, principal: Principal) -> int:
    """The grant chosen (the page stops when the principal has none)."""
    with unit_of_work(current.engine) as uow:
        grants = budget_consumption.list_grants(uow, principal)
    if not grants:
        st.info(_("Aucun financement à afficher pour votre profil."))
        st.stop()
    return widgets.selectbox(
        _("Financement"), [g.id for g in grants], key="budget_grant", format_func={g.id: g.title for g in grants}.get
    )


def _scope(report: GrantConsumptionReport) -> None:
    grant = report.grant
    st.caption(
        _(
            "Convention {reference} · du {start} au {end} · tolérance entre lignes {tolerance} · montants au {today}."
        ).format(
            reference=md(grant.convention_ref),
            start=day(grant.starts_on),
            end=day(grant.ends_on),
            tolerance=md(budget_text.tolerance(grant.tolerance_bp)),
            today=day(report.today),
        )
    )
    if report.partial_scope:
        st.info(
            _(
                "Vous voyez les lignes de vos sites ({sites}) : les montants ci-dessous sont le total de ces "
                "lignes, pas celui de tout le financement."
            ).format(sites=", ".join(md(s.key) for s in report.by_site)),
            icon=":material/info:",
        )


def _key_figures(report: GrantConsumptionReport, outlook: GrantForecast) -> None:
    total = report.total
    first_row, second_row = st.columns(3), st.columns(3)
    first_row[0].metric(
        _("Prévu") if not report.partial_scope else _("Prévu (vos lignes)"),
        euros(total.planned_cents),
        help=_("Somme des montants prévus des lignes budgétaires."),
    )
    first_row[1].metric(
        _("Réalisé à date"),
        euros(total.actual_cents),
        help=_("Somme des dépenses enregistrées jusqu'à aujourd'hui (salaires compris)."),
    )
    first_row[2].metric(_("Reste à consommer"), euros(total.remaining_cents), help=_("Prévu moins réalisé à date."))
    second_row[0].metric(
        _("Consommé"),
        budget_text.share(total.consumed_share),
        help=_("Part du prévu déjà dépensée : à comparer avec la période écoulée."),
    )
    second_row[1].metric(
        _("Période écoulée"),
        percent(float(report.elapsed_share)),
        help=_("Part de la durée de la convention déjà passée (aujourd'hui compris)."),
    )
    second_row[2].metric(
        _("Prévision en fin de convention"),
        euros(outlook.projected_cents),
        delta=_("{amount} par rapport au prévu").format(amount=euros(outlook.projected_cents - total.planned_cents)),
        delta_color="off",
        help=_("Réalisé + ce qui reste attendu jusqu'à la fin (méthode sous le graphique)."),
    )


def _alerts(report: GrantConsumptionReport, outlook: GrantForecast) -> None:
    for alert in outlook.alerts:
        st.warning(md(budget_text.alert_message(alert, report.grant.tolerance_bp)), icon=":material/warning:")
    if not outlook.alerts:
        st.success(_("Aucune alerte : la prévision reste dans la tolérance de la convention."), icon=":material/check:")


def _charts(report: GrantConsumptionReport, points: list, outlook: GrantForecast) -> None:
    st.header(_("Rythme de consommation"))
    charts.show(
        charts.from_aggregates(budget_charts.burn_chart, report, points, outlook),
        _("Rythme de consommation"),
        _(BURN_SUMMARY),
        width="stretch",
    )
    st.caption(_(METHOD_TEXT))
    if not report.lines:
        st.info(_("Ce financement n'a pas encore de ligne budgétaire (page Financements)."))
        st.stop()
    st.header(_("Consommé et temps écoulé par catégorie"))
    charts.show(
        charts.from_aggregates(
            budget_charts.progress_chart, report.by_category, report.elapsed_share, title=_("Catégorie")
        ),
        _("Consommé et temps écoulé par catégorie"),
        _("Part du budget dépensée pour chaque catégorie, face à la part de la période écoulée (trait vertical)."),
        width="stretch",
    )


def _details(report: GrantConsumptionReport, outlook: GrantForecast) -> None:
    st.header(_("Détail"))
    by_strand, by_category, by_site, by_line = st.tabs(
        [_("Par volet"), _("Par catégorie"), _("Par site"), _("Par ligne")]
    )
    for tab, groups, name, key_of in (
        (by_strand, report.by_strand, _("Volet"), lambda line: line.strand_name),
        (by_category, report.by_category, _("Catégorie"), lambda line: line.category.value),
        (by_site, report.by_site, _("Site"), lambda line: line.site_code),
    ):
        with tab:
            st.dataframe(
                budget_text.subtotal_table(
                    groups, report.total, name=name, projected=budget_text.projected_by(report, outlook, key_of)
                ),
                hide_index=True,
            )
    with by_line:
        st.dataframe(budget_text.line_table(report.lines, report.total, outlook), hide_index=True)
    st.caption(
        _(
            "La dernière ligne de chaque tableau est la somme exacte des lignes au-dessus. « Consommé » = "
            "réalisé ÷ prévu ; « Reste » = prévu − réalisé."
        )
    )


def _transfer_fields(key: str, errors: dict[str, str], report: GrantConsumptionReport) -> dict:
    """The what-if's widgets (inside its st.form), their values as typed."""
    lines = {line.line_id: line for line in report.lines}
    options = list(lines)
    describe = {
        i: _("{line} — prévu {amount}").format(line=lines[i].label, amount=euros(lines[i].planned_cents))
        for i in options
    }.get
    values = {
        "from_line_id": widgets.selectbox(
            _("Ligne d'origine (le montant en est retiré)"), options, format_func=describe, key=f"{key}_from"
        )
    }
    form_state.field_error(errors, "from_line_id")
    values["to_line_id"] = widgets.selectbox(
        _("Ligne de destination"), options, format_func=describe, key=f"{key}_to", index=min(1, len(options) - 1)
    )
    form_state.field_error(errors, "to_line_id")
    values["amount"] = st.text_input(_("Montant à transférer (€)"), key=f"{key}_amount", placeholder="1 234,56")
    form_state.field_error(errors, "amount")
    values["reason"] = st.text_input(
        _("Motif de la révision (obligatoire pour enregistrer)"),
        key=f"{key}_reason",
        max_chars=budget_revision.REASON_MAX,
    )
    form_state.field_error(errors, "reason")
    values[budget_revision.CONFIRM_BEYOND] = st.checkbox(
        _("Je confirme ce transfert au-delà de la tolérance de la convention (accord préalable du financeur obtenu)"),
        key=f"{key}_confirm",
    )
    form_state.field_error(errors, budget_revision.CONFIRM_BEYOND)
    return values


def _preview(preview: TransferPreview, tolerance_bp: int) -> None:
    st.markdown(
        _("**Effet du transfert de {amount}** (rien n'est enregistré)").format(amount=euros(preview.amount_cents))
    )
    if preview.beyond_tolerance:
        st.warning(md(budget_revision.breach_message(preview.beyond_tolerance)), icon=":material/gpp_maybe:")
    after = {line.line_id: line.planned_cents for line in preview.after.lines}
    projected = {line.line_id: line.projected_cents for line in preview.forecast_after.lines}
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("Ligne"): line.label,
                    _("Prévu avant"): euros(line.planned_cents),
                    _("Prévu après"): euros(after[line.line_id]),
                    _("Prévision fin"): euros(projected[line.line_id]),
                }
                for line in (preview.from_line, preview.to_line)
            ]
        ),
        hide_index=True,
    )
    before_col, after_col = st.columns(2)
    with before_col:
        st.markdown(_("**Alertes avant** ({count})").format(count=len(preview.alerts_before)))
        for alert in preview.alerts_before:
            st.warning(md(budget_text.alert_message(alert, tolerance_bp)))
    with after_col:
        st.markdown(_("**Alertes après** ({count})").format(count=len(preview.alerts_after)))
        for alert in preview.alerts_after:
            st.warning(md(budget_text.alert_message(alert, tolerance_bp)))
        if not preview.alerts_after:
            st.success(_("Plus aucune alerte après ce transfert."))


def _what_if(current: Runtime, principal: Principal, report: GrantConsumptionReport) -> None:
    """Preview a transfer between two lines (nothing written), or save it as a budget revision. The versions of
    the grant's lines are the ones first shown: a line saved by someone else meanwhile refuses the revision."""
    st.header(_("Simuler un transfert entre lignes"))
    st.caption(
        _(
            "Déplacez un montant prévu d'une ligne vers une autre de ce financement et voyez l'effet sur les "
            "alertes avant d'enregistrer. L'enregistrement crée une révision budgétaire datée ; le montant "
            "total du financement ne change pas."
        )
    )
    grant_id = report.grant.id
    form = f"budget_whatif_{grant_id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _transfer_fields(key, errors, report)
        left, right = st.columns(2)
        preview_clicked = left.form_submit_button(_("Voir l'effet sur les alertes"))
        save_clicked = right.form_submit_button(_("Enregistrer la révision"), type="primary")
    versions = form_state.seen_version(form, grant_id, {line.line_id: line.version for line in report.lines})
    if preview_clicked:
        with unit_of_work(current.engine) as uow:
            preview, problems = budget_revision.try_transfer(
                uow, principal, grant_id=grant_id, data=data, today=report.today
            )
        if problems:
            form_state.fail(form, problems)
        _preview(preview, report.grant.tolerance_bp)
    if save_clicked:

        def save() -> None:
            with unit_of_work(current.engine) as uow:
                budget_revision.save_transfer(
                    uow, principal, grant_id=grant_id, data=data, expected_versions=versions, today=report.today
                )

        moved = euros(typed_cents_or_none(data["amount"]) or 0)
        form_state.submit(
            form,
            save,
            _("Révision enregistrée : {amount} transférés.").format(amount=moved),
            versioned=(form, grant_id),
        )


def _revisions(revisions: list[RevisionRow]) -> None:
    st.header(_("Révisions budgétaires"))
    if not revisions:
        st.caption(_("Aucune révision enregistrée pour ce financement."))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("Date"): day(r.revised_on),
                    _("De"): r.from_label,
                    _("Vers"): r.to_label,
                    _("Montant"): euros(r.amount_cents),
                    _("Motif"): r.reason,
                    _("Par"): r.author or "—",
                }
                for r in revisions
            ]
        ),
        hide_index=True,
    )


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Suivi budgétaire"))
    st.caption(
        _(
            "Prévu et réalisé de chaque financement, rythme de consommation comparé au temps écoulé, "
            "prévision en fin de convention et alertes."
        )
    )
    form_state.show_toast()
    grant_id = _chosen_grant(current, principal)
    with unit_of_work(current.engine) as uow:
        report = budget_consumption.consumption(uow, principal, grant_id=grant_id)
        points = budget_consumption.monthly_actuals(uow, principal, grant_id=grant_id, report=report)
        outlook = forecast.grant_forecast(uow, principal, grant_id=grant_id, today=report.today, report=report)
        revisions = budget_revision.list_revisions(uow, principal, grant_id=grant_id)
    _scope(report)
    _key_figures(report, outlook)
    _alerts(report, outlook)
    _charts(report, points, outlook)
    _details(report, outlook)
    if principal.can(Capability.EDIT_BUDGET) and len(report.lines) >= 2:
        _what_if(current, principal, report)
    _revisions(revisions)


page(principal)
