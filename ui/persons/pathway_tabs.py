"""The pathway tabs of the person file: barriers, action plan, PSP, referrals, outcomes, notes.

app_pages/persons/person_file.py calls each function inside its `st.tabs`; `header` is the file's
PersonFileHeader (person_id, code, site_id, status, version…). Write controls only for roles with
EDIT_PERSON_FILES on a file that is not anonymised; the notes only for roles that may see identity.
The page calls a tab's function once the tab was opened on the file (ui.persons.file_sections). `shown` is
False when the tab is not the open one: the function then draws its forms only (what is typed in them must
survive a look at another tab) and reads only what they offer to choose from; its lists, tables and charts
wait until the tab is opened again (a run of the page). The same holds in ui/persons/appointments.py and
ui/persons/legal_tab.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

import clock
from i18n import N_, _, formats, pgettext
from models.audit import AuditAction
from models.labels import label
from models.partners import OUTCOME_CATEGORY_OF_TYPE, OutcomeType, ReferralResult
from models.pathway import Barrier, BarrierSeverity, CommissionOpinion, GoalAxis, GoalStatus, PrefectDecision
from models.persons import PersonStatus
from services.persons import partners, pathway
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.persons import file_sections
from ui.platform import charts, conflicts, form_state, widgets
from ui.platform.runtime import Runtime, field_cipher
from ui.platform.text import md

DATE_FORMAT = "DD/MM/YYYY"
NOT_RATED = N_("Non évalué")


def _may_write(principal: Principal, header) -> bool:
    return principal.can(Capability.EDIT_PERSON_FILES) and header.status != PersonStatus.ANONYMISED


def _read_only_note(principal: Principal, header) -> None:
    if header.status == PersonStatus.ANONYMISED:
        st.caption(_("Dossier anonymisé : plus aucune saisie n'est possible."))
    elif not principal.can(Capability.EDIT_PERSON_FILES):
        st.caption(_("Consultation seule."))


PARIS_TODAY = object()  # a date field's default: today in Paris, read when the field is drawn


def _date_input(text: str, key: str, *, value: date | object | None = PARIS_TODAY) -> date | None:
    return widgets.date_input(
        md(text), value=clock.today() if value is PARIS_TODAY else value, format=DATE_FORMAT, key=key
    )


# --- Freins -------------------------------------------------------------------------------------


def _correction_text(point: pathway.BarrierPoint) -> str:
    if not point.corrected:
        return ""
    return _("Corrigé le {day} (saisi d'abord : {entered})").format(
        day=formats.day(point.corrected_at.astimezone(clock.PARIS).date()), entered=label(point.entered_severity)
    )


def _latest_by_barrier(history: list[pathway.BarrierPoint]) -> dict[Barrier, pathway.BarrierPoint]:
    current: dict[Barrier, pathway.BarrierPoint] = {}
    for point in history:
        current[point.barrier] = point  # oldest first: the last one wins
    return current


def _barriers_table(history: list[pathway.BarrierPoint]) -> None:
    current = _latest_by_barrier(history)
    st.header(_("Freins actuels"))
    st.dataframe(
        pd.DataFrame(
            {
                _("Frein"): [label(b) for b in current],
                _("Niveau"): [label(p.severity) for p in current.values()],
                _("Évalué le"): [formats.day(p.assessed_on) for p in current.values()],
                _("Correction"): [_correction_text(p) for p in current.values()],
            }
        ),
        hide_index=True,
    )
    st.header(_("Évolution"))
    charts.show(
        charts.barrier_evolution(history),
        _("Évolution des freins"),
        _("Niveau de chaque frein (une ligne) à chaque évaluation (une colonne), écrit dans chaque case."),
    )


def _barriers_form(runtime: Runtime, principal: Principal, header) -> None:
    form = "barriers"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Nouvelle évaluation**"))
        form_state.form_error(form)
        assessed_on = _date_input(_("Date de l'évaluation"), f"{key}_on")
        form_state.field_error(errors, "assessed_on")
        ratings: dict[Barrier, BarrierSeverity] = {}
        for barrier in Barrier:
            # Stable options (None: not rated) shown in the session's language.
            choice = st.radio(
                label(barrier),
                [None, *BarrierSeverity],
                horizontal=True,
                format_func=lambda s: _(NOT_RATED) if s is None else label(s),
                key=f"{key}_{barrier.value}",
            )
            if choice is not None:
                ratings[barrier] = choice
        form_state.field_error(errors, "ratings")
        submitted = st.form_submit_button(_("Enregistrer l'évaluation"), type="primary")
    if submitted:
        data = {"assessed_on": assessed_on, "ratings": ratings}

        def save() -> None:
            with unit_of_work(runtime.engine) as session:
                pathway.record_barriers(session, principal, header.person_id, data=data)

        form_state.submit(form, save, _("Évaluation enregistrée."))


def _correction_form(runtime: Runtime, principal: Principal, history: list[pathway.BarrierPoint]) -> None:
    """Correct the latest rating of a barrier entered by mistake; a colleague's correction meanwhile is
    merged, never overwritten (ui.platform.conflicts)."""
    latest = list(_latest_by_barrier(history).values())
    chosen = widgets.selectbox(
        _("Évaluation à corriger"),
        latest,
        format_func=lambda p: _("{barrier} — {severity}, évalué le {day}").format(
            barrier=label(p.barrier), severity=label(p.severity), day=formats.day(p.assessed_on)
        ),
        key="barrier_correction_choice",
    )
    form = f"barrier_correct_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as session:
            pathway.correct_barrier_rating(session, principal, chosen.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        chosen.id,
        version=chosen.version,
        values={"severity": chosen.severity},
        fields={"severity": conflicts.Field(_("Niveau"))},
        save=save,
        success=_("Évaluation corrigée."),
        last_write=conflicts.audited(
            runtime.engine, principal, "barrier_assessment", chosen.id, [AuditAction.BARRIER_CORRECT]
        ),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        severity = st.radio(
            _("Niveau corrigé"),
            list(BarrierSeverity),
            index=list(BarrierSeverity).index(chosen.severity),
            format_func=label,
            horizontal=True,
            key=f"{key}_severity",
        )
        form_state.field_error(errors, "severity")
        submitted = st.form_submit_button(_("Corriger l'évaluation"))
    if submitted:
        edit.submit({"severity": severity})


def barriers_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    form_state.show_toast()
    writable = _may_write(principal, header)
    history = []
    if shown or writable:  # the correction form picks among the latest assessments
        with unit_of_work(runtime.engine) as session:
            history = pathway.barrier_history(session, principal, header.person_id)
    if shown:
        if not history:
            st.info(_("Aucune évaluation des freins pour l'instant."))
        else:
            _barriers_table(history)
        _read_only_note(principal, header)
    if writable:
        _barriers_form(runtime, principal, header)
        if history:

            def correction() -> None:
                st.caption(
                    _(
                        "Seule la dernière évaluation de chaque frein se corrige ; la correction reste visible "
                        "dans l'historique. Pour un changement de situation, enregistrez une nouvelle évaluation."
                    )
                )
                _correction_form(runtime, principal, history)

            file_sections.section(
                st,
                file_sections.BARRIER_CORRECTION,
                _("Corriger une évaluation saisie par erreur"),
                code=header.code,
                icon=":material/edit:",
                draw=correction,
            )


# --- Plan d'action ------------------------------------------------------------------------------


def _goals_table(goals: list[pathway.GoalRow]) -> None:
    today = clock.today()
    st.dataframe(
        pd.DataFrame(
            {
                _("Axe"): [label(g.axis) for g in goals],
                _("Objectif"): [g.goal or "—" for g in goals],
                _("Actions"): [g.actions or "" for g in goals],
                _("Échéance"): [formats.day(g.due_on) for g in goals],
                _("Statut"): [
                    _("{status} (en retard)").format(status=label(g.status))
                    if g.status in pathway.OPEN_STATUSES and g.due_on and g.due_on < today
                    else label(g.status)
                    for g in goals
                ],
                _("Clos le"): [formats.day(g.closed_on) if g.closed_on else "" for g in goals],
            }
        ),
        hide_index=True,
    )


def _goal_fields(key: str, errors: dict[str, str], goal: pathway.GoalRow | None) -> dict[str, object]:
    """Axis, goal, actions and due date (inside an st.form); `goal` fills them for a change."""
    axes = list(GoalAxis)
    axis = widgets.selectbox(
        _("Axe"), axes, index=axes.index(goal.axis) if goal else 0, format_func=label, key=f"{key}_axis"
    )
    form_state.field_error(errors, "axis")
    text = st.text_input(_("Objectif"), value=goal.goal if goal else "", max_chars=pathway.GOAL_MAX, key=f"{key}_goal")
    form_state.field_error(errors, "goal")
    actions = st.text_area(
        _("Actions prévues"),
        value=(goal.actions or "") if goal else "",
        max_chars=pathway.ACTIONS_MAX,
        key=f"{key}_actions",
    )
    form_state.field_error(errors, "actions")
    due_on = _date_input(_("Échéance"), f"{key}_due", value=goal.due_on if goal else None)
    return {"axis": axis, "goal": text, "actions": actions, "due_on": due_on}


def _new_goal_form(runtime: Runtime, principal: Principal, header) -> None:
    form = "goal_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _goal_fields(key, errors, None)
        submitted = st.form_submit_button(_("Ajouter l'objectif"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(runtime.engine) as session:
                pathway.create_goal(session, principal, header.person_id, data=data)

        form_state.submit(form, create, _("Objectif ajouté."))


def _edit_goal_form(runtime: Runtime, principal: Principal, chosen: pathway.GoalRow) -> None:
    """A colleague's save meanwhile is merged, never overwritten (ui.platform.conflicts)."""
    form = f"goal_edit_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as session:
            pathway.update_goal(session, principal, chosen.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        chosen.id,
        version=chosen.version,
        values={
            "axis": chosen.axis,
            "goal": chosen.goal,
            "actions": chosen.actions or "",
            "due_on": chosen.due_on,
            "status": chosen.status,
        },
        fields={
            "axis": conflicts.Field(_("Axe")),
            "goal": conflicts.Field(_("Objectif")),
            "actions": conflicts.Field(_("Actions prévues")),
            "due_on": conflicts.Field(_("Échéance")),
            "status": conflicts.Field(_("Statut")),
        },
        save=save,
        success=_("Objectif modifié."),
        last_write=conflicts.audited(runtime.engine, principal, "action_goal", chosen.id, [AuditAction.GOAL_UPDATE]),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _goal_fields(key, errors, chosen)
        data["status"] = st.radio(
            _("Statut"),
            list(pathway.OPEN_STATUSES),
            index=list(pathway.OPEN_STATUSES).index(chosen.status),
            format_func=label,
            horizontal=True,
            key=f"{key}_status",
        )
        form_state.field_error(errors, "status")
        submitted = st.form_submit_button(_("Enregistrer les modifications"), type="primary")
    if submitted:
        edit.submit(data)


def _close_goal_form(runtime: Runtime, principal: Principal, chosen: pathway.GoalRow) -> None:
    """Close the goal chosen. A transition that writes only the status and its date: it goes over the
    version of this run (a goal closed meanwhile is no longer offered), never over a colleague's edit
    of its text."""
    close_form = f"goal_close_{chosen.id}"
    key = form_state.key(close_form)
    errors = form_state.errors(close_form)
    with widgets.form(key):
        st.markdown(_("**Clore l'objectif**"))
        form_state.form_error(close_form)
        status = st.radio(
            _("Résultat"),
            [GoalStatus.ACHIEVED, GoalStatus.ABANDONED],
            format_func=label,
            horizontal=True,
            key=f"{key}_status",
        )
        form_state.field_error(errors, "status")
        closed_on = _date_input(_("Date de clôture"), f"{key}_on")
        form_state.field_error(errors, "closed_on")
        close = st.form_submit_button(_("Clore l'objectif"))
    if close:
        data = {"status": status, "closed_on": closed_on}

        def do_close() -> None:
            with unit_of_work(runtime.engine) as session:
                pathway.close_goal(session, principal, chosen.id, expected_version=chosen.version, data=data)

        form_state.submit(close_form, do_close, _("Objectif clos."))


def _change_goal(runtime: Runtime, principal: Principal, goals: list[pathway.GoalRow]) -> None:
    open_goals = [g for g in goals if g.status in pathway.OPEN_STATUSES]
    if not open_goals:
        st.caption(_("Aucun objectif en cours."))
        return
    chosen = widgets.selectbox(
        _("Objectif"), open_goals, format_func=lambda g: f"{label(g.axis)} — {g.goal}", key="goal_edit_choice"
    )
    _edit_goal_form(runtime, principal, chosen)
    _close_goal_form(runtime, principal, chosen)


def goals_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    form_state.show_toast()
    writable = _may_write(principal, header)
    if not (shown or writable):
        return
    with unit_of_work(runtime.engine) as session:  # the forms pick the goal to change among them
        goals = pathway.list_goals(session, principal, header.person_id)
    if shown:
        if goals:
            _goals_table(goals)
        else:
            st.info(_("Aucun objectif dans le plan d'action."))
        _read_only_note(principal, header)
    if not writable:
        return
    new_tab, edit_tab = st.tabs([_("Nouvel objectif"), _("Modifier ou clore un objectif")])
    with new_tab:
        _new_goal_form(runtime, principal, header)
    with edit_tab:
        _change_goal(runtime, principal, goals)


# --- PSP ----------------------------------------------------------------------------------------


def _psp_summary(episode: pathway.PspEpisodeView) -> None:
    if episode.alert:
        st.warning(md(episode.alert), icon=":material/schedule:")
    left, middle, right = st.columns(3)
    left.metric(_("Mois accordés"), f"{episode.months_used} / {pathway.PSP_MAX_MONTHS}")
    middle.metric(_("Avis de la commission"), label(episode.commission_opinion))
    right.metric(_("Décision du préfet"), label(episode.prefect_decision))
    dates = {
        "commission": formats.day(episode.commission_on),
        "decision": formats.day(episode.decided_on),
        "aps_start": formats.day(episode.aps_start_on),
        "aps_end": formats.day(episode.aps_end_on),
        "afis_start": formats.day(episode.afis_start_on),
        "afis_end": formats.day(episode.afis_end_on),
    }
    if episode.afis_monthly_cents is None:
        st.markdown(
            _(
                "Commission : {commission} · Décision : {decision} · APS : {aps_start} → {aps_end} · "
                "AFIS : {afis_start} → {afis_end}"
            ).format(**{name: md(day) for name, day in dates.items()})
        )
    else:
        st.markdown(
            _(
                "Commission : {commission} · Décision : {decision} · APS : {aps_start} → {aps_end} · "
                "AFIS : {afis_start} → {afis_end}, {amount} par mois"
            ).format(amount=formats.euros(episode.afis_monthly_cents), **{name: md(day) for name, day in dates.items()})
        )


def _psp_periods(episode: pathway.PspEpisodeView) -> None:
    if not episode.periods:
        st.caption(_("Aucune période d'autorisation enregistrée."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Période"): [_("Renouvellement") if p.is_renewal else _("Première période") for p in episode.periods],
                _("Début"): [formats.day(p.start_on) for p in episode.periods],
                _("Fin"): [formats.day(p.end_on) for p in episode.periods],
            }
        ),
        hide_index=True,
    )


