"""Funder report pack: the workbook and the PDF as a funder opens them, formula injection, audit."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pypdf import PdfReader
from sqlmodel import select

import clock
from i18n import use_language
from models.audit import AuditEvent
from models.finance import Strand
from services.finance import financial_report
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.reporting import report_pack
from services.reporting.disclosure import Shown, Suppression
from services.reporting.funder_space import funder_overview
from services.reporting.publication import Output
from tests.services import funder_world
from ui.reporting.funder_charts import pack_images

TODAY = date(2026, 5, 15)  # the first quarter of the AGRASC convention is over, the second is not
Q1 = "quarter:2026-01-01:2026-03-31"
ASSOCIATION = "Association Élan · Lyon"
INJECTIONS = ['=HYPERLINK("http://x")', "+cmd", "-1+1", "@SUM(A1)"]


@pytest.fixture()
def world(session):
    return funder_world.build(session)


def _pack(session, world, principal=None, **kwargs):
    kwargs.setdefault("association_name", ASSOCIATION)
    return report_pack.build_report_pack(
        session,
        principal or world.budget.financeur_agrasc,
        grant_id=world.budget.agrasc.grant.id,
        period_key=Q1,
        today=TODAY,
        **kwargs,
    )


def _all_cells(workbook) -> list:
    return [cell for ws in workbook.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]


def test_workbook_has_its_sheets_and_hides_small_counts_with_the_export_threshold(session, world):
    pack = _pack(session, world)
    workbook = load_workbook(io.BytesIO(pack.xlsx))
    assert workbook.sheetnames[:3] == ["Synthèse", "Indicateurs", "Nouveaux accueils"]
    assert {"Consommation", "Synthèse financière", "Compte rendu", "Personnel", "Écarts"} <= set(workbook.sheetnames)
    summary = {row[0]: row[1] for row in workbook["Synthèse"].iter_rows(values_only=True) if row[0]}
    assert summary["Association"] == ASSOCIATION and summary["Date de production"].date() == TODAY
    indicators = {row[0]: row[1:] for row in workbook["Indicateurs"].iter_rows(values_only=True) if row and row[0]}
    header = indicators["Indicateur"]
    assert header[-2:] == ("Total", "Période") and set(header[:-2]) == {"GRE", "LYO"}
    intakes = dict(zip(header, indicators["Nouveaux accueils"], strict=True))
    assert intakes["Période"] == "T1 2026"
    assert intakes["GRE"] == "< 11"  # 2 intakes
    assert intakes["Total"] == 23 and intakes["LYO"] == "masqué"  # else 23 − LYO reveals GRE
    assert indicators["Maraudes"][-2] == 6  # not a count of persons: never hidden
    texts = " ".join(str(c.value) for c in _all_cells(workbook))
    assert "< 5" not in texts  # exports use their own threshold
    for code in world.lyon_codes + world.grenoble_codes:
        assert code not in texts
    # The funder's copy never carries text typed by staff (deviation explanations).
    assert (
        "Explication jointe" in " ".join(str(c.value) for c in _all_cells(workbook) if c.parent.title == "Écarts")
        or "Aucun écart" in texts
    )


def test_formula_injection_is_neutralised_in_every_text_cell(session, world):
    grant = world.budget.agrasc.grant
    grant.name = INJECTIONS[0]
    strands = session.exec(select(Strand).where(Strand.grant_id == grant.id)).all()
    for strand, text in zip(strands, INJECTIONS[1:], strict=False):
        strand.name = text
    session.add_all([grant, *strands])
    session.flush()
    pack = _pack(session, world, association_name=INJECTIONS[3])
    workbook = load_workbook(io.BytesIO(pack.xlsx))
    cells = _all_cells(workbook)
    assert not any(c.data_type == "f" for c in cells)
    values = [str(c.value) for c in cells]
    for payload in INJECTIONS:
        assert "'" + payload in values, payload
        assert payload not in values  # never stored bare
    # Even inside a longer text starting with a trigger (sheet titles of the financial report).
    assert not any(v.startswith(("=", "+", "@")) for v in values)


def test_pdf_has_the_association_the_period_french_amounts_and_the_production_date(session, world):
    pack = _pack(session, world, charts=pack_images)
    reader = PdfReader(io.BytesIO(pack.pdf))
    assert 2 <= len(reader.pages) <= 6
    text = " ".join(page.extract_text() for page in reader.pages).replace("\u202f", " ").replace("\u00a0", " ")
    text = " ".join(text.split())
    assert ASSOCIATION in text
    assert "T1 2026 (du 1 janvier 2026 au 31 mars 2026)" in text
    assert "Produit le 15 mai 2026" in text
    assert "200 000,00 €" in text  # the convention's amount (sum of its lines), French format
    assert "1 534,56 €" in text  # réalisé to 31 March: 1 234,56 − 200 + 500
    assert "< 11" in text and "Secret statistique" in text
    assert sum(len(page.images) for page in reader.pages) >= 2  # burn chart and the intakes' chart
    assert pack.filename_stem.startswith("dossier-financeur-conv-")


def test_every_pack_is_audited_with_grant_and_period(session, world):
    _pack(session, world)
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "report.pack_exported").order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_username == world.budget.financeur_agrasc.username
    assert event.entity_type == "grant" and event.entity_id == str(world.budget.agrasc.grant.id)
    assert event.detail == "period=quarter:2026-01-01:2026-03-31"


def test_direction_gets_the_pack_and_others_are_refused(session, world):
    assert _pack(session, world, principal=world.budget.direction).pdf.startswith(b"%PDF")
    with pytest.raises(PermissionDenied):
        _pack(session, world, principal=world.budget.chef_lyon)
    with pytest.raises(NotFound):
        report_pack.build_report_pack(
            session,
            world.budget.financeur_agrasc,
            grant_id=world.budget.region.grant.id,
            period_key=None,
            today=TODAY,
        )


def test_a_pack_is_only_for_a_period_of_the_grid(session, world):
    with pytest.raises(ValidationFailed):
        report_pack.build_report_pack(
            session,
            world.budget.financeur_agrasc,
            grant_id=world.budget.agrasc.grant.id,
            period_key="month:2026-02-01:2026-02-14",
            today=TODAY,
        )


# --- a pack a funder is proud to receive (issue 12) ------------------------------------------------------


def _lowest_content(page) -> float:
    """Lowest point (PDF points from the page's bottom) that the page's body reaches with text or an
    image; the footer line (page number), under the bottom margin, is not the body."""
    lows: list[float] = []

    def text(value, cm, tm, font, size):
        if value.strip():
            lows.append(tm[5] * cm[3] + cm[5] if cm[3] else tm[5])

    matrices: list[list[float]] = []

    def operator(op, args, cm, tm):
        if op == b"cm":
            matrices.append([float(a) for a in args])
        elif op == b"Do" and matrices:  # an image drawn in the box of the last "cm": its bottom is f
            lows.append(matrices[-1][5])

    page.extract_text(visitor_text=text, visitor_operand_before=operator)
    body = [y for y in lows if y > 16 * 72 / 25.4]  # above the 16 mm bottom margin
    return min(body) if body else float(page.mediabox.height)


def test_pdf_pages_are_filled_before_the_next_one_starts(session, world):
    """A section starts on a new page only when it does not fit: every page but the last is used at least
    down to its lower half (the old layout left a page with two charts' worth of space blank)."""
    reader = PdfReader(io.BytesIO(_pack(session, world, charts=pack_images).pdf))
    assert len(reader.pages) <= 3
    for number, page in enumerate(reader.pages[:-1], start=1):
        assert _lowest_content(page) < float(page.mediabox.height) / 2, number


def test_pdf_is_tagged_with_its_language_sections_and_charts(session, world):
    reader = PdfReader(io.BytesIO(_pack(session, world, charts=pack_images).pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata.title.startswith("Dossier financeur — Fonds de concours")
    # fpdf2 2.8.9 tags a marked sequence as /Figure: a section title carries its text as /T, a chart its
    # alternative text as /Alt (tables and paragraphs are not tagged by fpdf2).
    document = root["/StructTreeRoot"]["/K"][0].get_object()
    assert document["/S"] == "/Document"
    elements = [kid.get_object() for kid in document["/K"]]
    titles = [str(e["/T"]) for e in elements if "/T" in e]
    alternatives = [str(e["/Alt"]) for e in elements if "/Alt" in e]
    assert titles[:2] == ["Chiffres clés du budget", "Indicateurs d'activité de la période"]
    assert alternatives[:2] == [
        "Rythme de consommation du budget. Réalisé cumulé par mois, prévu au rythme linéaire et prévision "
        "jusqu'à la fin.",
        "Nouveaux accueils dans le temps (tous sites). Par mois, trimestre ou groupe de trimestres terminés "
        "selon les effectifs ; une période sans barre est masquée (secret statistique).",
    ]
    outline = [item.title for item in reader.outline]
    assert outline == [
        "Chiffres clés du budget",
        "Indicateurs d'activité de la période",
        "Consommation par volet au 31 mars 2026",
        "Consommation par catégorie (Cerfa 15059)",
        "Compte rendu financier de la période",
        "Graphiques",
    ]


def test_pdf_metadata_say_what_it_is_who_made_it_and_when(session, world):
    reader = PdfReader(io.BytesIO(_pack(session, world).pdf))
    metadata = reader.metadata
    grant = world.budget.agrasc.grant.name  # the factory numbers it
    assert metadata.title == f"Dossier financeur — {grant}"
    assert metadata.author == ASSOCIATION
    assert metadata.subject == "du 1 janvier 2026 au 31 mars 2026"
    assert metadata.creator == "Parcours"
    assert metadata["/Keywords"] == f"AGRASC, {grant}, rapport financier, indicateurs"
    # Produced at the app's clock (pinned in the tests), not the server's.
    assert metadata.creation_date.astimezone(UTC).date() == clock.now().date()
    assert reader.pdf_header >= "%PDF-1.4"  # /MarkInfo and the structure tree need 1.4


def test_pdf_in_english_says_so(session, world):
    with use_language("en"):
        reader = PdfReader(io.BytesIO(_pack(session, world).pdf))
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_shares_are_percentages_in_the_pdf(session, world):
    reader = PdfReader(io.BytesIO(_pack(session, world).pdf))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\u202f", " ").replace("\u00a0", " ")
    text = " ".join(text.split())
    # Total des charges: réalisé 1 534,56 € of 32 967,03 € planned for the quarter = 4.65 %.
    assert "Total des charges 32 967,03 € 1 534,56 € -31 432,47 € 5 %" in text
    assert not re.search(r"(?<![\d ])0[.,]\d{3,}", text)  # never a bare share such as 0,1942


def test_workbook_sheet_names_are_full_unique_and_within_excels_limit(session, world):
    workbook = load_workbook(io.BytesIO(_pack(session, world).xlsx))
    assert workbook.sheetnames == [
        "Synthèse",
        "Indicateurs",
        "Nouveaux accueils",
        "Orientations partenaires",  # was cut to "Évolution – Orientations parten"
        "Consommation",
        "Synthèse financière",
        "Compte rendu",
        "Personnel",
        "Écarts",
    ]
    assert all(len(name) <= 31 for name in workbook.sheetnames)


def test_every_fraction_in_the_workbook_has_a_format(session, world):
    """No bare 0.7636: a number that is not a whole number is shown as a percentage, euros or hours."""
    workbook = load_workbook(io.BytesIO(_pack(session, world).xlsx))
    fractions = [c for c in _all_cells(workbook) if isinstance(c.value, float)]
    assert fractions  # shares and amounts
    assert [c.coordinate for c in fractions if c.number_format == "General"] == []
    shares = [c.value for c in fractions if "%" in c.number_format]
    assert shares and all(0 <= v <= 2 for v in shares)


def test_an_attendance_rate_is_a_percentage_in_the_workbook(session, world):
    pack_overview = funder_overview(
        session,
        world.budget.financeur_agrasc,
        grant_id=world.budget.agrasc.grant.id,
        period_key=Q1,
        output=Output.EXPORT,
        today=TODAY,
    )
    rate = Shown(Decimal("0.7636"), Suppression.NONE, "76,4 %")
    indicators = tuple(
        replace(i, total=rate, by_site=dict.fromkeys(i.by_site, rate)) if i.key == "workshop_attendance_rate" else i
        for i in pack_overview.indicators
    )
    finance = financial_report.funder_report_data(
        session,
        world.budget.financeur_agrasc,
        grant_id=world.budget.agrasc.grant.id,
        period_start=pack_overview.start,
        period_end=pack_overview.end,
    )
    xlsx = report_pack._workbook(
        replace(pack_overview, indicators=indicators), finance, association=ASSOCIATION, today=TODAY
    )
    sheet = load_workbook(io.BytesIO(xlsx))["Indicateurs"]
    [row] = [row for row in sheet.iter_rows() if row[0].value == "Présence aux ateliers"]
    assert [float(c.value) for c in row[1:4]] == [0.7636, 0.7636, 0.7636]  # two sites and the total
    assert all(c.number_format == "0.00\\ %" for c in row[1:4])


def test_long_notes_are_wrapped_and_their_rows_tall_enough(session, world):
    workbook = load_workbook(io.BytesIO(_pack(session, world).xlsx))
    notes = [c for c in _all_cells(workbook) if isinstance(c.value, str) and len(c.value) > 150]
    sheets = {c.parent.title for c in notes}
    assert {"Synthèse", "Indicateurs", "Nouveaux accueils", "Personnel", "Synthèse financière"} <= sheets
    for cell in notes:
        sheet = cell.parent
        where = f"{sheet.title}!{cell.coordinate}"
        assert cell.alignment.wrap_text, where
        # The columns the note spans (merged) and, in Calibri 11, at most 1.2 characters per unit of width:
        # a line of 15 points for each such stretch of text.
        merged = next((r for r in sheet.merged_cells.ranges if cell.coordinate in r), None)
        last = merged.max_col if merged else cell.column
        width = sum(sheet.column_dimensions[get_column_letter(c)].width for c in range(cell.column, last + 1))
        lines = -(-len(cell.value) // int(width * 1.2))
        height = sheet.row_dimensions[cell.row].height
        assert height is not None and height >= 15 * lines, where
