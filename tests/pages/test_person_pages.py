"""Nouvel accueil, File active and Fiche personne through AppTest, on the seeded demo database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models.audit import AuditEvent
from models.organisation import Site
from models.partners import Referral
from models.pathway import PspEpisode
from models.persons import HousingSituation, Person, PersonNote, PersonStatus
from services.persons import files as person_files
from services.platform.config import PROJECT_ROOT
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.pages.conftest import (
    NO_ACCESS,
    PERSON_CODE,
    PERSON_FILE_TAB_KEY,
    TIMEOUT,
    all_text,
    button,
    error_after,
    every_tab_text,
    file_tab_labels,
    open_file_section,
    open_file_tab,
    open_page,
    principal_of,
    signed_in_app,
    texts,
    unique,
)
from ui.persons import file_sections
from ui.platform.guards import PRINCIPAL_KEY
from ui.platform.navigation import PAGE_SPECS

CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])
FILE_SCRIPT = PAGE_SPECS[PageKey.PERSON_FILE].script


def _a_person(app_engine, site_code: str) -> tuple[str, str, int | None]:
    """(code, alias, birth year) of an active file of the site, with an alias and a birth year."""
    with unit_of_work(app_engine) as session:
        row = session.exec(
            select(Person.code, Person.alias_encrypted, Person.birth_year)
            .join(Site, Site.id == Person.site_id)
            .where(
                Site.code == site_code,
                Person.status == PersonStatus.ACTIVE,
                Person.birth_year.is_not(None),
                Person.alias_encrypted.is_not(None),
            )
            .order_by(Person.id)
        ).first()
    return row.code, CIPHER.decrypt(row.alias_encrypted), row.birth_year


def _count(app_engine, model=Person, *conditions) -> int:
    with unit_of_work(app_engine) as session:
        return session.exec(select(sa.func.count()).select_from(model).where(*conditions)).one()


def _open_file(username: str, code: str) -> AppTest:
    at = signed_in_app(username)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(FILE_SCRIPT)
    at.query_params["code"] = code
    return at.run()


def _widget(elements, key: str):
    found = [w for w in elements if w.key == key]
    assert found, (key, [w.key for w in elements])
    return found[0]


# --- Nouvel accueil ------------------------------------------------------------------------------


def _intake(username: str = "ts.lyon") -> AppTest:
    at = open_page(signed_in_app(username), PageKey.INTAKE)
    assert not at.exception, at.exception
    assert texts(at.title) == ["Nouvel accueil"]
    return at


def _fill(at: AppTest, *, alias: str, birth_year: int | None, consent: bool = True) -> None:
    from datetime import date

    k = "intake__0"
    _widget(at.date_input, f"{k}_first_contact").set_value(date(2026, 1, 5) if consent else None)
    _widget(at.text_input, f"{k}_alias").input(alias)
    _widget(at.number_input, f"{k}_birth_year").set_value(birth_year)
    if consent:
        _widget(at.date_input, f"{k}_consent_on").set_value(date(2026, 1, 5))
        _widget(at.date_input, f"{k}_intake").set_value(date(2026, 1, 5))
    _widget(at.checkbox, f"{k}_consent_processing").check()


def _submit(at: AppTest) -> AppTest:
    return button(at, "Enregistrer le dossier").click().run()


def test_bad_intake_input_gets_a_message_by_its_field_and_nothing_is_written(app_engine, demo_database):
    before = _count(app_engine)
    at = _intake()
    _fill(at, alias="Personne test", birth_year=2020, consent=False)
    _submit(at)
    assert not at.exception, at.exception
    k = "intake__0"
    assert "moins de 15 ans" in error_after(at, _widget(at.number_input, f"{k}_birth_year"))
    assert error_after(at, _widget(at.date_input, f"{k}_consent_on")) == "La date de consentement est obligatoire."
    first_contact = _widget(at.date_input, f"{k}_first_contact")
    assert error_after(at, first_contact) == "La date du premier contact est obligatoire."
    assert error_after(at, _widget(at.text_input, f"{k}_alias")) is None
    assert _widget(at.text_input, f"{k}_alias").value == "Personne test"  # input kept
    assert _widget(at.number_input, f"{k}_birth_year").value == 2020
    assert _count(app_engine) == before


def test_possible_duplicates_are_shown_before_saving_then_confirmed(app_engine, demo_database):
    code, alias, birth_year = _a_person(app_engine, "LYO")
    before = _count(app_engine)
    at = _intake()
    _fill(at, alias=alias.upper(), birth_year=birth_year)
    _submit(at)
    assert not at.exception, at.exception
    assert any("ressembl" in w for w in texts(at.warning))
    assert "Créer quand même" in [b.label for b in at.button]
    assert not list(at.main.get("page_link"))  # no link that would leave the page and its typed intake
    assert len([b for b in at.button if b.label.startswith(f"{code} · ")]) == 1  # the look-alike, to open
    assert _count(app_engine) == before  # nothing written yet
    assert _widget(at.text_input, "intake__0_alias").value == alias.upper()
    button(at, "Créer quand même").click().run()
    assert not at.exception, at.exception
    assert _count(app_engine) == before + 1
    created = [s for s in texts(at.success) if "créé" in s]
    [new_code] = PERSON_CODE.findall(created[0])
    assert new_code.startswith("LYO-") and new_code != code  # a new file, not the look-alike
    with unit_of_work(app_engine) as session:
        stored = session.exec(select(Person.alias_encrypted, Person.birth_year).where(Person.code == new_code)).one()
    assert (CIPHER.decrypt(stored.alias_encrypted), stored.birth_year) == (alias.upper(), birth_year)


def _dialogs(at: AppTest) -> list:
    """The dialogs drawn by the run (st.dialog blocks sit beside the main area, not in it)."""
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "dialog":
            found.append(node)
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return found


def _views_of(app_engine, username: str, code: str) -> int:
    with app_engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT COUNT(*) FROM audit_event a JOIN person p ON CAST(p.id AS TEXT) = a.entity_id "
                "WHERE a.action = 'person.view' AND a.entity_type = 'person' AND a.actor_username = :user "
                "AND p.code = :code"
            ),
            {"user": username, "code": code},
        ).scalar_one()


def test_a_candidate_opens_in_a_dialog_and_the_typed_intake_stays(app_engine, demo_database):
    code, alias, birth_year = _a_person(app_engine, "LYO")
    views = _views_of(app_engine, "ts.lyon", code)
    at = _intake()
    _fill(at, alias=alias, birth_year=birth_year)
    _widget(at.text_input, "intake__0_phone").input("06 12 34 56 78")
    _submit(at)
    [candidate] = [b for b in at.button if b.label.startswith(f"{code} · ")]
    at = candidate.click().run()
    assert not at.exception, at.exception
    [dialog] = _dialogs(at)
    assert dialog.proto.dialog.title == f"Dossier {code}"
    captions = [c.value for c in dialog.get("caption")]
    assert any(c.startswith("Site LYO — ") for c in captions) and "Référent·e" in captions
    assert alias in [t.value for t in dialog.get("text")]  # the file as its team sees it, identity included
    assert [b for b in at.get("link_button") if f"code={code}" in b.proto.url]  # the whole file: a new tab
    assert _views_of(app_engine, "ts.lyon", code) == views + 1  # opening it is audited like the file
    # Everything typed is still in the form, and the intake can be saved.
    assert _widget(at.text_input, "intake__0_alias").value == alias
    assert _widget(at.text_input, "intake__0_phone").value == "06 12 34 56 78"
    assert _widget(at.number_input, "intake__0_birth_year").value == birth_year
    assert _widget(at.checkbox, "intake__0_consent_processing").value is True
    before = _count(app_engine)
    button(at, "Créer quand même").click().run()
    assert not at.exception, at.exception
    assert _count(app_engine) == before + 1


def test_an_intake_without_duplicate_is_saved_at_once_and_audited(app_engine, demo_database):
    from datetime import date

    alias = unique("Zorglubette")
    before = _count(app_engine, AuditEvent, AuditEvent.action == "person.create")
    at = _intake("chef.lyon")
    _fill(at, alias=alias, birth_year=1990)
    _submit(at)
    assert not at.exception, at.exception
    assert not at.warning or not any("ressembl" in w for w in texts(at.warning))
    success = next(s for s in texts(at.success) if "créé" in s)
    assert _count(app_engine, AuditEvent, AuditEvent.action == "person.create") == before + 1
    assert _widget(at.text_input, "intake__1_alias").value == ""  # a fresh form after success
    [code] = PERSON_CODE.findall(success)
    assert code.startswith("LYO-2026-")  # Lyon, the year of the intake
    with unit_of_work(app_engine) as session:
        person = session.exec(select(Person).where(Person.code == code)).one()
        site = session.get(Site, person.site_id).code
        audited = session.exec(
            select(AuditEvent.actor_username).where(
                AuditEvent.action == "person.create", AuditEvent.entity_id == str(person.id)
            )
        ).all()
        session.expunge(person)  # keep its loaded values after the unit of work ends
    assert (site, person.status, person.birth_year) == ("LYO", PersonStatus.ACTIVE, 1990)
    assert (person.first_contact_on, person.intake_on, person.consent_on) == (date(2026, 1, 5),) * 3
    assert person.alias_encrypted != alias and CIPHER.decrypt(person.alias_encrypted) == alias  # encrypted at rest
    assert audited == ["chef.lyon"]


# --- File active ---------------------------------------------------------------------------------


def test_the_caseload_of_a_lyon_worker_lists_lyon_files_with_their_alias(app_engine, demo_database):
    at = open_page(signed_in_app("ts.lyon"), PageKey.CASELOAD)
    assert not at.exception, at.exception
    assert texts(at.title) == ["File active"]
    table = at.dataframe[0].value
    assert 0 < len(table) <= 50
    assert all(code.startswith("LYO-") for code in table["Code"])
    assert "Prénom" in table.columns


def test_the_caseload_searches_an_alias_within_scope(app_engine, demo_database):
    code, alias, _ = _a_person(app_engine, "LYO")
    searches = _count(app_engine, AuditEvent, AuditEvent.action == "person.search")
    at = open_page(signed_in_app("ts.lyon"), PageKey.CASELOAD)
    at.multiselect(key="caseload_statuses").set_value([])
    at.text_input(key="caseload_query").input(alias).run()
    assert not at.exception, at.exception
    assert code in list(at.dataframe[0].value["Code"])
    assert _count(app_engine, AuditEvent, AuditEvent.action == "person.search") == searches + 1
    at = open_page(signed_in_app("cip.grenoble"), PageKey.CASELOAD)
    at.text_input(key="caseload_query").input(code).run()
    assert not at.exception
    assert not at.dataframe and any("Aucun dossier" in i for i in texts(at.info))


def test_direction_sees_the_caseload_by_code_only(app_engine, demo_database):
    _, alias, _ = _a_person(app_engine, "LYO")
    at = open_page(signed_in_app("direction"), PageKey.CASELOAD)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert "Prénom" not in table.columns and {"Code", "Statut", "PSP"} <= set(table.columns)
    assert alias not in all_text(at)


# --- Fiche personne ------------------------------------------------------------------------------


def test_a_social_worker_opens_a_file_of_her_site_and_the_opening_is_audited(app_engine, demo_database):
    code, alias, _ = _a_person(app_engine, "LYO")
    views = _count(app_engine, AuditEvent, AuditEvent.action == "person.view")
    at = _open_file("ts.lyon", code)
    assert not at.exception, at.exception
    assert texts(at.title) == [f"Fiche personne · {code}"]
    assert alias in all_text(at)
    labels = [t.label for t in at.tabs]
    assert {"Parcours", "Freins", "Plan d'action", "PSP", "Orientations", "Sorties", "Notes"} <= set(labels)
    assert labels[0] == "Parcours"
    timeline = next(d.value for d in at.dataframe if "Événement" in d.value.columns)
    assert "Accueil — ouverture du dossier" in list(timeline["Événement"])
    assert _count(app_engine, AuditEvent, AuditEvent.action == "person.view") == views + 1


def _note_body(at: AppTest):
    """The body field of the Notes tab's form (its key changes after each note added: a fresh form)."""
    return next(w for w in at.text_area if w.key.startswith("note_new__") and w.key.endswith("_body"))


