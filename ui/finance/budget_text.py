"""Wording (in the session's language) and tables of the budget follow-up: alerts, consumption tables
(exact cents → text)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pandas as pd

from i18n import _
from i18n.formats import day, euros, percent
from models.labels import label
from services.finance.consumption import GrantConsumptionReport, LineConsumption, Subtotal
from services.finance.forecast import Alert, AlertKind, GrantForecast


def share(value: Decimal | None) -> str:
    return "—" if value is None else percent(float(value), 1)


def tolerance(bp: int) -> str:
    return percent(bp / 10_000, 0 if bp % 100 == 0 else 1)


def alert_message(alert: Alert, tolerance_bp: int) -> str:
    if alert.kind == AlertKind.LINE_OVERRUN:
        return _(
            "Ligne « {line} » : la prévision en fin de convention ({projected}) "
            "dépasse le montant prévu ({planned}) de {overrun}, "
            "au-delà de la tolérance de {tolerance} prévue par la convention. "
            "Une révision budgétaire ou un accord du financeur peut être nécessaire."
        ).format(
            line=alert.line_label,
            projected=euros(alert.projected_cents),
            planned=euros(alert.planned_cents),
            overrun=euros(alert.amount_cents),
            tolerance=tolerance(tolerance_bp),
        )
    if alert.kind == AlertKind.UNDER_CONSUMPTION:
        return _(
            "Sous-consommation prévue : {projected} dépensés en fin de convention pour "
            "{planned} accordés, soit {shortfall} non consommés — au-delà "
            "de la tolérance de {tolerance}. Cette somme pourrait devoir être reversée au financeur."
        ).format(
            projected=euros(alert.projected_cents),
            planned=euros(alert.planned_cents),
            shortfall=euros(alert.amount_cents),
            tolerance=tolerance(tolerance_bp),
        )
    post = alert.post
    return _(
        "Poste vacant depuis {days} jours : {post} à {site} "
        "(depuis le {since}). Son financement n'est pas consommé tant qu'il n'est pas pourvu."
    ).format(days=post.days, post=label(post.post_type), site=post.site_code, since=day(post.vacant_since))


def _row(name: str, planned: int, actual: int, projected: int | None) -> dict:
    row = {
        name: None,
        _("Prévu"): euros(planned),
        _("Réalisé à date"): euros(actual),
        _("Consommé"): share(None if planned == 0 else Decimal(actual) / Decimal(planned)),
        _("Reste"): euros(planned - actual),
    }
    if projected is not None:
        row[_("Prévision fin")] = euros(projected)
    return row


def subtotal_table(
    groups: Sequence[Subtotal], total: Subtotal, *, name: str, projected: dict[str, int] | None = None
) -> pd.DataFrame:
    """One row per group and the total row (the total is the exact sum of the rows above)."""
    rows = []
    for group in groups:
        row = _row(name, group.planned_cents, group.actual_cents, None if projected is None else projected[group.key])
        row[name] = group.label
        rows.append(row)
    total_row = _row(
        name, total.planned_cents, total.actual_cents, None if projected is None else sum(projected.values())
    )
    total_row[name] = total.label
    rows.append(total_row)
    return pd.DataFrame(rows)


def projected_by(report: GrantConsumptionReport, outlook: GrantForecast, key) -> dict[str, int]:
    """Forecast summed per group (same keys as the report's subtotals)."""
    projected = {line.line_id: line.projected_cents for line in outlook.lines}
    sums: dict[str, int] = {}
    for line in report.lines:
        group = key(line)
        sums[group] = sums.get(group, 0) + projected.get(line.line_id, line.actual_cents)
    return sums


def line_table(lines: Sequence[LineConsumption], total: Subtotal, outlook: GrantForecast) -> pd.DataFrame:
    projected = {line.line_id: line.projected_cents for line in outlook.lines}
    strand, site, category = _("Volet"), _("Site"), _("Catégorie")
    rows = []
    for line in lines:
        row = _row(strand, line.planned_cents, line.actual_cents, projected[line.line_id])
        row.update({strand: line.strand_name, site: line.site_code, category: label(line.category)})
        rows.append(row)
    total_row = _row(strand, total.planned_cents, total.actual_cents, sum(projected.values()))
    total_row.update({strand: total.label, site: "", category: ""})
    rows.append(total_row)
    frame = pd.DataFrame(rows)
    return frame[
        [strand, site, category, _("Prévu"), _("Réalisé à date"), _("Consommé"), _("Reste"), _("Prévision fin")]
    ]