# The dated fields of the PSP form after the commission: (field, label, widget key suffix).
PSP_DATES = (
    ("decided_on", N_("Date de la décision"), "decided"),
    ("aps_start_on", N_("Début de l'APS"), "aps_start"),
    ("aps_end_on", N_("Fin de l'APS"), "aps_end"),
    ("afis_start_on", N_("Début de l'AFIS"), "afis_start"),
    ("afis_end_on", N_("Fin de l'AFIS"), "afis_end"),
)


def _psp_dates(key: str, errors: dict[str, str], episode: pathway.PspEpisodeView) -> dict[str, object]:
    """The decision, APS and AFIS dates as recorded, each with its error (inside an st.form)."""
    values: dict[str, object] = {}
    for name, text, suffix in PSP_DATES:
        values[name] = _date_input(_(text), f"{key}_{suffix}", value=getattr(episode, name))
        form_state.field_error(errors, name)
    return values


def _psp_fields(key: str, errors: dict[str, str], episode: pathway.PspEpisodeView) -> dict[str, object]:
    """The commission, the préfet's decision, APS and AFIS as recorded; the end is sent as recorded."""
    commission_on = _date_input(_("Date de la commission"), f"{key}_commission", value=episode.commission_on)
    form_state.field_error(errors, "commission_on")
    opinion = widgets.selectbox(
        _("Avis de la commission"),
        list(CommissionOpinion),
        format_func=label,
        index=list(CommissionOpinion).index(episode.commission_opinion),
        key=f"{key}_opinion",
    )
    decision = widgets.selectbox(
        _("Décision du préfet"),
        list(PrefectDecision),
        format_func=label,
        index=list(PrefectDecision).index(episode.prefect_decision),
        key=f"{key}_decision",
    )
    dates = _psp_dates(key, errors, episode)
    # In the session's notation, as the service reads it back (services.platform.money.typed_cents).
    current = "" if episode.afis_monthly_cents is None else formats.euros(episode.afis_monthly_cents)
    amount = st.text_input(_("Montant mensuel de l'AFIS (€)"), value=current, key=f"{key}_afis_amount")
    form_state.field_error(errors, "afis_monthly_cents")
    return {
        "commission_on": commission_on,
        "commission_opinion": opinion,
        "prefect_decision": decision,
        **dates,
        "afis_monthly_cents": amount,  # as typed, in euros: the service reads it
        "ended_on": episode.ended_on,
    }


