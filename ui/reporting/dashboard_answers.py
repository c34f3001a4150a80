"""The director's three questions at the top of the dashboard (issue 18): three headline tiles, then the
detail of each answer — persons accompanied per site, each running grant's consumption against its
elapsed time, the ranked site comparison — and the Excel export of the same figures.

Tables are st.table (HTML, wrapped to the page's width: no column is ever cut off); their cells that come
from the database (site, grant and funder names) are escaped with md(), st.table rendering Markdown."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from i18n import N_, _, language
from i18n.formats import day, decimal, fte, number, percent
from services.platform.principal import Principal
from services.reporting.director_answers import (
    BEHIND,
    GAP_TOLERANCE,
    LAG_SHARE,
    LAGGING_MARKS,
    MEASURE_HELP,
    MEASURE_LABELS,
    MEASURES,
    OVERSPENDING,
    PACE_LABELS,
    DirectorAnswers,
    GrantPace,
    SiteMeasures,
    rules_text,
    verdict,
)
from ui.platform import charts
from ui.platform.charts import localised
from ui.platform.downloads import offer_download
from ui.platform.text import md

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MARK = "▼"  # a measure below the threshold
PACE_MARKS = {BEHIND: "▼", OVERSPENDING: "▲"}
ACCOMPANIED_HELP = N_(
    "Personnes distinctes ayant eu dans la période au moins un entretien ou accompagnement, une présence à un "
    "atelier ou à un cours de français, une orientation vers un partenaire, ou l'ouverture de leur dossier "
    "(accueil, notamment après une maraude). Ce ne sont pas les dossiers ouverts au dernier jour. Les personnes "
    "ayant refusé les statistiques ne sont pas comptées."
)


def measure_text(key: str, value: Decimal | None) -> str:
    """A measure as the page writes it ('8,5', '66,7 %', '0,25', '16,7'); '—' when not computable."""
    if value is None:
        return "—"
    if key == "attendance_rate":
        return percent(float(value), 1)
    return decimal(float(value), digits=2 if key == "gains_per_learner" else 1)


def points_text(gap: Decimal | None) -> str:
    """A gap between two shares in signed points: '+10,4 pt', '-11,6 pt'."""
    if gap is None:
        return "—"
    points = (gap * 100).quantize(Decimal("0.1"))
    return ("+" if points >= 0 else "-") + _("{points}\u00a0pt").format(points=decimal(float(abs(points))))


def share_text(share: Decimal | None) -> str:
    return "—" if share is None else percent(float(share), 1)


def pace_text(grant: GrantPace) -> str:
    if grant.status is None:
        return _("Rien de prévu sur ces sites")
    mark = PACE_MARKS.get(grant.status)
    return f"{mark} {_(PACE_LABELS[grant.status])}" if mark else _(PACE_LABELS[grant.status])


def grants_frame(grants: tuple[GrantPace, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Convention"): [md(g.name) for g in grants],
            _("Financeur"): [md(g.funder) for g in grants],
            _("Budget consommé"): [share_text(g.consumed_share) for g in grants],
            _("Durée écoulée"): [percent(float(g.elapsed_share), 1) for g in grants],
            _("Écart"): [points_text(g.gap) for g in grants],
            _("Rythme"): [pace_text(g) for g in grants],
        }
    )


def sites_frame(answers: DirectorAnswers) -> pd.DataFrame:
    """The ranked sites: rank, site, size (FTE, persons), the four measures (▼ when below the threshold),
    the index and the verdict."""
    rows = answers.sites

    def cell(row: SiteMeasures, key: str) -> str:
        text = measure_text(key, row.value(key))
        return f"{MARK} {text}" if key in row.marked else text

    columns = {
        _("Rang"): [number(row.rank) for row in rows],
        _("Site"): [md(row.site.name) for row in rows],
        _("ETP pourvus"): [fte(row.counts.fte_hundredths) for row in rows],
        _("Personnes accompagnées"): [number(row.counts.accompanied) for row in rows],
    }
    for key in MEASURES:
        columns[_(MEASURE_LABELS[key])] = [cell(row, key) for row in rows]
    columns[_("Indice")] = [number(int(row.index)) if row.index is not None else "—" for row in rows]
    columns[_("Verdict")] = [verdict(row, answers.compared) for row in rows]
    return pd.DataFrame(columns)


def index_chart(answers: DirectorAnswers) -> alt.TopLevelMixin:
    """One bar per site: its index (100 = the median site), laggards in the dark colour."""
    lagging, other = _("En retrait"), _("Dans la norme")
    frame = pd.DataFrame(
        [
            {
                "site": row.site.name,
                "index": float(row.index or 0),
                "verdict": lagging if row.lagging else other,
            }
            for row in answers.sites
        ],
        columns=["site", "index", "verdict"],
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("site:N", title=None, sort=None),
            x=alt.X("index:Q", title=_("Indice (100 = site médian)")),
            color=alt.Color(
                "verdict:N",
                title=None,
                scale=alt.Scale(domain=[lagging, other], range=["#7a2e5a", "#9cb9d9"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("site:N", title=_("Site")),
                alt.Tooltip("index:Q", title=_("Indice"), format=",.0f"),
                alt.Tooltip("verdict:N", title=_("Verdict")),
            ],
        )
    )
    median = alt.Chart(pd.DataFrame({"x": [100]})).mark_rule(strokeDash=[4, 4], color="#333333").encode(x="x:Q")
    return localised((bars + median).properties(height=max(120, 36 * len(answers.sites))))


def headline(answers: DirectorAnswers) -> None:
    """The three answers in three tiles."""
    first, second, third = st.columns(3)
    change = answers.accompanied.total - answers.accompanied.previous_total
    first.metric(
        _("Personnes accompagnées sur la période"),
        number(answers.accompanied.total),
        ("+" if change >= 0 else "-") + number(abs(change)),
        help=_(ACCOMPANIED_HELP)
        + " "
        + _("Évolution : par rapport à la période précédente ({count} personnes).").format(
            count=number(answers.accompanied.previous_total)
        ),
        border=True,
    )
    off = [g for g in answers.grants if g.status in (BEHIND, OVERSPENDING)]
    second.metric(
        _("Financements hors rythme"),
        _("{off} sur {count}").format(off=number(len(off)), count=number(len(answers.grants))),
        help=_(
            "Conventions en cours au {day} dont la part du budget dépensée s'écarte de plus de {points} points de "
            "la part de leur durée écoulée : en retard (sous-consommation) ou en surconsommation."
        ).format(day=day(answers.as_of), points=number(int(GAP_TOLERANCE * 100))),
        border=True,
    )
    laggards = [row.site.name for row in answers.sites if row.lagging]
    third.metric(
        _("Sites en retrait"),
        (", ".join(md(name) for name in laggards) or _("Aucun")) if answers.compared else _("Sans comparaison"),
        help=_(
            "Sites dont au moins {marks} des 4 mesures (actes par ETP, taux de présence, niveaux gagnés par "
            "apprenant·e, sorties pour 100 personnes) sont sous {share} % de la médiane des sites comparés."
        ).format(marks=number(LAGGING_MARKS), share=number(int(LAG_SHARE * 100))),
        border=True,
    )


def accompanied_detail(answers: DirectorAnswers) -> None:
    st.subheader(_("1. Combien de personnes avons-nous accompagnées ?"))
    sites = answers.accompanied.by_site
    columns = st.columns(max(len(sites), 1))
    for column, (site, count) in zip(columns, sites, strict=False):
        column.metric(
            md(site.name),
            number(count),
            help=_("Personnes accompagnées par ce site sur la période : {definition}").format(
                definition=_(ACCOMPANIED_HELP)
            ),
            border=True,
        )
    if len(sites) > 1:
        st.caption(
            _(
                "Total : {total} personnes distinctes. Une personne active sur deux sites (dossier transféré) compte "
                "sur chacun, et une seule fois dans le total."
            ).format(total=number(answers.accompanied.total))
        )


def grants_detail(answers: DirectorAnswers) -> None:
    st.subheader(_("2. Le budget suit-il le temps ?"))
    if not answers.grants:
        st.info(_("Aucune convention en cours au {day} sur ces sites.").format(day=day(answers.as_of)))
        return
    st.table(grants_frame(answers.grants), hide_index=True)
    st.caption(
        _(
            "Au {day}, pour chaque convention en cours : part du budget prévu sur les lignes de ces sites déjà "
            "dépensée, face à la part de la durée de la convention écoulée. Écart de plus de {points} points : "
            "▼ en retard (sous-consommation), ▲ surconsommation."
        ).format(day=day(answers.as_of), points=number(int(GAP_TOLERANCE * 100)))
    )


def sites_detail(answers: DirectorAnswers) -> None:
    st.subheader(_("3. Quel site est en retrait ?"))
    st.table(sites_frame(answers), hide_index=True)
    if answers.compared:
        charts.show(
            charts.from_aggregates(index_chart, answers),
            _("Indice des sites"),
            _("Une barre par site : son indice, 100 étant le site médian ; les sites en retrait en foncé."),
            width="stretch",
        )
    else:
        st.caption(_("Un seul site : pas de comparaison."))
    with st.expander(_("Définitions des mesures")):
        for key in MEASURES:
            st.markdown(f"**{_(MEASURE_LABELS[key])}** : {_(MEASURE_HELP[key])}")
        st.markdown(md(rules_text()[2]))
    st.caption(
        _(
            "Rangés par indice. {mark} : mesure sous {share} % de la médiane des sites comparés ; un site marqué sur "
            "au moins {marks} mesures est en retrait. ETP pourvus au {day}, hors chargé·es de mission national·es."
        ).format(mark=MARK, share=number(int(LAG_SHARE * 100)), marks=number(LAGGING_MARKS), day=day(answers.as_of))
    )


def answers_section(principal: Principal, answers: DirectorAnswers, *, build: Callable[[], bytes]) -> None:
    """The whole section; `build()` makes the workbook (audited) when the director asks for it."""
    st.header(_("Les trois questions de la direction"))
    headline(answers)
    accompanied_detail(answers)
    grants_detail(answers)
    sites_detail(answers)
    export(principal, answers, build)


def export(principal: Principal, answers: DirectorAnswers, build: Callable[[], bytes]) -> None:
    key = f"dashboard_xlsx_{answers.start}_{answers.end}_{[s.site.id for s in answers.sites]}_{language()}"
    left, right = st.columns(2)
    if left.button(_("Préparer l'export Excel"), icon=":material/table_view:", key="dashboard_prepare_xlsx"):
        st.session_state[key] = build()
    content = st.session_state.get(key)
    offer_download(
        principal,
        _("Télécharger le classeur (XLSX)"),
        lambda: content or b"",
        file_name=f"tableau-de-bord-{answers.start:%Y%m%d}-{answers.end:%Y%m%d}.xlsx",
        mime=XLSX,
        key="dashboard_xlsx",
        disabled=content is None,
        help=_("Préparez d'abord le classeur : chaque export est tracé dans le journal.") if content is None else None,
        container=right,
    )
