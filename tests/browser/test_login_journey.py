"""Login, cookie re-login, logout and lockout in a real browser against `streamlit run app.py`."""

from __future__ import annotations

import os
import re
import time

import pytest

from services.config import PROJECT_ROOT
from tests.browser.conftest import RunningApp

pytestmark = pytest.mark.browser

# The docs screenshot is refreshed only on request, so a test run never dirties the work tree.
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "home-ts-lyon.png"
UPDATE_SCREENSHOTS = os.environ.get("PARCOURS_UPDATE_SCREENSHOTS") == "1"
WAIT_MS = 30_000


def _expect():  # noqa: ANN202
    from playwright.sync_api import expect

    return expect


def _shown_once(locator) -> None:  # noqa: ANN001
    """Visible, and once the reruns settle, exactly once.

    During a rerun (the cookie component triggers some) Streamlit may keep the previous copy
    of an element on screen for a moment, so a strict `to_be_visible` can see two.
    """
    expect = _expect()
    expect(locator.first).to_be_visible(timeout=WAIT_MS)
    expect(locator).to_have_count(1, timeout=WAIT_MS)


def _login_form_visible(page) -> None:  # noqa: ANN001
    _shown_once(page.get_by_role("textbox", name="Identifiant"))
    _shown_once(page.get_by_role("textbox", name="Mot de passe"))
    _shown_once(page.get_by_role("button", name="Se connecter"))


def _submit_login(page, username: str, password: str) -> None:  # noqa: ANN001
    _login_form_visible(page)
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def _auth_cookie(page, app: RunningApp, timeout: float = 15) -> dict | None:  # noqa: ANN001
    """The re-authentication cookie, once the library's component has written it."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in page.context.cookies() if c["name"] == app.cookie_name]
        if found:
            return found[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def _home_visible(page) -> None:  # noqa: ANN001
    _shown_once(page.get_by_role("heading", name=re.compile(r"^Bonjour ")))
    _shown_once(page.get_by_text("Dossiers en file active"))
    _expect()(page.get_by_role("textbox", name="Identifiant")).to_have_count(0)


def test_login_reload_logout_journey(page, running_app: RunningApp) -> None:  # noqa: ANN001
    expect = _expect()
    page.goto(running_app.url)
    _shown_once(page.get_by_text("Données fictives — démonstration"))
    _login_form_visible(page)

    _submit_login(page, "ts.lyon", running_app.demo_password)
    _home_visible(page)
    _shown_once(page.get_by_role("heading", name="Bonjour Julien Ferrand"))

    cookie = _auth_cookie(page, running_app)
    assert cookie is not None, "streamlit-authenticator never wrote its cookie"
    page.wait_for_load_state("networkidle")
    if UPDATE_SCREENSHOTS:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # A reload is a new Streamlit session: only the cookie signs us back in.
    page.reload()
    _home_visible(page)

    page.get_by_role("button", name="Se déconnecter").click()
    _login_form_visible(page)
    _shown_once(page.get_by_text("Vous êtes déconnecté·e."))
    # The cookie component reruns the script about a second later: the message must stay.
    page.wait_for_timeout(2000)
    _shown_once(page.get_by_text("Vous êtes déconnecté·e."))

    # The cookie component stays mounted on every run, so the logout run deletes the cookie.
    for _ in range(50):
        if not [c for c in page.context.cookies() if c["name"] == running_app.cookie_name]:
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the login cookie is still in the browser 5 s after logout")
    # And even replayed (a copy kept by an attacker), the server refuses it.
    page.context.add_cookies([cookie])
    page.reload()
    _login_form_visible(page)
    page.wait_for_timeout(1000)  # let a (wrong) cookie re-login show up if it were to happen
    expect(page.get_by_text("Dossiers en file active")).to_have_count(0)
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    assert running_app.audit_count("ts.lyon", "session.cookie_refused") >= 1


def test_five_wrong_passwords_lock_the_account(page, running_app: RunningApp) -> None:  # noqa: ANN001
    expect = _expect()
    username = "cip.grenoble"
    page.goto(running_app.url)
    _login_form_visible(page)

    for attempt in range(1, 5):
        _submit_login(page, username, f"mauvais mot de passe {attempt}")
        _shown_once(page.get_by_text("Identifiant ou mot de passe incorrect."))
        _wait_for(lambda: running_app.audit_count(username, "login.failure") == attempt)

    _submit_login(page, username, "mauvais mot de passe 5")
    _shown_once(page.get_by_text(re.compile("verrouillé")))

    # The right password is refused while the lock lasts.
    _submit_login(page, username, running_app.demo_password)
    _wait_for(lambda: running_app.audit_count(username, "login.locked") == 1)
    _shown_once(page.get_by_text(re.compile("verrouillé")))
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)


def _wait_for(condition, timeout: float = 15) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)