def _psp_values(episode: pathway.PspEpisodeView) -> dict[str, object]:
    """The episode's values as its form shows them (the base and the colleague's side of a merge)."""
    return {
        "commission_on": episode.commission_on,
        "commission_opinion": episode.commission_opinion,
        "prefect_decision": episode.prefect_decision,
        **{name: getattr(episode, name) for name, _text, _suffix in PSP_DATES},
        "afis_monthly_cents": "" if episode.afis_monthly_cents is None else formats.euros(episode.afis_monthly_cents),
        "ended_on": episode.ended_on,
    }


PSP_FIELDS = {
    "commission_on": N_("Date de la commission"),
    "commission_opinion": N_("Avis de la commission"),
    "prefect_decision": N_("Décision du préfet"),
    **{name: text for name, text, _suffix in PSP_DATES},
    "afis_monthly_cents": N_("Montant mensuel de l'AFIS (€)"),
    "ended_on": N_("Fin du parcours"),
}


def _psp_form(runtime: Runtime, principal: Principal, episode: pathway.PspEpisodeView, code: str) -> None:
    """A colleague's save meanwhile is merged, never overwritten (ui.platform.conflicts)."""
    form = f"psp_edit_{episode.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as session:
            pathway.update_psp_episode(session, principal, episode.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        episode.id,
        version=episode.version,
        values=_psp_values(episode),
        fields={name: conflicts.Field(_(text)) for name, text in PSP_FIELDS.items()},
        save=save,
        success=_("Parcours de sortie mis à jour."),
        last_write=conflicts.audited(
            runtime.engine, principal, "psp_episode", episode.id, [AuditAction.PSP_UPDATE, AuditAction.PSP_RENEW]
        ),
    )

    def decision() -> None:
        edit.panel()
        with widgets.form(key):
            form_state.form_error(form)
            data = _psp_fields(key, errors, episode)
            submitted = st.form_submit_button(_("Enregistrer"), type="primary")
        if submitted:
            edit.submit(data)

    file_sections.section(
        st,
        file_sections.psp_decision(episode.id),
        _("Commission, décision, APS et AFIS"),
        code=code,
        icon=":material/gavel:",
        draw=decision,
    )


