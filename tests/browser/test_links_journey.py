"""Links that last (issue 14): a reload, a bookmark or a shared link reopens the same page and file once
the session is restored or after sign-in; a page the role may not open leads to Accueil without an
error; the interface language follows its user into a new browser."""

from __future__ import annotations

import pytest

import i18n
from models.organisation import Role
from tests.browser.conftest import RunningApp
from tests.browser.journey import (
    WAIT_MS,
    Account,
    a_lyon_file,
    an_account,
    expect_,
    has_auth_cookie,
    open_settled,
    sign_in,
)
from tests.browser.script_runs import mark, wait_settled

pytestmark = pytest.mark.browser


def _file_shown(page, code: str) -> None:
    heading = page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)
    expect_()(heading).to_have_count(1, timeout=WAIT_MS)
    expect_()(heading).to_be_visible()


def _home_shown(page, account: Account, hello: str = "Bonjour {name}") -> None:
    greeting = page.get_by_role("heading", name=hello.format(name=account.display_name), level=1)
    expect_()(greeting).to_have_count(1, timeout=WAIT_MS)
    expect_()(greeting).to_be_visible()


def _sign_in_here(page, app: RunningApp, account: Account) -> None:
    """Fill the login form the page shows (whatever its URL) and wait for the cookie and its run."""
    submit = page.get_by_role("button", name="Se connecter")
    expect_()(submit).to_have_count(1, timeout=WAIT_MS)
    page.get_by_role("textbox", name="Identifiant").fill(account.username)
    page.get_by_role("textbox", name="Mot de passe").fill(account.password)
    since = mark(page)
    submit.click()
    wait_settled(page, WAIT_MS, key="set", since=since, also=lambda: has_auth_cookie(page, app))


def _no_error(page) -> None:
    expect_()(page.get_by_role("dialog")).to_have_count(0)
    expect_()(page.get_by_text("Page not found")).to_have_count(0)
    expect_()(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def test_a_reload_reopens_the_same_file(page, running_app: RunningApp) -> None:
    account = an_account(running_app, "ts.lyon.reload", "Inès Carpentier", Role.INTERVENANT, site_codes=("LYO",))
    code = a_lyon_file(running_app)
    sign_in(page, running_app, account)
    open_settled(page, f"{running_app.url}/person_file?code={code}")
    _file_shown(page, code)

    open_settled(page)  # a reload: a new Streamlit session, signed in again by the cookie
    _file_shown(page, code)
    assert page.url.endswith(f"/person_file?code={code}")


def test_a_bookmarked_file_opens_after_sign_in(new_page, running_app: RunningApp) -> None:
    account = an_account(running_app, "ts.lyon.bookmark", "Rachid Belkacem", Role.INTERVENANT, site_codes=("LYO",))
    code = a_lyon_file(running_app)
    page = new_page()  # a browser that has never signed in
    open_settled(page, f"{running_app.url}/person_file?code={code}")
    _sign_in_here(page, running_app, account)
    _file_shown(page, code)
    expect_()(page.get_by_role("heading", name=f"Bonjour {account.display_name}")).to_have_count(0)
    assert page.url.endswith(f"/person_file?code={code}")


def test_a_bookmark_to_a_page_of_another_role_leads_to_accueil_without_error(new_page, running_app: RunningApp) -> None:
    account = an_account(running_app, "ts.lyon.budget", "Agathe Roussel", Role.INTERVENANT, site_codes=("LYO",))
    page = new_page()
    open_settled(page, f"{running_app.url}/budget?code=LYO-2024-0001")
    _sign_in_here(page, running_app, account)
    _home_shown(page, account)
    _no_error(page)
    expect_()(page).to_have_url(f"{running_app.url}/")

    # Signed in already (the cookie), the same bookmark: Accueil again, no "Page not found".
    open_settled(page, f"{running_app.url}/budget")
    _home_shown(page, account)
    _no_error(page)
    expect_()(page).to_have_url(f"{running_app.url}/")


def test_the_language_chosen_follows_its_user_into_a_new_browser(new_page, running_app: RunningApp) -> None:
    expect = expect_()
    english = i18n.catalogue(i18n.ENGLISH).singular
    account = an_account(running_app, "ts.lyon.english", "Maëlle Dufour", Role.INTERVENANT, site_codes=("LYO",))
    page = new_page()
    sign_in(page, running_app, account)
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    _home_shown(page, account, english["Bonjour {name}"])
    page.get_by_role("button", name=english["Se déconnecter"]).click()
    expect(page.get_by_role("button", name=english["Se connecter"])).to_have_count(1, timeout=WAIT_MS)

    elsewhere = new_page()  # another browser: nothing of the first session
    open_settled(elsewhere, running_app.url)  # its login page is in French: this browser never chose
    _sign_in_here(elsewhere, running_app, account)
    _home_shown(elsewhere, account, english["Bonjour {name}"])
    navigation = elsewhere.get_by_role("navigation")
    expect(navigation.get_by_role("link", name=english["File active"], exact=True)).to_be_visible()
