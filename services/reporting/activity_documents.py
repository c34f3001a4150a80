"""The activity report as documents: a Word file (python-docx) the director edits before publishing, and a
PDF (fpdf2, laid out and tagged like the funder report pack, whose helpers it reuses).

Only the published figures of services.reporting.activity_report go in: a hidden figure is written as its
label (« < 11 », « masqué », « non publié »), never as a number, and a chart draws published values only.
Charts: services never import ui, so the caller passes `charts` (ui.reporting.activity_report_charts.images:
Altair rendered to PNG with vl-convert), one image per section that has a chart; without it, no chart.
Every export is audited (who, year, site or association) and committed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from fpdf import TextStyle, ViewerPreferences
from sqlmodel import Session

import clock
from i18n import _, formats, language
from models.audit import AuditAction
from services.platform import audit
from services.platform.principal import Principal
from services.reporting.activity_report import ActivityReport, Section, activity_report
from services.reporting.report_pack import (
    FONT_DIR,
    PLUM,
    ChartImage,
    _chart,
    _note,
    _para,
    _Pdf,
    _section,
    _table,
    disclosure_note,
)

ChartRenderer = Callable[[ActivityReport], Mapping[str, ChartImage]]
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ActivityReportFiles:
    docx: bytes
    pdf: bytes
    filename_stem: str


def title(report: ActivityReport) -> str:
    return _("Rapport d'activité {year} — {scope}").format(year=report.year, scope=report.scope_label)


def filename_stem(report: ActivityReport) -> str:
    scope = report.site.code.lower() if report.site else "association"
    return f"rapport-activite-{report.year}-{scope}"


def _header(report: ActivityReport) -> list[str]:
    return ["", str(report.year - 1), str(report.year), _("Évolution")]


def _rows(section: Section) -> list[list[str]]:
    lines = [*section.lines, *([section.total] if section.total else [])]
    return [[line.label, line.previous.text, line.current.text, line.change] for line in lines]


def _introduction(report: ActivityReport, today: date) -> list[str]:
    return [
        _("Association : {name}").format(name=report.association),
        _("Périmètre : {scope}").format(scope=report.scope_label),
        _("Année : du 1er janvier au 31 décembre {year}, comparée à {previous}").format(
            year=report.year, previous=report.year - 1
        ),
        _("Produit le {day} avec Parcours").format(day=formats.long_day(today)),
    ]


def export_activity_report(
    session: Session,
    principal: Principal,
    *,
    year: int,
    site_id: int | None,
    today: date,
    charts: ChartRenderer | None = None,
    progress: Progress | None = None,
    association_name: str | None = None,
) -> ActivityReportFiles:
    """The Word and PDF documents of the report, in the active language; the export is audited and committed.
    `progress(share, step)` is told how far the build is (the page draws a progress bar)."""

    def step(share: float, text: str) -> None:
        if progress is not None:
            progress(share, text)

    step(0.05, _("Calcul des chiffres de l'année et de l'année précédente…"))
    report = activity_report(
        session, principal, year=year, site_id=site_id, today=today, association_name=association_name
    )
    step(0.45, _("Dessin des graphiques…"))
    images = dict(charts(report)) if charts else {}
    step(0.7, _("Rédaction du document Word…"))
    word = word_document(report, images, today=today)
    step(0.85, _("Mise en page du PDF…"))
    pdf = pdf_document(report, images, today=today)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.REPORT_ACTIVITY_EXPORTED,
        entity_type="site" if site_id is not None else "association",
        entity_id=site_id,
        site_id=site_id,
        detail=f"year={year}",
    )
    session.commit()
    step(1.0, _("Rapport prêt."))
    return ActivityReportFiles(word, pdf, filename_stem(report))


# --- Word ------------------------------------------------------------------------------------------


def word_document(report: ActivityReport, images: Mapping[str, ChartImage], *, today: date) -> bytes:
    """A plain document (built-in styles, so the director restyles it in Word): title, introduction, one
    heading per section with its definition, its table and its chart (alternative text set), the method."""
    document = docx.Document()
    properties = document.core_properties
    properties.title = title(report)
    properties.author = report.association
    properties.subject = _("Rapport d'activité {year}").format(year=report.year)
    properties.language = language()
    properties.keywords = _("rapport d'activité, {year}, secret statistique").format(year=report.year)
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)

    document.add_heading(title(report), level=0)
    for line in _introduction(report, today):
        document.add_paragraph(line)
    document.add_paragraph(disclosure_note(report.threshold)).runs[0].italic = True

    for section in report.sections:
        document.add_heading(section.title, level=1)
        document.add_paragraph(section.definition)
        rows = _rows(section)
        table = document.add_table(rows=len(rows) + 1, cols=4)
        table.style = "Light Grid Accent 1"
        for index, text in enumerate(_header(report)):
            table.cell(0, index).text = text
        for r, values in enumerate(rows, start=1):
            for c, text in enumerate(values):
                cell = table.cell(r, c)
                cell.text = text
                if c:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if section.total is not None and r == len(rows):
                for c in range(4):
                    for run in table.cell(r, c).paragraphs[0].runs:
                        run.bold = True
        image = images.get(section.key)
        if image is not None:
            document.add_paragraph()
            run = document.add_paragraph().add_run()
            picture = run.add_picture(io.BytesIO(image.png), width=Cm(15))
            alternative = f"{image.title}. {image.caption}" if image.caption else image.title
            picture._inline.docPr.set("descr", alternative)  # the alternative text Word shows and reads
            picture._inline.docPr.set("title", image.title)
            document.add_paragraph(image.caption or image.title, style="Caption")

    document.add_heading(_("Méthode et secret statistique"), level=1)
    document.add_paragraph(_method())
    document.add_paragraph(disclosure_note(report.threshold))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _method() -> str:
    return _(
        "Chaque chiffre est calculé une fois pour tous les sites de l'association : le rapport d'un site en "
        "publie la ligne, celui de l'association les totaux, de sorte qu'aucun petit effectif ne se retrouve en "
        "retranchant un site du total ou des parties d'un total. Les personnes qui ont refusé les statistiques "
        "n'y figurent pas. L'évolution n'est donnée qu'entre deux chiffres publiés. Le profil des nouveaux dossiers "
        "(origine, âge, nationalité, hébergement, ressources, freins) d'un site dont le nombre de nouveaux dossiers "
        "est masqué n'est pas publié (« non publié ») ; il reste compris dans les totaux de l'association."
    )


# --- PDF -------------------------------------------------------------------------------------------


def pdf_document(report: ActivityReport, images: Mapping[str, ChartImage], *, today: date) -> bytes:
    """The PDF, with the pack's layout and tagging (services.reporting.report_pack._pdf: language, title,
    outline, a /Figure with alternative text per chart; not PDF/UA, README « The PDF report pack »)."""
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.footer_text = _("{association} · produit le {day}").format(
        association=report.association, day=formats.long_day(today)
    )
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_lang(language())
    pdf.set_title(title(report))
    pdf.set_author(report.association)
    pdf.set_subject(_("Rapport d'activité {year}").format(year=report.year))
    pdf.set_keywords([_("rapport d'activité"), str(report.year), report.scope_label])
    pdf.set_creator("Parcours")
    pdf.set_creation_date(clock.now())
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.set_section_title_styles(
        TextStyle(font_family="DejaVu", font_style="B", font_size_pt=12, color=PLUM, t_margin=3, b_margin=1.5)
    )
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    _para(pdf, 8, report.association)
    pdf.set_font("DejaVu", "B", 13)
    _para(pdf, 7, title(report))
    pdf.set_font("DejaVu", size=10)
    _para(pdf, 5.5, "\n".join(_introduction(report, today)))
    _note(pdf, disclosure_note(report.threshold))

    for section in report.sections:
        rows = _rows(section)
        _section(pdf, section.title, rows=len(rows) + 2, note=True)
        _note(pdf, section.definition)
        _table(pdf, _header(report), rows, widths=[86, 30, 30, 34])
        image = images.get(section.key)
        if image is not None:
            _chart(pdf, image, heading=None)
    _section(pdf, _("Méthode et secret statistique"), rows=4, note=True)
    pdf.set_font("DejaVu", size=9)
    _para(pdf, 4.8, _method())
    return bytes(pdf.output())