def _psp_period_form(runtime: Runtime, principal: Principal, episode: pathway.PspEpisodeView) -> None:
    form = f"psp_period_{episode.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    renewal = bool(episode.periods)
    default_start = episode.periods[-1].end_on + timedelta(days=1) if renewal else episode.decided_on
    with widgets.form(key):
        st.markdown(_("**Renouvellement (6 mois)**") if renewal else _("**Première période (6 mois)**"))
        form_state.form_error(form)
        start_on = _date_input(_("Début de la période"), f"{key}_start", value=default_start)
        form_state.field_error(errors, "start_on")
        form_state.field_error(errors, "is_renewal")
        add = st.form_submit_button(_("Renouveler pour 6 mois") if renewal else _("Ajouter la première période"))
    if add:
        data = {"start_on": start_on, "is_renewal": renewal}

        def add_period() -> None:
            with unit_of_work(runtime.engine) as session:
                pathway.add_psp_period(session, principal, episode.id, data=data)

        form_state.submit(form, add_period, _("Période enregistrée."))


def _psp_episode(
    runtime: Runtime, principal: Principal, header, episode: pathway.PspEpisodeView, writable: bool, shown: bool
) -> None:
    if shown:
        _psp_summary(episode)
        _psp_periods(episode)
    if not writable:
        return
    _psp_form(runtime, principal, episode, header.code)
    if episode.prefect_decision == PrefectDecision.GRANTED and episode.ended_on is None:
        _psp_period_form(runtime, principal, episode)


