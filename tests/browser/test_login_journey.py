"""Login, cookie re-login, logout and lockout in a real browser against `streamlit run server.py`."""

from __future__ import annotations

import os
import re

import pytest

from models.organisation import Role
from services.platform.config import PROJECT_ROOT
from tests.browser.conftest import RunningApp
from tests.browser.journey import Account, an_account, has_auth_cookie, open_settled, poll
from tests.browser.script_runs import mark, wait_settled

pytestmark = pytest.mark.browser

# The docs screenshot is refreshed only on request, so a test run never dirties the work tree.
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "home-ts-lyon.png"
UPDATE_SCREENSHOTS = os.environ.get("PARCOURS_UPDATE_SCREENSHOTS") == "1"
WAIT_MS = 30_000


def _expect():
    from playwright.sync_api import expect

    return expect


def _shown_once(locator) -> None:
    """Visible, and once the reruns settle, exactly once.

    During a rerun (the cookie component triggers some) Streamlit may keep the previous copy
    of an element on screen for a moment, so a strict `to_be_visible` can see two.
    """
    expect = _expect()
    expect(locator.first).to_be_visible(timeout=WAIT_MS)
    expect(locator).to_have_count(1, timeout=WAIT_MS)


def _login_form_visible(page) -> None:
    _shown_once(page.get_by_role("textbox", name="Identifiant"))
    _shown_once(page.get_by_role("textbox", name="Mot de passe"))
    _shown_once(page.get_by_role("button", name="Se connecter"))


def _submit_login(page, username: str, password: str) -> None:
    _login_form_visible(page)
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def _auth_cookie(page, app: RunningApp) -> dict:
    found = [c for c in page.context.cookies() if c["name"] == app.cookie_name]
    assert found, "streamlit-authenticator never wrote its cookie"
    return found[0]


def _home_visible(page, account: Account) -> None:
    _shown_once(page.get_by_role("heading", name=f"Bonjour {account.display_name}"))
    _shown_once(page.get_by_text("Dossiers en file active"))
    _expect()(page.get_by_role("textbox", name="Identifiant")).to_have_count(0)


def test_login_reload_logout_journey(page, running_app: RunningApp) -> None:
    expect = _expect()
    account = an_account(running_app, "ts.lyon.login", "Léa Morand", Role.INTERVENANT, site_codes=("LYO",))
    open_settled(page, running_app.url)
    _shown_once(page.get_by_text("Données fictives — démonstration"))
    _login_form_visible(page)

    since = mark(page)
    _submit_login(page, account.username, account.password)
    _home_visible(page, account)
    # The login run writes the cookie; the cookie manager reports it and the script runs again.
    wait_settled(page, WAIT_MS, key="set", since=since, also=lambda: has_auth_cookie(page, running_app))
    cookie = _auth_cookie(page, running_app)
    if UPDATE_SCREENSHOTS:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # A reload is a new Streamlit session: only the cookie signs us back in.
    open_settled(page)
    _home_visible(page, account)

    since = mark(page)
    page.get_by_role("button", name="Se déconnecter").click()
    _login_form_visible(page)
    _shown_once(page.get_by_text("Vous êtes déconnecté·e."))
    # The logout run deletes the cookie (the cookie manager stays mounted on every run), which reports it
    # and the script runs again: the cookie is gone and the message stays.
    wait_settled(
        page,
        WAIT_MS,
        key="delete",
        since=since,
        also=lambda: not has_auth_cookie(page, running_app),
        what="the login cookie deleted after logout and the run that followed",
    )
    _shown_once(page.get_by_text("Vous êtes déconnecté·e."))

    # And even replayed (a copy kept by an attacker), the server refuses it.
    page.context.add_cookies([cookie])
    open_settled(page)  # the run a cookie re-login would happen in is over
    _login_form_visible(page)
    expect(page.get_by_text("Dossiers en file active")).to_have_count(0)
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    assert running_app.audit_count(account.username, "session.cookie_refused") >= 1


def test_five_wrong_passwords_lock_the_account(page, running_app: RunningApp) -> None:
    expect = _expect()
    account = an_account(running_app, "cip.grenoble.lockout", "Karim Ouali", Role.INTERVENANT, site_codes=("GRE",))
    username = account.username

    def audited(action: str, count: int) -> None:
        poll(
            page,
            lambda: running_app.audit_count(username, action) == count,
            f"{count} {action} audit event(s) for {username}",
            WAIT_MS,
        )

    open_settled(page, running_app.url)
    _login_form_visible(page)

    for attempt in range(1, 5):
        _submit_login(page, username, f"mauvais mot de passe {attempt}")
        _shown_once(page.get_by_text("Identifiant ou mot de passe incorrect."))
        audited("login.failure", attempt)
        wait_settled(page, WAIT_MS)  # the next attempt is typed into the form of a finished run

    _submit_login(page, username, "mauvais mot de passe 5")
    _shown_once(page.get_by_text(re.compile("verrouillé")))
    audited("login.failure", 5)

    # The right password is refused while the lock lasts.
    _submit_login(page, username, account.password)
    audited("login.locked", 1)
    _shown_once(page.get_by_text(re.compile("verrouillé")))
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    assert running_app.audit_count(username, "login.success") == 0
