"""Suivi budgétaire: planned vs actual, burn chart, end-of-grant forecast, alerts and the what-if.

direction, gestion: every grant and line; chef_service: the lines of its own sites. A funder sees
its grants' consumption on the Espace financeur (disclosure-controlled aggregates), not here. The
what-if (and saving it as a budget revision) is for EDIT_BUDGET.
"""

import pandas as pd
import streamlit as st

from services import budget_consumption, budget_revision, forecast
from services.db import unit_of_work
from services.errors import ServiceError, ValidationFailed
from services.money import parse_french_amount
from services.pages import PageKey
from services.principal import Capability
from ui import budget_charts, budget_text, form_state
from ui.format import day, euros, percent
from ui.forms import field_error
from ui.guards import require_page
from ui.runtime import runtime

principal = require_page(PageKey.BUDGET)
current = runtime()
st.title("Suivi budgétaire")
st.caption("Prévu et réalisé de chaque financement, rythme de consommation comparé au temps écoulé, "
           "prévision en fin de convention et alertes.")
form_state.show_toast()
may_revise = principal.can(Capability.EDIT_BUDGET)

with unit_of_work(current.engine) as uow:
    grants = budget_consumption.list_grants(uow, principal)
if not grants:
    st.info("Aucun financement à afficher pour votre profil.")
    st.stop()

grant_id = st.selectbox("Financement", [g.id for g in grants], key="budget_grant",
                        format_func={g.id: g.title for g in grants}.get)
with unit_of_work(current.engine) as uow:
    report = budget_consumption.consumption(uow, principal, grant_id=grant_id)
    points = budget_consumption.monthly_actuals(uow, principal, grant_id=grant_id, report=report)
    outlook = forecast.grant_forecast(uow, principal, grant_id=grant_id, today=report.today, report=report)
    revisions = budget_revision.list_revisions(uow, principal, grant_id=grant_id)
grant, total = report.grant, report.total

st.caption(f"Convention {grant.convention_ref} · du {day(grant.starts_on)} au {day(grant.ends_on)} · "
           f"tolérance entre lignes {budget_text.tolerance(grant.tolerance_bp)} · montants au {day(report.today)}.")
if report.partial_scope:
    st.info(f"Vous voyez les lignes de vos sites ({', '.join(s.key for s in report.by_site)}) : les montants "
            "ci-dessous sont le total de ces lignes, pas celui de tout le financement.", icon=":material/info:")

first_row, second_row = st.columns(3), st.columns(3)
first_row[0].metric("Prévu" if not report.partial_scope else "Prévu (vos lignes)", euros(total.planned_cents),
                    help="Somme des montants prévus des lignes budgétaires.")
first_row[1].metric("Réalisé à date", euros(total.actual_cents),
                    help="Somme des dépenses enregistrées jusqu'à aujourd'hui (salaires compris).")
first_row[2].metric("Reste à consommer", euros(total.remaining_cents), help="Prévu moins réalisé à date.")
second_row[0].metric("Consommé", budget_text.share(total.consumed_share),
                     help="Part du prévu déjà dépensée : à comparer avec la période écoulée.")
second_row[1].metric("Période écoulée", percent(float(report.elapsed_share)),
                     help="Part de la durée de la convention déjà passée (aujourd'hui compris).")
second_row[2].metric("Prévision en fin de convention", euros(outlook.projected_cents),
                     delta=f"{euros(outlook.projected_cents - total.planned_cents)} par rapport au prévu",
                     delta_color="off",
                     help="Réalisé + ce qui reste attendu jusqu'à la fin (méthode sous le graphique).")

for alert in outlook.alerts:
    st.warning(budget_text.alert_message(alert, grant.tolerance_bp), icon=":material/warning:")
if not outlook.alerts:
    st.success("Aucune alerte : la prévision reste dans la tolérance de la convention.", icon=":material/check:")

st.subheader("Rythme de consommation")
st.altair_chart(budget_charts.burn_chart(report, points, outlook), width="stretch")
st.caption(forecast.METHOD_TEXT)

if not report.lines:
    st.info("Ce financement n'a pas encore de ligne budgétaire (page Financements).")
    st.stop()
st.subheader("Consommé et temps écoulé par catégorie")
st.altair_chart(budget_charts.progress_chart(report.by_category, report.elapsed_share, title="Catégorie"),
                width="stretch")

st.subheader("Détail")
tabs = ["Par volet", "Par catégorie", "Par site", "Par ligne"]
panes = dict(zip(tabs, st.tabs(tabs), strict=True))
with panes["Par volet"]:
    st.dataframe(budget_text.subtotal_table(report.by_strand, total, name="Volet",
                 projected=budget_text.projected_by(report, outlook, lambda l: l.strand_name)), hide_index=True)
with panes["Par catégorie"]:
    st.dataframe(budget_text.subtotal_table(report.by_category, total, name="Catégorie",
                 projected=budget_text.projected_by(report, outlook, lambda l: l.category.value)), hide_index=True)