def _new_psp_form(runtime: Runtime, principal: Principal, header) -> None:
    form = "psp_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Nouvelle demande de parcours de sortie**"))
        form_state.form_error(form)
        requested_on = _date_input(_("Date de la demande"), f"{key}_on")
        form_state.field_error(errors, "requested_on")
        submitted = st.form_submit_button(_("Enregistrer la demande"))
    if submitted:

        def create() -> None:
            with unit_of_work(runtime.engine) as session:
                pathway.create_psp_episode(session, principal, header.person_id, data={"requested_on": requested_on})

        form_state.submit(form, create, _("Demande enregistrée."))


def psp_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    form_state.show_toast()
    writable = _may_write(principal, header)
    if not (shown or writable):
        return
    with unit_of_work(runtime.engine) as session:  # each request has its forms
        episodes = pathway.list_psp(session, principal, header.person_id)
    st.caption(
        _(
            "Parcours de sortie de la prostitution (loi du 13 avril 2016) : autorisation de 6 mois, "
            "renouvelable, 24 mois au plus."
        )
    )
    if not episodes and shown:
        st.info(_("Aucune demande de parcours de sortie."))
    for episode in episodes:
        st.header(_("Demande du {day}").format(day=formats.day(episode.requested_on)))
        _psp_episode(runtime, principal, header, episode, writable, shown)
    if shown:
        _read_only_note(principal, header)
    if writable:
        _new_psp_form(runtime, principal, header)


