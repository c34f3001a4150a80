"""Espace financeur: the disclosure-controlled view of a funded grant and its report pack.

financeur: the grants of its funder only; direction and gestion: every grant (to prepare the pack or
preview what the funder sees). The reader chooses a period of the publication grid (never free dates);
figures are protected with the SCREEN threshold here and the EXPORT threshold in the pack
(services.reporting.publication, .disclosure); no person-level data is ever read by this page.
"""

import streamlit as st

from clock import today
from i18n import _, language
from i18n.formats import day, euros, percent
from services.platform.db import unit_of_work
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.pages import PageKey
from services.platform.principal import Principal
from services.reporting import funder_space, report_pack
from ui.finance.budget_charts import BURN_SUMMARY
from ui.platform import charts, widgets
from ui.platform.downloads import offer_download
from ui.platform.guards import require_page
from ui.platform.runtime import runtime
from ui.platform.text import md
from ui.reporting import funder_charts, funder_view

principal = require_page(PageKey.FUNDER_SPACE)


def page(principal: Principal) -> None:
    """The page's body, in a function so that every text is translated when the page is drawn."""
    current = runtime()
    st.title(_("Espace financeur"))
    st.caption(
        _(
            "Activité et consommation budgétaire d'une convention, telles qu'un financeur peut les voir : "
            "chiffres agrégés, sans aucune donnée individuelle, petits effectifs masqués."
        )
    )
    if current.settings.is_demo:
        st.info(
            _("Démonstration : toutes les données de cet espace sont fictives (générées), aucune personne réelle."),
            icon=":material/science:",
        )
    now = today()
    screen_threshold = current.settings.screen_disclosure_threshold

    with unit_of_work(current.engine) as uow:
        grants = funder_space.funder_grants(uow, principal)
    if not grants:
        st.info(_("Aucune convention à afficher pour votre profil."))
        st.stop()

    grant = widgets.selectbox(_("Convention"), grants, key="funder_grant", format_func=lambda g: g.title)
    period_key = st.session_state.get(f"funder_period_{grant.id}")
    try:
        with unit_of_work(current.engine) as uow:
            overview = funder_space.funder_overview(uow, principal, grant_id=grant.id, period_key=period_key, today=now)
    except ValidationFailed:  # a period kept from an earlier day that is no longer offered: back to the default
        st.session_state.pop(f"funder_period_{grant.id}", None)
        with unit_of_work(current.engine) as uow:
            overview = funder_space.funder_overview(uow, principal, grant_id=grant.id, today=now)

    st.caption(
        _("{funder} · convention {reference} · du {start} au {end} · montant {amount} · sites : {sites}.").format(
            funder=md(grant.funder_name),
            reference=md(grant.convention_ref),
            start=day(grant.starts_on),
            end=day(grant.ends_on),
            amount=euros(grant.amount_cents),
            sites=md(", ".join(s.name for s in overview.sites) or "—"),
        )
    )

    st.header(_("Activité"))
    if overview.period is None:
        st.info(
            _(
                "Aucun trimestre de la convention n'est encore terminé : les premiers chiffres d'activité seront "
                "publiés à la fin du premier trimestre."
            )
        )
    else:
        options = {option.key: option for option in overview.options}
        widgets.selectbox(
            _("Période"),
            list(options),
            index=list(options).index(overview.period.key),
            format_func=lambda key: options[key].label(),
            key=f"funder_period_{grant.id}",
            help=_(
                "Mois, trimestres et groupes de trimestres terminés, ou la convention depuis son début : les "
                "chiffres ne sont jamais calculés sur des dates libres (secret statistique)."
            ),
        )
        funder_view.indicator_tiles(overview)
        funder_view.disclosure_caption(screen_threshold)

        st.header(_("Par site"))
        st.dataframe(funder_view.site_table(overview), hide_index=True)
        st.caption(_("Chaque total est la somme des sites de la convention."))

        st.header(_("Dans le temps"))
        for series in overview.series:
            st.markdown(f"**{md(series.label)}**")
            if funder_charts.has_bars(series):
                charts.show(
                    charts.from_aggregates(funder_charts.series_chart, series),
                    series.label,
                    _("Total des sites de la convention par période publiée ; le tableau suivant donne les valeurs."),
                    width="stretch",
                )
                st.dataframe(funder_view.series_frame(overview, series), hide_index=True)
            else:
                st.caption(_("Pas encore assez d'effectifs pour publier ce chiffre, même par groupe de trimestres."))

    st.header(_("Consommation du budget"))
    total = overview.consumption.total
    cols = st.columns(4)
    cols[0].metric(
        _("Réalisé"),
        euros(total.actual_cents),
        help=_("Dépenses enregistrées jusqu'au {day}.").format(day=day(overview.as_of)),
    )
    cols[1].metric(_("Consommé"), percent(float(total.consumed_share or 0)), help=_("Réalisé ÷ prévu."))
    cols[2].metric(_("Période écoulée"), percent(float(overview.consumption.elapsed_share)))
    cols[3].metric(_("Prévision en fin de convention"), euros(overview.outlook.projected_cents))
    charts.show(
        charts.from_aggregates(funder_charts.burn_chart, overview),
        _("Rythme de consommation"),
        _(BURN_SUMMARY),
        width="stretch",
    )
    funder_view.consumption_tables(overview)

    st.header(_("Dossier financeur"))
    st.caption(
        _(
            "Un classeur Excel (indicateurs, consommation, compte rendu financier Cerfa) et un PDF de quelques "
            "pages (chiffres clés, graphiques). Les effectifs inférieurs à {threshold} y sont masqués. Chaque "
            "préparation est inscrite au journal d'audit."
        ).format(threshold=md(current.settings.export_disclosure_threshold))
    )
    # The pack is written in the active language: one prepared in another language is not offered.
    if overview.period is None:
        st.stop()
    pack_key = f"funder_pack_{grant.id}_{overview.period.key}_{language()}"
    if st.button(_("Préparer le dossier"), icon=":material/folder_zip:", key="funder_prepare"):
        with st.spinner(_("Préparation du dossier…")):
            try:
                with unit_of_work(current.engine) as uow:
                    st.session_state[pack_key] = report_pack.build_report_pack(
                        uow,
                        principal,
                        grant_id=grant.id,
                        period_key=overview.period.key,
                        today=now,
                        charts=funder_charts.pack_images,
                        association_name=current.settings.association_name,
                    )
            except ServiceError as exc:
                st.error(md(exc))
    pack = st.session_state.get(pack_key)
    if pack is not None:
        left, right = st.columns(2)
        xlsx, pdf = pack.xlsx, pack.pdf
        offer_download(
            principal,
            _("Télécharger le classeur (XLSX)"),
            lambda: xlsx,
            file_name=f"{pack.filename_stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/table_view:",
            key="funder_xlsx",
            container=left,
        )
        offer_download(
            principal,
            _("Télécharger le PDF"),
            lambda: pdf,
            file_name=f"{pack.filename_stem}.pdf",
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            key="funder_pdf",
            container=right,
        )


page(principal)
