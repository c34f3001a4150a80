"""Funder report pack: the workbook and the PDF as a funder opens them, formula injection, audit."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from models.audit import AuditEvent
from models.finance import Strand
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.reporting import report_pack
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
    assert workbook.sheetnames[:3] == ["Synthèse", "Indicateurs", "Évolution – Nouveaux accueils"]
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
