"""Funder journey in a real browser (issue 6): a funder's account of the AGRASC (this journey's own) signs
in, sees only the pages a funder may open, opens the Espace financeur, prepares the report pack and
downloads both files.

`make screenshots` runs it with PARCOURS_UPDATE_SCREENSHOTS=1: on the way it photographs what a funder is
shown (issue 20) into docs/screenshots/: its home page and its Espace financeur (desktop), and each page of
the PDF report pack (`pack-<n>.png`, drawn by the browser's PDF viewer)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pypdf import PdfReader

from models.organisation import Role
from services.platform.config import PROJECT_ROOT
from services.platform.pages import PageKey, pages_for
from tests.browser.journey import an_account, expect_, sign_in
from tests.browser.page_tour import SCREENSHOT_COLOURS, save_screenshot, screenshot_name
from tests.browser.pdf_pages import save_pdf_pages
from tests.browser.script_runs import wait_settled
from ui.platform.navigation import PAGE_SPECS

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
FUNDER = "AGRASC"  # the demo funder (seed/accounts.py)
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = os.environ.get("PARCOURS_UPDATE_SCREENSHOTS") == "1"


def photograph(page, key: PageKey) -> None:
    """The page as the funder sees it, on a desktop (`make screenshots` only)."""
    if UPDATE_SCREENSHOTS:
        wait_settled(page, WAIT_MS)
        save_screenshot(page, SCREENSHOTS / screenshot_name(key, Role.FINANCEUR, "desktop"), "desktop")


def test_a_funder_sees_only_its_space_and_downloads_the_pack(running_app, page, browser):
    expect = expect_()
    funder = an_account(
        running_app, "financeur.agrasc.pack", "Élise Ravel (AGRASC)", Role.FINANCEUR, funder_name=FUNDER
    )
    sign_in(page, running_app, funder)
    navigation = page.get_by_role("navigation")
    expected = sorted(PAGE_SPECS[key].title for key in pages_for(Role.FINANCEUR))
    expect(navigation.get_by_role("link", name="Espace financeur", exact=True)).to_be_visible(timeout=WAIT_MS)
    # A link's text is "<icon name>\n\n<title>".
    links = sorted(text.strip().split("\n")[-1] for text in navigation.get_by_role("link").all_inner_texts())
    assert links == expected
    assert {"Accueil", "Espace financeur", "Mon compte"} <= set(links)
    photograph(page, PageKey.HOME)

    navigation.get_by_role("link", name="Espace financeur", exact=True).click()
    title = page.get_by_role("heading", name="Espace financeur", level=1)
    expect(title).to_have_count(1, timeout=WAIT_MS)
    expect(page.get_by_text("données de cet espace sont fictives")).to_have_count(1, timeout=WAIT_MS)
    photograph(page, PageKey.FUNDER_SPACE)

    prepare = page.get_by_role("button", name="Préparer le dossier")
    expect(prepare).to_have_count(1, timeout=WAIT_MS)
    prepare.click()
    # A deferred download (issue 12) holds the id of the run that drew it: click once the runs are over.
    expect(page.get_by_role("button", name="Télécharger le PDF")).to_have_count(1, timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    files = {}
    urls = []
    for label, suffix in (("Télécharger le classeur (XLSX)", ".xlsx"), ("Télécharger le PDF", ".pdf")):
        button = page.get_by_role("button", name=label)
        expect(button).to_have_count(1, timeout=WAIT_MS)
        download = _click_for_download(page, button)
        assert download.suggested_filename.startswith("dossier-financeur-")
        assert download.suggested_filename.endswith(suffix)
        files[suffix] = Path(download.path()).read_bytes()
        urls.append(download.url)
    assert files[".pdf"].startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(files[".pdf"])).pages) >= 2
    if UPDATE_SCREENSHOTS:
        save_pdf_pages(browser, files[".pdf"], SCREENSHOTS, "pack", SCREENSHOT_COLOURS)
    workbook = load_workbook(io.BytesIO(files[".xlsx"]))
    assert workbook.sheetnames[:2] == ["Synthèse", "Indicateurs"]
    # Issue 12: the pack's URLs answer nobody without the funder's session.
    stranger = browser.new_context()
    try:
        assert [stranger.request.get(url).status for url in urls] == [404, 404]
    finally:
        stranger.close()


def _click_for_download(page, button, attempts: int = 3):
    """Click until the file comes, as a person would click again: a deferred download answers the run that
    drew its button, and a late rerun (a component mounting on a loaded machine) can redraw it between
    the page settling and the click (seen once in CI: the first click started nothing)."""
    for attempt in range(1, attempts + 1):
        wait_settled(page, WAIT_MS)
        try:
            with page.expect_download(timeout=WAIT_MS // 3) as info:
                button.click()
            return info.value
        except PlaywrightTimeoutError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