# --- Orientations -------------------------------------------------------------------------------


def _referrals_table(rows: list[partners.ReferralRow]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                _("Date"): [formats.day(r.referred_on) for r in rows],
                _("Partenaire"): [r.partner_name for r in rows],
                _("Type"): [label(r.partner_kind) for r in rows],
                _("Motif"): [r.reason or "" for r in rows],
                _("Résultat"): [label(r.result) for r in rows],
                _("Date du résultat"): [formats.day(r.result_on) if r.result_on else "" for r in rows],
            }
        ),
        hide_index=True,
    )


def _new_referral_form(runtime: Runtime, principal: Principal, header, choices: list[partners.PartnerRow]) -> None:
    needs_consent = getattr(header, "consent_partner_sharing", True) is False
    if needs_consent:
        st.warning(
            _(
                "La personne n'a pas consenti au partage d'informations avec les partenaires : "
                "une orientation n'est enregistrée qu'avec son accord, recueilli aujourd'hui."
            ),
            icon=":material/privacy_tip:",
        )
    form = "referral_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Nouvelle orientation**"))
        form_state.form_error(form)
        partner = widgets.selectbox(
            _("Partenaire"),
            choices,
            index=None,
            placeholder=_("Choisir un partenaire du site"),
            format_func=lambda p: f"{p.name} ({label(p.kind)})",
            key=f"{key}_partner",
        )
        form_state.field_error(errors, "partner_id")
        referred_on = _date_input(_("Date de l'orientation"), f"{key}_on")
        form_state.field_error(errors, "referred_on")
        reason = st.text_input(_("Motif"), max_chars=partners.REASON_MAX, key=f"{key}_reason")
        form_state.field_error(errors, "reason")
        consent_given = needs_consent and st.checkbox(
            _("La personne accepte aujourd'hui le partage d'informations avec les partenaires (noté au dossier)"),
            key=f"{key}_consent",
        )
        form_state.field_error(errors, "consent_given")
        submitted = st.form_submit_button(_("Enregistrer l'orientation"), type="primary")
    if submitted:
        data = {
            "partner_id": partner.id if partner else None,
            "referred_on": referred_on,
            "reason": reason,
            "consent_given": bool(consent_given),
        }

        def create() -> None:
            with unit_of_work(runtime.engine) as session:
                partners.create_referral(session, principal, header.person_id, data=data)

        form_state.submit(form, create, _("Orientation enregistrée."))