def _tables(at: AppTest) -> set[str]:
    """The first column of each table drawn: Événement (timeline), Frein (barriers), Date (appointments…)."""
    return {str(d.value.columns[0]) if "Événement" not in d.value.columns else "Événement" for d in at.dataframe}


def _another_lyon_file(app_engine, code: str) -> str:
    """The code of an active Lyon file other than `code`."""
    with unit_of_work(app_engine) as session:
        return session.exec(
            select(Person.code)
            .join(Site, Site.id == Person.site_id)
            .where(Site.code == "LYO", Person.status == PersonStatus.ACTIVE, Person.code != code)
            .order_by(Person.id)
        ).first()


def _note_fields(at: AppTest) -> list:
    return [w for w in at.text_area if w.key.startswith("note_new__") and w.key.endswith("_body")]


def test_a_tab_draws_its_lists_when_open_and_its_forms_once_it_was_opened(app_engine, demo_database):
    """« Parcours » opens first, with its timeline only: a tab never opened draws nothing. Once « Notes » was
    opened, its form stays drawn while another tab is open (what is typed in it stays in the browser), and
    a note written there while « Freins » is open is listed when « Notes » is opened again. Another file
    starts afresh."""
    code, _, _ = _a_person(app_engine, "LYO")
    at = _open_file("ts.lyon", code)
    assert not at.exception, at.exception
    assert file_tab_labels(at)[:3] == ["Parcours", "Freins", "Plan d'action"] and "Notes" in file_tab_labels(at)
    assert "Événement" in _tables(at) and "Frein" not in _tables(at)  # « Parcours » is open: its timeline only
    assert _note_fields(at) == []  # « Notes » was never opened: nothing typed there, nothing drawn

    at = open_file_tab(at, "Notes")
    assert len(_note_fields(at)) == 1
    at = open_file_tab(at, "Freins")
    assert "Frein" in _tables(at) and "Événement" not in _tables(at)
    before = _count(app_engine, PersonNote)
    body = unique("Note écrite depuis Freins ")
    _note_body(at).input(body)  # the form of a hidden tab opened before
    button(at, "Ajouter la note").click().run()
    assert not at.exception, at.exception
    assert _count(app_engine, PersonNote) == before + 1
    assert body not in texts(at.text)  # the list of notes is drawn in its tab only
    at = open_file_tab(at, "Notes")
    assert body in texts(at.text)

    other = _another_lyon_file(app_engine, code)
    at.session_state[PERSON_FILE_TAB_KEY] = "Parcours"
    at.query_params["code"] = other
    at = at.run()
    assert not at.exception, at.exception
    assert texts(at.title) == [f"Fiche personne · {other}"] and _note_fields(at) == []


