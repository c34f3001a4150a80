"""The activity report of the demo year (the last finished one) for the association and every site: no count of
persons under the threshold in the Word document or the PDF, and what each document prints is the protected
figure. Also prints how long a report takes to build (pytest -s)."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import docx
import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import clock
from i18n import use_language
from models.organisation import Site
from services.accounts.auth import load_principal
from services.platform.crypto import FieldCipher
from services.reporting import activity_documents
from services.reporting.activity_report import activity_report
from tests.conftest import backends, demo_data_engine
from ui.reporting.activity_report_charts import images

THRESHOLD = 11
LABELS = {"< 11", "masqué", "non publié"}


@pytest.fixture(scope="module", params=backends())
def demo(request: pytest.FixtureRequest) -> Iterator[Engine]:
    with demo_data_engine(
        request.param, "activity_report", as_of=clock.today(), cipher=FieldCipher([Fernet.generate_key().decode()])
    ) as engine:
        yield engine


def _number(text: str) -> float:
    return float(re.sub(r"[\s\u202f\u00a0]", "", text).replace(",", ".").rstrip(" %"))


def _spaces(text: str) -> str:
    """Spaces and no-break spaces as one space; the narrow no-break space of thousands (« 2 717 ») kept."""
    return re.sub(r"[ \t\r\n\u00a0]+", " ", text)


def _is_published_count_or_label(text: str) -> bool:
    return text in LABELS or _number(text) >= THRESHOLD


def test_no_count_under_the_threshold_in_the_documents_of_the_demo_year(demo):
    year = clock.today().year - 1
    with Session(demo) as session:
        direction = load_principal(session, "direction")
        scopes = [None, *session.exec(select(Site.id).order_by(Site.code)).all()]
        for site_id in scopes:
            with use_language("fr"):
                report = activity_report(session, direction, year=year, site_id=site_id, today=clock.today())
                started = time.perf_counter()
                files = activity_documents.export_activity_report(
                    session,
                    direction,
                    year=year,
                    site_id=site_id,
                    today=clock.today(),
                    charts=images if site_id is None else None,
                )
                print(f"report {year} site={site_id}: {time.perf_counter() - started:.1f} s")
            counts = {
                line.label
                for section in report.sections
                for line in (*section.lines, *([section.total] if section.total else []))
                if line.unit == "count"
            }
            # The figures themselves: every count of persons published is at least the threshold.
            for section in report.sections:
                for line in (*section.lines, *([section.total] if section.total else [])):
                    if line.unit == "count":
                        for item in (line.previous, line.current):
                            assert item.hidden or item.value >= THRESHOLD, (section.key, line.label, item)

            document = docx.Document(io.BytesIO(files.docx))
            assert len(document.tables) == len(report.sections)
            for section, table in zip(report.sections, document.tables, strict=True):
                lines = [*section.lines, *([section.total] if section.total else [])]
                rows = [[cell.text for cell in row.cells] for row in table.rows][1:]
                assert [row[0] for row in rows] == [line.label for line in lines]
                for row, line in zip(rows, lines, strict=True):
                    assert row[1:3] == [line.previous.text, line.current.text]
                    if line.unit == "count":
                        assert all(_is_published_count_or_label(text) for text in row[1:3]), (section.key, row)

            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files.pdf)).pages)
            text = _spaces(text)
            for section in report.sections:
                for line in (*section.lines, *([section.total] if section.total else [])):
                    row = re.escape(_spaces(f"{line.label} {line.previous.text} {line.current.text}"))
                    assert re.search(row, text), (section.key, line.label)
            cell = r"(< 11|masqué|non publié|\d[\d\u202f]*)"
            for label in counts:  # whatever follows a count's label in the PDF is a published count or a label
                for previous, current in re.findall(re.escape(label) + f" {cell} {cell}\\b", text):
                    assert _is_published_count_or_label(previous) and _is_published_count_or_label(current)
