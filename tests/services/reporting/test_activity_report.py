"""The annual activity report (services.reporting.activity_report, .activity_documents): the figures of a
hand-built world written out by hand, the suppression of a small count and the closing of its recovery by
difference (association total minus a site, a total minus its parts), who may build which report, and the Word
and PDF documents read back (python-docx, pypdf)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import docx
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from i18n import use_language
from models.audit import AuditEvent
from models.organisation import Role, Site
from models.outreach import OutreachMode
from models.persons import IntakeOrigin
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.principal import Principal
from services.reporting import activity_documents
from services.reporting.activity_report import activity_report
from tests import factories
from ui.reporting.activity_report_charts import images

TODAY = date(2026, 3, 2)  # any day of 2026: 2025 is the last finished year
YEAR = 2025


@dataclass
class World:
    lyon: Site
    grenoble: Site
    direction: Principal
    chef_lyon: Principal
    intervenant: Principal


def _files(session: Session, site: Site, *, on: date, count: int, origin: IntakeOrigin = IntakeOrigin.OUTREACH):
    for person in factories.persons_taken_in(session, site, on=on, count=count):
        person.origin = origin
    session.flush()


@pytest.fixture()
def world(session: Session) -> World:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    # Lyon: 11 files from 2023 and 12 from 2024, still open; 15 new in 2025 (12 from outreach, 3 from partners).
    _files(session, lyon, on=date(2023, 2, 1), count=11)
    _files(session, lyon, on=date(2024, 6, 1), count=12)
    _files(session, lyon, on=date(2025, 3, 10), count=12)
    _files(session, lyon, on=date(2025, 3, 11), count=3, origin=IntakeOrigin.PARTNER)
    # Grenoble: 11 files from 2023 and 20 from 2024; only 3 new in 2025 (a count under the threshold).
    _files(session, grenoble, on=date(2023, 2, 1), count=11)
    _files(session, grenoble, on=date(2024, 5, 1), count=20)
    _files(session, grenoble, on=date(2025, 4, 1), count=3)
    # A file closed in 2024 is out of the 2025 file active.
    factories.a_file_closed_on(session, lyon, intake_on=date(2023, 2, 1), closed_on=date(2024, 12, 31))
    # Outreach 2025: Lyon 3 street rounds meeting 40 persons, Grenoble 1 online round with 2 contacts.
    for day, met in ((date(2025, 1, 7), 10), (date(2025, 6, 3), 15), (date(2025, 9, 9), 15)):
        factories.an_outreach_round(session, lyon, round_on=day, persons_met=met)
    factories.an_outreach_round(session, grenoble, round_on=date(2025, 5, 5), persons_met=2, mode=OutreachMode.ONLINE)
    return World(
        lyon,
        grenoble,
        factories.principal(session, factories.a_user(session, Role.DIRECTION)),
        factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon)),
        factories.principal(session, factories.a_user(session, Role.INTERVENANT, lyon)),
    )


def _report(session, world, site: Site | None, principal=None):
    return activity_report(
        session,
        principal or world.direction,
        year=YEAR,
        site_id=site.id if site else None,
        today=TODAY,
        threshold=11,
        association_name="Association Élan",
    )


def _texts(section) -> dict[str, tuple[str, str, str]]:
    lines = [*section.lines, *([section.total] if section.total else [])]
    return {line.label: (line.previous.text, line.current.text, line.change) for line in lines}


def test_file_active_hides_grenobles_three_new_files_and_what_would_give_them_back(session, world):
    with use_language("fr"):
        association = _texts(_report(session, world, None).section("files"))
        lyon = _texts(_report(session, world, world.lyon).section("files"))
        grenoble = _texts(_report(session, world, world.grenoble).section("files"))
    continuing, new, active = (
        "Dossiers suivis depuis une année antérieure",
        "Nouveaux dossiers de l'année",
        "File active de l'année",
    )
    # 2024: Lyon 12 (with the file closed on 31 December 2024) + 12, Grenoble 11 + 20, all published.
    # 2025: Lyon 23 continuing + 15 new, Grenoble 31 + 3.
    assert association == {continuing: ("23", "54", "+31"), new: ("32", "18", "-14"), active: ("55", "72", "+17")}
    # Grenoble's 3 is hidden; Lyon's 15 new files too, else 18 − 15 gives Grenoble's back; and the continuing
    # files of both, else 34 − 31 (Grenoble's file active minus its continuing files) would.
    assert grenoble == {continuing: ("11", "masqué", "—"), new: ("20", "< 11", "—"), active: ("31", "34", "+3")}
    assert lyon == {continuing: ("12", "masqué", "—"), new: ("12", "masqué", "—"), active: ("24", "38", "+14")}


def test_profile_of_new_files_is_protected_against_the_published_new_files(session, world):
    # A third site, Valence: 11 files from 2023, 14 new in 2025 (personal steps). In the file active table
    # Grenoble's 3 is hidden with Valence's 14 (and their continuing files); Lyon's 15 is published.
    valence = factories.a_site(session, "VAL", "Valence")
    _files(session, valence, on=date(2023, 2, 1), count=11)
    _files(session, valence, on=date(2025, 2, 3), count=14, origin=IntakeOrigin.SELF)
    with use_language("fr"):
        files = {site.code: _texts(_report(session, world, site).section("files")) for site in (world.lyon, valence)}
        association = _texts(_report(session, world, None).section("origin"))
        lyon = _texts(_report(session, world, world.lyon).section("origin"))
        grenoble = _texts(_report(session, world, world.grenoble).section("origin"))
    new = "Nouveaux dossiers de l'année"
    assert files["LYO"][new][1] == "15" and files["VAL"][new][1] == "masqué"
    outreach, partner, self_ = "Aller-vers (maraude)", "Orientation partenaire", "Démarche personnelle"
    # Association 2025: 15 from outreach (Lyon 12, Grenoble 3), 3 from partners (Lyon), 14 personal (Valence).
    assert association[outreach][1] == "15"
    assert association[partner][1] == "< 11"
    assert association[self_][1] == "14"
    assert association["Nouveaux dossiers"][1] == "32"
    # Lyon's 12 from outreach would give back Grenoble's 3 (15 − 12): hidden, though Lyon's 15 new files are
    # published and its other origins are all under the threshold.
    assert lyon[outreach][1] == "masqué"
    assert lyon[partner][1] == "< 11" and lyon[self_][1] == "< 11"
    assert lyon["Nouveaux dossiers"][1] == "15"
    # Grenoble's new files are hidden: its profile is not published at all (pooled with Valence's, never printed).
    assert {texts[1] for texts in grenoble.values()} == {"non publié"}


def test_outreach_rounds_are_not_masked_but_persons_met_are(session, world):
    with use_language("fr"):
        association = _texts(_report(session, world, None).section("outreach"))
        lyon = _texts(_report(session, world, world.lyon).section("outreach"))
        grenoble = _texts(_report(session, world, world.grenoble).section("outreach"))
    assert association["Maraudes présentielles"][1] == "3" and association["Maraudes en ligne"][1] == "1"
    assert grenoble["Maraudes en ligne"][1] == "1"
    assert association["Rencontres en présentiel"][1] == "40"
    assert lyon["Rencontres en présentiel"][1] == "masqué"  # else 40 − Lyon's 40 gives Grenoble's 0
    # Online contacts: Grenoble's 2 is hidden, and so is the total (0 + 2: Lyon's 0 is published as « < 11 »).
    assert grenoble["Contacts en ligne"][1] == "< 11"
    assert association["Contacts en ligne"][1] == "< 11"


def test_who_may_build_which_report(session, world):
    assert _report(session, world, world.lyon, world.chef_lyon).site.code == "LYO"
    with pytest.raises(PermissionDenied):
        _report(session, world, world.grenoble, world.chef_lyon)
    with pytest.raises(PermissionDenied):
        _report(session, world, None, world.chef_lyon)
    with pytest.raises(PermissionDenied):
        _report(session, world, world.lyon, world.intervenant)
    with pytest.raises(ValidationFailed):
        activity_report(session, world.direction, year=2026, site_id=None, today=TODAY)


def test_word_and_pdf_read_back_and_the_export_is_audited(session, world):
    with use_language("fr"):
        files = activity_documents.export_activity_report(
            session,
            world.direction,
            year=YEAR,
            site_id=None,
            today=TODAY,
            charts=images,
            association_name="Association Élan",
        )
    assert files.filename_stem == "rapport-activite-2025-association"
    document = docx.Document(io.BytesIO(files.docx))
    assert document.core_properties.title == "Rapport d'activité 2025 — Ensemble de l'association"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == [
        "File active et nouveaux dossiers",
        "Origine de l'orientation des nouveaux dossiers",
        "Tranches d'âge à l'accueil",
    ]
    assert headings[-1] == "Méthode et secret statistique" and len(headings) == 14
    assert len(document.tables) == 13
    files_table = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert files_table == [
        ["", "2024", "2025", "Évolution"],
        ["Dossiers suivis depuis une année antérieure", "23", "54", "+31"],
        ["Nouveaux dossiers de l'année", "32", "18", "-14"],
        ["File active de l'année", "55", "72", "+17"],
    ]
    # Figures: the file active, the origin (and the other charted sections with something published).
    assert len(document.inline_shapes) >= 2
    descriptions = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert descriptions[0].startswith("File active et nouveaux dossiers : 2024 et 2025.")

    reader = PdfReader(io.BytesIO(files.pdf))
    assert reader.metadata.title == "Rapport d'activité 2025 — Ensemble de l'association"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[0] == "File active et nouveaux dossiers" and outline[-1] == "Méthode et secret statistique"
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "File active de l'année" in text and "< 11" in text

    events = session.exec(select(AuditEvent).where(AuditEvent.action == "report.activity_exported")).all()
    assert [(e.entity_type, e.detail) for e in events] == [("association", "year=2025")]


def test_known_row_totals_are_never_hidden_and_the_cells_are_protected_against_them():
    from services.reporting.disclosure import TOTAL, protect_table

    cells = {("A", "x"): 12, ("A", "y"): 3, ("B", "x"): 20, ("B", "y"): 15}
    table = protect_table(cells, threshold=11, rows=["A", "B"], cols=["x", "y"], known_row_totals=True)
    # Row A's 15 is published elsewhere: its 3 would be 15 − 12, so the 12 is hidden, and then the column
    # partners (B's 20 and 15) so that no column holds one hidden cell.
    assert [table.display("A", c) for c in ("x", "y", TOTAL)] == ["masqué", "< 11", "15"]
    assert [table.display("B", c) for c in ("x", "y", TOTAL)] == ["masqué", "masqué", "35"]
    assert table.display(TOTAL, TOTAL) == "50"
