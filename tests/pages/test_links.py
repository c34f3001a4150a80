"""Links that last (issue 14): the page and file a URL names open once signed in (login form or cookie),
a page the role may not open leads to Accueil without an error; the interface language follows its user."""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

import i18n
from models.persons import Person, PersonStatus
from services.accounts import auth, preferences
from services.platform.db import unit_of_work
from tests.pages.conftest import (
    APP_SCRIPT,
    TIMEOUT,
    button,
    cookie_token,
    is_login_form,
    principal_of,
    submit_login,
    text_input,
    texts,
    user_row,
)

BASE = "http://localhost:8501"


def _a_file_in_scope(app_engine, username: str) -> str:
    principal = principal_of(app_engine, username)
    with unit_of_work(app_engine) as session:
        return session.exec(
            select(Person.code)
            .where(Person.status == PersonStatus.ACTIVE, principal.site_filter(Person.site_id))
            .order_by(Person.id)
        ).first()


def _opened_at(url_path: str, **query_params: str) -> AppTest:
    """A new browser session opened at BASE/url_path?query (a reload, a bookmark, a shared link), run once."""
    at = AppTest.from_file(APP_SCRIPT, default_timeout=TIMEOUT)
    at.context = {"url": f"{BASE}/{url_path}"}
    for name, value in query_params.items():
        at.query_params[name] = value
    return at.run()


def _titles(at: AppTest) -> list[str]:
    return texts(at.title)


def _log_in(engine, settings, account) -> None:
    with unit_of_work(engine) as session:
        assert auth.authenticate(session, settings, account.username, account.password).principal


def test_a_bookmarked_file_opens_after_sign_in_with_its_code(new_account, app_engine, demo_database) -> None:
    account = new_account(display_name="Inès Carpentier")
    code = _a_file_in_scope(app_engine, account.username)
    at = _opened_at("person_file", code=code)
    assert is_login_form(at)
    assert not any(code in title for title in _titles(at))  # nothing of the file before sign-in

    submit_login(at, account.username, account.password)
    assert not at.exception, at.exception
    assert _titles(at)[0] == f"Fiche personne · {code}"
    assert at.query_params["code"] == code
    assert "Bonjour Inès Carpentier" not in _titles(at)
    # The link is used once: the next runs stay where the user goes.
    at.run()
    assert _titles(at)[0] == f"Fiche personne · {code}"


def test_a_shared_link_reopens_the_file_when_the_cookie_signs_the_session_in(
    new_account, app_engine, app_settings, browser_cookies
) -> None:
    account = new_account()
    code = _a_file_in_scope(app_engine, account.username)
    _log_in(app_engine, app_settings, account)
    browser_cookies({app_settings.cookie_name: cookie_token(app_settings, account.username)})
    at = _opened_at("person_file", code=code)
    assert not at.exception, at.exception
    assert _titles(at)[0] == f"Fiche personne · {code}"


def test_a_bookmark_to_a_page_of_another_role_leads_to_accueil_without_error(new_account, demo_database) -> None:
    account = new_account(display_name="Agathe Roussel")  # a social worker: no budget
    at = _opened_at("budget", code="LYO-2024-0001")
    submit_login(at, account.username, account.password)
    assert not at.exception, at.exception
    assert _titles(at)[0] == "Bonjour Agathe Roussel"
    assert not at.error
    assert at.query_params == {}  # nothing of the link kept


def test_a_link_to_no_page_at_all_leads_to_accueil(new_account, app_engine, app_settings, browser_cookies) -> None:
    account = new_account(display_name="Yanis Perrin")
    _log_in(app_engine, app_settings, account)
    browser_cookies({app_settings.cookie_name: cookie_token(app_settings, account.username)})
    at = _opened_at("no_such_page", code="LYO-2024-0001")
    assert not at.exception, at.exception
    assert _titles(at)[0] == "Bonjour Yanis Perrin"
    assert not at.error


def test_the_language_saved_on_the_account_is_applied_at_sign_in(new_account, app_engine, demo_database) -> None:
    english = i18n.catalogue(i18n.ENGLISH).singular
    account = new_account(display_name="Maëlle Dufour")
    with unit_of_work(app_engine) as session:
        principal = principal_of(app_engine, account.username)
        preferences.save_language(session, principal, username=account.username, language=i18n.ENGLISH)
    at = _opened_at("")
    assert is_login_form(at)  # the login page itself is in the browser's own choice: French
    submit_login(at, account.username, account.password)
    assert not at.exception, at.exception
    assert _titles(at)[0] == english["Bonjour {name}"].format(name="Maëlle Dufour")


def test_a_switch_while_signed_in_is_saved_on_the_account(new_account, app_engine, demo_database) -> None:
    account = new_account()
    at = _opened_at("")
    submit_login(at, account.username, account.password)
    at.sidebar.segmented_control[0].set_value(i18n.ENGLISH).run()
    assert not at.exception, at.exception
    assert user_row(app_engine, account.username).language == i18n.ENGLISH


def test_a_choice_made_on_the_login_page_stays_for_the_session(new_account, app_engine, demo_database) -> None:
    english = i18n.catalogue(i18n.ENGLISH).singular
    account = new_account(display_name="Rachid Belkacem")
    with unit_of_work(app_engine) as session:
        principal = principal_of(app_engine, account.username)
        preferences.save_language(session, principal, username=account.username, language=i18n.FRENCH)
    at = _opened_at("")
    at.sidebar.segmented_control[0].set_value(i18n.ENGLISH).run()
    assert not at.exception, at.exception
    text_input(at, english["Identifiant"]).input(account.username)
    text_input(at, english["Mot de passe"]).input(account.password)
    button(at, english["Se connecter"]).click().run()
    assert not at.exception, at.exception
    assert _titles(at)[0] == english["Bonjour {name}"].format(name="Rachid Belkacem")


def test_a_reload_in_english_reopens_the_file_in_english(
    new_account, app_engine, app_settings, browser_cookies
) -> None:
    """Both at the first run of a cookie session: the account's language (a rerun) and the link."""
    english = i18n.catalogue(i18n.ENGLISH).singular
    account = new_account()
    code = _a_file_in_scope(app_engine, account.username)
    with unit_of_work(app_engine) as session:
        principal = principal_of(app_engine, account.username)
        preferences.save_language(session, principal, username=account.username, language=i18n.ENGLISH)
    _log_in(app_engine, app_settings, account)
    browser_cookies({app_settings.cookie_name: cookie_token(app_settings, account.username)})
    at = _opened_at("person_file", code=code)
    assert not at.exception, at.exception
    assert _titles(at)[0] == f"{english['Fiche personne']} · {code}"
