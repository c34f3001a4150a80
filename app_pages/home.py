"""Accueil: the key figures of the signed-in role, within its scope."""

import streamlit as st

import clock
from i18n import _, formats, ngettext
from models.labels import label
from services import home
from services.accounts import changes
from services.platform import organisation
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from services.worklist import KindCount
from ui.accounts.account_changes import account_changes_block
from ui.finance import money_in_home
from ui.platform import charts
from ui.platform.guards import require_page
from ui.platform.navigation import link_target
from ui.platform.runtime import runtime
from ui.platform.text import md

principal = require_page(PageKey.HOME)


def _value(figure: home.KeyFigure) -> str:
    if figure.kind == home.FigureKind.FTE:
        return formats.fte(figure.value)
    if figure.kind == home.FigureKind.HOURS:
        return _("{hours} h").format(hours=formats.number(figure.value))
    return formats.number(figure.value)


def worklist_block(counts: list[KindCount]) -> None:
    """« À faire »: the kinds with something due, their overdue part in red, and the way to the list."""
    st.header(_("À faire"))
    due = [c for c in counts if c.total]
    if not due:
        st.caption(_("Rien à faire pour l'instant."))
    else:
        columns = st.columns(min(4, len(due)))
        for index, count in enumerate(due):
            columns[index % len(columns)].metric(
                label(count.kind),
                formats.number(count.total),
                delta=ngettext("{count} en retard", "{count} en retard", count.overdue).format(
                    count=formats.number(count.overdue)
                )
                if count.overdue
                else None,
                delta_color="inverse",
                delta_arrow="off",
                border=True,
            )
    st.page_link(link_target(PageKey.WORKLIST), label=_("Voir la liste « À faire »"), icon=":material/checklist:")


def page(principal: Principal) -> None:
    """The page, drawn at every run (in a function: its texts are translated when it runs)."""
    st.title(_("Bonjour {name}").format(name=md(principal.display_name)))
    st.caption(_("{role} · données au {day}").format(role=label(principal.role), day=formats.day(clock.today())))

    with unit_of_work(runtime().engine) as session:
        overview = home.overview_for(session, principal)
        account_changes = (
            changes.privileged_account_changes(session, principal)
            if principal.can(Capability.REVIEW_ACCOUNT_CHANGES)
            else None
        )
        setting_up = principal.can(Capability.MANAGE_ORGANISATION) and not (
            organisation.setup_progress(session, principal).complete
        )

    if setting_up:  # a new install: the admin is walked through its setup first
        st.info(_("Première mise en service : l'association, ses sites et ses volets restent à renseigner."))
        st.page_link(link_target(PageKey.ORGANISATION), label=_("Association et sites"), icon=":material/apartment:")

    if overview.figures:
        columns = st.columns(min(4, len(overview.figures)))
        for index, figure in enumerate(overview.figures):
            columns[index % len(columns)].metric(md(figure.label), _value(figure), help=md(figure.help), border=True)

    if overview.worklist:
        worklist_block(overview.worklist)

    if overview.monthly:
        st.header(md(overview.monthly_title or _("Évolution")))
        charts.show_charts_in_pairs(
            charts.from_aggregates(charts.monthly_bars, overview.monthly),
            overview.monthly_title or _("Évolution"),
            _("Un graphique en barres par indicateur, mois par mois."),
        )

    if overview.grants:
        st.header(_("Consommation des subventions"))
        st.dataframe(
            {
                _("Subvention"): [g.grant_name for g in overview.grants],
                _("Prévu"): [formats.euros(g.planned_cents) for g in overview.grants],
                _("Réalisé"): [formats.euros(g.spent_cents) for g in overview.grants],
                _("Consommé"): [formats.percent(g.consumed_share) for g in overview.grants],
                _("Période écoulée"): [formats.percent(g.elapsed_share) for g in overview.grants],
            },
            hide_index=True,
        )
        charts.show(
            charts.from_aggregates(charts.grant_progress, overview.grants),
            _("Consommation des subventions"),
            _("Pour chaque subvention, part du budget consommée face à la part de la période écoulée."),
        )

    money_in_home.block(runtime().engine, principal)

    if not (overview.figures or overview.monthly or overview.grants):
        st.info(_("Aucun indicateur n'est encore disponible pour votre profil."))

    if account_changes is not None:
        account_changes_block(account_changes)


page(principal)
