"""A generated file needs the signed-in session that asked for it (issue 12, docs/design.md §4): a finance
officer downloads the example accounting file; its /media URL answers that officer's browser, and 404 to
a browser without the session, to another account, and after the officer signs out (even to a replayed
copy of the login cookie)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.organisation import Role
from tests.browser.journey import WAIT_MS, an_account, expect_, has_auth_cookie, open_page, sign_in
from tests.browser.script_runs import mark, wait_settled

pytestmark = pytest.mark.browser

EXAMPLE_HEAD = "Date;Code analytique;Montant"  # the example file's first columns (services/finance/expense_file.py)


def _fetch_in(page, url: str) -> tuple[int, str]:
    """Fetch `url` from the page itself, as its own script would (the login cookie is SameSite=Strict:
    Playwright's request API, outside any page, does not send it)."""
    status, text = page.evaluate(
        "async (url) => { const r = await fetch(url); return [r.status, await r.text()]; }", url
    )
    return status, text.lstrip("\ufeff")


def test_a_generated_file_is_fetchable_only_by_the_session_that_asked(running_app, page, browser, new_page):
    expect = expect_()
    gestion = an_account(running_app, "gestion.telechargement", "Inès Marchal", Role.GESTION)
    other = an_account(running_app, "direction.telechargement", "Paul Girard", Role.DIRECTION, site_codes=("*",))
    # The other account signs in first: its sign-in runs, later, could let Streamlit's own cleanup drop the
    # file, and a 404 to it would then prove nothing.
    intruder = new_page()
    sign_in(intruder, running_app, other)
    sign_in(page, running_app, gestion)
    open_page(page, "Dépenses")
    page.get_by_role("tab", name="Importer un export comptable", exact=True).click()
    button = page.get_by_role("button", name="Télécharger un fichier exemple")
    expect(button).to_have_count(1, timeout=WAIT_MS)

    with page.expect_download(timeout=WAIT_MS) as info:
        button.click()
    download = info.value
    url = download.url
    assert "/media/" in url
    assert download.suggested_filename == "exemple-export-compta.csv"
    assert Path(download.path()).read_bytes().decode("utf-8-sig").startswith(EXAMPLE_HEAD)

    fresh = browser.new_context()  # no session, no cookie: what anyone holding the URL would try
    try:
        answer = fresh.request.get(url)
        assert answer.status == 404
        assert EXAMPLE_HEAD not in answer.text()
    finally:
        fresh.close()
    status, text = _fetch_in(intruder, url)  # signed in, but not the one who asked
    assert status == 404 and EXAMPLE_HEAD not in text
    status, text = _fetch_in(page, url)  # the file is still there: the refusals above are the guard's
    assert status == 200 and text.startswith(EXAMPLE_HEAD)

    [cookie] = [c for c in page.context.cookies() if c["name"] == running_app.cookie_name]
    since = mark(page)
    page.get_by_role("button", name="Se déconnecter").click()
    wait_settled(
        page,
        WAIT_MS,
        key="delete",
        since=since,
        also=lambda: not has_auth_cookie(page, running_app),
        what="the login cookie deleted after logout",
    )
    assert _fetch_in(page, url)[0] == 404
    page.context.add_cookies([cookie])  # a copy of the cookie kept from before: revoked on the server
    assert _fetch_in(page, url)[0] == 404
