"""The danger flag, the move of a file to another site and the legal follow-up through AppTest: the flag
shown to the file's team on the file and in the caseload, never to direction, gestion or a funder; a
chef_service of Lyon and Grenoble moves a file and Lyon's worker can no longer open it."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date

import pytest
from sqlmodel import select

import services.finance
import services.reporting
from models.organisation import Role, Site, User, UserSite
from models.persons import Gender, IntakeOrigin
from models.safety import PersonTransfer
from services.persons import files as person_files
from services.persons import safety
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.pages.conftest import (
    all_text,
    button,
    every_tab_text,
    open_file_section,
    open_file_tab,
    open_page,
    principal_of,
    signed_in_app,
    texts,
    unique,
)
from ui.platform.navigation import PAGE_SPECS

CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])
FILE_SCRIPT = PAGE_SPECS[PageKey.PERSON_FILE].script
INSTRUCTIONS = "Jamais d'appel, SMS seulement après 20 h"


def _new_lyon_file(app_engine, *, flagged: bool) -> str:
    """A new Lyon file (taken in by ts.lyon), with the danger flag set by ts.lyon when `flagged`; its code."""
    principal = principal_of(app_engine, "ts.lyon")
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site.id).where(Site.code == "LYO")).one()
        created = person_files.create_intake(
            session,
            principal,
            data={
                "site_id": lyon,
                "first_contact_on": date(2026, 1, 5),
                "intake_on": date(2026, 1, 5),
                "origin": IntakeOrigin.SELF,
                "alias": unique("Zélie"),
                "gender": Gender.WOMAN,
                "consent_on": date(2026, 1, 5),
                "consent_processing": True,
                "consent_statistics": True,
            },
            cipher=CIPHER,
        )
    if flagged:
        with unit_of_work(app_engine) as session:
            safety.set_safety(session, principal, created.id, data={"flagged": True, "instructions": INSTRUCTIONS})
    return created.code


def _open_file(username: str, code: str):
    at = signed_in_app(username)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(FILE_SCRIPT)
    at.query_params["code"] = code
    return at.run()


def test_the_team_sees_the_danger_banner_at_the_top_of_the_file(app_engine, demo_database):
    code = _new_lyon_file(app_engine, flagged=True)
    for username in ("ts.lyon", "chef.lyon"):
        at = _open_file(username, code)
        assert not at.exception, at.exception
        assert texts(at.error)[0] == f"Signalement de danger — consignes de contact sûr : {INSTRUCTIONS}"
        assert "Signalé par Julien Ferrand le" in all_text(at)


def test_a_file_without_flag_has_no_banner(app_engine, demo_database):
    at = _open_file("ts.lyon", _new_lyon_file(app_engine, flagged=False))
    assert not at.exception, at.exception
    assert not any("Signalement de danger —" in e for e in texts(at.error))


def test_direction_opens_the_file_without_the_flag_nor_its_instructions(app_engine, demo_database):
    code = _new_lyon_file(app_engine, flagged=True)
    at = _open_file("direction", code)
    assert not at.exception, at.exception
    assert texts(at.title) == [f"Fiche personne · {code}"]
    text = every_tab_text(at)
    assert INSTRUCTIONS not in text and "Signalement de danger" not in text and "Juridique" not in text


def test_the_caseload_marks_the_flagged_file_for_the_team_and_not_for_direction(app_engine, demo_database):
    code = _new_lyon_file(app_engine, flagged=True)
    at = open_page(signed_in_app("ts.lyon"), PageKey.CASELOAD)
    at.text_input(key="caseload_query").input(code).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(zip(table["Code"], table["Sécurité"], strict=True)) == [(code, "⚠ Danger")]
    at = open_page(signed_in_app("direction"), PageKey.CASELOAD)
    at.text_input(key="caseload_query").input(code).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["Code"]) == [code] and "Sécurité" not in table.columns
    assert INSTRUCTIONS not in all_text(at)


@pytest.mark.parametrize(
    ("username", "page"),
    [
        ("direction", PageKey.DASHBOARD),
        ("gestion", PageKey.BUDGET),
        ("financeur.agrasc", PageKey.FUNDER_SPACE),
    ],
)
def test_pages_of_other_roles_never_show_it(app_engine, demo_database, username, page):
    _new_lyon_file(app_engine, flagged=True)
    at = open_page(signed_in_app(username), page)
    assert not at.exception, at.exception
    text = all_text(at)
    assert INSTRUCTIONS not in text and "Signalement de danger" not in text


def test_no_export_builder_reads_the_flag_or_the_legal_follow_up():
    """Every file offered for download is built in services/reporting or services/finance: none of their
    modules reaches the safety or legal tables (the person-file export is another engineer's: it calls
    neither `safety_notice` nor the legal service)."""
    forbidden = ("models.safety", "models.legal", "services.persons.safety", "services.persons.legal")
    for package in (services.reporting, services.finance):
        for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(found.name)
            source = open(module.__file__, encoding="utf-8").read()  # noqa: SIM115
            assert not any(name in source for name in forbidden), found.name


def test_the_legal_tab_adds_a_complaint_for_the_team(app_engine, demo_database):
    code = _new_lyon_file(app_engine, flagged=False)
    at = open_file_tab(_open_file("ts.lyon", code), "Juridique")
    tab = next(t for t in at.tabs if t.label == "Juridique")
    key = next(w.key for w in tab.text_input if w.key and w.key.endswith("_place"))
    tab.text_input(key=key).input("Commissariat du 7e")
    at = button(at, "Enregistrer l'étape").click().run()
    assert not at.exception, at.exception
    tab = next(t for t in at.tabs if t.label == "Juridique")
    assert "Commissariat du 7e" in all_text(at)
    assert any("Plainte déposée" in c for c in texts(tab.caption))


def test_a_chef_of_both_sites_moves_a_file_and_lyons_worker_can_no_longer_open_it(
    app_engine, demo_database, new_account
):
    chef = new_account(Role.CHEF_SERVICE, display_name="Chef Lyon et Grenoble")
    with unit_of_work(app_engine) as session:
        user_id = session.exec(select(User.id).where(User.username == chef.username)).one()
        grenoble = session.exec(select(Site.id).where(Site.code == "GRE")).one()
        session.add(UserSite(user_id=user_id, site_id=grenoble))
        session.commit()
    code = _new_lyon_file(app_engine, flagged=True)

    at = open_file_section(_open_file(chef.username, code), "transfer")
    reason = next(w for w in at.text_area if w.label == "Motif du transfert *")
    reason.input("Mise à l'abri")
    at = button(at, "Transférer le dossier").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        new_code, site = session.exec(
            select(PersonTransfer.new_code, Site.code)
            .join(Site, Site.id == PersonTransfer.site_id)
            .where(PersonTransfer.old_code == code)
        ).one()
    assert site == "GRE" and new_code.startswith("GRE-2026-")
    assert texts(at.title) == [f"Fiche personne · {new_code}"]

    for refused_code, message in (
        # its old code says the file moved, never where; its new code is any other site's code
        (
            code,
            "Ce dossier a été transféré vers un autre site : votre équipe n'y a plus accès. "
            "Pour toute question, adressez-vous à votre chef·fe de service.",
        ),
        (new_code, "Dossier introuvable."),
    ):
        at = _open_file("ts.lyon", refused_code)
        assert not at.exception, at.exception
        assert texts(at.error) == [message]
        assert INSTRUCTIONS not in all_text(at)
        assert new_code not in all_text(at) and "Grenoble" not in all_text(at)
    # Grenoble's worker follows the old code (a link, a note on paper) to the file, under its new code.
    at = _open_file("cip.grenoble", code)
    assert not at.exception, at.exception
    assert texts(at.title) == [f"Fiche personne · {new_code}"]
    assert texts(at.info)[0] == (
        f"Le code {code} est l'ancien code de ce dossier, transféré depuis : son code est maintenant {new_code}."
    )
    assert at.query_params["code"] == new_code
    at = _open_file("cip.grenoble", new_code)
    assert texts(at.title) == [f"Fiche personne · {new_code}"]
    assert texts(at.error)[0] == f"Signalement de danger — consignes de contact sûr : {INSTRUCTIONS}"
