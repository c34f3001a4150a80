"""Activity report journey in a real browser (issue 18): a head of service of Lyon (this journey's own account)
opens the Rapport d'activité, prepares its site's report of the last finished year and downloads the Word document
and the PDF; both open (python-docx, pypdf) and their URLs answer nobody without that session."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

import clock
from models.organisation import Role
from tests.browser.journey import an_account, expect_, open_page, sign_in
from tests.browser.script_runs import wait_settled
from tests.browser.test_funder_journey import _click_for_download

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
BUILD_MS = 240_000  # the report of a site takes seconds alone, more on a loaded machine


def test_a_head_of_service_downloads_its_sites_activity_report(running_app, page, browser):
    expect = expect_()
    chef = an_account(running_app, "chef.lyon.rapport", "Claire Morel", Role.CHEF_SERVICE, site_codes=("LYO",))
    sign_in(page, running_app, chef)
    open_page(page, "Rapport d'activité")
    year = clock.today().year - 1
    page.get_by_role("button", name="Préparer le rapport").click()
    expect(page.get_by_role("button", name="Télécharger le PDF")).to_have_count(1, timeout=BUILD_MS)
    wait_settled(page, WAIT_MS)
    files, urls = {}, []
    for label, suffix in (("Télécharger le document Word (DOCX)", ".docx"), ("Télécharger le PDF", ".pdf")):
        button = page.get_by_role("button", name=label)
        expect(button).to_have_count(1, timeout=WAIT_MS)
        download = _click_for_download(page, button)
        assert download.suggested_filename == f"rapport-activite-{year}-lyo{suffix}"
        files[suffix] = Path(download.path()).read_bytes()
        urls.append(download.url)
    document = docx.Document(io.BytesIO(files[".docx"]))
    assert document.core_properties.title == f"Rapport d'activité {year} — Lyon"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "File active et nouveaux dossiers" and headings[-1] == "Méthode et secret statistique"
    reader = PdfReader(io.BytesIO(files[".pdf"]))
    assert reader.metadata.title == f"Rapport d'activité {year} — Lyon"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    stranger = browser.new_context()  # no session: the generated files are not served
    try:
        assert [stranger.request.get(url).status for url in urls] == [404, 404]
    finally:
        stranger.close()
