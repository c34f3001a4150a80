"""« Droits de la personne » in a person file: the export of the whole file (PDF for the person, JSON for a
transfer), the correction of the fields no other form changes, with their history, and the erasure on
request (services.persons.subject_access, corrections, erasure)."""

from __future__ import annotations

from datetime import date

import streamlit as st

import clock
from i18n import _, formats
from models.labels import label
from models.persons import Gender, IntakeOrigin, PersonStatus
from services.persons import corrections, erasure, subject_access
from services.persons import files as person_files
from services.persons.erasure import ErasureReason
from services.persons.files import PersonFileHeader
from services.platform import organisation
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.persons.choices import language_codes, language_label, nationality_codes, nationality_label
from ui.persons.header import PERSON_WRITES
from ui.platform import conflicts, form_state, widgets
from ui.platform.downloads import offer_download
from ui.platform.runtime import Runtime
from ui.platform.text import md

CORRECTION_FORM = "person_correction"
CONSENT_DATE_FORM = "person_consent_date"
ERASURE_FORM = "person_erasure"


def may_use(principal: Principal, header: PersonFileHeader) -> bool:
    """Whether the section is drawn: the head of service, or the referent who may correct its file."""
    return principal.can(Capability.SERVE_PERSON_RIGHTS) or (
        header.may_edit and corrections.may_correct(principal, header.referent_id)
    )


def rights_section(current: Runtime, principal: Principal, header: PersonFileHeader, cipher: FieldCipher) -> None:
    if principal.can(Capability.SERVE_PERSON_RIGHTS):
        export_buttons(current, principal, header, cipher)
    if header.may_edit and corrections.may_correct(principal, header.referent_id):
        st.header(_("Corriger une information"), divider="gray")
        correction_form(current, principal, header)
        consent_date_form(current, principal, header)
    if principal.can(Capability.VIEW_IDENTITY):
        correction_history(current, principal, header)
    if principal.can(Capability.SERVE_PERSON_RIGHTS) and header.status != PersonStatus.ANONYMISED:
        st.header(_("Effacer le dossier à la demande de la personne"), divider="gray")
        erasure_form(current, principal, header)


# --- export ---------------------------------------------------------------------------------------------


def export_buttons(current: Runtime, principal: Principal, header: PersonFileHeader, cipher: FieldCipher) -> None:
    """Two downloads, each built (and audited) on its click, for this user only (ui.platform.downloads)."""
    st.header(_("Exporter tout le dossier"), divider="gray")
    st.caption(
        _(
            "Droit d'accès : le PDF rassemble en clair tout ce que l'association conserve sur la personne, pour "
            "le lui remettre ; le JSON sert à transmettre le dossier à une autre structure. Chaque export est "
            "tracé dans le journal."
        )
    )
    engine, person_id, today = current.engine, header.person_id, clock.today()
    default_name = current.settings.association_name

    def build(export) -> bytes:
        with unit_of_work(engine) as uow:
            association = organisation.association_name(uow, default_name)
            return export(uow, principal, person_id, cipher=cipher, today=today, association=association)

    left, right = st.columns(2)
    offer_download(
        principal,
        _("Télécharger le PDF pour la personne"),
        lambda: build(subject_access.export_pdf),
        file_name=f"dossier-{header.code}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key=f"person_export_pdf_{person_id}",
        container=left,
    )
    offer_download(
        principal,
        _("Télécharger le JSON (transfert)"),
        lambda: build(subject_access.export_json),
        file_name=f"dossier-{header.code}.json",
        mime="application/json",
        icon=":material/data_object:",
        key=f"person_export_json_{person_id}",
        container=right,
    )


# --- correction -----------------------------------------------------------------------------------------


def _choice(options: list, value: object) -> int:
    return options.index(value) if value in options else 0