def _situation_fields(at: AppTest) -> list:
    return [w for w in at.text_input if w.key and w.key.startswith("person_situation__")]


def test_a_section_of_the_head_draws_its_form_once_opened_and_keeps_it_when_closed(app_engine, demo_database):
    """The expanders of the file's head draw nothing until opened; one opened keeps its form drawn once
    closed (what is typed in it stays in the browser); another file starts with its sections closed."""
    code, _, _ = _a_person(app_engine, "LYO")
    at = _open_file("ts.lyon", code)
    assert "Modifier l'identité et la situation" in [e.label for e in at.expander]
    assert _situation_fields(at) == []

    at = open_file_section(at, file_sections.SITUATION)
    assert _situation_fields(at)
    at.session_state[file_sections.expander_key(file_sections.SITUATION, code)] = False  # closed again
    at = at.run()
    assert not at.exception, at.exception
    assert _situation_fields(at)

    other = _another_lyon_file(app_engine, code)
    at.query_params["code"] = other
    at = at.run()
    assert not at.exception, at.exception
    assert texts(at.title) == [f"Fiche personne · {other}"] and _situation_fields(at) == []


def test_a_grenoble_user_given_a_lyon_code_is_refused(app_engine, demo_database):
    code, alias, _ = _a_person(app_engine, "LYO")
    at = _open_file("cip.grenoble", code)
    assert not at.exception, at.exception
    assert texts(at.title) == ["Fiche personne"]
    assert texts(at.error) == ["Dossier introuvable."]
    text = all_text(at)
    assert alias not in text and "Accueil — ouverture" not in text
    assert not at.tabs