def _referral_result_form(runtime: Runtime, principal: Principal, rows: list[partners.ReferralRow]) -> None:
    chosen = widgets.selectbox(
        _("Orientation à compléter"),
        rows,
        key="referral_result_choice",
        format_func=lambda r: f"{formats.day(r.referred_on)} — {r.partner_name}",
    )
    form = f"referral_result_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as session:
            partners.update_referral_result(session, principal, chosen.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(  # a colleague's save meanwhile is merged, never overwritten
        form,
        chosen.id,
        version=chosen.version,
        values={"result": chosen.result, "result_on": chosen.result_on or clock.today()},
        fields={"result": conflicts.Field(_("Résultat")), "result_on": conflicts.Field(_("Date du résultat"))},
        save=save,
        success=_("Résultat enregistré."),
        last_write=conflicts.audited(runtime.engine, principal, "referral", chosen.id, [AuditAction.REFERRAL_UPDATE]),
    )
    edit.panel()
    with widgets.form(key):
        st.markdown(_("**Résultat de l'orientation**"))
        form_state.form_error(form)
        result = widgets.selectbox(
            _("Résultat"),
            list(ReferralResult),
            index=list(ReferralResult).index(chosen.result),
            format_func=label,
            key=f"{key}_result",
        )
        result_on = _date_input(_("Date du résultat"), f"{key}_on", value=chosen.result_on or clock.today())
        form_state.field_error(errors, "result_on")
        submitted = st.form_submit_button(_("Enregistrer le résultat"))
    if submitted:
        edit.submit({"result": result, "result_on": result_on})


def referrals_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    form_state.show_toast()
    writable = _may_write(principal, header)
    if not (shown or writable):
        return
    with unit_of_work(runtime.engine) as session:  # the result form picks among the referrals
        rows = partners.list_referrals(session, principal, header.person_id)
        choices = partners.list_partners(session, principal, site_id=header.site_id) if writable else []
    if shown:
        if rows:
            _referrals_table(rows)
        else:
            st.info(_("Aucune orientation vers un partenaire."))
        _read_only_note(principal, header)
    if not writable:
        return
    _new_referral_form(runtime, principal, header, choices)
    if rows:
        _referral_result_form(runtime, principal, rows)


# --- Sorties ------------------------------------------------------------------------------------


def _outcomes_table(rows: list[partners.OutcomeRow]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                _("Date"): [formats.day(r.outcome_on) for r in rows],
                _("Sortie"): [label(r.outcome_type) for r in rows],
                _("Catégorie"): [label(r.category) for r in rows],
                _("Secteur"): [r.employer_sector or "" for r in rows],
                _("Clôt le dossier"): [_("Oui") if r.closes_file else _("Non") for r in rows],
            }
        ),
        hide_index=True,
    )


