"""« Droits de la personne » in a person file through AppTest: the head of service downloads the whole file
(a real PDF and a JSON, each audited), corrects a field (an error beside it and the input kept, then the
history) and a consent change's effective day, each merged with a colleague's correction saved meanwhile, and
erases the file; the referent intervenant corrects its own file only; other roles see nothing."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader
from sqlmodel import select
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from models.audit import AuditEvent
from models.organisation import Site, User
from models.persons import ConsentChange, ConsentScope, Person, PersonStatus
from services.persons import consent, corrections
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests import factories
from tests.pages.conftest import all_text, button, error_after, open_file_section, principal_of, signed_in_app
from ui.platform.navigation import PAGE_SPECS

FILE_SCRIPT = PAGE_SPECS[PageKey.PERSON_FILE].script
SECTION = "Droits de la personne : export, correction, effacement"
PDF_LABEL = "Télécharger le PDF pour la personne"
JSON_LABEL = "Télécharger le JSON (transfert)"


def _a_lyon_file(app_engine, *, referent: str | None = None) -> tuple[str, int]:
    """A new active Lyon file (intake 06/01/2020), only this test's, with `referent` as its referent."""
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
        user = session.exec(select(User).where(User.username == referent)).one() if referent else None
        person = factories.a_person_in_file_active(session, lyon, intake_on=date(2020, 1, 6), referent=user)
        session.commit()
        return person.code, person.id


def _open_file(username: str, code: str) -> AppTest:
    """The file open for `username`, its rights section opened when it has one (drawn once opened)."""
    at = signed_in_app(username)
    at.run()
    at.switch_page(FILE_SCRIPT)
    at.query_params["code"] = code
    at.run()
    assert not at.exception, at.exception
    if SECTION in [e.label for e in at.expander]:
        at = open_file_section(at, "rights")
    return at


def _widget(elements, form: str, suffix: str):
    found = [w for w in elements if w.key and w.key.startswith(f"{form}__") and w.key.endswith(suffix)]
    assert len(found) == 1, [w.key for w in elements]
    return found[0]


