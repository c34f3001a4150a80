"""Pieces of the « Versements et trésorerie » page and of gestion's home page: a grant's cash position (figures
and chart), its tranches, reports and co-financing plan; gestion's forms to record them (new ones, a receipt,
corrections merged with a colleague's: ui.platform.conflicts); the payments and reports due.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

import clock
from i18n import _, formats
from models.audit import AuditAction
from models.labels import label
from models.money_in import ReportKind, TrancheCondition
from services.finance import money_in
from services.finance.money_in import CashPosition, DueSoon, Schedule, TrancheRow, TrancheStatus
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.platform import charts, conflicts, form_state, widgets
from ui.platform.charts import localised, month_label
from ui.platform.navigation import link_target
from ui.platform.text import md

TRANCHE_WRITES = (AuditAction.GRANT_TRANCHE_CREATE, AuditAction.GRANT_TRANCHE_UPDATE)
REPORT_WRITES = (AuditAction.GRANT_REPORT_CREATE, AuditAction.GRANT_REPORT_UPDATE)
COFUNDING_WRITES = (AuditAction.GRANT_COFUNDING_CREATE, AuditAction.GRANT_COFUNDING_UPDATE)
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 1, 1)


def amount_text(cents: int | None) -> str:
    """Cents as the text users type back (« 12 345,67 »), '' for none."""
    return "" if cents is None else formats.amount(cents)


def euros_or_dash(cents: int | None) -> str:
    return formats.NO_VALUE if cents is None else formats.euros(cents)


def day_or_dash(day: date | None) -> str:
    return formats.NO_VALUE if day is None else formats.day(day)


# --- reading --------------------------------------------------------------------------------------------


def cash_figures(schedule: Schedule) -> None:
    cash = schedule.cash
    cols = st.columns(4)
    cols[0].metric(_("Reçu à ce jour"), formats.euros(cash.received_cents), border=True)
    cols[1].metric(_("Dépensé à ce jour"), formats.euros(cash.spent_cents), border=True)
    cols[2].metric(
        _("Trésorerie de la convention"),
        formats.euros(cash.balance_cents),
        help=_("Reçu moins dépensé : négatif, l'association avance l'argent de la convention."),
        border=True,
    )
    cols[3].metric(
        _("Attendu d'ici {months} mois").format(months=md(money_in.EXPECTED_AHEAD_MONTHS)),
        formats.euros(cash.expected_soon_cents),
        help=_("Versements non reçus prévus d'ici la fin du {months}e mois, retards compris.").format(
            months=md(money_in.EXPECTED_AHEAD_MONTHS)
        ),
        border=True,
    )
    if cash.balance_cents < 0:
        st.warning(
            _("L'association avance {amount} sur cette convention.").format(amount=formats.euros(-cash.balance_cents))
        )


def cash_chart(cash: CashPosition) -> alt.TopLevelMixin:
    """Cumulated received and spent month by month up to now, and from now the money expected."""
    received, spent, expected = _("Reçu (cumul)"), _("Dépensé (cumul)"), _("Attendu (cumul)")
    order = [month_label(m.month) for m in cash.months]
    rows = []
    for m in cash.months:
        for series, cents in ((received, m.received_cents), (spent, m.spent_cents), (expected, m.expected_cents)):
            if cents is not None:
                rows.append({"Mois": month_label(m.month), "Série": series, "Euros": cents / 100})
    chart = (
        alt.Chart(pd.DataFrame(rows, columns=["Mois", "Série", "Euros"]))
        .mark_line(point=True)
        .encode(
            x=alt.X("Mois:O", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("Euros:Q", title=_("Euros"), axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "Série:N",
                title=None,
                scale=alt.Scale(domain=[received, spent, expected], range=["#2a7f62", "#7a2e5a", "#8a8a8a"]),
            ),
            strokeDash=alt.StrokeDash(
                "Série:N",
                legend=None,
                scale=alt.Scale(domain=[received, spent, expected], range=[[1, 0], [1, 0], [4, 3]]),
            ),
            tooltip=[
                alt.Tooltip("Mois:O", title=_("Mois")),
                alt.Tooltip("Série:N", title=_("Série")),
                alt.Tooltip("Euros:Q", title=_("Euros"), format=",.2f"),
            ],
        )
        .properties(height=280)
    )
    return localised(chart)


def show_cash_chart(cash: CashPosition) -> None:
    title = _("Trésorerie de la convention, mois par mois")
    st.header(md(title))
    charts.show(
        charts.from_aggregates(cash_chart, cash),
        title,
        _("Trois courbes : versements reçus et dépenses cumulés jusqu'à ce mois, puis versements attendus."),
        width="stretch",
    )


def _status_text(tranche: TrancheRow) -> str:
    text = label(tranche.status)
    return f"⚠ {text}" if tranche.status == TrancheStatus.OVERDUE else text


def tranches_table(schedule: Schedule) -> None:
    st.header(_("Échéancier des versements"))
    if not schedule.tranches:
        st.info(_("Aucun versement prévu pour cette convention."))
        return
    rows = schedule.tranches
    st.dataframe(
        pd.DataFrame(
            {
                _("Date prévue"): [formats.day(t.expected_on) for t in rows],
                _("Montant prévu"): [formats.euros(t.expected_cents) for t in rows],
                _("Condition"): [label(t.condition) for t in rows],
                _("Situation"): [_status_text(t) for t in rows],
                _("Reçu le"): [day_or_dash(t.received_on) for t in rows],
                _("Montant reçu"): [euros_or_dash(t.received_cents) for t in rows],
                _("Écart"): [euros_or_dash(t.difference_cents) for t in rows],
            }
        ),
        hide_index=True,
    )
    gap = schedule.grant.amount_cents - schedule.scheduled_cents
    if gap:
        st.caption(
            _("Versements prévus : {scheduled} sur {amount} ; {gap} restent à échelonner.").format(
                scheduled=formats.euros(schedule.scheduled_cents),
                amount=formats.euros(schedule.grant.amount_cents),
                gap=formats.euros(gap),
            )
        )


def reports_table(schedule: Schedule) -> None:
    st.header(_("Rapports à rendre"))
    if not schedule.reports:
        st.info(_("Aucun rapport enregistré pour cette convention."))
        return
    rows = schedule.reports
    st.dataframe(
        pd.DataFrame(
            {
                _("Rapport"): [label(r.kind) for r in rows],
                _("Date limite"): [formats.day(r.due_on) for r in rows],
                _("Envoyé le"): [day_or_dash(r.submitted_on) for r in rows],
                _("Situation"): [
                    _("Envoyé") if r.submitted_on else (f"⚠ {_('En retard')}" if r.overdue else _("À rendre"))
                    for r in rows
                ],
            }
        ),
        hide_index=True,
    )


def cofunding_table(schedule: Schedule) -> None:
    st.header(_("Plan de cofinancement de l'action"))
    rows = schedule.cofunding
    st.dataframe(
        pd.DataFrame(
            {
                _("Financeur"): [c.funder_name for c in rows],
                _("Montant"): [formats.euros(c.amount_cents) for c in rows],
                _("Part du budget total"): [
                    formats.NO_VALUE if c.share is None else formats.percent(float(c.share), 1) for c in rows
                ],
                _("Situation"): [
                    _("Cette convention") if c.id is None else (_("Acquis") if c.is_confirmed else _("Sollicité"))
                    for c in rows
                ],
            }
        ),
        hide_index=True,
    )
    st.caption(_("Budget total de l'action : {total}.").format(total=formats.euros(schedule.action_budget_cents)))


# --- gestion's forms ------------------------------------------------------------------------------------


def _tranche_fields(key: str, errors: dict[str, str], tranche: TrancheRow | None) -> dict:
    left, right = st.columns(2)
    values = {
        "expected_on": widgets.on(left).date_input(
            _("Date prévue"),
            value=tranche.expected_on if tranche else None,
            key=f"{key}_expected_on",
            min_value=EARLIEST,
            max_value=LATEST,
        )
    }
    with left:
        form_state.field_error(errors, "expected_on")
    values["expected"] = right.text_input(
        _("Montant prévu (€)"),
        value=amount_text(tranche.expected_cents) if tranche else "",
        key=f"{key}_expected",
        help=_("Au centime près, par exemple 40 000,00."),
    )
    with right:
        form_state.field_error(errors, "expected")
    conditions = list(TrancheCondition)
    values["condition"] = widgets.selectbox(
        _("Condition du versement"),
        conditions,
        format_func=label,
        index=conditions.index(tranche.condition) if tranche else None,
        key=f"{key}_condition",
    )
    form_state.field_error(errors, "condition")
    return values


def _receipt_fields(key: str, errors: dict[str, str], tranche: TrancheRow | None, *, with_today: bool) -> dict:
    left, right = st.columns(2)
    received_on = tranche.received_on if tranche else None
    values = {
        "received_on": widgets.on(left).date_input(
            _("Reçu le"),
            value=received_on or (clock.today() if with_today else None),
            key=f"{key}_received_on",
            min_value=EARLIEST,
            max_value=LATEST,
        )
    }
    with left:
        form_state.field_error(errors, "received_on")
    values["received"] = right.text_input(
        _("Montant reçu (€)"),
        value=amount_text(tranche.received_cents) if tranche else "",
        key=f"{key}_received",
        help=_("Le montant effectivement versé, qui peut différer du montant prévu."),
    )
    with right:
        form_state.field_error(errors, "received")
    return values


def new_tranche_form(engine: Engine, principal: Principal, grant_id: int) -> None:
    form = f"tranche_new_{grant_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _tranche_fields(key, errors, None)
        submitted = st.form_submit_button(_("Ajouter le versement"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(engine) as uow:
                money_in.create_tranche(uow, principal, grant_id=grant_id, data=data, today=clock.today())

        form_state.submit(form, create, _("Versement ajouté à l'échéancier."))


def _tranche_label(tranche: TrancheRow) -> str:
    return _("{day} — {amount} ({condition})").format(
        day=formats.day(tranche.expected_on),
        amount=formats.euros(tranche.expected_cents),
        condition=label(tranche.condition),
    )


def receipt_form(engine: Engine, principal: Principal, schedule: Schedule) -> None:
    """Record the money received for a tranche still expected (a transition: its two columns only)."""
    waiting = [t for t in schedule.tranches if t.received_on is None]
    if not waiting:
        st.caption(_("Aucun versement en attente."))
        return
    chosen = widgets.selectbox(
        _("Versement attendu"), waiting, format_func=_tranche_label, key=f"receipt_choice_{schedule.grant.id}"
    )
    form = f"tranche_receipt_{chosen.id}"
    key, errors = form_state.key(form), form_state.errors(form)
    version = chosen.version
    with widgets.form(key):
        form_state.form_error(form)
        data = _receipt_fields(key, errors, None, with_today=True)
        submitted = st.form_submit_button(_("Enregistrer la réception"), type="primary")
    if submitted:

        def save() -> None:
            with unit_of_work(engine) as uow:
                money_in.record_receipt(
                    uow, principal, chosen.id, expected_version=version, data=data, today=clock.today()
                )

        form_state.submit(form, save, _("Versement reçu enregistré."))


def _tranche_values(tranche: TrancheRow) -> dict[str, object]:
    return {
        "expected_on": tranche.expected_on,
        "expected": amount_text(tranche.expected_cents),
        "condition": tranche.condition,
        "received_on": tranche.received_on,
        "received": amount_text(tranche.received_cents),
    }


def _tranche_fields_shown() -> dict[str, conflicts.Field]:
    return {
        "expected_on": conflicts.Field(_("Date prévue")),
        "expected": conflicts.Field(_("Montant prévu (€)")),
        "condition": conflicts.Field(_("Condition du versement")),
        "received_on": conflicts.Field(_("Reçu le")),
        "received": conflicts.Field(_("Montant reçu (€)")),
    }


def edit_tranche_form(engine: Engine, principal: Principal, schedule: Schedule) -> None:
    if not schedule.tranches:
        st.caption(_("Aucun versement à corriger."))
        return
    chosen = widgets.selectbox(
        _("Versement"), schedule.tranches, format_func=_tranche_label, key=f"tranche_edit_choice_{schedule.grant.id}"
    )
    form = f"tranche_edit_{chosen.id}"
    key, errors = form_state.key(form), form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(engine) as uow:
            money_in.update_tranche(
                uow, principal, chosen.id, expected_version=version, data=values, today=clock.today()
            )

    edit = conflicts.VersionedEdit(
        form,
        chosen.id,
        version=chosen.version,
        values=_tranche_values(chosen),
        fields=_tranche_fields_shown(),
        save=save,
        success=_("Versement corrigé."),
        last_write=conflicts.audited(engine, principal, "grant_tranche", chosen.id, TRANCHE_WRITES),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _tranche_fields(key, errors, chosen) | _receipt_fields(key, errors, chosen, with_today=False)
        submitted = st.form_submit_button(_("Enregistrer le versement"), type="primary")
    if submitted:
        edit.submit(data)


def _report_fields(key: str, errors: dict[str, str], report) -> dict:
    kinds = list(ReportKind)
    values = {
        "kind": widgets.selectbox(
            _("Rapport"),
            kinds,
            format_func=label,
            index=kinds.index(report.kind) if report else None,
            key=f"{key}_kind",
        )
    }
    form_state.field_error(errors, "kind")
    left, right = st.columns(2)
    values["due_on"] = widgets.on(left).date_input(
        _("Date limite"),
        value=report.due_on if report else None,
        key=f"{key}_due_on",
        min_value=EARLIEST,
        max_value=LATEST,
    )
    with left:
        form_state.field_error(errors, "due_on")
    values["submitted_on"] = widgets.on(right).date_input(
        _("Envoyé le (facultatif)"),
        value=report.submitted_on if report else None,
        key=f"{key}_submitted_on",
        min_value=EARLIEST,
        max_value=LATEST,
    )
    with right:
        form_state.field_error(errors, "submitted_on")
    return values


def new_report_form(engine: Engine, principal: Principal, grant_id: int) -> None:
    form = f"report_new_{grant_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _report_fields(key, errors, None)
        submitted = st.form_submit_button(_("Ajouter le rapport"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(engine) as uow:
                money_in.create_report(uow, principal, grant_id=grant_id, data=data, today=clock.today())

        form_state.submit(form, create, _("Rapport ajouté."))


def edit_report_form(engine: Engine, principal: Principal, schedule: Schedule) -> None:
    if not schedule.reports:
        st.caption(_("Aucun rapport à modifier."))
        return
    chosen = widgets.selectbox(
        _("Rapport"),
        schedule.reports,
        format_func=lambda r: f"{label(r.kind)} — {formats.day(r.due_on)}",
        key=f"report_edit_choice_{schedule.grant.id}",
    )
    form = f"report_edit_{chosen.id}"
    key, errors = form_state.key(form), form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(engine) as uow:
            money_in.update_report(
                uow, principal, chosen.id, expected_version=version, data=values, today=clock.today()
            )

    edit = conflicts.VersionedEdit(
        form,
        chosen.id,
        version=chosen.version,
        values={"kind": chosen.kind, "due_on": chosen.due_on, "submitted_on": chosen.submitted_on},
        fields={
            "kind": conflicts.Field(_("Rapport")),
            "due_on": conflicts.Field(_("Date limite")),
            "submitted_on": conflicts.Field(_("Envoyé le (facultatif)")),
        },
        save=save,
        success=_("Rapport enregistré."),
        last_write=conflicts.audited(engine, principal, "grant_report", chosen.id, REPORT_WRITES),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _report_fields(key, errors, chosen)
        submitted = st.form_submit_button(_("Enregistrer le rapport"), type="primary")
    if submitted:
        edit.submit(data)


def _cofunding_fields(key: str, errors: dict[str, str], funders: list[tuple[int, str]], row) -> dict:
    names = dict(funders)
    ids = list(names)
    values = {
        "funder_id": widgets.selectbox(
            _("Cofinanceur"),
            ids,
            format_func=names.get,
            index=ids.index(row.funder_id) if row and row.funder_id in ids else None,
            key=f"{key}_funder",
        )
    }
    form_state.field_error(errors, "funder_id")
    values["amount"] = st.text_input(
        _("Montant pour l'action (€)"), value=amount_text(row.amount_cents) if row else "", key=f"{key}_amount"
    )
    form_state.field_error(errors, "amount")
    values["is_confirmed"] = st.checkbox(
        _("Financement acquis (convention signée)"), value=row.is_confirmed if row else False, key=f"{key}_confirmed"
    )
    return values


def new_cofunding_form(engine: Engine, principal: Principal, grant_id: int, funders: list[tuple[int, str]]) -> None:
    form = f"cofunding_new_{grant_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _cofunding_fields(key, errors, funders, None)
        submitted = st.form_submit_button(_("Ajouter le cofinanceur"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(engine) as uow:
                money_in.create_cofunding(uow, principal, grant_id=grant_id, data=data)

        form_state.submit(form, create, _("Cofinanceur ajouté au plan."))


def edit_cofunding_form(
    engine: Engine, principal: Principal, schedule: Schedule, funders: list[tuple[int, str]]
) -> None:
    others = [c for c in schedule.cofunding if c.id is not None]
    if not others:
        st.caption(_("Aucun cofinanceur à modifier."))
        return
    chosen = widgets.selectbox(
        _("Cofinanceur"), others, format_func=lambda c: c.funder_name, key=f"cofunding_edit_choice_{schedule.grant.id}"
    )
    form = f"cofunding_edit_{chosen.id}"
    key, errors = form_state.key(form), form_state.errors(form)
    names = dict(funders)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(engine) as uow:
            money_in.update_cofunding(uow, principal, chosen.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        chosen.id,
        version=chosen.version,
        values={
            "funder_id": chosen.funder_id,
            "amount": amount_text(chosen.amount_cents),
            "is_confirmed": chosen.is_confirmed,
        },
        fields={
            "funder_id": conflicts.Field(_("Cofinanceur"), lambda i: names.get(i, "—")),
            "amount": conflicts.Field(_("Montant pour l'action (€)")),
            "is_confirmed": conflicts.Field(_("Financement acquis (convention signée)")),
        },
        save=save,
        success=_("Cofinanceur enregistré."),
        last_write=conflicts.audited(engine, principal, "grant_cofunding", chosen.id, COFUNDING_WRITES),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _cofunding_fields(key, errors, funders, chosen)
        submitted = st.form_submit_button(_("Enregistrer le cofinanceur"), type="primary")
    if submitted:
        edit.submit(data)


# --- the home page --------------------------------------------------------------------------------------


def _when(day: date, overdue: bool) -> str:
    return f"⚠ {_('En retard')} — {formats.day(day)}" if overdue else formats.day(day)


def due_block(due: DueSoon) -> None:
    """The payments expected and the reports due within two months, overdue ones first and marked."""
    st.header(_("Versements attendus et rapports à rendre"))
    if not (due.payments or due.reports):
        st.caption(
            _("Aucun versement ni rapport attendu d'ici {days} jours.").format(days=md(money_in.HOME_HORIZON_DAYS))
        )
        return
    overdue = sum(p.overdue for p in due.payments) + sum(r.overdue for r in due.reports)
    if overdue:
        st.warning(_("{count} échéance(s) dépassée(s).").format(count=md(overdue)), icon=":material/schedule:")
    if due.payments:
        st.subheader(_("Prochains versements attendus"))
        st.dataframe(
            pd.DataFrame(
                {
                    _("Date prévue"): [_when(p.expected_on, p.overdue) for p in due.payments],
                    _("Convention"): [p.grant_label for p in due.payments],
                    _("Financeur"): [p.funder_name for p in due.payments],
                    _("Montant"): [formats.euros(p.expected_cents) for p in due.payments],
                    _("Condition"): [label(p.condition) for p in due.payments],
                }
            ),
            hide_index=True,
        )
    if due.reports:
        st.subheader(_("Rapports à rendre"))
        st.dataframe(
            pd.DataFrame(
                {
                    _("Date limite"): [_when(r.due_on, r.overdue) for r in due.reports],
                    _("Convention"): [r.grant_label for r in due.reports],
                    _("Financeur"): [r.funder_name for r in due.reports],
                    _("Rapport"): [label(r.kind) for r in due.reports],
                }
            ),
            hide_index=True,
        )
    st.page_link(
        link_target(PageKey.PAYMENTS), label=_("Voir les versements et la trésorerie"), icon=":material/savings:"
    )