def test_direction_sees_the_file_by_code_without_identity_or_notes(app_engine, demo_database):
    code, alias, _ = _a_person(app_engine, "LYO")
    at = _open_file("direction", code)
    assert not at.exception, at.exception
    assert texts(at.title) == [f"Fiche personne · {code}"]
    assert alias not in every_tab_text(at)
    assert "Notes" not in [t.label for t in at.tabs]
    assert not at.expander or not any("Modifier" in e.label for e in at.expander)


@pytest.mark.parametrize("username", ["fle.lyon", "gestion", "admin", "financeur.agrasc"])
def test_roles_without_person_files_cannot_reach_a_file_even_by_its_script(app_engine, demo_database, username):
    code, _, _ = _a_person(app_engine, "LYO")
    at = AppTest.from_file(str(PROJECT_ROOT / FILE_SCRIPT), default_timeout=TIMEOUT)
    at.session_state[PRINCIPAL_KEY] = principal_of(app_engine, username)
    at.query_params["code"] = code
    at.run()
    assert not at.exception
    assert texts(at.error) == [NO_ACCESS]
    assert code not in all_text(at)


def _a_colleague_saves(app_engine, pid: int, data: dict) -> None:
    """chef.lyon saves the file from another session, over the version it reads now."""
    with unit_of_work(app_engine) as session:
        version = session.get(Person, pid).version
        person_files.update_situation(
            session, principal_of(app_engine, "chef.lyon"), pid, expected_version=version, data=data, cipher=CIPHER
        )