def correction_form(current: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """Every correctable field, filled with the file's values; the service writes those that changed."""
    pid = header.person_id
    k = form_state.key(CORRECTION_FORM) + f"_{pid}"
    errors = form_state.errors(CORRECTION_FORM)
    with unit_of_work(current.engine) as uow:
        recorded = corrections.correction_values(uow, principal, pid)
        partners = dict(person_files.list_partner_choices(uow, principal, header.site_id))
    if recorded["referring_partner_id"] is not None and recorded["referring_partner_id"] not in partners:
        partners[recorded["referring_partner_id"]] = "—"

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(current.engine) as uow:
            corrections.correct_file(uow, principal, pid, expected_version=version, data=values)

    # A colleague's edit of the same file meanwhile (this form, or the file's own form) is merged field by
    # field, never overwritten: ui/platform/conflicts.py.
    edit = conflicts.VersionedEdit(
        CORRECTION_FORM,
        pid,
        version=recorded["version"],
        values={name: recorded[name] for name in corrections.CORRECTABLE_FIELDS},
        fields=_correction_fields(partners),
        save=save,
        success=_("Correction enregistrée."),
        last_write=conflicts.audited(current.engine, principal, "person", pid, PERSON_WRITES),
    )
    st.caption(
        _(
            "Pour une information inexacte depuis l'ouverture du dossier. L'ancienne et la nouvelle valeur sont "
            "gardées dans l'historique, avec le motif."
        )
    )
    edit.panel()
    form_state.form_error(CORRECTION_FORM)
    with widgets.form(k):
        left, right = st.columns(2)
        data: dict[str, object] = {}
        with left:
            for name in corrections.DATE_FIELDS:
                data[name] = widgets.date_input(
                    _(corrections.CORRECTABLE_FIELDS[name]),
                    value=recorded[name],
                    min_value=date(1950, 1, 1),
                    max_value=date(2100, 12, 31),
                    format="DD/MM/YYYY",
                    key=f"{k}_{name}",
                )
                form_state.field_error(errors, name)
            origins = list(IntakeOrigin)
            data["origin"] = widgets.selectbox(
                _("Origine de l'accueil"),
                origins,
                index=_choice(origins, recorded["origin"]),
                format_func=label,
                key=f"{k}_origin",
            )
            partner_options = [None, *partners]
            data["referring_partner_id"] = widgets.selectbox(
                _("Partenaire qui oriente"),
                partner_options,
                index=_choice(partner_options, recorded["referring_partner_id"]),
                format_func=lambda i: "—" if i is None else partners[i],
                key=f"{k}_partner",
            )
            form_state.field_error(errors, "referring_partner_id")
        with right:
            data["birth_year"] = st.number_input(
                _("Année de naissance"), value=recorded["birth_year"], step=1, format="%d", key=f"{k}_birth_year"
            )
            form_state.field_error(errors, "birth_year")
            genders = list(Gender)
            data["gender"] = widgets.selectbox(
                _("Genre"), genders, index=_choice(genders, recorded["gender"]), format_func=label, key=f"{k}_gender"
            )
            nationalities = [None, *nationality_codes()]
            data["nationality"] = widgets.selectbox(
                _("Nationalité"),
                nationalities,
                index=_choice(nationalities, recorded["nationality"]),
                format_func=nationality_label,
                key=f"{k}_nationality",
            )
            form_state.field_error(errors, "nationality")
            languages = list(recorded["languages"] or [])
            data["languages"] = widgets.multiselect(
                _("Langues parlées"),
                sorted(set(language_codes()) | set(languages), key=language_label),
                default=languages,
                format_func=language_label,
                placeholder=_("Choisir…"),
                key=f"{k}_languages",
            )
            form_state.field_error(errors, "languages")
        data["reason"] = st.text_input(
            _("Motif de la correction *"),
            max_chars=200,
            placeholder=_("ex. : pièce d'identité présentée, erreur de saisie"),
            key=f"{k}_reason",
        )
        form_state.field_error(errors, "reason")
        data["acknowledge_published"] = st.checkbox(
            _("Je sais que cette correction peut changer des chiffres déjà publiés (trimestres terminés)."),
            key=f"{k}_acknowledge",
        )
        form_state.field_error(errors, "acknowledge_published")
        submitted = st.form_submit_button(_("Corriger"), type="primary", icon=":material/edit_note:")
    if submitted:
        edit.submit(data)


def _correction_fields(partners: dict[int, str]) -> dict[str, conflicts.Field]:
    """The correctable fields as the conflict panel names and shows them."""
    shown_as = {
        "referring_partner_id": lambda i: conflicts.shown(None if i is None else partners.get(i, "—")),
        "nationality": nationality_label,
        "languages": lambda codes: conflicts.shown([language_label(code) for code in codes or []]),
    }
    return {
        name: conflicts.Field(_(text), shown_as.get(name, conflicts.shown))
        for name, text in corrections.CORRECTABLE_FIELDS.items()
    }


def consent_date_form(current: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """The effective day of a consent change recorded after intake, corrected with a reason."""
    pid = header.person_id
    with unit_of_work(current.engine) as uow:
        changes = corrections.correctable_consent_changes(uow, principal, pid)
        recorded = corrections.correction_values(uow, principal, pid)
    if not changes:
        return
    k = form_state.key(CONSENT_DATE_FORM) + f"_{pid}"
    errors = form_state.errors(CONSENT_DATE_FORM)
    by_id = {change.id: change for change in changes}
    st.subheader(_("Date d'effet d'un changement de consentement"))
    form_state.form_error(CONSENT_DATE_FORM)
    chosen = widgets.selectbox(
        _("Changement de consentement"),
        list(by_id),
        format_func=lambda i: f"{corrections.field_label(by_id[i].field_name)} — {formats.day(by_id[i].effective_on)}",
        key=f"{k}_change",
    )
    form_state.field_error(errors, "change_id")
    if chosen is None:
        return

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(current.engine) as uow:
            corrections.correct_consent_date(uow, principal, pid, expected_version=version, data=values)

    # The file's version guards the change's day (services.persons.corrections): a colleague's save of the file
    # meanwhile is merged, never overwritten (ui/platform/conflicts.py). The one field merged is the day of the
    # chosen change, as saved when the form was first shown; the reason and the acknowledgement are this
    # correction's own, always the user's.
    edit = conflicts.VersionedEdit(
        CONSENT_DATE_FORM,
        chosen,
        version=recorded["version"],
        values={"effective_on": by_id[chosen].effective_on},
        fields={"effective_on": conflicts.Field(_("Date d'effet corrigée"))},
        save=save,
        success=_("Date d'effet corrigée."),
        last_write=conflicts.audited(current.engine, principal, "person", pid, PERSON_WRITES),
    )
    edit.panel()
    with widgets.form(f"{k}_{chosen}"):
        effective_on = widgets.date_input(
            _("Date d'effet corrigée"),
            value=by_id[chosen].effective_on,
            min_value=date(1950, 1, 1),
            max_value=date(2100, 12, 31),
            format="DD/MM/YYYY",
            key=f"{k}_{chosen}_on",
        )
        form_state.field_error(errors, "effective_on")
        reason = st.text_input(_("Motif de la correction *"), max_chars=200, key=f"{k}_{chosen}_reason")
        form_state.field_error(errors, "reason")
        acknowledge = st.checkbox(
            _("Je sais que cette correction peut changer des chiffres déjà publiés (trimestres terminés)."),
            key=f"{k}_{chosen}_acknowledge",
        )
        form_state.field_error(errors, "acknowledge_published")
        submitted = st.form_submit_button(_("Corriger la date"), icon=":material/edit_calendar:")
    if submitted:
        edit.submit(
            {"change_id": chosen, "effective_on": effective_on, "reason": reason, "acknowledge_published": acknowledge}
        )


def correction_history(current: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    with unit_of_work(current.engine) as uow:
        rows = corrections.correction_history(uow, principal, header.person_id)
    st.header(_("Historique des corrections"), divider="gray")
    if not rows:
        st.caption(_("Aucune correction."))
        return
    st.dataframe(
        {
            _("Corrigé le"): [formats.timestamp(row.corrected_at) for row in rows],
            _("Information"): [row.field_label for row in rows],
            _("Ancienne valeur"): [row.old_value for row in rows],
            _("Nouvelle valeur"): [row.new_value for row in rows],
            _("Motif"): [row.reason or "" for row in rows],
            _("Par"): [row.author or "—" for row in rows],
            _("Chiffres publiés"): [_("modifiés") if row.moves_published else "" for row in rows],
        },
        hide_index=True,
        width="stretch",
    )


# --- erasure --------------------------------------------------------------------------------------------


def erasure_form(current: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """The reason, its details and the file's code typed again; then the file is anonymised at once."""
    pid = header.person_id
    k = form_state.key(ERASURE_FORM) + f"_{pid}"
    errors = form_state.errors(ERASURE_FORM)
    st.warning(
        md(
            _(
                "Irréversible : l'identité, les notes et tous les textes sont détruits, les dates deviennent des "
                "mois, comme à la fin de la durée de conservation. Seules les statistiques restent. Exportez "
                "d'abord le dossier si la personne veut en garder une copie."
            )
        ),
        icon=":material/warning:",
    )
    form_state.form_error(ERASURE_FORM)
    with widgets.form(k):
        data: dict[str, object] = {}
        reasons = list(ErasureReason)
        data["reason"] = widgets.selectbox(
            _("Motif *"), reasons, index=None, format_func=label, placeholder=_("Choisir…"), key=f"{k}_reason"
        )
        form_state.field_error(errors, "reason")
        data["details"] = st.text_input(
            _("Précisions (sans nom ni détail qui identifie la personne)"),
            max_chars=erasure.DETAILS_MAX,
            placeholder=_("ex. : courrier reçu le 2 décembre"),
            key=f"{k}_details",
        )
        form_state.field_error(errors, "details")
        typed = st.text_input(
            _("Retapez le code du dossier ({code}) pour confirmer *").format(code=md(header.code)),
            max_chars=20,
            key=f"{k}_confirm",
        )
        form_state.field_error(errors, "confirm_code")
        submitted = st.form_submit_button(_("Effacer définitivement le dossier"), icon=":material/delete_forever:")
    if submitted:

        def save() -> None:
            with unit_of_work(current.engine) as uow:
                erasure.erase_on_request(uow, principal, pid, data=data, confirm_code=typed)

        form_state.submit(ERASURE_FORM, save, _("Dossier effacé : il est maintenant anonymisé."))