def _new_outcome_form(runtime: Runtime, principal: Principal, header) -> None:
    form = "outcome_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Nouvelle sortie**"))
        form_state.form_error(form)
        outcome_on = _date_input(_("Date de la sortie"), f"{key}_on")
        form_state.field_error(errors, "outcome_on")
        outcome_type = widgets.selectbox(
            _("Type de sortie"),
            list(OutcomeType),
            key=f"{key}_type",
            format_func=lambda t: f"{label(t)} — {label(OUTCOME_CATEGORY_OF_TYPE[t])}",
        )
        form_state.field_error(errors, "outcome_type")
        sector = st.text_input(_("Secteur de l'employeur"), max_chars=partners.SECTOR_MAX, key=f"{key}_sector")
        form_state.field_error(errors, "employer_sector")
        closes = st.checkbox(
            _("Cette sortie clôt le dossier"), key=f"{key}_closes", disabled=header.status == PersonStatus.CLOSED
        )
        form_state.field_error(errors, "closes_file")
        submitted = st.form_submit_button(pgettext("outcome", "Enregistrer la sortie"), type="primary")
    if submitted:
        data = {
            "outcome_on": outcome_on,
            "outcome_type": outcome_type,
            "employer_sector": sector,
            "closes_file": closes,
        }

        def create() -> None:
            with unit_of_work(runtime.engine) as session:
                partners.record_outcome(session, principal, header.person_id, data=data)

        form_state.submit(
            form,
            create,
            _("Sortie enregistrée ; le dossier est clôturé.") if closes else pgettext("outcome", "Sortie enregistrée."),
        )


def outcomes_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    form_state.show_toast()
    if shown:
        with unit_of_work(runtime.engine) as session:
            rows = partners.list_outcomes(session, principal, header.person_id)
        if rows:
            _outcomes_table(rows)
        else:
            st.info(_("Aucune sortie enregistrée."))
        _read_only_note(principal, header)
    if _may_write(principal, header):
        _new_outcome_form(runtime, principal, header)


# --- Notes --------------------------------------------------------------------------------------


def _new_note_form(runtime: Runtime, principal: Principal, header, cipher) -> None:
    form = "note_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        noted_on = _date_input(_("Date"), f"{key}_on")
        form_state.field_error(errors, "noted_on")
        body = st.text_area(
            _("Note"),
            max_chars=pathway.NOTE_MAX,
            key=f"{key}_body",
            help=_("Chiffrée dans la base ; visible des seul·es intervenant·es et chef·fes de service."),
        )
        form_state.field_error(errors, "body")
        submitted = st.form_submit_button(_("Ajouter la note"), type="primary")
    if submitted:
        data = {"noted_on": noted_on, "body": body}

        def create() -> None:
            with unit_of_work(runtime.engine) as session:
                pathway.add_note(session, principal, header.person_id, data=data, cipher=cipher)

        form_state.submit(form, create, _("Note ajoutée."))


def notes_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    if not principal.can(Capability.VIEW_IDENTITY):
        st.info(_("Les notes ne sont visibles que des intervenant·es et des chef·fes de service."))
        return
    form_state.show_toast()
    cipher = field_cipher()
    if _may_write(principal, header):
        _new_note_form(runtime, principal, header, cipher)
    if not shown:
        return
    _read_only_note(principal, header)
    with unit_of_work(runtime.engine) as session:
        notes = pathway.list_notes(session, principal, header.person_id, cipher=cipher)
    if not notes:
        st.info(_("Aucune note."))
    for note in notes:
        with st.container(border=True):
            author = note.author_name or _("auteur inconnu")
            st.caption(f"{formats.day(note.noted_on)} — {md(author)}")
            st.text(note.body)
