"""Accounts that see identities (issue 13, finding 7), page by page: the admin hands over a single-use code
shown once, the holder sets the password on the login page, direction sees the act on its home page; in
production the admin's page offers no password for such an account."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from models.organisation import Role
from services.accounts import users
from services.platform.config import Mode
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import SYSTEM_ACTOR
from tests.pages.conftest import (
    button,
    error_after,
    login_app,
    open_page,
    signed_in_app,
    submit_login,
    text_input,
    texts,
    unique,
    user_row,
)
from ui.platform import runtime as runtime_module
from ui.platform.runtime import Runtime

CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")
PASSPHRASE = "trois chats sous la pluie"
BLOCK_TITLE = "Comptes ayant accès à l'identité des personnes"


@pytest.fixture
def production(monkeypatch, app_engine, demo_database):
    """The app as a production install runs it (only the mode differs: same database and secrets)."""
    settings = demo_database.model_copy(update={"mode": Mode.PRODUCTION})
    monkeypatch.setattr(runtime_module, "runtime", lambda: Runtime(settings, app_engine))
    return settings


def _users_page(admin: str = "admin"):
    return open_page(signed_in_app(admin), PageKey.USERS)


def _fill(at, username: str, role: Role = Role.INTERVENANT, password: str = "") -> None:
    text_input(at, "Identifiant").input(username)
    text_input(at, "Nom affiché").input("Camille Test")
    next(s for s in at.selectbox if s.label == "Rôle").set_value(role)
    if role not in (Role.ADMIN, Role.DIRECTION, Role.GESTION, Role.FINANCEUR):
        next(m for m in at.multiselect if m.label == "Sites").select("LYO")
    next(w for w in at.text_input if w.label.startswith("Mot de passe initial")).input(password)


def _shown_codes(at) -> list[str]:
    return [element.value for element in at.code]


def _enrolment_field(at, name: str):
    """A field of the « Première connexion ou code reçu » form (its widget keys: first_sign_in__<n>_<name>)."""
    found = [w for w in at.text_input if w.key and re.fullmatch(rf"first_sign_in__\d+_{name}", w.key)]
    assert len(found) == 1, [w.key for w in at.text_input]
    return found[0]


def _redeem(at, username: str, code: str, password: str = PASSPHRASE, confirmation: str | None = None):
    _enrolment_field(at, "username").input(username)
    _enrolment_field(at, "code").input(code)
    _enrolment_field(at, "new").input(password)
    _enrolment_field(at, "confirmation").input(password if confirmation is None else confirmation)
    return button(at, "Enregistrer mon mot de passe").click().run()


def _enrolments(app_engine, username: str) -> list[tuple]:
    with app_engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT e.reason, e.issued_by, e.used_at IS NULL FROM account_enrolment e"
                    " JOIN app_user u ON u.id = e.user_id WHERE u.username = :u ORDER BY e.id"
                ),
                {"u": username},
            )
        ]


def test_admin_creates_an_account_without_password_and_the_code_is_shown_once(demo_database, app_engine) -> None:
    at = _users_page()
    username = unique("code.")
    _fill(at, username)
    button(at, "Créer le compte").click().run()
    assert not at.exception, at.exception
    assert not at.error

    codes = _shown_codes(at)
    assert len(codes) == 1 and CODE.match(codes[0])
    warning = texts(at.warning)
    assert any(f"Code d'activation du compte « {username} »" in text for text in warning), warning
    assert _enrolments(app_engine, username) == [("created", "admin", True)]
    assert user_row(app_engine, username).password_hash == "!enrolment-pending"

    at.run()  # any later run: the code is gone from the page
    assert _shown_codes(at) == []


def test_the_holder_sets_the_password_on_the_login_page_then_signs_in(demo_database, app_engine) -> None:
    username = unique("titulaire.")
    with unit_of_work(app_engine) as session:
        issued = users.enrol_user(
            session,
            demo_database,
            SYSTEM_ACTOR,
            username=username,
            display_name="Inès Titulaire",
            role=Role.CHEF_SERVICE,
            site_codes=["LYO"],
        )

    at = _redeem(login_app(), username, issued.code)

    assert not at.exception, at.exception
    assert not at.error
    assert any(f"Mot de passe enregistré pour « {username} »" in text for text in texts(at.success))
    assert _enrolments(app_engine, username) == [("created", "system", False)]
    signed_in = submit_login(at, username, PASSPHRASE)
    assert signed_in.session_state["authentication_status"]
    assert signed_in.title[0].value == "Bonjour Inès Titulaire"


def test_a_wrong_code_is_refused_beside_the_code_field(demo_database, app_engine) -> None:
    username = unique("erreur.")
    with unit_of_work(app_engine) as session:
        users.enrol_user(
            session,
            demo_database,
            SYSTEM_ACTOR,
            username=username,
            display_name="Test",
            role=Role.INTERVENANT,
            site_codes=["LYO"],
        )

    at = _redeem(login_app(), username, "AAAA-BBBB-CCCC-DDDD")

    message = "Code invalide, expiré ou déjà utilisé. Demandez un nouveau code à l'administration."
    assert texts(at.error) == [message]
    assert error_after(at, _enrolment_field(at, "code")) == message
    assert _enrolments(app_engine, username) == [("created", "system", True)]


def test_the_two_new_passwords_must_match(demo_database) -> None:
    at = _redeem(login_app(), "qui.que.ce.soit", "AAAA-BBBB-CCCC-DDDD", confirmation="autre chose encore ici")
    assert texts(at.error) == ["Les deux saisies du nouveau mot de passe diffèrent."]
    assert error_after(at, _enrolment_field(at, "confirmation")) == texts(at.error)[0]


def test_in_production_the_admin_cannot_give_a_password_to_an_account_that_sees_identities(
    production, app_engine
) -> None:
    at = _users_page()
    username = unique("prod.")
    _fill(at, username, password="une phrase de passe solide")
    button(at, "Créer le compte").click().run()

    assert not at.exception, at.exception
    password_field = next(w for w in at.text_input if w.label.startswith("Mot de passe initial"))
    assert error_after(at, password_field).startswith(
        "Ce compte voit l'identité des personnes : en production, seul·e son ou sa titulaire choisit le mot de passe."
    )
    assert user_row(app_engine, username) is None
    assert _shown_codes(at) == []


def test_in_production_the_manage_tab_offers_a_code_not_a_password_for_such_an_account(
    production, new_account, app_engine
) -> None:
    worker, accountant = new_account(Role.INTERVENANT), new_account(Role.GESTION)
    at = _users_page()
    next(s for s in at.selectbox if s.label == "Compte").set_value(worker.username).run()
    assert "Réinitialiser le mot de passe" not in [b.label for b in at.button]
    assert any("seul·e son ou sa titulaire choisit son mot de passe" in text for text in texts(at.caption))

    button(at, "Remettre un code d'activation").click().run()
    assert not at.exception, at.exception
    assert len(_shown_codes(at)) == 1
    assert _enrolments(app_engine, worker.username) == [("reset", "admin", True)]
    assert submit_login(login_app(), worker.username, worker.password).error[0].value == (
        "Identifiant ou mot de passe incorrect."
    )

    next(s for s in at.selectbox if s.label == "Compte").set_value(accountant.username).run()
    assert "Réinitialiser le mot de passe" in [b.label for b in at.button]


def test_in_production_re_enabling_such_an_account_shows_a_code(production, new_account, app_engine) -> None:
    worker = new_account(Role.FORMATEUR)
    at = _users_page()
    next(s for s in at.selectbox if s.label == "Compte").set_value(worker.username).run()
    button(at, "Désactiver").click().run()
    assert _shown_codes(at) == []
    button(at, "Réactiver").click().run()

    assert not at.exception, at.exception
    assert len(_shown_codes(at)) == 1
    assert _enrolments(app_engine, worker.username) == [("reactivated", "admin", True)]


def test_direction_sees_the_account_created_on_its_home_page(demo_database, app_engine) -> None:
    at = _users_page()
    username = unique("vu.")
    _fill(at, username, Role.CHEF_SERVICE)
    button(at, "Créer le compte").click().run()
    assert not at.exception, at.exception

    home = signed_in_app("direction").run()

    assert not home.exception, home.exception
    assert BLOCK_TITLE in texts(home.header)
    table = next(frame.value for frame in home.dataframe if "Acte" in frame.value.columns)
    rows = table[table["Compte"] == username]
    assert sorted(rows["Acte"]) == ["Code d'activation remis", "Compte créé"]
    assert set(rows["Par"]) == {"admin"} and set(rows["Rôle"]) == {"Chef·fe de service"}
    assert set(rows["Sites"]) == {"LYO"}


@pytest.mark.parametrize("username", ["admin", "chef.lyon", "ts.lyon", "fle.lyon", "gestion", "financeur.agrasc"])
def test_no_other_role_sees_the_block(demo_database, username) -> None:
    home = signed_in_app(username).run()
    assert not home.exception, home.exception
    assert BLOCK_TITLE not in texts(home.header)
