"""The head of a person file: who (by code; identity only for roles that may see it), situation,
consent, and the situation form (merged with a colleague's save, never over it) and the close / reopen form."""

from __future__ import annotations

import streamlit as st

import clock
from i18n import _, formats, pgettext
from models.audit import AuditAction
from models.labels import label
from models.persons import AdministrativeStatus, Gender, HousingSituation, PersonStatus
from services.persons import files as person_files
from services.persons.files import INCOME_SOURCES, PersonFileHeader, income_source_label
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.persons.choices import language_codes, language_label, nationality_codes, nationality_label
from ui.platform import conflicts, form_state, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

SITUATION_FORM = "person_situation"
CLOSING_FORM = "person_closing"
# What changes the fields of a file (the audit log says who saved it last)
# The writes that move a file's version: who made the last one is named when two edits cross.
PERSON_WRITES = (
    AuditAction.PERSON_UPDATE,
    AuditAction.PERSON_CORRECT,
    AuditAction.PERSON_CLOSE,
    AuditAction.PERSON_REOPEN,
)


def _cell(column, caption: str, value: str) -> None:
    column.caption(md(caption))
    column.text(value)  # plain text: never markdown or HTML from user input


def draw_header(header: PersonFileHeader) -> None:
    with st.container(border=True):
        top = st.columns(4)
        if header.may_see_identity:
            _cell(top[0], _("Prénom ou pseudonyme"), header.alias or "—")
            _cell(top[1], _("Téléphone"), header.phone or "—")
        else:
            _cell(top[0], _("Identité"), _("Non visible pour votre profil"))
            _cell(top[1], _("Site"), f"{header.site_code} — {header.site_name}")
        status = label(header.status)
        if header.status == PersonStatus.CLOSED:
            status = _("{status} le {day}").format(status=status, day=formats.day(header.closed_on))
        _cell(top[2], _("Statut"), status)
        _cell(top[3], _("Référent·e"), header.referent_name or "—")
        middle = st.columns(4)
        _cell(middle[0], pgettext("intake", "Accueil"), f"{formats.day(header.intake_on)} · {label(header.origin)}")
        _cell(middle[1], _("Dernier contact"), formats.day(header.last_contact_on))
        _cell(middle[2], _("Année de naissance · genre"), f"{header.birth_year or '—'} · {label(header.gender)}")
        _cell(
            middle[3],
            _("Nationalité · langues"),
            f"{nationality_label(header.nationality)} · "
            + (", ".join(language_label(code) for code in header.languages) or "—"),
        )
        bottom = st.columns(4)
        situation = label(header.administrative_status)
        if header.permit_ends_on:
            situation = _("{status} · titre jusqu'au {day}").format(
                status=situation, day=formats.day(header.permit_ends_on)
            )
        _cell(bottom[0], _("Situation administrative"), situation)
        _cell(bottom[1], _("Hébergement"), label(header.housing))
        _cell(bottom[2], _("Ressources"), ", ".join(income_source_label(c) for c in header.income_sources) or "—")
        scopes = [_("traitement")] if header.consent_processing else []
        scopes += [_("partage partenaires")] if header.consent_partner_sharing else []
        scopes += [_("statistiques")] if header.consent_statistics else []
        _cell(bottom[3], _("Consentement"), f"{formats.day(header.consent_on)} · {', '.join(scopes) or '—'}")
        if header.closed_reason:
            st.caption(_("Motif : "))
            st.text(header.closed_reason)


def _identity_fields(k: str, errors: dict[str, str], header: PersonFileHeader) -> dict[str, object]:
    """Alias and phone: drawn (and sent) only for roles that see identity."""
    if not header.may_see_identity:
        return {}
    alias = st.text_input(_("Prénom ou pseudonyme *"), value=header.alias or "", max_chars=80, key=f"{k}_alias")
    form_state.field_error(errors, "alias")
    phone = st.text_input(_("Téléphone"), value=header.phone or "", max_chars=24, key=f"{k}_phone")
    form_state.field_error(errors, "phone")
    return {"alias": alias, "phone": phone}


