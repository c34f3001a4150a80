"""The « Juridique » tab of the person file: complaint, proceedings, victim residence permit,
compensation claim (services.persons.legal); the roles of the notes only."""

from __future__ import annotations

import streamlit as st

import clock
from i18n import _, formats
from models.labels import label
from models.legal import LegalDecision, LegalEventKind, ProceedingsStage
from models.persons import PersonStatus
from services.persons import legal
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

FORM = "legal_event"
PERMIT_SOON_DAYS = 60


def _day_label(kind: LegalEventKind) -> str:
    labels = {
        LegalEventKind.COMPLAINT: _("Date de la plainte *"),
        LegalEventKind.PROCEEDINGS: _("Date de ce stade *"),
        LegalEventKind.RESIDENCE_PERMIT: _("Demandé le *"),
        LegalEventKind.COMPENSATION: _("Déposée le *"),
    }
    return labels[kind]


def _detail(event: legal.LegalEventRow) -> str:
    """What a step says beyond its kind and day, in one line."""
    parts: list[str] = []
    if event.stage is not None:
        parts.append(label(event.stage))
    if event.decision is not None:
        parts.append(label(event.decision))
    if event.decided_on is not None:
        parts.append(_("décision le {day}").format(day=formats.day(event.decided_on)))
    if event.valid_until is not None:
        parts.append(_("valable jusqu'au {day}").format(day=formats.day(event.valid_until)))
    if event.amount_cents is not None:
        parts.append(formats.euros(event.amount_cents))
    if event.place:
        parts.append(event.place)
    return " · ".join(parts) or "—"


def _permit_notice(events: list[legal.LegalEventRow]) -> None:
    until = legal.permit_valid_until(events)
    if until is None:
        return
    left = (until - clock.today()).days
    text = _("Titre de séjour victime valable jusqu'au {day}.").format(day=formats.day(until))
    if left < 0:
        st.error(
            _("Titre de séjour victime expiré le {day}.").format(day=formats.day(until)), icon=":material/event_busy:"
        )
    elif left <= PERMIT_SOON_DAYS:
        st.warning(md(text + " " + _("Pensez au renouvellement.")), icon=":material/event:")
    else:
        st.info(md(text), icon=":material/event_available:")


def _kind_fields(kind: LegalEventKind, key: str, errors: dict[str, str]) -> dict[str, object]:
    """The fields of one kind of step (the service keeps only those)."""
    values: dict[str, object] = {}
    if kind == LegalEventKind.COMPLAINT:
        values["place"] = st.text_input(
            _("Lieu du dépôt"),
            max_chars=legal.PLACE_MAX,
            placeholder=_("Ex. : commissariat, gendarmerie, parquet"),
            key=f"{key}_place",
        )
        form_state.field_error(errors, "place")
    if kind == LegalEventKind.PROCEEDINGS:
        values["stage"] = widgets.selectbox(
            _("Stade *"),
            [None, *ProceedingsStage],
            format_func=lambda s: "—" if s is None else label(s),
            key=f"{key}_stage",
        )
        form_state.field_error(errors, "stage")
    if kind in (LegalEventKind.RESIDENCE_PERMIT, LegalEventKind.COMPENSATION):
        values["decision"] = widgets.selectbox(
            _("Décision") if kind == LegalEventKind.RESIDENCE_PERMIT else _("Résultat"),
            list(LegalDecision),
            format_func=label,
            key=f"{key}_decision",
        )
        form_state.field_error(errors, "decision")
        values["decided_on"] = widgets.date_input(_("Date de la décision"), value=None, key=f"{key}_decided_on")
        form_state.field_error(errors, "decided_on")
    if kind == LegalEventKind.RESIDENCE_PERMIT:
        values["valid_until"] = widgets.date_input(_("Accordé jusqu'au"), value=None, key=f"{key}_valid_until")
        form_state.field_error(errors, "valid_until")
    if kind == LegalEventKind.COMPENSATION:
        values["amount_cents"] = st.text_input(
            _("Montant accordé (€, facultatif)"), placeholder="1 500,00", key=f"{key}_amount"
        )
        form_state.field_error(errors, "amount_cents")
    return values


def _new_step_form(runtime: Runtime, principal: Principal, header) -> None:
    key = form_state.key(FORM) + f"_{header.person_id}"
    errors = form_state.errors(FORM)
    st.markdown(_("**Nouvelle étape**"))
    form_state.form_error(FORM)
    kind = widgets.selectbox(_("Type *"), list(LegalEventKind), format_func=label, key=f"{key}_kind")
    form_state.field_error(errors, "kind")
    with widgets.form(f"{key}_{kind.value}"):
        data: dict[str, object] = {"kind": kind}
        data["event_on"] = widgets.date_input(md(_day_label(kind)), value=clock.today(), key=f"{key}_on")
        form_state.field_error(errors, "event_on")
        data |= _kind_fields(kind, key, errors)
        data["notes"] = st.text_area(_("Notes"), max_chars=legal.NOTES_MAX, key=f"{key}_notes")
        form_state.field_error(errors, "notes")
        submitted = st.form_submit_button(_("Enregistrer l'étape"), type="primary", icon=":material/gavel:")
    if submitted:

        def save() -> None:
            with unit_of_work(runtime.engine) as uow:
                legal.add_legal_event(uow, principal, header.person_id, data=data)

        form_state.submit(FORM, save, _("Étape enregistrée."))


def legal_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    if not principal.can(Capability.VIEW_IDENTITY):
        st.info(_("Le suivi juridique n'est visible que des intervenant·es et des chef·fes de service."))
        return
    form_state.show_toast()
    events = []
    if shown:
        with unit_of_work(runtime.engine) as uow:
            events = legal.list_legal_events(uow, principal, header.person_id)
        _permit_notice(events)
    if principal.can(Capability.EDIT_PERSON_FILES) and header.status != PersonStatus.ANONYMISED:
        _new_step_form(runtime, principal, header)
    if not shown:
        return
    if not events:
        st.info(_("Aucune étape du suivi juridique."))
    for event in events:
        with st.container(border=True):
            st.caption(
                _("{day} — {kind} — saisi par {author}").format(
                    day=formats.day(event.event_on),
                    kind=label(event.kind),
                    author=md(event.author or _("auteur inconnu")),
                )
            )
            st.text(_detail(event))
            if event.notes:
                st.text(event.notes)
