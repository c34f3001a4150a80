"""Mon compte: password change by the signed-in user (dedicated accounts only)."""

from __future__ import annotations

from services.platform.pages import PageKey
from tests.pages.conftest import (
    button,
    error_after,
    is_login_form,
    login_app,
    open_page,
    signed_in_app,
    submit_login,
    text_input,
    texts,
    user_row,
)

NEW_PASSWORD = "un tout nouveau mot de passe"


def _account_page(username: str):
    at = open_page(signed_in_app(username), PageKey.ACCOUNT)
    assert not at.exception, at.exception
    assert texts(at.title) == ["Mon compte"]
    return at


def _change(at, current: str, new: str, confirmation: str | None = None):
    text_input(at, "Mot de passe actuel").input(current)
    text_input(at, "Nouveau mot de passe").input(new)
    text_input(at, "Confirmer le nouveau mot de passe").input(new if confirmation is None else confirmation)
    return button(at, "Changer le mot de passe").click().run()


def _error_after(at, label: str) -> str | None:
    return error_after(at, text_input(at, label))


def test_account_page_shows_who_is_signed_in(new_account) -> None:
    account = new_account()
    at = _account_page(account.username)
    assert any(account.username in text for text in texts(at.markdown))


def test_wrong_current_password_is_reported_by_the_field(new_account, app_engine) -> None:
    account = new_account()
    at = _change(_account_page(account.username), "pas le mot de passe actuel", NEW_PASSWORD)
    assert not at.exception
    assert _error_after(at, "Mot de passe actuel") == "Mot de passe actuel incorrect."
    assert texts(at.error) == ["Mot de passe actuel incorrect."]
    assert at.session_state["authentication_status"]  # still signed in, nothing changed
    assert user_row(app_engine, account.username).sessions_revoked_at is None
    assert submit_login(login_app(), account.username, account.password).session_state["authentication_status"]


def test_confirmation_mismatch_is_reported_by_the_field(new_account) -> None:
    account = new_account()
    at = _change(_account_page(account.username), account.password, NEW_PASSWORD, "autre chose encore")
    assert _error_after(at, "Confirmer le nouveau mot de passe") == (
        "Les deux saisies du nouveau mot de passe diffèrent."
    )
    assert submit_login(login_app(), account.username, account.password).session_state["authentication_status"]


def test_too_short_new_password_is_reported_by_the_field(new_account) -> None:
    account = new_account()
    at = _change(_account_page(account.username), account.password, "court")
    assert _error_after(at, "Nouveau mot de passe") == "Le mot de passe doit contenir au moins 12 caractères."


def test_password_change_signs_out_and_the_new_password_works(new_account, app_engine) -> None:
    account = new_account()
    at = _change(_account_page(account.username), account.password, NEW_PASSWORD)
    assert not at.exception, at.exception
    assert is_login_form(at)
    assert any("Mot de passe modifié" in text for text in texts(at.info))
    assert user_row(app_engine, account.username).sessions_revoked_at is not None

    old = submit_login(login_app(), account.username, account.password)
    assert not old.session_state["authentication_status"]
    assert texts(old.error) == ["Identifiant ou mot de passe incorrect."]

    # Logging in again in the same browser session, with the new password: back on the page
    # the browser is still on (its URL), as the signed-in user.
    submit_login(at, account.username, NEW_PASSWORD)
    assert not at.exception
    assert at.session_state["authentication_status"]
    assert texts(at.title) == ["Mon compte"]
    assert any(account.username in text for text in texts(at.markdown))
