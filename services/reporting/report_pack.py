"""Funder report pack: one click → an Excel workbook and a PDF of a few pages for a grant and a period.

Who may call: the roles of the Espace financeur (financeur for the grants of its funder, direction,
gestion). The pack is for one period of the publication grid (services.reporting.publication: the grant to
date, a finished quarter or group of quarters, a month), never free dates. Everything in it comes from
services.reporting.funder_space's EXPORT output (threshold 11 by default), protected consistently with the
screen's (the funder sees both: nothing hidden on screen is published here, and the two together reveal no
hidden value), and from services.finance.financial_report (Cerfa sheets, reused, not rewritten); every text
cell goes through services.platform.spreadsheet (formula injection). Every pack is audited (who, grant,
period).

Charts: services never import ui (layering), so the caller passes `charts`, a function turning the
overview into PNG images (ui.reporting.funder_charts.pack_images, Altair rendered with vl-convert); without it the
PDF says the charts are on screen.

PDF text uses DejaVu Sans shipped in assets/fonts (accents, €, narrow no-break spaces of Babel).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf import FPDF, TextStyle, ViewerPreferences, XPos, YPos
from openpyxl import Workbook
from sqlmodel import Session

import clock
from i18n import _, formats, language
from models.audit import AuditAction
from services.finance import financial_report
from services.platform import audit
from services.platform.config import PROJECT_ROOT, get_settings
from services.platform.errors import ValidationFailed
from services.platform.principal import Principal
from services.platform.spreadsheet import (
    DATE,
    EUROS,
    FTE,
    PERCENT,
    euros,
    set_widths,
    sheet_name,
    write_note,
    write_row,
)
from services.reporting.disclosure import Shown, below_label, hidden_label, withheld_label
from services.reporting.funder_space import FunderOverview, funder_overview
from services.reporting.publication import Output

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"


@dataclass(frozen=True)
class ChartImage:
    title: str
    png: bytes
    caption: str = ""


ChartRenderer = Callable[[FunderOverview], Sequence[ChartImage]]


@dataclass(frozen=True)
class ReportPack:
    xlsx: bytes
    pdf: bytes
    filename_stem: str


def share(value: Decimal | float | None) -> str:
    return formats.NO_VALUE if value is None else formats.percent(value)


def period_text(start: date, end: date) -> str:
    return _("du {start} au {end}").format(start=formats.long_day(start), end=formats.long_day(end))


def disclosure_note(threshold: int) -> str:
    return _(
        "Secret statistique : « {below} » signale un nombre de personnes inférieur à {threshold} (zéro "
        "compris), non publié pour qu'aucune personne ne puisse être reconnue ; « {hidden} » signale un "
        "nombre d'au moins {threshold} masqué pour qu'une petite valeur ne puisse pas être retrouvée par "
        "différence avec les totaux ; « {withheld} » signale des heures ou un taux de moins de {threshold} "
        "personnes, ou une somme dont une partie est masquée. Les chiffres sont publiés par mois, trimestre ou "
        "groupe de trimestres terminés, jamais sur des dates libres. Maraudes, séances et montants ne sont pas "
        "masqués."
    ).format(below=below_label(threshold), threshold=threshold, hidden=hidden_label(), withheld=withheld_label())


def filename_stem(overview: FunderOverview) -> str:
    base = unicodedata.normalize("NFKD", overview.grant.convention_ref or overview.grant.name)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", base.encode("ascii", "ignore").decode()).strip("-").lower() or "convention"
    return f"dossier-financeur-{slug[:40]}-{overview.start:%Y%m%d}-{overview.end:%Y%m%d}"


def build_report_pack(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    period_key: str | None = None,
    today: date,
    charts: ChartRenderer | None = None,
    association_name: str | None = None,
) -> ReportPack:
    """The XLSX and PDF of the pack for a period of the grid (None: the grant to date), export protection, in
    the active language; the export is audited and committed."""
    association = association_name or get_settings().association_name
    overview = funder_overview(
        session, principal, grant_id=grant_id, period_key=period_key, output=Output.EXPORT, today=today
    )
    if overview.period is None:
        raise ValidationFailed(
            {"period": _("Aucun trimestre de la convention n'est terminé : il n'y a pas encore de chiffres à publier.")}
        )
    start, end = overview.start, overview.end
    finance = financial_report.funder_report_data(
        session, principal, grant_id=grant_id, period_start=start, period_end=end
    )
    xlsx = _workbook(overview, finance, association=association, today=today)
    images = list(charts(overview)) if charts else []
    pdf = _pdf(overview, finance, association=association, today=today, images=images)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.REPORT_PACK_EXPORTED,
        entity_type="grant",
        entity_id=grant_id,
        detail=f"period={overview.period.key}",
    )
    session.commit()
    return ReportPack(xlsx, pdf, filename_stem(overview))


# --- XLSX ------------------------------------------------------------------------------------------


# Excel formats of the indicators' units: a rate shows as a percentage (76,36 %), never as 0.7636.
UNIT_FORMATS = {"rate": PERCENT, "hours": "0.0", "fte": FTE}


def _cell(item: Shown) -> object:
    """A published number as a number; a hidden one as its label (text: « < 11 », « masqué » translated)."""
    if item.hidden or item.value is None:
        return item.text
    return item.value


def _unit_value(item: Shown, unit: str) -> tuple[object, str | None]:
    """The cell of an indicator and its Excel format: amounts in euros (not cents), rates as percentages."""
    value = _cell(item)
    if unit == "cents" and isinstance(value, int | Decimal):
        return euros(int(value)), EUROS
    return value, UNIT_FORMATS.get(unit)


def _workbook(
    overview: FunderOverview, finance: financial_report.FinancialReport, *, association: str, today: date
) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Synthèse")
    grant = overview.grant
    write_row(summary, [_("Dossier financeur : activité et compte rendu financier")], bold=True)
    write_row(summary, [])
    for name, value, fmt in (
        (_("Association"), association, None),
        (_("Convention"), grant.name, None),
        (_("Financeur"), grant.funder_name, None),
        (_("Référence"), grant.convention_ref, None),
        (_("Durée de la convention"), period_text(grant.starts_on, grant.ends_on), None),
        (_("Montant de la convention"), euros(grant.amount_cents), EUROS),
        (_("Période"), overview.period.label(), None),
        (_("Début de la période"), overview.start, DATE),
        (_("Fin de la période"), overview.end, DATE),
        (_("Sites"), ", ".join(f"{s.code} – {s.name}" for s in overview.sites), None),
        (_("Date de production"), today, DATE),
        (_("Réalisé à date"), euros(overview.consumption.total.actual_cents), EUROS),
        (_("Consommé"), overview.consumption.total.consumed_share, PERCENT),
        (_("Période écoulée"), overview.consumption.elapsed_share, PERCENT),
    ):
        write_row(summary, [name, value], [None, fmt])
    write_row(summary, [])
    set_widths(summary, [28, 70])
    write_note(summary, disclosure_note(overview.threshold), columns=2)

    sheet = workbook.create_sheet(_("Indicateurs"))
    write_row(sheet, [_("Indicateurs d'activité — {period}").format(period=overview.period.label())], bold=True)
    write_row(sheet, [_("Sites de la convention ; chaque total est la somme des sites.")])
    write_row(sheet, [])
    write_row(sheet, [_("Indicateur"), *[s.code for s in overview.sites], _("Total"), _("Période")], bold=True)
    for item in overview.indicators:
        cells = [_unit_value(item.by_site[s.id], item.unit) for s in overview.sites]
        total, total_format = _unit_value(item.total, item.unit)
        when = item.period.label() if item.period else item.note
        write_row(
            sheet,
            [item.label, *[value for value, _format in cells], total, when],
            [None, *[fmt for _value, fmt in cells], total_format, None],
        )
    write_row(sheet, [])
    set_widths(sheet, [44, *[12] * len(overview.sites), 12, 30])
    write_note(sheet, disclosure_note(overview.threshold), columns=len(overview.sites) + 3)

    for series in overview.series:
        # The indicator's own name when it fits Excel's 31 characters, else a numbered one: never a cut
        # name (the sheet's first row always gives the indicator in full).
        ws = workbook.create_sheet(sheet_name(workbook, series.label, fallback=_("Évolution")))
        write_row(ws, [_("{indicator} par site et par période publiée").format(indicator=series.label)], bold=True)
        write_row(ws, [])
        write_row(ws, [_("Site"), *[slot.period.label() for slot in series.slots]], bold=True)
        for site in overview.sites:
            write_row(ws, [site.code, *[_cell(slot.by_site[site.id]) for slot in series.slots]])
        write_row(ws, [_("Total"), *[_cell(slot.total) for slot in series.slots]], bold=True)
        write_row(ws, [])
        set_widths(ws, [10, *[14] * len(series.slots)])
        write_note(ws, disclosure_note(overview.threshold), columns=min(len(series.slots) + 1, 6))

    budget = workbook.create_sheet(_("Consommation"))
    write_row(budget, [_("Consommation du budget au {day}").format(day=formats.long_day(overview.as_of))], bold=True)
    write_row(budget, [])
    for title, groups in ((_("Volet"), overview.by_strand), (_("Catégorie"), overview.by_category)):
        write_row(budget, [title, _("Prévu €"), _("Réalisé €"), _("Reste €"), _("Consommé %")], bold=True)
        for group in (*groups, overview.consumption.total):
            write_row(
                budget,
                [
                    group.label,
                    euros(group.planned_cents),
                    euros(group.actual_cents),
                    euros(group.remaining_cents),
                    group.consumed_share,
                ],
                [None, EUROS, EUROS, EUROS, PERCENT],
                bold=group.key == "total",
            )
        write_row(budget, [])
    set_widths(budget, [40, 16, 16, 16, 12])

    financial_report.write_detail_sheets(
        workbook, finance, summary_sheet=_("Synthèse financière"), today=today, association=association
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF -------------------------------------------------------------------------------------------


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110)
        # "{nb}" is fpdf's alias for the page count, replaced when the document is closed.
        self.cell(
            0,
            8,
            _("{footer} · page {page}/{pages}").format(footer=self.footer_text, page=self.page_no(), pages="{nb}"),
            align="C",
        )


def _pdf(
    overview: FunderOverview,
    finance: financial_report.FinancialReport,
    *,
    association: str,
    today: date,
    images: Sequence[ChartImage],
) -> bytes:
    """The PDF, laid out as a flow: a section starts on the current page when it fits there whole (a
    table, a chart with its title and caption) and on a new page otherwise, so no page is left mostly
    blank before a forced break. Tagged for accessibility as far as fpdf2 2.8 goes: document language
    (/Lang), one structure element per section title (also the bookmarks) and per chart (/Figure with
    its alternative text), the title shown by the viewer, author, subject, keywords, creator and the
    production date in the metadata. Not tagged (fpdf2 cannot): paragraphs, table cells and their
    headers, reading order; so not PDF/UA (README, « PDF accessible »)."""
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.footer_text = _("{association} · produit le {day}").format(association=association, day=formats.long_day(today))
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_lang(language())
    pdf.set_title(_("Dossier financeur — {grant}").format(grant=overview.grant.name))
    pdf.set_author(association)
    pdf.set_subject(period_text(overview.start, overview.end))
    pdf.set_keywords([overview.grant.funder_name, overview.grant.name, _("rapport financier"), _("indicateurs")])
    pdf.set_creator("Parcours")
    pdf.set_creation_date(clock.now())
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.set_section_title_styles(
        TextStyle(font_family="DejaVu", font_style="B", font_size_pt=12, color=PLUM, t_margin=3, b_margin=1.5)
    )
    pdf.add_page()
    grant = overview.grant

    pdf.set_font("DejaVu", "B", 16)
    _para(pdf, 8, association)
    pdf.set_font("DejaVu", "B", 13)
    _para(pdf, 7, _("Dossier financeur — {grant}").format(grant=grant.name))
    pdf.set_font("DejaVu", size=10)
    _para(
        pdf,
        5.5,
        "\n".join(
            [
                _("Financeur : {funder} · convention {reference}").format(
                    funder=grant.funder_name, reference=grant.convention_ref
                ),
                _("Période : {label} ({period})").format(
                    label=overview.period.label(), period=period_text(overview.start, overview.end)
                ),
                _("Sites : {sites}").format(sites=", ".join(s.name for s in overview.sites) or "—"),
                _("Produit le {day}").format(day=formats.long_day(today)),
            ]
        ),
    )

    total = overview.consumption.total
    key_figures = [
        [_("Montant de la convention"), formats.euros(grant.amount_cents)],
        [_("Réalisé au {day}").format(day=formats.long_day(overview.as_of)), formats.euros(total.actual_cents)],
        [_("Consommé (réalisé ÷ prévu)"), share(total.consumed_share)],
        [_("Période écoulée"), share(overview.consumption.elapsed_share)],
        [_("Prévision en fin de convention"), formats.euros(overview.outlook.projected_cents)],
        [
            _("Réalisé sur la période ({period})").format(period=period_text(finance.period_start, finance.period_end)),
            formats.euros(finance.total.actual_cents),
        ],
    ]
    _section(pdf, _("Chiffres clés du budget"), rows=len(key_figures) + 1)
    _table(pdf, ["", _("Montant")], key_figures, widths=[120, 60])

    indicators = [[i.label, i.total.text, i.period.label() if i.period else i.note] for i in overview.indicators]
    _section(pdf, _("Indicateurs d'activité de la période"), rows=len(indicators) + 1, note=True)
    _table(pdf, [_("Indicateur"), _("Total"), _("Période")], indicators, widths=[100, 30, 50])
    _note(pdf, disclosure_note(overview.threshold))

    _section(
        pdf,
        _("Consommation par volet au {day}").format(day=formats.long_day(overview.as_of)),
        rows=len(overview.by_strand) + 2,
    )
    _budget_table(pdf, overview.by_strand, total)
    _section(pdf, _("Consommation par catégorie (Cerfa 15059)"), rows=len(overview.by_category) + 2)
    _budget_table(pdf, overview.by_category, total)
    report_rows = [
        [
            row.label,
            formats.euros(row.planned_period_cents),
            formats.euros(row.actual_cents),
            formats.euros(row.deviation_cents),
            share(row.actual_ratio),
        ]
        for row in (*finance.rows, finance.total)
    ]
    _section(pdf, _("Compte rendu financier de la période"), rows=len(report_rows) + 1, note=True)
    _table(
        pdf,
        [_("Catégorie"), _("Prévu période"), _("Réalisé"), _("Écart"), _("Réalisé %")],
        report_rows,
        widths=[62, 32, 32, 32, 22],
    )
    _note(
        pdf,
        _(
            "Prévu sur la période : montant prévu × jours de la période couverts par la convention ÷ jours de "
            "la convention. Réalisé : dépenses datées dans la période. Le détail figure dans le classeur "
            "Excel."
        ),
    )

    if images:
        for number, image in enumerate(images):
            _chart(pdf, image, heading=_("Graphiques") if number == 0 else None)
    else:
        _note(pdf, _("Les graphiques sont consultables dans l'Espace financeur de Parcours."))
    return bytes(pdf.output())


PLUM = (122, 46, 90)  # the app's primary colour
ROW_MM = 5.5  # height of a table row (one line)
CHART_WIDTH_MM = 170
CHART_MAX_HEIGHT_MM = 95  # two charts and their titles fit on a page


def _room(pdf: FPDF) -> float:
    """Millimetres left on the current page above the bottom margin."""
    return pdf.h - pdf.b_margin - pdf.get_y()


def _section(pdf: FPDF, title: str, *, rows: int, note: bool = False) -> None:
    """A section title, on a new page when the title and the table that follows (`rows` rows, and a
    note of a few lines) would not fit on this one; a table longer than a page starts where it is."""
    needed = 12 + rows * ROW_MM + (14 if note else 0)
    if needed < pdf.h - pdf.t_margin - pdf.b_margin and _room(pdf) < needed:
        pdf.add_page()
    pdf.start_section(title)  # drawn with the level-0 style, tagged, and a bookmark
    pdf.set_text_color(0)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (IHDR)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _chart(pdf: FPDF, image: ChartImage, *, heading: str | None) -> None:
    """A chart with its title and caption, kept together on one page, at most CHART_MAX_HEIGHT_MM tall."""
    pixels_wide, pixels_high = _png_size(image.png)
    width = CHART_WIDTH_MM
    height = width * pixels_high / pixels_wide if pixels_wide else CHART_MAX_HEIGHT_MM
    if height > CHART_MAX_HEIGHT_MM:
        width, height = width * CHART_MAX_HEIGHT_MM / height, CHART_MAX_HEIGHT_MM
    needed = (12 if heading else 0) + 8 + height + (10 if image.caption else 2)
    if _room(pdf) < needed:
        pdf.add_page()
    if heading:
        pdf.start_section(heading)
        pdf.set_text_color(0)
    pdf.set_font("DejaVu", "B", 10)
    _para(pdf, 6, image.title)
    alternative = f"{image.title}. {image.caption}" if image.caption else image.title
    pdf.image(io.BytesIO(image.png), x=pdf.l_margin + (CHART_WIDTH_MM - width) / 2, w=width, alt_text=alternative)
    if image.caption:
        _note(pdf, image.caption)
    pdf.ln(2)


def _para(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", size=8)
    pdf.set_text_color(90)
    _para(pdf, 4.2, text)
    pdf.set_text_color(0)
    pdf.ln(1)


def _table(pdf: FPDF, header: list[str], rows: list[list[str]], *, widths: list[int]) -> None:
    pdf.set_font("DejaVu", size=9)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align=["LEFT", *["RIGHT"] * (len(widths) - 1)],
        line_height=ROW_MM,
        first_row_as_headings=True,
    ) as table:
        for values in (header, *rows):
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(2)


def _budget_table(pdf: FPDF, groups: Sequence, total) -> None:
    _table(
        pdf,
        ["", _("Prévu"), _("Réalisé"), _("Consommé")],
        [
            [g.label, formats.euros(g.planned_cents), formats.euros(g.actual_cents), share(g.consumed_share)]
            for g in (*groups, total)
        ],
        widths=[72, 40, 40, 28],
    )