@pytest.fixture
def deferred_files(monkeypatch) -> dict[str, object]:
    """The callables of deferred downloads, by file name, as Streamlit registers them on the page."""
    registered: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        registered[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return registered


def _exports(app_engine, person_id: int) -> list[str]:
    with unit_of_work(app_engine) as session:
        return list(
            session.exec(
                select(AuditEvent.detail).where(
                    AuditEvent.action == "person.export", AuditEvent.entity_id == str(person_id)
                )
            ).all()
        )


def test_the_head_of_service_downloads_a_real_pdf_and_json_each_audited(app_engine, demo_database, deferred_files):
    code, person_id = _a_lyon_file(app_engine)
    at = _open_file("chef.lyon", code)

    assert SECTION in [e.label for e in at.expander]
    downloads = {d.proto.label: d.proto for d in at.get("download_button")}
    assert {PDF_LABEL, JSON_LABEL} <= set(downloads)
    assert downloads[PDF_LABEL].deferred_file_id and not downloads[PDF_LABEL].url  # made on the click only
    assert _exports(app_engine, person_id) == []

    pdf = deferred_files[f"dossier-{code}.pdf"]()
    reader = PdfReader(io.BytesIO(pdf))
    assert f"Vos informations — dossier {code}" in reader.pages[0].extract_text()
    document = json.loads(deferred_files[f"dossier-{code}.json"]())
    assert (document["code"], document["person"]["intake_on"]) == (code, "2020-01-06")
    assert sorted(_exports(app_engine, person_id)) == ["format=json", "format=pdf"]


def test_a_correction_keeps_the_input_on_error_then_shows_in_the_history(app_engine, demo_database):
    code, person_id = _a_lyon_file(app_engine)
    at = _open_file("chef.lyon", code)
    form = "person_correction"

    _widget(at.number_input, form, "_birth_year").set_value(1991)
    button(at, "Corriger").click().run()
    assert not at.exception, at.exception
    assert error_after(at, _widget(at.text_input, form, "_reason")) == "Indiquez un motif."
    assert _widget(at.number_input, form, "_birth_year").value == 1991  # what was typed stays

    _widget(at.text_input, form, "_reason").input("Pièce d'identité présentée")
    button(at, "Corriger").click().run()
    assert not at.exception, at.exception
    history = next(d.value for d in at.dataframe if "Ancienne valeur" in d.value.columns)
    assert list(history["Information"]) == ["Année de naissance"]
    assert list(history["Nouvelle valeur"]) == ["1991"]
    assert list(history["Motif"]) == ["Pièce d'identité présentée"]
    with unit_of_work(app_engine) as session:
        assert session.get_one(Person, person_id).birth_year == 1991


def _a_colleague_corrects(app_engine, person_id: int, **values: object) -> None:
    """The referent's correction saved meanwhile, from another session (the service, as its own form would)."""
    with unit_of_work(app_engine) as session:
        version = session.get_one(Person, person_id).version
        corrections.correct_file(
            session,
            principal_of(app_engine, "chef.lyon"),
            person_id,
            expected_version=version,
            data={**values, "reason": "Erreur de saisie", "acknowledge_published": True},
        )


def test_a_correction_crossing_a_colleagues_keeps_both_and_asks_only_where_both_changed(app_engine, demo_database):
    code, person_id = _a_lyon_file(app_engine)
    at = _open_file("chef.lyon", code)
    form = "person_correction"
    with unit_of_work(app_engine) as session:
        before = session.get_one(Person, person_id)
        assert (before.birth_year, before.nationality) != (1991, "BG")

    # Another field corrected meanwhile: the user's birth year and the colleague's nationality are both kept.
    _widget(at.number_input, form, "_birth_year").set_value(1991)
    _widget(at.text_input, form, "_reason").input("Pièce d'identité présentée")
    _a_colleague_corrects(app_engine, person_id, nationality="BG")
    at = button(at, "Corriger").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        stored = session.get_one(Person, person_id)
        assert (stored.birth_year, stored.nationality) == (1991, "BG")
    assert any("Nationalité" in i.value and "conservées" in i.value for i in at.info)

    # The same field corrected on both sides: nothing saved before the user chooses, then the choice saved.
    _widget(at.number_input, form, "_birth_year").set_value(1993)
    _widget(at.text_input, form, "_reason").input("Acte de naissance")
    _a_colleague_corrects(app_engine, person_id, birth_year=1985)
    at = button(at, "Corriger").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        assert session.get_one(Person, person_id).birth_year == 1985
    [choice] = [r for r in at.radio if r.label == "Année de naissance : quelle saisie garder ?"]
    assert "1993" in all_text(at) and "1985" in all_text(at)  # both values side by side
    assert button(at, "Enregistrer avec ces choix").disabled
    at = choice.set_value("mine").run()
    at = button(at, "Enregistrer avec ces choix").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        stored = session.get_one(Person, person_id)
        assert (stored.birth_year, stored.nationality) == (1993, "BG")


CONSENT_FORM = "person_consent_date"
CONSENT_CHOICE = "Date d'effet corrigée : quelle saisie garder ?"


def _a_file_with_a_consent_change(app_engine) -> tuple[str, int, int]:
    """A Lyon file (intake 06/01/2020) whose partners' consent was given afterwards, from 10/06/2026: its code,
    its id and the id of that change."""
    code, person_id = _a_lyon_file(app_engine)
    with unit_of_work(app_engine) as session:
        consent.record_consent_change(
            session,
            principal_of(app_engine, "chef.lyon"),
            person_id,
            data={"scope": ConsentScope.PARTNER_SHARING, "given": True, "effective_on": date(2026, 6, 10)},
        )
        change_id = session.exec(select(ConsentChange.id).where(ConsentChange.person_id == person_id)).one()
    return code, person_id, change_id


def _a_colleague_corrects_the_day(app_engine, person_id: int, change_id: int, day: date) -> None:
    """A colleague's correction of the same change's day, saved meanwhile from another session."""
    with unit_of_work(app_engine) as session:
        corrections.correct_consent_date(
            session,
            principal_of(app_engine, "chef.lyon"),
            person_id,
            expected_version=session.get_one(Person, person_id).version,
            data={"change_id": change_id, "effective_on": day, "reason": "Courrier de la personne"},
        )


def _effective_on(app_engine, change_id: int) -> date:
    with unit_of_work(app_engine) as session:
        return session.get_one(ConsentChange, change_id).effective_on


def _consent_history(at: AppTest) -> set[tuple[str, str, str]]:
    """(old day, new day, reason) of each correction of the consent's day in the history."""
    history = next(d.value for d in at.dataframe if "Ancienne valeur" in d.value.columns)
    rows = history[history["Information"].str.startswith("Date d'effet")]
    return set(zip(rows["Ancienne valeur"], rows["Nouvelle valeur"], rows["Motif"], strict=True))


def _correct_the_day(at: AppTest, day: date, reason: str) -> None:
    _widget(at.date_input, CONSENT_FORM, "_on").set_value(day)
    _widget(at.text_input, CONSENT_FORM, "_reason").input(reason)


def test_a_consent_day_a_colleague_corrected_otherwise_meanwhile_is_saved_only_once_the_user_chose(
    app_engine, demo_database
):
    code, person_id, change_id = _a_file_with_a_consent_change(app_engine)
    at = _open_file("chef.lyon", code)

    _correct_the_day(at, date(2026, 6, 3), "Courriel du 3 juin")
    _a_colleague_corrects_the_day(app_engine, person_id, change_id, date(2026, 6, 5))
    at = button(at, "Corriger la date").click().run()
    assert not at.exception, at.exception

    # Both days side by side, the colleague's still the saved one until the user chooses.
    assert _effective_on(app_engine, change_id) == date(2026, 6, 5)
    [choice] = [r for r in at.radio if r.label == CONSENT_CHOICE]
    assert {"3 juin 2026", "5 juin 2026"} <= {t.value for t in at.text}
    assert button(at, "Enregistrer avec ces choix").disabled
    assert _widget(at.date_input, CONSENT_FORM, "_on").value == date(2026, 6, 3)  # what was typed stays

    at = choice.set_value("mine").run()
    at = button(at, "Enregistrer avec ces choix").click().run()
    assert not at.exception, at.exception
    assert _effective_on(app_engine, change_id) == date(2026, 6, 3)
    assert _consent_history(at) == {
        ("10 juin 2026", "5 juin 2026", "Courrier de la personne"),
        ("5 juin 2026", "3 juin 2026", "Courriel du 3 juin"),
    }
    assert not [r for r in at.radio if r.label == CONSENT_CHOICE]


def test_a_consent_day_is_saved_over_a_colleagues_correction_of_another_field(app_engine, demo_database):
    code, person_id, change_id = _a_file_with_a_consent_change(app_engine)
    at = _open_file("chef.lyon", code)

    _correct_the_day(at, date(2026, 6, 3), "Courriel du 3 juin")
    _a_colleague_corrects(app_engine, person_id, birth_year=1985)
    at = button(at, "Corriger la date").click().run()
    assert not at.exception, at.exception

    assert _effective_on(app_engine, change_id) == date(2026, 6, 3)
    with unit_of_work(app_engine) as session:
        assert session.get_one(Person, person_id).birth_year == 1985
    assert _consent_history(at) == {("10 juin 2026", "3 juin 2026", "Courriel du 3 juin")}
    assert not [r for r in at.radio if r.label == CONSENT_CHOICE]


def test_a_consent_day_a_colleague_corrected_to_the_same_day_meanwhile_is_not_recorded_twice(app_engine, demo_database):
    code, person_id, change_id = _a_file_with_a_consent_change(app_engine)
    at = _open_file("chef.lyon", code)

    _correct_the_day(at, date(2026, 6, 3), "Courriel du 3 juin")
    _a_colleague_corrects_the_day(app_engine, person_id, change_id, date(2026, 6, 3))
    at = button(at, "Corriger la date").click().run()
    assert not at.exception, at.exception

    assert _effective_on(app_engine, change_id) == date(2026, 6, 3)
    assert _consent_history(at) == {("10 juin 2026", "3 juin 2026", "Courrier de la personne")}
    assert not [r for r in at.radio if r.label == CONSENT_CHOICE]  # nothing to choose
    assert (
        error_after(at, _widget(at.date_input, CONSENT_FORM, "_on"))
        == "C'est déjà la date d'effet de ce changement : rien n'a été corrigé."
    )


def test_the_head_of_service_erases_a_file_with_its_code_typed_again(app_engine, demo_database):
    code, person_id = _a_lyon_file(app_engine)
    at = _open_file("chef.lyon", code)
    form = "person_erasure"

    _widget(at.selectbox, form, "_reason").select_index(0)  # « Demande d'effacement de la personne »
    _widget(at.text_input, form, "_confirm").input("LYO-0000-0000")
    button(at, "Effacer définitivement le dossier").click().run()
    assert not at.exception, at.exception
    confirm = _widget(at.text_input, form, "_confirm")
    assert error_after(at, confirm) == "Le code saisi ne correspond pas au dossier : rien n'a été effacé."

    confirm.input(code)
    button(at, "Effacer définitivement le dossier").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        assert session.get_one(Person, person_id).status == PersonStatus.ANONYMISED
    assert "Effacer le dossier à la demande de la personne" not in all_text(at)


def test_the_referent_intervenant_corrects_its_own_file_and_nothing_else(app_engine, demo_database):
    own, _own_id = _a_lyon_file(app_engine, referent="ts.lyon")
    other, _other_id = _a_lyon_file(app_engine)

    at = _open_file("ts.lyon", own)
    assert SECTION in [e.label for e in at.expander]
    assert "Corriger une information" in all_text(at)
    assert not at.get("download_button")  # no export for an intervenant
    assert "Effacer le dossier à la demande de la personne" not in all_text(at)

    at = _open_file("ts.lyon", other)
    assert SECTION not in [e.label for e in at.expander]


@pytest.mark.parametrize("username", ["direction"])
def test_direction_sees_no_rights_section(app_engine, demo_database, username):
    code, _person_id = _a_lyon_file(app_engine)
    at = _open_file(username, code)
    assert SECTION not in [e.label for e in at.expander]
    assert not at.get("download_button")


def test_no_export_was_audited_for_roles_without_the_section(app_engine, demo_database):
    with unit_of_work(app_engine) as session:
        roles = session.exec(select(AuditEvent.actor_role).where(AuditEvent.action == "person.export").distinct()).all()
    assert set(roles) <= {"chef_service"}