def _recorded(app_engine, pid: int) -> tuple[str, HousingSituation | None]:
    """(phone, housing) of the file in the database."""
    with unit_of_work(app_engine) as session:
        person = session.get(Person, pid)
        return CIPHER.decrypt(person.phone_encrypted), person.housing


def _open_for_a_conflict(app_engine) -> tuple[AppTest, int, str, HousingSituation]:
    """ts.lyon opens a Lyon file; returns the AppTest, the file's id, its phone field's key and a housing
    other than the recorded one."""
    code, _, _ = _a_person(app_engine, "LYO")
    at = open_file_section(_open_file("ts.lyon", code), "situation")
    with unit_of_work(app_engine) as session:
        person = session.exec(select(Person).where(Person.code == code)).one()
        pid, housing = person.id, person.housing
    new_housing = next(h for h in (HousingSituation.SOCIAL_HOUSING, HousingSituation.OWN_TENANCY) if h != housing)
    return at, pid, f"person_situation__0_{pid}", new_housing


def test_a_colleagues_change_in_another_field_is_kept_when_saving_over_it(app_engine, demo_database):
    at, pid, k, new_housing = _open_for_a_conflict(app_engine)
    their_phone = unique("06 12 34 ")
    _a_colleague_saves(app_engine, pid, {"phone": their_phone})  # the file as ts.lyon shows it is now old
    _widget(at.selectbox, f"{k}_housing").set_value(new_housing)
    button(at, "Enregistrer les modifications").click().run()
    assert not at.exception, at.exception
    assert _recorded(app_engine, pid) == (their_phone, new_housing)  # merged: nothing overwritten
    assert "Les modifications de Nadia Bensaïd dans « Téléphone » ont été conservées." in texts(at.info)
    assert not at.error
    assert _widget(at.text_input, f"person_situation__1_{pid}_phone").value == their_phone  # the form, fresh


def test_a_field_both_changed_waits_for_the_users_choice(app_engine, demo_database):
    at, pid, k, new_housing = _open_for_a_conflict(app_engine)
    their_phone, my_phone = unique("06 12 34 "), unique("07 98 76 ")
    _a_colleague_saves(app_engine, pid, {"phone": their_phone})
    _widget(at.text_input, f"{k}_phone").input(my_phone)
    _widget(at.selectbox, f"{k}_housing").set_value(new_housing)
    button(at, "Enregistrer les modifications").click().run()
    assert not at.exception, at.exception
    assert _recorded(app_engine, pid)[0] == their_phone  # nothing saved yet
    assert any("rien n'est encore enregistré" in e for e in texts(at.error))
    shown = [t.value for t in at.text]
    assert my_phone in shown and their_phone in shown  # both phones, side by side
    captions = texts(at.caption)
    assert "Votre saisie" in captions
    assert any(c.startswith("Saisie de Nadia Bensaïd le ") for c in captions)
    [choice] = [r for r in at.radio if r.label == "Téléphone : quelle saisie garder ?"]
    assert choice.value is None
    save = button(at, "Enregistrer avec ces choix")
    assert save.disabled  # no save before the choice
    assert _widget(at.text_input, f"{k}_phone").value == my_phone  # the input stays in the form
    assert _widget(at.selectbox, f"{k}_housing").value == new_housing

    choice.set_value("theirs").run()
    assert not at.exception, at.exception
    save = button(at, "Enregistrer avec ces choix")
    assert not save.disabled
    save.click().run()
    assert not at.exception, at.exception
    assert _recorded(app_engine, pid) == (their_phone, new_housing)  # their phone, my housing
    assert not at.error
    assert not [r for r in at.radio if r.label == "Téléphone : quelle saisie garder ?"]


