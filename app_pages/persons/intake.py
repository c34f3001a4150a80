"""Nouvel accueil: one form creates a person file; possible duplicates are shown before saving."""

import streamlit as st

import clock
from i18n import _, formats, ngettext
from models.labels import label
from models.persons import AdministrativeStatus, Gender, HousingSituation, IntakeOrigin
from services.persons import files as person_files
from services.persons.files import INCOME_SOURCES, IntakeInput, income_source_label
from services.platform.db import unit_of_work
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.persons.choices import language_codes, language_label, nationality_codes, nationality_label
from ui.platform import form_state
from ui.platform.guards import require_page
from ui.platform.navigation import PAGE_SPECS
from ui.platform.runtime import field_cipher, runtime

FORM = "intake"
PENDING = "intake_duplicates"  # candidates found for the input as submitted
CREATED = "intake_created_code"
FILE_PAGE = PAGE_SPECS[PageKey.PERSON_FILE].script

principal = require_page(PageKey.INTAKE)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    cipher = field_cipher()
    st.title(_("Nouvel accueil"))
    form_state.show_toast()

    with unit_of_work(current.engine) as uow:
        sites = person_files.list_site_choices(uow, principal)
        referents = {s[0]: person_files.list_referent_choices(uow, principal, s[0]) for s in sites}
        rounds = {s[0]: person_files.list_recent_outreach_rounds(uow, principal, s[0]) for s in sites}
        partners = {s[0]: person_files.list_partner_choices(uow, principal, s[0]) for s in sites}

    if not sites:
        st.info(_("Aucun site ne vous est rattaché : demandez à l'administration de vous en attribuer un."))
        st.stop()

    created_code = st.session_state.get(CREATED)
    if created_code:
        st.success(_("Dossier **{code}** créé.").format(code=created_code), icon=":material/check_circle:")
        st.page_link(
            FILE_PAGE,
            label=_("Ouvrir le dossier {code}").format(code=created_code),
            icon=":material/badge:",
            query_params={"code": created_code},
        )

    site_code = {s[0]: s[1] for s in sites}
    several = len(sites) > 1

    def _with_site(choices: dict[int, list[tuple[int, str]]]) -> dict[int | None, str]:
        labels: dict[int | None, str] = {None: "—"}
        for site_id, items in choices.items():
            for item_id, text in items:
                labels[item_id] = f"{site_code[site_id]} · {text}" if several else text
        return labels

    referent_labels = _with_site(referents)
    round_labels = _with_site(rounds)
    partner_labels = _with_site(partners)
    nationalities = [None, *nationality_codes()]

    k = form_state.key(FORM)
    errors = form_state.errors(FORM)
    st.caption(
        _(
            "Les champs marqués * sont obligatoires. Le prénom et le téléphone sont chiffrés et visibles "
            "seulement des équipes du site."
        )
    )
    with st.form(k):
        st.subheader(_("Arrivée"))
        site_id = st.selectbox(
            _("Site *"),
            [s[0] for s in sites],
            format_func=lambda i: f"{site_code[i]} — " + next(s[2] for s in sites if s[0] == i),
            key=f"{k}_site",
        )
        form_state.field_error(errors, "site_id")
        left, right = st.columns(2)
        with left:
            first_contact_on = st.date_input(
                _("Date du premier contact *"), value=None, format="DD/MM/YYYY", key=f"{k}_first_contact"
            )
            form_state.field_error(errors, "first_contact_on")
        with right:
            intake_on = st.date_input(
                _("Date de l'accueil *"), value=clock.today(), format="DD/MM/YYYY", key=f"{k}_intake"
            )
            form_state.field_error(errors, "intake_on")
        origin = st.selectbox(
            _("Comment la personne est arrivée *"), list(IntakeOrigin), format_func=label, key=f"{k}_origin"
        )
        left, right = st.columns(2)
        with left:
            round_id = st.selectbox(
                _("Maraude de rencontre"), list(round_labels), format_func=round_labels.get, key=f"{k}_round"
            )
            form_state.field_error(errors, "outreach_round_id")
        with right:
            partner_id = st.selectbox(
                _("Partenaire qui oriente"), list(partner_labels), format_func=partner_labels.get, key=f"{k}_partner"
            )
            form_state.field_error(errors, "referring_partner_id")

        st.subheader(_("Identité et situation"))
        left, right = st.columns(2)
        with left:
            alias = st.text_input(_("Prénom ou pseudonyme *"), max_chars=80, key=f"{k}_alias")
            form_state.field_error(errors, "alias")
            birth_year = st.number_input(
                _("Année de naissance"), value=None, step=1, format="%d", key=f"{k}_birth_year"
            )
            form_state.field_error(errors, "birth_year")
            gender = st.selectbox(
                _("Genre"),
                list(Gender),
                index=list(Gender).index(Gender.UNDISCLOSED),
                format_func=label,
                key=f"{k}_gender",
            )
            phone = st.text_input(_("Téléphone"), max_chars=24, key=f"{k}_phone")
            form_state.field_error(errors, "phone")
        with right:
            nationality = st.selectbox(
                _("Nationalité"), nationalities, format_func=nationality_label, key=f"{k}_nationality"
            )
            form_state.field_error(errors, "nationality")
            languages = st.multiselect(
                _("Langues parlées"),
                language_codes(),
                format_func=language_label,
                placeholder=_("Choisir…"),
                key=f"{k}_languages",
            )
            form_state.field_error(errors, "languages")
            admin_status = st.selectbox(
                _("Situation administrative"), [None, *AdministrativeStatus], format_func=label, key=f"{k}_admin"
            )
            housing = st.selectbox(_("Hébergement"), [None, *HousingSituation], format_func=label, key=f"{k}_housing")
        income = st.multiselect(
            _("Ressources"),
            list(INCOME_SOURCES),
            format_func=income_source_label,
            placeholder=_("Choisir…"),
            key=f"{k}_income",
        )
        form_state.field_error(errors, "income_sources")

        st.subheader(_("Consentement et suivi"))
        consent_on = st.date_input(_("Date du consentement *"), value=None, format="DD/MM/YYYY", key=f"{k}_consent_on")
        form_state.field_error(errors, "consent_on")
        consent_processing = st.checkbox(_("Accepte le traitement de son dossier *"), key=f"{k}_consent_processing")
        form_state.field_error(errors, "consent_processing")
        consent_sharing = st.checkbox(_("Accepte le partage avec les partenaires nommés"), key=f"{k}_consent_sharing")
        consent_statistics = st.checkbox(
            _("Accepte de figurer dans les statistiques anonymes"), value=True, key=f"{k}_consent_statistics"
        )
        referent_id = st.selectbox(
            _("Référent·e"), list(referent_labels), format_func=referent_labels.get, key=f"{k}_referent"
        )
        form_state.field_error(errors, "referent_id")
        submitted = st.form_submit_button(_("Enregistrer le dossier"), type="primary", icon=":material/save:")

    data = IntakeInput(
        site_id=site_id,
        first_contact_on=first_contact_on,
        intake_on=intake_on,
        origin=origin,
        outreach_round_id=round_id,
        referring_partner_id=partner_id,
        alias=alias,
        birth_year=None if birth_year is None else int(birth_year),
        gender=gender,
        nationality=nationality,
        languages=list(languages),
        phone=phone or None,
        administrative_status=admin_status,
        housing=housing,
        income_sources=list(income),
        consent_on=consent_on,
        consent_processing=consent_processing,
        consent_partner_sharing=consent_sharing,
        consent_statistics=consent_statistics,
        referent_id=referent_id,
    )

    def _save() -> None:
        try:
            with unit_of_work(current.engine) as uow:
                created = person_files.create_intake(uow, principal, data, cipher=cipher)
        except ValidationFailed as exc:
            st.session_state.pop(PENDING, None)
            form_state.fail(FORM, exc.errors)
        except ServiceError as exc:
            st.session_state.pop(PENDING, None)
            form_state.fail(FORM, {form_state.FORM_ERROR: str(exc)})
        st.session_state.pop(PENDING, None)
        st.session_state[CREATED] = created.code
        form_state.succeed(FORM, _("Dossier {code} créé.").format(code=created.code))

    form_state.form_error(FORM)
    if submitted:
        st.session_state.pop(CREATED, None)
        try:
            person_files.validate_intake(data)
            with unit_of_work(current.engine) as uow:
                candidates = person_files.find_possible_duplicates(
                    uow, principal, alias=data.alias, birth_year=data.birth_year, cipher=cipher
                )
        except ValidationFailed as exc:
            st.session_state.pop(PENDING, None)
            form_state.fail(FORM, exc.errors)
        if candidates:
            st.session_state[PENDING] = candidates
            form_state.fail(FORM, {})  # rerun: the form keeps its input, the candidates show below it
        _save()

    pending = st.session_state.get(PENDING)
    if pending:
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
            for candidate in pending:
                st.page_link(
                    FILE_PAGE,
                    label=_("{code} · {status} · accueil le {day}").format(
                        code=candidate.code, status=label(candidate.status), day=formats.day(candidate.intake_on)
                    ),
                    icon=":material/open_in_new:",
                    query_params={"code": candidate.code},
                )
            confirm, cancel = st.columns(2)
            if confirm.button(_("Créer quand même"), type="primary", icon=":material/person_add:"):
                _save()
            if cancel.button(_("Annuler"), icon=":material/close:"):
                st.session_state.pop(PENDING, None)
                st.rerun()


page(principal)
