"""The three views of Progression en français: one learner, one group, the sites.

Each function draws one tab of app_pages/activities/language_progress.py; `groups` are the GroupRow the
principal sees (services.activities.courses.groups.list_groups). First names only for roles with VIEW_LEARNERS.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from i18n import _, formats
from models.courses import LanguageSkill
from models.labels import label
from services.activities.courses import progress as language_progress
from services.activities.courses.groups import GroupRow
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.activities.courses import charts as language_charts
from ui.activities.courses.charts import hours_text
from ui.activities.courses.figures import site_figures
from ui.activities.courses.groups import group_label
from ui.persons import markers
from ui.platform import charts, widgets
from ui.platform.runtime import Runtime, field_cipher
from ui.platform.text import md


def choose_group(groups: list[GroupRow], today: date, key: str) -> GroupRow:
    """A site (when the principal has several) then a group of it, running groups first."""
    candidates = groups
    site_codes = sorted({g.site_code for g in groups})
    if len(site_codes) > 1:
        code = widgets.selectbox(_("Site"), site_codes, key=f"{key}_site")
        candidates = [g for g in groups if g.site_code == code]
    by_id = {g.id: g for g in candidates}
    ordered = [g.id for g in candidates if g.is_running(today)] + [g.id for g in candidates if not g.is_running(today)]

    def option(group_id: int) -> str:
        name = by_id[group_id].name
        return name if by_id[group_id].is_running(today) else _("{group} (terminé)").format(group=name)

    chosen = widgets.selectbox(_("Groupe"), ordered, key=f"{key}_group", format_func=option)
    return by_id[chosen]


def learner_view(rt: Runtime, principal: Principal, groups: list[GroupRow], today: date) -> None:
    group = choose_group(groups, today, "progress_learner")
    with unit_of_work(rt.engine) as uow:
        learners = language_progress.learner_choices(uow, principal, group_id=group.id, cipher=field_cipher())
    if not learners:
        st.info(_("Personne n'est inscrit·e dans ce groupe."))
        return
    of = {row.person_id: row for row in learners}
    person_id = widgets.selectbox(
        _("Apprenant·e"),
        list(of),
        key="progress_learner_person",
        format_func=lambda i: " ".join(
            part
            for part in (markers.danger(of[i].safety_flag), of[i].code, of[i].first_name and f"— {of[i].first_name}")
            if part
        ),
    )
    with unit_of_work(rt.engine) as uow:
        progress = language_progress.learner_progress(uow, principal, person_id, cipher=field_cipher())
    st.markdown(
        _("**Heures de présence de {code} : {hours}** ({sessions} séance(s) suivie(s))").format(
            code=md(progress.code),
            hours=md(hours_text(progress.attended_minutes)),
            sessions=formats.number(progress.attended_sessions),
        )
    )
    if progress.steps or progress.monthly:
        charts.show(
            language_charts.learner_steps(progress),
            _("Progression de l'apprenant·e"),
            _("Niveau CECRL de chaque compétence au fil des évaluations, et heures de présence par mois."),
            width="stretch",
        )
    st.caption(
        _(
            "Chaque marche est le niveau d'une compétence à une évaluation ; il vaut jusqu'à la suivante. "
            "Les barres : heures de présence par mois (séances où la personne était présente, dans les "
            "groupes de votre périmètre ; absences excusées ou non : 0)."
        )
    )
    first, latest = progress.first(), progress.latest()
    if not latest:
        st.info(_("Aucune évaluation pour cette personne."))
        return
    skills = [skill for skill in LanguageSkill if skill in latest]
    st.dataframe(
        pd.DataFrame(
            {
                _("Compétence"): [label(s) for s in skills],
                _("Positionnement"): [f"{label(first[s].level)} ({formats.day(first[s].assessed_on)})" for s in skills],
                _("Dernier niveau"): [label(latest[s].level) for s in skills],
                _("Évalué le"): [formats.day(latest[s].assessed_on) for s in skills],
                _("Progression"): [language_charts.levels_gained_text(latest[s].rank - first[s].rank) for s in skills],
            }
        ),
        hide_index=True,
    )


def group_view(rt: Runtime, principal: Principal, groups: list[GroupRow], today: date) -> None:
    group = choose_group(groups, today, "progress_group")
    with unit_of_work(rt.engine) as uow:
        distribution = language_progress.group_distribution(uow, principal, group.id)
    several_sites = len({g.site_id for g in groups}) > 1
    st.caption(
        _(
            "{count} apprenant·e(s) évalué·e(s) dans « {group} ». À l'entrée : la première évaluation de "
            "chaque compétence faite dans ce groupe ; dernière évaluation : la plus récente. Chaque barre "
            "compte des apprenant·es."
        ).format(count=formats.number(distribution.learners), group=md(group_label(group, several_sites)))
    )
    if distribution.counts:
        charts.show_charts_in_pairs(
            charts.from_aggregates(language_charts.entry_vs_latest, distribution),
            _("Niveaux à l'entrée et à la dernière évaluation"),
            _("Pour cette compétence, nombre d'apprenant·es par niveau, à l'entrée et à la dernière évaluation."),
        )
    else:
        st.info(_("Aucune évaluation dans ce groupe."))


def site_view(principal: Principal, today: date) -> None:
    figures = site_figures(principal, today)
    if not figures.sites:
        st.info(_("Aucune évaluation dans votre périmètre."))
        return
    frame = language_charts.sites_frame(figures.sites)
    st.dataframe(
        pd.DataFrame(
            {
                _("Site"): frame["Site"],
                _("Apprenant·es évalué·es"): frame["Apprenant·es évalué·es"],
                _("Atteignent A1"): [formats.percent(v) if v is not None else "—" for v in frame["Atteignent A1"]],
                _("Atteignent A2"): [formats.percent(v) if v is not None else "—" for v in frame["Atteignent A2"]],
                _("Heures pour gagner un niveau (médiane)"): [
                    hours_text(round(s.median_minutes_per_level)) if s.median_minutes_per_level is not None else "—"
                    for s in figures.sites
                ],
                _("Progressions mesurées"): frame["Progressions mesurées"],
                _("Passages en droit commun (12 mois)"): [figures.transitions.get(s.site_id, 0) for s in figures.sites],
            }
        ),
        hide_index=True,
    )
    st.caption(
        _(
            "Atteindre A1 (A2) : la dernière évaluation de chacune des compétences évaluées est au niveau A1 "
            "(A2) ou au-dessus, parmi les apprenant·es ayant au moins une évaluation. Heures pour gagner un "
            "niveau : pour chaque apprenant·e et compétence dont le niveau a monté, heures de présence entre "
            "la première évaluation (incluse) et la première évaluation plus haute (exclue), divisées par le "
            "nombre de niveaux gagnés ; médiane de ces valeurs. Passages : depuis le {since}. Les chiffres "
            "comptent chaque évaluation et chaque appel enregistrés."
        ).format(since=formats.day(figures.since))
    )
    left, right = st.columns(2)
    with left:
        st.markdown(_("**Heures de présence pour gagner un niveau (médiane)**"))
        charts.show(
            charts.from_aggregates(language_charts.hours_per_level, figures.sites),
            _("Heures de présence pour gagner un niveau (médiane)"),
            _("Une barre par site."),
            width="stretch",
        )
    with right:
        st.markdown(_("**Part des apprenant·es atteignant A1 et A2**"))
        charts.show(
            charts.from_aggregates(language_charts.reaching_levels, figures.sites),
            _("Part des apprenant·es atteignant A1 et A2"),
            _("Pour chaque site, part des apprenant·es ayant atteint A1, puis A2."),
            width="stretch",
        )
