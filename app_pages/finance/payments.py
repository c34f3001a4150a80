"""Versements et trésorerie: each grant's payment schedule (tranches expected and received), its reports due,
its co-financing plan and the cash position they give; gestion records them, direction reads."""

import streamlit as st

import clock
from i18n import _
from services.finance import money_in
from services.platform.db import unit_of_work
from services.platform.errors import NotFound
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.finance import money_in as money_forms
from ui.platform import form_state, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import runtime
from ui.platform.text import md

principal = require_page(PageKey.PAYMENTS)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Versements et trésorerie"))
    st.caption(
        _(
            "L'échéancier de chaque convention (versements prévus, conditions, sommes reçues), ses rapports à "
            "rendre, son plan de cofinancement et la trésorerie qui en résulte : reçu face au dépensé à ce jour, "
            "et ce qui est attendu dans les prochains mois."
        )
    )
    form_state.show_toast()
    can_edit = principal.can(Capability.EDIT_BUDGET)
    with unit_of_work(current.engine) as uow:
        choices = money_in.grant_choices(uow, principal)
        funders = money_in.cofunder_choices(uow, principal) if can_edit else []
    if not choices:
        st.info(_("Aucun financement à afficher."))
        st.stop()
    chosen = widgets.selectbox(
        _("Financement"),
        [c.id for c in choices],
        key="payments_grant",
        format_func={c.id: c.label for c in choices}.get,
    )
    try:
        with unit_of_work(current.engine) as uow:
            schedule = money_in.schedule(uow, principal, chosen, today=clock.today())
    except NotFound as exc:
        st.error(md(exc))
        st.stop()
    money_forms.cash_figures(schedule)
    money_forms.show_cash_chart(schedule.cash)
    money_forms.tranches_table(schedule)
    money_forms.reports_table(schedule)
    money_forms.cofunding_table(schedule)
    if not can_edit:
        return
    st.divider()
    st.header(_("Enregistrer"))
    tabs = st.tabs(
        [
            _("Versement reçu"),
            _("Nouveau versement prévu"),
            _("Corriger un versement"),
            _("Rapports"),
            _("Cofinancement"),
        ]
    )
    engine, grant_id = current.engine, schedule.grant.id
    with tabs[0]:
        money_forms.receipt_form(engine, principal, schedule)
    with tabs[1]:
        money_forms.new_tranche_form(engine, principal, grant_id)
    with tabs[2]:
        money_forms.edit_tranche_form(engine, principal, schedule)
    with tabs[3]:
        st.markdown(_("**Nouveau rapport**"))
        money_forms.new_report_form(engine, principal, grant_id)
        st.markdown(_("**Modifier un rapport (date d'envoi)**"))
        money_forms.edit_report_form(engine, principal, schedule)
    with tabs[4]:
        st.markdown(_("**Nouveau cofinanceur**"))
        money_forms.new_cofunding_form(engine, principal, grant_id, funders)
        st.markdown(_("**Modifier un cofinanceur**"))
        money_forms.edit_cofunding_form(engine, principal, schedule, funders)


page(principal)