with panes["Par site"]:
    st.dataframe(budget_text.subtotal_table(report.by_site, total, name="Site",
                 projected=budget_text.projected_by(report, outlook, lambda l: l.site_code)), hide_index=True)
with panes["Par ligne"]:
    st.dataframe(budget_text.line_table(report.lines, total, outlook), hide_index=True)
st.caption("La dernière ligne de chaque tableau est la somme exacte des lignes au-dessus. « Consommé » = "
           "réalisé ÷ prévu ; « Reste » = prévu − réalisé.")

if may_revise and len(report.lines) >= 2:
    st.subheader("Simuler un transfert entre lignes")
    st.caption("Déplacez un montant prévu d'une ligne vers une autre de ce financement et voyez l'effet sur les "
               "alertes avant d'enregistrer. L'enregistrement crée une révision budgétaire datée ; le montant "
               "total du financement ne change pas.")
    lines = {line.line_id: line for line in report.lines}
    options = list(lines)
    describe = {i: f"{lines[i].label} — prévu {euros(lines[i].planned_cents)}" for i in options}.get
    form = f"budget_whatif_{grant_id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with st.form(key):
        form_state.form_error(form)
        from_id = st.selectbox("Ligne d'origine (le montant en est retiré)", options, format_func=describe,
                               key=f"{key}_from")
        field_error(errors, "from_line_id")
        to_id = st.selectbox("Ligne de destination", options, format_func=describe, key=f"{key}_to",
                             index=min(1, len(options) - 1))
        field_error(errors, "to_line_id")
        amount_text = st.text_input("Montant à transférer (€)", key=f"{key}_amount", placeholder="1 234,56")
        field_error(errors, "amount_cents")
        reason = st.text_input("Motif de la révision (obligatoire pour enregistrer)", key=f"{key}_reason",
                               max_chars=budget_revision.REASON_MAX)
        field_error(errors, "reason")
        left, right = st.columns(2)
        preview_clicked = left.form_submit_button("Voir l'effet sur les alertes")
        save_clicked = right.form_submit_button("Enregistrer la révision", type="primary")

    versions = {i: form_state.seen_version(form, i, lines[i].version) for i in {from_id, to_id}}
    amount_cents = None
    if preview_clicked or save_clicked:
        try:
            amount_cents = parse_french_amount(amount_text)
        except ValueError as exc:
            form_state.fail(form, {"amount_cents": f"Montant : {exc}."})
    if preview_clicked:
        try:
            with unit_of_work(current.engine) as uow:
                preview = budget_revision.simulate_transfer(uow, principal, grant_id=grant_id, from_line_id=from_id,
                                                            to_line_id=to_id, amount_cents=amount_cents,
                                                            today=report.today)
        except ValidationFailed as exc:
            form_state.fail(form, exc.errors)
        except ServiceError as exc:
            form_state.fail(form, {form_state.FORM_ERROR: str(exc)})
        st.markdown(f"**Effet du transfert de {euros(preview.amount_cents)}** (rien n'est enregistré)")
        after = {line.line_id: line.planned_cents for line in preview.after.lines}
        projected = {line.line_id: line.projected_cents for line in preview.forecast_after.lines}
        st.dataframe(pd.DataFrame([
            {"Ligne": line.label, "Prévu avant": euros(line.planned_cents), "Prévu après": euros(after[line.line_id]),
             "Prévision fin": euros(projected[line.line_id])}
            for line in (preview.from_line, preview.to_line)
        ]), hide_index=True)
        before_col, after_col = st.columns(2)
        with before_col:
            st.markdown(f"**Alertes avant** ({len(preview.alerts_before)})")
            for alert in preview.alerts_before:
                st.warning(budget_text.alert_message(alert, grant.tolerance_bp))
        with after_col:
            st.markdown(f"**Alertes après** ({len(preview.alerts_after)})")
            for alert in preview.alerts_after:
                st.warning(budget_text.alert_message(alert, grant.tolerance_bp))
            if not preview.alerts_after:
                st.success("Plus aucune alerte après ce transfert.")
    if save_clicked:
        def save() -> None:
            try:
                with unit_of_work(current.engine) as uow:
                    budget_revision.save_transfer(uow, principal, grant_id=grant_id, from_line_id=from_id,
                                                  to_line_id=to_id, amount_cents=amount_cents, reason=reason,
                                                  expected_versions=versions, today=report.today)
            except ValidationFailed:
                raise
            except ServiceError:
                for line_id in versions:
                    form_state.forget_version(form, line_id)
                raise
            for line_id in versions:
                form_state.forget_version(form, line_id)
        form_state.submit(form, save, f"Révision enregistrée : {euros(amount_cents or 0)} transférés.")

st.subheader("Révisions budgétaires")
if revisions:
    st.dataframe(pd.DataFrame([
        {"Date": day(r.revised_on), "De": r.from_label, "Vers": r.to_label, "Montant": euros(r.amount_cents),
         "Motif": r.reason, "Par": r.author or "—"}
        for r in revisions
    ]), hide_index=True)
else:
    st.caption("Aucune révision enregistrée pour ce financement.")
