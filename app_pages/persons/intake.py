"""Nouvel accueil: one form creates a person file; possible duplicates are shown before saving.

The form sends its values as they are (person_files.IntakeInput checks them); on submit the service
checks them and looks for files that may be the same person: if there are some, they are listed below
the form (which keeps its input) with « Créer quand même »; else the file is created at once. A candidate
opens in a dialog over the page (ui.persons.candidate), so the typed intake is never lost by checking it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import streamlit as st

import clock
from i18n import _, formats, ngettext
from models.labels import label
from models.persons import AdministrativeStatus, Gender, HousingSituation, IntakeOrigin
from services.persons import files as person_files
from services.persons.files import INCOME_SOURCES, DuplicateCandidate, income_source_label
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from ui.persons.candidate import candidate_buttons
from ui.persons.choices import language_codes, language_label, nationality_codes, nationality_label
from ui.platform import form_state, widgets
from ui.platform.guards import require_page
from ui.platform.navigation import link_target
from ui.platform.runtime import Runtime, field_cipher, runtime
from ui.platform.text import md

FORM = "intake"
PENDING = "intake_duplicates"  # candidates found for the input as submitted
CREATED = "intake_created_code"
DATE_FORMAT = "DD/MM/YYYY"

principal = require_page(PageKey.INTAKE)


@dataclass(frozen=True)
class Choices:
    """What the intake form offers: the principal's sites, and per site its referents, recent rounds and
    partners (labelled with the site's code when there are several sites)."""

    sites: list[SiteChoice]
    referents: dict[int | None, str]
    rounds: dict[int | None, str]
    partners: dict[int | None, str]

    def site_label(self, site_id: int) -> str:
        return next(site.label for site in self.sites if site.id == site_id)


def labelled(sites: list[SiteChoice], choices: dict[int, list[tuple[int, str]]]) -> dict[int | None, str]:
    """One list of the choices of every site, None first ("—"), each prefixed by its site's code if several."""
    site_code = {site.id: site.code for site in sites}
    labels: dict[int | None, str] = {None: "—"}
    for site_id, items in choices.items():
        for item_id, text in items:
            labels[item_id] = f"{site_code[site_id]} · {text}" if len(sites) > 1 else text
    return labels


def load_choices(current: Runtime, principal: Principal) -> Choices:
    with unit_of_work(current.engine) as uow:
        sites = person_files.list_site_choices(uow, principal)
        referents = {s.id: person_files.list_referent_choices(uow, principal, s.id) for s in sites}
        rounds = {s.id: person_files.list_recent_outreach_rounds(uow, principal, s.id) for s in sites}
        partners = {s.id: person_files.list_partner_choices(uow, principal, s.id) for s in sites}
    return Choices(sites, labelled(sites, referents), labelled(sites, rounds), labelled(sites, partners))


def created_banner() -> None:
    """The file created by the last save, with a link to open it."""
    created_code = st.session_state.get(CREATED)
    if created_code:
        st.success(_("Dossier **{code}** créé.").format(code=md(created_code)), icon=":material/check_circle:")
        st.page_link(
            link_target(PageKey.PERSON_FILE),
            label=_("Ouvrir le dossier {code}").format(code=md(created_code)),
            icon=":material/badge:",
            query_params={"code": created_code},
        )


def arrival_fields(k: str, errors: dict[str, str], choices: Choices) -> dict[str, object]:
    st.header(_("Arrivée"))
    data: dict[str, object] = {}
    data["site_id"] = widgets.selectbox(
        _("Site *"), [s.id for s in choices.sites], format_func=choices.site_label, key=f"{k}_site"
    )
    form_state.field_error(errors, "site_id")
    left, right = st.columns(2)
    with left:
        data["first_contact_on"] = widgets.date_input(
            _("Date du premier contact *"), value=None, format=DATE_FORMAT, key=f"{k}_first_contact"
        )
        form_state.field_error(errors, "first_contact_on")
    with right:
        data["intake_on"] = widgets.date_input(
            _("Date de l'accueil *"), value=clock.today(), format=DATE_FORMAT, key=f"{k}_intake"
        )
        form_state.field_error(errors, "intake_on")
    data["origin"] = widgets.selectbox(
        _("Comment la personne est arrivée *"), list(IntakeOrigin), format_func=label, key=f"{k}_origin"
    )
    form_state.field_error(errors, "origin")
    left, right = st.columns(2)
    with left:
        data["outreach_round_id"] = widgets.selectbox(
            _("Maraude de rencontre"), list(choices.rounds), format_func=choices.rounds.get, key=f"{k}_round"
        )
        form_state.field_error(errors, "outreach_round_id")
    with right:
        data["referring_partner_id"] = widgets.selectbox(
            _("Partenaire qui oriente"), list(choices.partners), format_func=choices.partners.get, key=f"{k}_partner"
        )
        form_state.field_error(errors, "referring_partner_id")
    return data


def identity_fields(k: str, errors: dict[str, str]) -> dict[str, object]:
    """Alias, birth year, gender, phone (left), nationality, languages, situation (right), resources."""
    data: dict[str, object] = {}
    left, right = st.columns(2)
    with left:
        data["alias"] = st.text_input(_("Prénom ou pseudonyme *"), max_chars=80, key=f"{k}_alias")
        form_state.field_error(errors, "alias")
        data["birth_year"] = st.number_input(
            _("Année de naissance"), value=None, step=1, format="%d", key=f"{k}_birth_year"
        )
        form_state.field_error(errors, "birth_year")
        genders = list(Gender)
        data["gender"] = widgets.selectbox(
            _("Genre"), genders, index=genders.index(Gender.UNDISCLOSED), format_func=label, key=f"{k}_gender"
        )
        data["phone"] = st.text_input(_("Téléphone"), max_chars=24, key=f"{k}_phone")
        form_state.field_error(errors, "phone")
    with right:
        data |= situation_fields(k, errors)
    data["income_sources"] = widgets.multiselect(
        _("Ressources"),
        list(INCOME_SOURCES),
        format_func=income_source_label,
        placeholder=_("Choisir…"),
        key=f"{k}_income",
    )
    form_state.field_error(errors, "income_sources")
    return data


def situation_fields(k: str, errors: dict[str, str]) -> dict[str, object]:
    data: dict[str, object] = {}
    data["nationality"] = widgets.selectbox(
        _("Nationalité"), [None, *nationality_codes()], format_func=nationality_label, key=f"{k}_nationality"
    )
    form_state.field_error(errors, "nationality")
    data["languages"] = widgets.multiselect(
        _("Langues parlées"),
        language_codes(),
        format_func=language_label,
        placeholder=_("Choisir…"),
        key=f"{k}_languages",
    )
    form_state.field_error(errors, "languages")
    data["administrative_status"] = widgets.selectbox(
        _("Situation administrative"), [None, *AdministrativeStatus], format_func=label, key=f"{k}_admin"
    )
    data["housing"] = widgets.selectbox(
        _("Hébergement"), [None, *HousingSituation], format_func=label, key=f"{k}_housing"
    )
    return data


def consent_fields(k: str, errors: dict[str, str], choices: Choices) -> dict[str, object]:
    st.header(_("Consentement et suivi"))
    data: dict[str, object] = {}
    data["consent_on"] = widgets.date_input(
        _("Date du consentement *"), value=None, format=DATE_FORMAT, key=f"{k}_consent_on"
    )
    form_state.field_error(errors, "consent_on")
    data["consent_processing"] = st.checkbox(_("Accepte le traitement de son dossier *"), key=f"{k}_consent_processing")
    form_state.field_error(errors, "consent_processing")
    data["consent_partner_sharing"] = st.checkbox(
        _("Accepte le partage avec les partenaires nommés"), key=f"{k}_consent_sharing"
    )
    data["consent_statistics"] = st.checkbox(
        _("Accepte de figurer dans les statistiques anonymes"), value=True, key=f"{k}_consent_statistics"
    )
    data["referent_id"] = widgets.selectbox(
        _("Référent·e"), list(choices.referents), format_func=choices.referents.get, key=f"{k}_referent"
    )
    form_state.field_error(errors, "referent_id")
    return data


def intake_form(choices: Choices) -> tuple[dict[str, object], bool]:
    """The form's values as typed (kept across reruns) and whether it was just submitted."""
    k = form_state.key(FORM)
    errors = form_state.errors(FORM)
    st.caption(
        _(
            "Les champs marqués * sont obligatoires. Le prénom et le téléphone sont chiffrés et visibles "
            "seulement des équipes du site."
        )
    )
    with widgets.form(k):
        data = arrival_fields(k, errors, choices)
        st.header(_("Identité et situation"))
        data |= identity_fields(k, errors) | consent_fields(k, errors, choices)
        submitted = st.form_submit_button(_("Enregistrer le dossier"), type="primary", icon=":material/save:")
    return data, submitted


def create(current: Runtime, principal: Principal, data: dict[str, object], cipher: FieldCipher) -> NoReturn:
    """Create the file; the form is emptied and a toast names the new code."""
    st.session_state.pop(PENDING, None)
    with unit_of_work(current.engine) as uow:
        created = person_files.create_intake(uow, principal, data=data, cipher=cipher)
    st.session_state[CREATED] = created.code
    form_state.succeed(FORM, _("Dossier {code} créé.").format(code=created.code))


def check_then_create(current: Runtime, principal: Principal, data: dict[str, object], cipher: FieldCipher) -> NoReturn:
    """Files that may be the same person are listed below the form (kept as typed); none: the file is created."""
    st.session_state.pop(CREATED, None)
    st.session_state.pop(PENDING, None)
    with unit_of_work(current.engine) as uow:
        candidates = person_files.intake_duplicates(uow, principal, data=data, cipher=cipher)
    if candidates:
        st.session_state[PENDING] = candidates
        form_state.fail(FORM, {})  # rerun: the form keeps its input, the candidates show below it
    create(current, principal, data, cipher)


def submit(action: Callable[[], NoReturn]) -> NoReturn:
    """Run a step of the intake through the form's one error path (messages beside the fields). Every step
    ends with its own rerun (the toast of a success names the new file), so no success text is given here."""
    form_state.submit(FORM, action, "")


def possible_duplicates(
    current: Runtime,
    principal: Principal,
    cipher: FieldCipher,
    pending: list[DuplicateCandidate],
    confirm: Callable[[], NoReturn],
) -> None:
    with st.container(border=True):
        st.warning(
            ngettext(
                "{count} dossier de vos sites ressemble à cette personne (même prénom ou prénom proche, "
                "année de naissance voisine). Vérifiez avant de créer un nouveau dossier.",
                "{count} dossiers de vos sites ressemblent à cette personne (même prénom ou prénom proche, "
                "année de naissance voisine). Vérifiez avant de créer un nouveau dossier.",
                len(pending),
            ).format(count=formats.number(len(pending))),
            icon=":material/content_copy:",
        )
        candidate_buttons(current.engine, principal, cipher, pending)
        left, right = st.columns(2)
        if left.button(_("Créer quand même"), type="primary", icon=":material/person_add:"):
            confirm()
        if right.button(_("Annuler"), icon=":material/close:"):
            st.session_state.pop(PENDING, None)
            st.rerun()


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    cipher = field_cipher()
    st.title(_("Nouvel accueil"))
    form_state.show_toast()
    choices = load_choices(current, principal)
    if not choices.sites:
        st.info(_("Aucun site ne vous est rattaché : demandez à l'administration de vous en attribuer un."))
        return
    created_banner()
    data, submitted = intake_form(choices)
    form_state.form_error(FORM)
    if submitted:
        submit(lambda: check_then_create(current, principal, data, cipher))
    pending = st.session_state.get(PENDING)
    if pending:
        possible_duplicates(
            current, principal, cipher, pending, lambda: submit(lambda: create(current, principal, data, cipher))
        )


page(principal)