def _person_fields(
    k: str, errors: dict[str, str], header: PersonFileHeader, referents: dict[int, str]
) -> dict[str, object]:
    """Birth year, gender and referent (left column)."""
    values: dict[str, object] = {}
    values["birth_year"] = st.number_input(
        _("Année de naissance"), value=header.birth_year, step=1, format="%d", key=f"{k}_birth_year"
    )
    form_state.field_error(errors, "birth_year")
    values["gender"] = widgets.selectbox(
        _("Genre"), list(Gender), index=list(Gender).index(header.gender), format_func=label, key=f"{k}_gender"
    )
    referent_options = [None, *referents]
    values["referent_id"] = widgets.selectbox(
        _("Référent·e"),
        referent_options,
        index=referent_options.index(header.referent_id),
        format_func=lambda i: "—" if i is None else referents[i],
        key=f"{k}_referent",
    )
    form_state.field_error(errors, "referent_id")
    return values


def _situation_fields(k: str, errors: dict[str, str], header: PersonFileHeader) -> dict[str, object]:
    """Nationality, languages, administrative situation, housing, income (right column)."""
    values: dict[str, object] = {}
    nationalities = [None, *nationality_codes()]
    values["nationality"] = widgets.selectbox(
        _("Nationalité"),
        nationalities,
        index=nationalities.index(header.nationality) if header.nationality in nationalities else 0,
        format_func=nationality_label,
        key=f"{k}_nationality",
    )
    form_state.field_error(errors, "nationality")
    values["languages"] = widgets.multiselect(
        _("Langues parlées"),
        sorted(set(language_codes()) | set(header.languages), key=language_label),
        default=header.languages,
        format_func=language_label,
        placeholder=_("Choisir…"),
        key=f"{k}_languages",
    )
    form_state.field_error(errors, "languages")
    admin_options = [None, *AdministrativeStatus]
    values["administrative_status"] = widgets.selectbox(
        _("Situation administrative"),
        admin_options,
        index=admin_options.index(header.administrative_status),
        format_func=label,
        key=f"{k}_admin",
    )
    values["permit_ends_on"] = widgets.date_input(
        _("Fin du titre de séjour ou du récépissé"),
        value=header.permit_ends_on,
        format="DD/MM/YYYY",
        key=f"{k}_permit_end",
        help=_("Laissez vide s'il n'y en a pas. « À faire » le signale 60 jours avant."),
    )
    form_state.field_error(errors, "permit_ends_on")
    housing_options = [None, *HousingSituation]
    values["housing"] = widgets.selectbox(
        _("Hébergement"),
        housing_options,
        index=housing_options.index(header.housing),
        format_func=label,
        key=f"{k}_housing",
    )
    values["income_sources"] = widgets.multiselect(
        _("Ressources"),
        list(INCOME_SOURCES),
        default=[c for c in header.income_sources if c in INCOME_SOURCES],
        format_func=income_source_label,
        placeholder=_("Choisir…"),
        key=f"{k}_income",
    )
    form_state.field_error(errors, "income_sources")
    return values


def _situation_values(header: PersonFileHeader) -> dict[str, object]:
    """The file's values as the situation form shows them (the base and the colleague's side of a merge)."""
    values: dict[str, object] = {}
    if header.may_see_identity:
        values |= {"alias": header.alias or "", "phone": header.phone or ""}
    return values | {
        "birth_year": header.birth_year,
        "gender": header.gender,
        "referent_id": header.referent_id,
        "nationality": header.nationality if header.nationality in nationality_codes() else None,
        "languages": list(header.languages),
        "administrative_status": header.administrative_status,
        "permit_ends_on": header.permit_ends_on,
        "housing": header.housing,
        "income_sources": [c for c in header.income_sources if c in INCOME_SOURCES],
    }


