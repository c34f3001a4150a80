"""Funder report pack: one click → an Excel workbook and a PDF of a few pages for a grant and a period.

Who may call: the roles of the Espace financeur (financeur for the grants of its funder, direction,
gestion). Everything in it comes from services.funder_space with the EXPORT disclosure threshold (11 by
default), protected consistently with the screen's (the funder sees both: nothing hidden on screen is
published here, and the two together reveal no hidden value), and from services.financial_report (Cerfa
sheets, reused, not rewritten); every text cell goes through services.spreadsheet (formula injection).
Every pack is audited (who, grant, period).

Charts: services never import ui (layering), so the caller passes `charts`, a function turning the
overview into PNG images (ui.funder_charts.pack_images, Altair rendered with vl-convert); without it the
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

from babel.dates import format_date
from babel.numbers import format_currency, format_percent
from fpdf import FPDF, XPos, YPos
from openpyxl import Workbook
from sqlmodel import Session

from services import audit, financial_report
from services.config import PROJECT_ROOT, get_settings
from services.disclosure import HIDDEN_LABEL, Shown, below_label
from services.funder_space import FunderOverview, funder_overview
from services.principal import Principal
from services.spreadsheet import DATE, EUROS, PERCENT, euros, set_widths, write_row

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"
LOCALE = "fr_FR"


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


def long_date(day: date) -> str:
    return format_date(day, format="long", locale=LOCALE)  # 29 novembre 2026


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return format_currency(Decimal(f"{sign}{whole}.{rest:02d}"), "EUR", locale=LOCALE)  # 1 234,56 €


def share(value: Decimal | float | None) -> str:
    return "—" if value is None else format_percent(value, format="#,##0 %", locale=LOCALE)


def period_text(start: date, end: date) -> str:
    return f"du {long_date(start)} au {long_date(end)}"


def disclosure_note(threshold: int) -> str:
    return (f"Secret statistique : « {below_label(threshold)} » signale un nombre de personnes inférieur à "
            f"{threshold} (zéro compris), non publié pour qu'aucune personne ne puisse être reconnue ; "
            f"« {HIDDEN_LABEL} » signale un nombre d'au moins {threshold} masqué pour qu'une petite valeur ne "
            "puisse pas être retrouvée par différence avec les totaux. Les autres valeurs (maraudes, séances, "
            "heures, taux, montants) ne sont pas masquées.")


def filename_stem(overview: FunderOverview) -> str:
    base = unicodedata.normalize("NFKD", overview.grant.convention_ref or overview.grant.name)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", base.encode("ascii", "ignore").decode()).strip("-").lower() or "convention"
    return f"dossier-financeur-{slug[:40]}-{overview.start:%Y%m%d}-{overview.end:%Y%m%d}"


def build_report_pack(session: Session, principal: Principal, *, grant_id: int, start: date, end: date, today: date,
                      charts: ChartRenderer | None = None, association_name: str | None = None,
                      threshold: int | None = None) -> ReportPack:
    """The XLSX and PDF of the pack (export threshold by default); the export is audited and committed."""
    settings = get_settings()
    threshold = threshold or settings.export_disclosure_threshold
    association = association_name or settings.association_name
    overview = funder_overview(session, principal, grant_id=grant_id, start=start, end=end, threshold=threshold,
                               today=today, screen_threshold=settings.screen_disclosure_threshold)
    finance = financial_report.funder_report_data(session, principal, grant_id=grant_id, period_start=start,
                                                  period_end=end)
    xlsx = _workbook(overview, finance, association=association, today=today)
    images = list(charts(overview)) if charts else []
    pdf = _pdf(overview, finance, association=association, today=today, images=images)
    audit.record(session, actor=principal, action="report.pack_exported", entity_type="grant", entity_id=grant_id,
                 detail=f"period={start.isoformat()}/{end.isoformat()}")
    session.commit()
    return ReportPack(xlsx, pdf, filename_stem(overview))


# --- XLSX ------------------------------------------------------------------------------------------


def _cell(item: Shown) -> object:
    """A published number as a number; a hidden one as its label (text: « < 11 », « masqué »)."""
    if item.hidden or item.value is None:
        return item.text
    return item.value


def _workbook(overview: FunderOverview, finance: financial_report.FinancialReport, *, association: str,
              today: date) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Synthèse"
    grant = overview.grant
    write_row(summary, ["Dossier financeur : activité et compte rendu financier"], bold=True)
    write_row(summary, [])
    for name, value, fmt in (
        ("Association", association, None),
        ("Convention", grant.name, None),
        ("Financeur", grant.funder_name, None),
        ("Référence", grant.convention_ref, None),
        ("Durée de la convention", period_text(grant.starts_on, grant.ends_on), None),
        ("Montant de la convention", euros(grant.amount_cents), EUROS),
        ("Début de la période", overview.start, DATE),
        ("Fin de la période", overview.end, DATE),
        ("Sites", ", ".join(f"{s.code} – {s.name}" for s in overview.sites), None),
        ("Date de production", today, DATE),
        ("Réalisé à date", euros(overview.consumption.total.actual_cents), EUROS),
        ("Consommé", overview.consumption.total.consumed_share, PERCENT),
        ("Période écoulée", overview.consumption.elapsed_share, PERCENT),
    ):
        write_row(summary, [name, value], [None, fmt])
    write_row(summary, [])
    write_row(summary, [disclosure_note(overview.threshold)])
    set_widths(summary, [28, 70])

    sheet = workbook.create_sheet("Indicateurs")
    write_row(sheet, [f"Indicateurs d'activité — {period_text(overview.start, overview.end)}"], bold=True)
    write_row(sheet, ["Sites de la convention ; chaque total est la somme des sites."])
    write_row(sheet, [])
    write_row(sheet, ["Indicateur", *[s.code for s in overview.sites], "Total"], bold=True)
    for item in overview.indicators:
        write_row(sheet, [item.label, *[_cell(item.by_site[s.id]) for s in overview.sites], _cell(item.total)])
    write_row(sheet, [])
    write_row(sheet, [disclosure_note(overview.threshold)])
    set_widths(sheet, [44, *[10] * len(overview.sites), 10])

    for monthly in overview.monthly:
        ws = workbook.create_sheet(f"Par mois – {monthly.label}"[:31])
        write_row(ws, [f"{monthly.label} par site et par mois"], bold=True)
        write_row(ws, [])
        write_row(ws, ["Site", *[format_date(m, format="MMM y", locale=LOCALE) for m in monthly.months], "Total"],
                  bold=True)
        table = monthly.table
        for site in overview.sites:
            write_row(ws, [site.code, *[_cell(table.entry(site.id, m)) for m in monthly.months],
                           _cell(table.row_total(site.id))])
        write_row(ws, ["Total", *[_cell(table.col_total(m)) for m in monthly.months], _cell(table.grand_total)],
                  bold=True)
        write_row(ws, [])
        write_row(ws, [disclosure_note(overview.threshold)])
        set_widths(ws, [10, *[10] * len(monthly.months), 10])

    budget = workbook.create_sheet("Consommation")
    write_row(budget, [f"Consommation du budget au {long_date(overview.as_of)}"], bold=True)
    write_row(budget, [])
    for title, groups in (("Volet", overview.by_strand), ("Catégorie", overview.by_category)):
        write_row(budget, [title, "Prévu €", "Réalisé €", "Reste €", "Consommé %"], bold=True)
        for group in (*groups, overview.consumption.total):
            write_row(budget, [group.label, euros(group.planned_cents), euros(group.actual_cents),
                               euros(group.remaining_cents), group.consumed_share],
                      [None, EUROS, EUROS, EUROS, PERCENT], bold=group.key == "total")
        write_row(budget, [])
    set_widths(budget, [40, 16, 16, 16, 12])

    financial_report.write_detail_sheets(workbook, finance, summary_sheet="Synthèse financière", today=today,
                                         association=association)
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
        self.cell(0, 8, f"{self.footer_text} · page {self.page_no()}/{{nb}}", align="C")


def _pdf(overview: FunderOverview, finance: financial_report.FinancialReport, *, association: str, today: date,
         images: Sequence[ChartImage]) -> bytes:
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.footer_text = f"{association} · produit le {long_date(today)}"
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(f"Dossier financeur — {overview.grant.name}")
    pdf.set_author(association)
    pdf.add_page()
    grant = overview.grant

    pdf.set_font("DejaVu", "B", 16)
    _para(pdf, 8, association)
    pdf.set_font("DejaVu", "B", 13)
    _para(pdf, 7, f"Dossier financeur — {grant.name}")
    pdf.set_font("DejaVu", size=10)
    _para(pdf, 5.5, f"Financeur : {grant.funder_name} · convention {grant.convention_ref}\n"
                           f"Période : {period_text(overview.start, overview.end)}\n"
                           f"Sites : {', '.join(s.name for s in overview.sites) or '—'}\n"
                           f"Produit le {long_date(today)}")
    pdf.ln(3)

    total = overview.consumption.total
    _heading(pdf, "Chiffres clés du budget")
    _table(pdf, ["", "Montant"], [
        ["Montant de la convention", money(grant.amount_cents)],
        [f"Réalisé au {long_date(overview.as_of)}", money(total.actual_cents)],
        ["Consommé (réalisé ÷ prévu)", share(total.consumed_share)],
        ["Période écoulée", share(overview.consumption.elapsed_share)],
        ["Prévision en fin de convention", money(overview.outlook.projected_cents)],
        [f"Réalisé sur la période ({period_text(finance.period_start, finance.period_end)})",
         money(finance.total.actual_cents)],
    ], widths=[120, 60])

    _heading(pdf, "Indicateurs d'activité de la période")
    _table(pdf, ["Indicateur", "Total"], [[i.label, i.total.text] for i in overview.indicators], widths=[140, 40])
    _note(pdf, disclosure_note(overview.threshold))

    if images:
        pdf.add_page()
        _heading(pdf, "Graphiques")
        for image in images:
            if pdf.get_y() > 190:
                pdf.add_page()
            pdf.set_font("DejaVu", "B", 10)
            _para(pdf, 6, image.title)
            pdf.image(io.BytesIO(image.png), w=180)
            if image.caption:
                _note(pdf, image.caption)
            pdf.ln(2)
    else:
        _note(pdf, "Les graphiques sont consultables dans l'Espace financeur de Parcours.")

    pdf.add_page()
    _heading(pdf, f"Consommation par volet au {long_date(overview.as_of)}")
    _budget_table(pdf, overview.by_strand, total)
    _heading(pdf, "Consommation par catégorie (Cerfa 15059)")
    _budget_table(pdf, overview.by_category, total)
    _heading(pdf, "Compte rendu financier de la période")
    _table(pdf, ["Catégorie", "Prévu période", "Réalisé", "Écart"], [
        [row.label, money(row.planned_period_cents), money(row.actual_cents), money(row.deviation_cents)]
        for row in (*finance.rows, finance.total)
    ], widths=[66, 38, 38, 38])
    _note(pdf, "Prévu sur la période : montant prévu × jours de la période couverts par la convention ÷ jours de "
               "la convention. Réalisé : dépenses datées dans la période. Le détail figure dans le classeur Excel.")
    return bytes(pdf.output())


def _para(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 12)
    pdf.set_text_color(122, 46, 90)
    _para(pdf, 7, text)
    pdf.set_text_color(0)


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", size=8)
    pdf.set_text_color(90)
    _para(pdf, 4.2, text)
    pdf.set_text_color(0)
    pdf.ln(1)


def _table(pdf: FPDF, header: list[str], rows: list[list[str]], *, widths: list[int]) -> None:
    pdf.set_font("DejaVu", size=9)
    with pdf.table(col_widths=widths, width=sum(widths), text_align=["LEFT", *["RIGHT"] * (len(widths) - 1)],
                   line_height=5.5, first_row_as_headings=True) as table:
        for values in (header, *rows):
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(2)


def _budget_table(pdf: FPDF, groups: Sequence, total) -> None:  # noqa: ANN001
    _table(pdf, ["", "Prévu", "Réalisé", "Consommé"], [
        [g.label, money(g.planned_cents), money(g.actual_cents), share(g.consumed_share)] for g in (*groups, total)
    ], widths=[72, 40, 40, 28])
