"""Login form, lockout, server-side revocation, idle/absolute timeouts, cookie re-login, logout."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import func, select

import clock
from models.audit import AuditEvent
from models.organisation import User
from services.accounts import auth, users
from services.accounts.demo import DEMO_USERNAMES
from services.platform.db import unit_of_work
from services.platform.principal import SYSTEM_ACTOR
from tests.pages.conftest import (
    all_text,
    cookie_token,
    is_login_form,
    login_app,
    metric_labels,
    signed_in_app,
    submit_login,
    texts,
    unique,
    user_row,
)
from ui.platform.layout import DEMO_BANNER
from ui.platform.session import LAST_ACTIVITY, STARTED_AT

INVALID = "Identifiant ou mot de passe incorrect."
REVOKED = "Votre session a été fermée"


def _errors(at) -> list[str]:
    return texts(at.error)


def _audit_count(engine, username: str, action: str) -> int:
    with unit_of_work(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.actor_username == username, AuditEvent.action == action)
        ).one()


def _signed_in_home(at) -> bool:
    return (
        not at.exception
        and bool(at.session_state["authentication_status"])
        and any(title.startswith("Bonjour ") for title in texts(at.title))
        and "Se déconnecter" in [b.label for b in at.sidebar.button]
    )


# --- the form -------------------------------------------------------------------------------


def test_login_page_shows_the_french_form_the_demo_banner_and_the_demo_accounts(demo_database) -> None:
    at = login_app()
    assert not at.exception
    # the login form, then the holder's first sign-in with a code (folded, services.accounts.enrolment)
    assert [w.label for w in at.text_input] == [
        "Identifiant",
        "Mot de passe",
        "Votre identifiant",
        "Code reçu",
        "Nouveau mot de passe",
        "Nouveau mot de passe (confirmation)",
    ]
    assert [b.label for b in at.button] == ["Se connecter", "Enregistrer mon mot de passe"]
    assert "Connexion" in texts(at.subheader)
    assert any(DEMO_BANNER in text for text in texts(at.warning))
    assert [box.label for box in at.expander] == ["Première connexion ou code reçu", "Comptes de démonstration"]
    demo_box = at.expander[1]
    listing = [*demo_box.table, *demo_box.dataframe]
    assert len(listing) == 1
    listed = listing[0].value["Identifiant"].tolist()
    assert listed == list(DEMO_USERNAMES)
    assert demo_database.demo_password in all_text(at)
    # Nothing of the app is drawn before login.
    assert not at.session_state["authentication_status"]
    assert not at.title and not at.metric and not at.sidebar.button


def test_right_password_opens_the_home_page(new_account, app_engine) -> None:
    account = new_account()
    at = submit_login(login_app(), account.username, account.password)
    assert _signed_in_home(at)
    assert texts(at.title) == ["Bonjour Test intervenant"]
    assert "Dossiers en file active" in metric_labels(at)
    assert at.session_state["username"] == account.username
    assert STARTED_AT in at.session_state
    assert not _errors(at)
    assert _audit_count(app_engine, account.username, "login.success") == 1
    assert user_row(app_engine, account.username).last_login_at is not None


def test_demo_account_logs_in_with_the_demo_password(demo_password) -> None:
    at = submit_login(login_app(), "ts.lyon", demo_password)
    assert _signed_in_home(at)
    assert "Dossiers en file active" in metric_labels(at)


def test_username_is_not_case_sensitive_nor_padded(new_account) -> None:
    account = new_account()
    at = submit_login(login_app(), f"  {account.username.upper()} ", account.password)
    assert _signed_in_home(at)


def test_wrong_password_is_refused_with_a_french_message(new_account, app_engine) -> None:
    account = new_account()
    at = submit_login(login_app(), account.username, "pas le bon mot de passe")
    assert not at.exception
    assert _errors(at) == [INVALID]
    assert not at.session_state["authentication_status"]
    assert is_login_form(at)
    assert not at.title and not at.metric
    assert _audit_count(app_engine, account.username, "login.failure") == 1


def test_five_failures_lock_the_account_even_for_the_right_password(new_account) -> None:
    account = new_account()
    at = login_app()
    for attempt in range(1, 5):
        submit_login(at, account.username, f"mauvais {attempt} xxxxxxxx")
        assert _errors(at) == [INVALID], attempt
    submit_login(at, account.username, "mauvais 5 xxxxxxxx")
    assert len(_errors(at)) == 1 and "verrouillé" in _errors(at)[0]

    submit_login(at, account.username, account.password)
    assert len(_errors(at)) == 1 and "verrouillé" in _errors(at)[0]
    assert not at.session_state["authentication_status"]
    # Another browser session is refused as well: the lock is in the database.
    fresh = submit_login(login_app(), account.username, account.password)
    assert "verrouillé" in _errors(fresh)[0]
    assert not fresh.session_state["authentication_status"]


def test_unknown_username_gets_exactly_the_messages_of_a_known_one(new_account) -> None:
    known = new_account().username
    unknown = unique("inconnu.")
    answers: dict[str, list[list[str]]] = {}
    for username in (known, unknown):
        at = login_app()
        answers[username] = [_errors(submit_login(at, username, f"mauvais {i} xxxxxxxx")) for i in range(6)]
    assert answers[known] == answers[unknown]
    assert answers[known][0] == [INVALID]
    assert "verrouillé" in answers[known][4][0]


def test_inactive_account_gets_the_same_answer_as_a_wrong_password(new_account, app_engine, app_settings) -> None:
    account = new_account()
    with unit_of_work(app_engine) as session:
        users.set_active(session, app_settings, SYSTEM_ACTOR, account.username, active=False)
    at = submit_login(login_app(), account.username, account.password)
    assert _errors(at) == [INVALID]
    assert not at.session_state["authentication_status"]


def _backdate_password(engine, username: str, *, hours: int) -> None:
    with unit_of_work(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.password_changed_at = clock.now() - timedelta(hours=hours)
        session.add(user)
        session.commit()


# --- sessions checked on every run -----------------------------------------------------------


def test_session_closed_elsewhere_goes_back_to_the_login_form(new_account, app_engine) -> None:
    account = new_account()
    at = signed_in_app(account.username).run()
    assert _signed_in_home(at)

    with unit_of_work(app_engine) as session:  # "Se déconnecter" on another device
        auth.logout(session, account.username)
    at.run()
    assert not at.exception
    assert is_login_form(at)
    assert any(REVOKED in text for text in texts(at.info))
    assert not at.title and not at.metric and not at.sidebar.button


def test_deactivated_account_loses_its_open_session(new_account, app_engine, app_settings) -> None:
    account = new_account()
    at = signed_in_app(account.username).run()
    assert _signed_in_home(at)
    with unit_of_work(app_engine) as session:
        users.set_active(session, app_settings, SYSTEM_ACTOR, account.username, active=False)
    at.run()
    assert is_login_form(at)
    assert any(REVOKED in text for text in texts(at.info))


def test_idle_for_31_minutes_goes_back_to_the_login_form(new_account) -> None:
    account = new_account()
    at = signed_in_app(account.username).run()
    assert _signed_in_home(at)
    at.session_state[LAST_ACTIVITY] = clock.now() - timedelta(minutes=31)
    at.run()
    assert is_login_form(at)
    assert any("30 minutes d'inactivité" in text for text in texts(at.info))


def test_activity_within_30_minutes_keeps_the_session(new_account) -> None:
    account = new_account()
    at = signed_in_app(account.username).run()
    at.session_state[LAST_ACTIVITY] = clock.now() - timedelta(minutes=29)
    at.run()
    assert _signed_in_home(at)


def test_session_older_than_12_hours_must_log_in_again(new_account, app_engine) -> None:
    account = new_account()
    _backdate_password(app_engine, account.username, hours=13)  # else the session predates the account
    at = signed_in_app(account.username, started_at=clock.now() - timedelta(hours=12, minutes=1))
    at.run()
    assert is_login_form(at)
    assert any("12 heures" in text for text in texts(at.info))


# --- the re-authentication cookie ------------------------------------------------------------


def _log_in(engine, settings, account) -> None:
    """A login in some browser (the moment the library writes its cookie)."""
    with unit_of_work(engine) as session:
        assert auth.authenticate(session, settings, account.username, account.password).principal


def test_valid_cookie_signs_the_user_back_in(new_account, app_settings, app_engine, browser_cookies) -> None:
    account = new_account()
    _log_in(app_engine, app_settings, account)
    browser_cookies({app_settings.cookie_name: cookie_token(app_settings, account.username)})
    at = login_app()
    assert _signed_in_home(at)
    assert at.session_state["username"] == account.username
    assert _audit_count(app_engine, account.username, "session.resumed") == 1


def test_cookie_issued_before_a_logout_is_refused(new_account, app_settings, app_engine, browser_cookies) -> None:
    account = new_account()
    _log_in(app_engine, app_settings, account)
    token = cookie_token(app_settings, account.username)  # written by the browser at login…
    with unit_of_work(app_engine) as session:  # …then "Se déconnecter" (here or on another device)
        auth.logout(session, account.username)
    browser_cookies({app_settings.cookie_name: token})
    at = login_app()
    assert not at.exception
    assert is_login_form(at)
    assert not at.session_state["authentication_status"]
    assert _audit_count(app_engine, account.username, "session.cookie_refused") == 1
    # A cookie written after that logout (a new login) is accepted again.
    _log_in(app_engine, app_settings, account)
    browser_cookies({app_settings.cookie_name: cookie_token(app_settings, account.username)})
    assert _signed_in_home(login_app())


def test_cookie_older_than_the_password_is_refused(new_account, app_settings, app_engine, browser_cookies) -> None:
    account = new_account()
    _log_in(app_engine, app_settings, account)
    token = cookie_token(app_settings, account.username, issued_at=datetime.now() - timedelta(minutes=5))
    browser_cookies({app_settings.cookie_name: token})
    # The account was created (password set) after the cookie's issue time.
    at = login_app()
    assert is_login_form(at)
    assert _audit_count(app_engine, account.username, "session.cookie_refused") == 1


def test_forged_or_foreign_cookie_is_ignored(new_account, app_settings, browser_cookies) -> None:
    account = new_account()
    forged = app_settings.model_copy(update={"cookie_key": "not-the-server-key-" + "y" * 40})
    browser_cookies({app_settings.cookie_name: cookie_token(forged, account.username)})
    at = login_app()
    assert not at.exception
    assert is_login_form(at)

    browser_cookies({app_settings.cookie_name: "not a jwt"})
    at = login_app()
    assert not at.exception
    assert is_login_form(at)


# --- logout ----------------------------------------------------------------------------------


def test_logout_button_ends_the_session_server_side(new_account, app_engine, app_settings, browser_cookies) -> None:
    account = new_account()
    token = cookie_token(app_settings, account.username)
    at = signed_in_app(account.username).run()
    assert _signed_in_home(at)
    assert user_row(app_engine, account.username).sessions_revoked_at is None

    at.sidebar.button(key="parcours_logout").click().run()
    assert not at.exception
    assert is_login_form(at)
    assert "Vous êtes déconnecté·e." in texts(at.info)
    assert not at.title and not at.sidebar.button
    assert user_row(app_engine, account.username).sessions_revoked_at is not None
    assert _audit_count(app_engine, account.username, "logout") == 1

    # The cookie component reruns the script right after: the message must survive that rerun,
    # and goes away at the next login attempt.
    at.run()
    assert "Vous êtes déconnecté·e." in texts(at.info)
    submit_login(at, account.username, "pas le bon mot de passe")
    assert "Vous êtes déconnecté·e." not in texts(at.info)
    assert _errors(at) == [INVALID]

    # The cookie the browser held before logging out no longer opens a session.
    browser_cookies({app_settings.cookie_name: token})
    assert is_login_form(login_app())