def _situation_fields_shown(referents: dict[int, str]) -> dict[str, conflicts.Field]:
    """Each field's label and its value as text, for the panel of a conflict."""
    return {
        "alias": conflicts.Field(_("Prénom ou pseudonyme")),
        "phone": conflicts.Field(_("Téléphone")),
        "birth_year": conflicts.Field(_("Année de naissance")),
        "gender": conflicts.Field(_("Genre")),
        "referent_id": conflicts.Field(
            _("Référent·e"), lambda i: "—" if i is None else referents.get(i, _("un·e collègue"))
        ),
        "nationality": conflicts.Field(_("Nationalité"), nationality_label),
        "languages": conflicts.Field(
            _("Langues parlées"), lambda codes: ", ".join(language_label(c) for c in codes) or "—"
        ),
        "administrative_status": conflicts.Field(_("Situation administrative")),
        "permit_ends_on": conflicts.Field(_("Fin du titre de séjour ou du récépissé")),
        "housing": conflicts.Field(_("Hébergement")),
        "income_sources": conflicts.Field(
            _("Ressources"), lambda codes: ", ".join(income_source_label(c) for c in codes) or "—"
        ),
    }


def situation_form(runtime: Runtime, principal: Principal, header: PersonFileHeader, cipher) -> None:
    """Edit identity (roles that see it), situation and referent: the form sends every value it shows, the
    service writes those that changed (consents change in their own section, with their effective day).
    A colleague's save meanwhile is merged, never overwritten (ui.platform.conflicts)."""
    pid = header.person_id
    k = form_state.key(SITUATION_FORM) + f"_{pid}"
    errors = form_state.errors(SITUATION_FORM)
    with unit_of_work(runtime.engine) as uow:
        referents = dict(person_files.list_referent_choices(uow, principal, header.site_id))
    if header.referent_id is not None and header.referent_id not in referents:
        referents[header.referent_id] = header.referent_name or "—"

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as uow:
            person_files.update_situation(uow, principal, pid, expected_version=version, data=values, cipher=cipher)

    edit = conflicts.VersionedEdit(
        SITUATION_FORM,
        pid,
        version=header.version,
        values=_situation_values(header),
        fields=_situation_fields_shown(referents),
        save=save,
        success=_("Dossier mis à jour."),
        last_write=conflicts.audited(runtime.engine, principal, "person", pid, PERSON_WRITES),
    )
    edit.panel()
    form_state.form_error(SITUATION_FORM)
    with widgets.form(k):
        left, right = st.columns(2)
        with left:
            data = _identity_fields(k, errors, header) | _person_fields(k, errors, header, referents)
        with right:
            data |= _situation_fields(k, errors, header)
        submitted = st.form_submit_button(_("Enregistrer les modifications"), type="primary", icon=":material/save:")
    if submitted:
        edit.submit(data)


def closing_form(runtime: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """Close an open file (date, reason) or reopen a closed one (reason)."""
    pid = header.person_id
    k = form_state.key(CLOSING_FORM) + f"_{pid}"
    errors = form_state.errors(CLOSING_FORM)
    form_state.form_error(CLOSING_FORM)
    form_state.field_error(errors, "status")
    closing = header.status != PersonStatus.CLOSED
    with widgets.form(k):
        data: dict[str, object] = {}
        if closing:
            data["closed_on"] = widgets.date_input(
                _("Date de clôture *"), value=clock.today(), format="DD/MM/YYYY", key=f"{k}_closed_on"
            )
            form_state.field_error(errors, "closed_on")
        data["reason"] = st.text_input(_("Motif *"), max_chars=180, key=f"{k}_reason")
        form_state.field_error(errors, "reason")
        submitted = st.form_submit_button(
            _("Clôturer le dossier") if closing else _("Rouvrir le dossier"),
            icon=":material/lock:" if closing else ":material/lock_open:",
        )
    if submitted:
        # A transition, not an edit of fields: it writes only the status and its closing, and the service
        # checks the status it starts from. So it goes over the version of this run (the file as drawn
        # above it), whatever a colleague changed in other fields meanwhile.
        version = header.version

        def save() -> None:
            change = person_files.close_file if closing else person_files.reopen_file
            with unit_of_work(runtime.engine) as uow:
                change(uow, principal, pid, expected_version=version, data=data)

        form_state.submit(CLOSING_FORM, save, _("Dossier clôturé.") if closing else _("Dossier rouvert."))