def test_after_a_conflict_the_user_may_drop_the_input_and_take_the_current_file(app_engine, demo_database):
    at, pid, k, _housing = _open_for_a_conflict(app_engine)
    their_phone, my_phone = unique("06 12 34 "), unique("07 98 76 ")
    _a_colleague_saves(app_engine, pid, {"phone": their_phone})
    _widget(at.text_input, f"{k}_phone").input(my_phone)
    button(at, "Enregistrer les modifications").click().run()
    assert [r for r in at.radio if r.label == "Téléphone : quelle saisie garder ?"]
    button(at, "Abandonner mes saisies").click().run()
    assert not at.exception, at.exception
    assert not [r for r in at.radio if r.label == "Téléphone : quelle saisie garder ?"]
    assert _recorded(app_engine, pid)[0] == their_phone
    assert _widget(at.text_input, f"person_situation__1_{pid}_phone").value == their_phone  # the current file


def test_a_pathway_form_shows_its_error_beside_the_field_and_keeps_the_input(app_engine, demo_database):
    code, _, _ = _a_person(app_engine, "LYO")
    at = open_file_tab(_open_file("ts.lyon", code), "Plan d'action")
    _widget(at.text_area, "goal_new__0_actions").input("Appeler le SIAO")
    button(at, "Ajouter l'objectif").click().run()
    assert not at.exception, at.exception
    assert error_after(at, _widget(at.text_input, "goal_new__0_goal")) == "L'objectif est obligatoire."
    assert _widget(at.text_area, "goal_new__0_actions").value == "Appeler le SIAO"  # input kept


def test_an_afis_amount_typed_in_euros_is_checked_by_the_service(app_engine, demo_database):
    with unit_of_work(app_engine) as session:  # a Lyon file with a PSP request in the demo data
        code, episode_id, version = session.exec(
            select(Person.code, PspEpisode.id, PspEpisode.version)
            .join(PspEpisode, PspEpisode.person_id == Person.id)
            .join(Site, Site.id == Person.site_id)
            .where(Site.code == "LYO", Person.status == PersonStatus.ACTIVE)
            .order_by(PspEpisode.id)
        ).first()
    at = open_file_tab(_open_file("chef.lyon", code), "PSP")
    assert not [w for w in at.text_input if w.key == f"psp_edit_{episode_id}__0_afis_amount"]  # drawn once opened
    at = open_file_section(at, file_sections.psp_decision(episode_id))
    key = f"psp_edit_{episode_id}__0_afis_amount"
    _widget(at.text_input, key).input("trois cents")
    [save] = [b for b in at.button if b.label == "Enregistrer" and f"psp_edit_{episode_id}__0" in str(b.proto.form_id)]
    save.click().run()
    assert not at.exception, at.exception
    assert error_after(at, _widget(at.text_input, key)) == "Montant invalide : par exemple 343,00."
    assert _widget(at.text_input, key).value == "trois cents"  # input kept
    with unit_of_work(app_engine) as session:
        assert session.get(PspEpisode, episode_id).version == version  # nothing written


def test_a_referral_needs_the_persons_consent_to_sharing_given_on_the_form(app_engine, demo_database):
    with unit_of_work(app_engine) as session:  # a Lyon file that refused sharing and has no referral yet
        person = session.exec(
            select(Person)
            .join(Site, Site.id == Person.site_id)
            .where(
                Site.code == "LYO",
                Person.status == PersonStatus.ACTIVE,
                Person.consent_partner_sharing.is_(False),
                Person.id.not_in(select(Referral.person_id)),
            )
            .order_by(Person.id)
        ).first()
        code, person_id = person.code, person.id
    at = open_file_tab(_open_file("ts.lyon", code), "Orientations")
    assert any("n'a pas consenti au partage" in w.value for w in at.warning)
    _widget(at.selectbox, "referral_new__0_partner").set_value(
        _widget(at.selectbox, "referral_new__0_partner").options[0]
    )
    button(at, "Enregistrer l'orientation").click().run()
    assert not at.exception, at.exception
    consent = _widget(at.checkbox, "referral_new__0_consent")
    assert "Recueillez son accord" in (error_after(at, consent) or "")
    assert _count(app_engine, Referral, Referral.person_id == person_id) == 0  # nothing written
    _widget(at.checkbox, "referral_new__0_consent").check()
    button(at, "Enregistrer l'orientation").click().run()
    assert not at.exception, at.exception
    assert _count(app_engine, Referral, Referral.person_id == person_id) == 1
    with unit_of_work(app_engine) as session:
        assert session.get(Person, person_id).consent_partner_sharing is True
